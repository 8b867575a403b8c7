//! Login History queries over `security_events`: keyset pages, daily counts,
//! retention. Always scoped to one user; filters are bound, never spliced.

use super::conditions::{Bind, Conditions};
use super::origins;
use super::search;
use crate::login_history::Outcome;
use crate::login_history::filter::{Cursor, HistoryFilter, PagePosition};
use crate::time::DAY_MS;
use anyhow::Context;
use sqlx::{AnyPool, FromRow};

pub use super::conditions::Scope;

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
    let Some(window) =
        days_with_matches(pool, scope, filter, window, order == "DESC", limit).await?
    else {
        return Ok(Vec::new());
    };
    let text = search::plan(pool, &filter.text).await?;
    let mut c = Conditions::for_filter(scope, filter, window, text.as_ref());
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
        .bind_all(sqlx::query(&sql).persistent(text.is_none()))
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

/// With a text filter only the device or the location can match, the part of
/// the window that holds the `needed` matches nearest its starting edge, as
/// the per-day counts tell (`None`: no match anywhere in it); else the
/// window as it is.
async fn days_with_matches(
    pool: &AnyPool,
    scope: Scope<'_>,
    filter: &HistoryFilter,
    window: (i64, i64),
    newest_first: bool,
    needed: usize,
) -> anyhow::Result<Option<(i64, i64)>> {
    match scope {
        Scope::User(user_id) if !filter.text.is_empty() && origins::answer(filter) => {
            origins::narrowed_window(pool, user_id, filter, window, newest_first, needed).await
        }
        _ => Ok(Some(window)),
    }
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
    let (at_column, id_column) = (c.col("occurred_at"), c.col("id"));
    format!(" AND ({at_column} {op} {at} OR {id_column} {op} {id})")
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
    let window = narrow(window, newer, cursor);
    let Some(window) = days_with_matches(pool, scope, filter, window, !newer, 1).await? else {
        return Ok(false);
    };
    let text = search::plan(pool, &filter.text).await?;
    let mut c = Conditions::for_filter(scope, filter, window, text.as_ref());
    let keyset = keyset(&mut c, if newer { ">" } else { "<" }, cursor);
    let sql = format!(
        "SELECT id FROM security_events WHERE {}{keyset} LIMIT 1",
        c.sql
    );
    let row = c
        .bind_all(sqlx::query(&sql).persistent(text.is_none()))
        .fetch_optional(pool)
        .await
        .context("Failed to look beyond a history page")?;
    Ok(row.is_some())
}

/// Matching events per UTC day and result: (day, outcome, count). A
/// person's per-day counts answer it (with the events of the days cut by
/// the window's edges) unless the text may match an address; then, and for
/// an organization's few team events, the matching events are counted.
pub async fn daily_counts(
    pool: &AnyPool,
    scope: Scope<'_>,
    filter: &HistoryFilter,
    window: (i64, i64),
) -> anyhow::Result<Vec<(i64, Outcome, i64)>> {
    if let (Scope::User(user_id), true) = (scope, origins::answer(filter)) {
        return origins::daily_counts(pool, user_id, filter, window).await;
    }
    let text = search::plan(pool, &filter.text)
        .await?
        .map(search::TextMatch::counting);
    let c = Conditions::for_filter(scope, filter, window, text.as_ref());
    let sql = format!(
        "SELECT occurred_at / {DAY_MS} AS day, outcome, COUNT(*) AS n FROM security_events
         WHERE {} GROUP BY occurred_at / {DAY_MS}, outcome",
        c.sql
    );
    origins::day_counts(pool, &c, &sql, text.is_none()).await
}

/// Deletes events recorded before `before` (retention; triggers take them
/// off the per-day counts) and the counts of the days entirely before it;
/// returns how many events went.
pub async fn prune(pool: &AnyPool, before: i64) -> anyhow::Result<u64> {
    let result = sqlx::query("DELETE FROM security_events WHERE occurred_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .context("Failed to prune old security events")?;
    sqlx::query("DELETE FROM security_event_day_origins WHERE day < $1")
        .bind(before.div_euclid(DAY_MS))
        .execute(pool)
        .await
        .context("Failed to prune old day counts")?;
    Ok(result.rows_affected())
}
