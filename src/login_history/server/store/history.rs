//! Login History queries over `security_events`: keyset pages, daily counts,
//! retention. Always scoped to one user; filters are bound, never spliced.

use crate::login_history::Outcome;
use crate::login_history::filter::{Cursor, HistoryFilter, PagePosition};
use crate::server::db::parsed;
use crate::time::DAY_MS;
use anyhow::Context;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyPool, FromRow, Row};

/// Whose history: one person's events, or an organization's team events.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    User(&'a str),
    Org(&'a str),
}

impl Scope<'_> {
    fn column_and_id(&self) -> (&'static str, &str) {
        match self {
            Scope::User(id) => ("user_id", id),
            Scope::Org(id) => ("org_id", id),
        }
    }
}

/// A stored event as the history reads it. The kind stays text: an event a
/// newer version recorded still shows, by its name.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredEvent {
    pub id: String,
    pub kind: String,
    #[sqlx(try_from = "String")]
    pub outcome: Outcome,
    pub occurred_at: i64,
    pub ip: String,
    pub user_agent: String,
    pub device: String,
    pub location: String,
    pub detail: String,
}

enum Bind {
    Text(String),
    Int(i64),
}

/// The WHERE clause shared by pages, counts and the export, with its binds.
struct Conditions {
    sql: String,
    binds: Vec<Bind>,
}

impl Conditions {
    fn push(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len())
    }

    fn new() -> Conditions {
        Conditions {
            sql: String::new(),
            binds: Vec::new(),
        }
    }

    /// ` AND category IN (…) AND outcome = …` for the filter's choices, as
    /// both the events and the per-day counts have these columns.
    fn category_and_outcome(&mut self, filter: &HistoryFilter) -> String {
        let mut sql = String::new();
        if !filter.categories.is_empty() {
            let slots: Vec<String> = filter
                .categories
                .iter()
                .map(|category| self.push(Bind::Text(category.as_str().to_string())))
                .collect();
            sql.push_str(&format!(" AND category IN ({})", slots.join(", ")));
        }
        if let Some(outcome) = filter.outcome {
            let slot = self.push(Bind::Text(outcome.as_str().to_string()));
            sql.push_str(&format!(" AND outcome = {slot}"));
        }
        sql
    }

    fn for_filter(scope: Scope<'_>, filter: &HistoryFilter, window: (i64, i64)) -> Conditions {
        let mut c = Conditions::new();
        let (column, id) = scope.column_and_id();
        let owner = c.push(Bind::Text(id.to_string()));
        let from = c.push(Bind::Int(window.0));
        let to = c.push(Bind::Int(window.1));
        let mut sql =
            format!("{column} = {owner} AND occurred_at >= {from} AND occurred_at < {to}");
        sql.push_str(&c.category_and_outcome(filter));
        if !filter.text.is_empty() {
            let pattern = format!("%{}%", escape_like(&filter.text.to_lowercase()));
            let slot = c.push(Bind::Text(pattern));
            sql.push_str(&format!(
                " AND (LOWER(ip) LIKE {slot} ESCAPE '\\' OR LOWER(device) LIKE {slot} ESCAPE '\\'
                      OR LOWER(location) LIKE {slot} ESCAPE '\\')"
            ));
        }
        c.sql = sql;
        c
    }

    fn bind_all<'q>(
        &'q self,
        mut query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for bind in &self.binds {
            query = match bind {
                Bind::Text(text) => query.bind(text.as_str()),
                Bind::Int(value) => query.bind(*value),
            };
        }
        query
    }
}

/// `%`, `_` and `\\` match themselves.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

const COLUMNS: &str = "id, kind, outcome, occurred_at, ip, user_agent, device, location, detail";

/// Up to `limit` events at `position`, always returned newest first.
pub async fn page(
    pool: &AnyPool,
    scope: Scope<'_>,
    filter: &HistoryFilter,
    window: (i64, i64),
    position: &PagePosition,
    limit: usize,
) -> anyhow::Result<Vec<StoredEvent>> {
    let (window, order) = match position {
        PagePosition::Newest => (window, "DESC"),
        PagePosition::Before(cursor) => (narrow(window, false, cursor), "DESC"),
        PagePosition::After(cursor) => (narrow(window, true, cursor), "ASC"),
    };
    let mut c = Conditions::for_filter(scope, filter, window);
    let keyset = match position {
        PagePosition::Newest => String::new(),
        PagePosition::Before(cursor) => keyset(&mut c, "<", cursor),
        PagePosition::After(cursor) => keyset(&mut c, ">", cursor),
    };
    let limit_slot = c.push(Bind::Int(limit as i64));
    let sql = format!(
        "SELECT {COLUMNS} FROM security_events WHERE {}{keyset}
         ORDER BY occurred_at {order}, id {order} LIMIT {limit_slot}",
        c.sql
    );
    let rows = c
        .bind_all(sqlx::query(&sql))
        .fetch_all(pool)
        .await
        .context("Failed to read the login history")?;
    let mut events = rows
        .iter()
        .map(StoredEvent::from_row)
        .collect::<Result<Vec<_>, _>>()?;
    if order == "ASC" {
        events.reverse();
    }
    Ok(events)
}

/// Moves the window's edge to the cursor, so the index range starts at the
/// cursor: one bound per side keeps the planner from scanning from the top.
fn narrow(window: (i64, i64), newer: bool, cursor: &Cursor) -> (i64, i64) {
    if newer {
        (window.0.max(cursor.at), window.1)
    } else {
        (window.0, window.1.min(cursor.at.saturating_add(1)))
    }
}

/// Breaks ties at the cursor's time by id (the window already holds the time bound).
fn keyset(c: &mut Conditions, op: &str, cursor: &Cursor) -> String {
    let at = c.push(Bind::Int(cursor.at));
    let id = c.push(Bind::Text(cursor.id.clone()));
    format!(" AND (occurred_at {op} {at} OR id {op} {id})")
}

/// Whether any event matching the filter lies beyond `cursor` in direction `op`.
pub async fn exists_beyond(
    pool: &AnyPool,
    scope: Scope<'_>,
    filter: &HistoryFilter,
    window: (i64, i64),
    newer: bool,
    cursor: &Cursor,
) -> anyhow::Result<bool> {
    let mut c = Conditions::for_filter(scope, filter, narrow(window, newer, cursor));
    let keyset = keyset(&mut c, if newer { ">" } else { "<" }, cursor);
    let sql = format!(
        "SELECT id FROM security_events WHERE {}{keyset} LIMIT 1",
        c.sql
    );
    let row = c
        .bind_all(sqlx::query(&sql))
        .fetch_optional(pool)
        .await
        .context("Failed to look beyond a history page")?;
    Ok(row.is_some())
}

/// Matching events per UTC day and result: (day, outcome, count). Without a
/// text filter a person's per-day counts answer it (whole days at the
/// window's edges); with one, or for an organization's few team events, the
/// matching events are counted.
pub async fn daily_counts(
    pool: &AnyPool,
    scope: Scope<'_>,
    filter: &HistoryFilter,
    window: (i64, i64),
) -> anyhow::Result<Vec<(i64, Outcome, i64)>> {
    if let (Scope::User(user_id), true) = (scope, filter.text.is_empty()) {
        return daily_counts_from_days(pool, user_id, filter, window).await;
    }
    let c = Conditions::for_filter(scope, filter, window);
    let sql = format!(
        "SELECT occurred_at / {DAY_MS} AS day, outcome, COUNT(*) AS n FROM security_events
         WHERE {} GROUP BY occurred_at / {DAY_MS}, outcome",
        c.sql
    );
    day_counts(pool, &c, &sql).await
}

/// Runs a `day, outcome, n` query.
async fn day_counts(
    pool: &AnyPool,
    c: &Conditions,
    sql: &str,
) -> anyhow::Result<Vec<(i64, Outcome, i64)>> {
    let rows = c
        .bind_all(sqlx::query(sql))
        .fetch_all(pool)
        .await
        .context("Failed to count the login history by day")?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("day")?,
                parsed(row, "outcome")?,
                row.try_get("n")?,
            ))
        })
        .collect()
}

async fn daily_counts_from_days(
    pool: &AnyPool,
    user_id: &str,
    filter: &HistoryFilter,
    window: (i64, i64),
) -> anyhow::Result<Vec<(i64, Outcome, i64)>> {
    let mut c = Conditions::new();
    let user = c.push(Bind::Text(user_id.to_string()));
    let first = c.push(Bind::Int(window.0.div_euclid(DAY_MS)));
    let last = c.push(Bind::Int((window.1 - 1).div_euclid(DAY_MS)));
    let sql = format!(
        "SELECT day, outcome, CAST(SUM(events) AS BIGINT) AS n FROM security_event_days
         WHERE user_id = {user} AND day >= {first} AND day <= {last}{} GROUP BY day, outcome",
        c.category_and_outcome(filter)
    );
    day_counts(pool, &c, &sql).await
}

/// Deletes events recorded before `before` (retention) and the day counts of
/// the days entirely before it; returns how many events went.
pub async fn prune(pool: &AnyPool, before: i64) -> anyhow::Result<u64> {
    let result = sqlx::query("DELETE FROM security_events WHERE occurred_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .context("Failed to prune old security events")?;
    sqlx::query("DELETE FROM security_event_days WHERE day < $1")
        .bind(before.div_euclid(DAY_MS))
        .execute(pool)
        .await
        .context("Failed to prune old day counts")?;
    Ok(result.rows_affected())
}
