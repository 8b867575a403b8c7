//! The WHERE clause the Login History's pages, counts and export share: the
//! scope, the window, the categories and result, and the text filter as
//! [`TextMatch`] planned it. Every value is bound, never spliced.

use super::search::{Narrowing, PG_SEARCH_TEXT, TextMatch};
use crate::login_history::filter::HistoryFilter;
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

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

pub(super) enum Bind {
    Text(String),
    Int(i64),
}

/// A WHERE clause with its binds.
pub(super) struct Conditions {
    pub(super) sql: String,
    binds: Vec<Bind>,
    /// SQLite, candidates found by the FTS5 index: the other columns are
    /// written `+column` so that SQLite looks the candidates up by rowid
    /// instead of walking a (user, time) index and testing each row.
    unindexed: bool,
}

impl Conditions {
    /// Adds a bind; returns its placeholder.
    pub(super) fn push(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        format!("${}", self.binds.len())
    }

    /// An empty clause, its columns written plainly.
    pub(super) fn new() -> Conditions {
        Conditions {
            sql: String::new(),
            binds: Vec::new(),
            unindexed: false,
        }
    }

    /// A column as this clause writes it (see `unindexed`).
    pub(super) fn col(&self, name: &str) -> String {
        if self.unindexed {
            format!("+{name}")
        } else {
            name.to_string()
        }
    }

    /// ` AND category IN (…) AND outcome = …` for the filter's choices, as
    /// both the events and the per-day counts have these columns.
    pub(super) fn category_and_outcome(&mut self, filter: &HistoryFilter) -> String {
        let mut sql = String::new();
        if !filter.categories.is_empty() {
            let slots: Vec<String> = filter
                .categories
                .iter()
                .map(|category| self.push(Bind::Text(category.as_str().to_string())))
                .collect();
            let column = self.col("category");
            sql.push_str(&format!(" AND {column} IN ({})", slots.join(", ")));
        }
        if let Some(outcome) = filter.outcome {
            let slot = self.push(Bind::Text(outcome.as_str().to_string()));
            let column = self.col("outcome");
            sql.push_str(&format!(" AND {column} = {slot}"));
        }
        sql
    }

    /// Scope, window, categories, result and text.
    pub(super) fn for_filter(
        scope: Scope<'_>,
        filter: &HistoryFilter,
        window: (i64, i64),
        text: Option<&TextMatch>,
    ) -> Conditions {
        let mut c = Conditions::new();
        c.unindexed = matches!(text.map(|t| &t.narrowing), Some(Narrowing::Rowids(_)));
        c.sql = c.filter_sql(scope, filter, window, text);
        c
    }

    /// The SQL of [`Conditions::for_filter`], its values bound after this
    /// clause's own: for one part of a larger query.
    pub(super) fn filter_sql(
        &mut self,
        scope: Scope<'_>,
        filter: &HistoryFilter,
        window: (i64, i64),
        text: Option<&TextMatch>,
    ) -> String {
        let (column, id) = scope.column_and_id();
        let owner = self.push(Bind::Text(id.to_string()));
        let from = self.push(Bind::Int(window.0));
        let to = self.push(Bind::Int(window.1));
        let (column, at) = (self.col(column), self.col("occurred_at"));
        let mut sql = format!("{column} = {owner} AND {at} >= {from} AND {at} < {to}");
        sql.push_str(&self.category_and_outcome(filter));
        if let Some(text) = text {
            sql.push_str(&self.text(text));
        }
        sql
    }

    /// The narrowing by index, if any, then the case-insensitive substring
    /// test over ip, device and location that decides every row; where the
    /// plan asks for it ([`TextMatch::prefilter`]) PostgreSQL first looks
    /// for the text in the stored search column (`strpos`, cheaper than
    /// three LOWER … LIKE).
    fn text(&mut self, text: &TextMatch) -> String {
        let mut sql = String::new();
        match &text.narrowing {
            Narrowing::None => {}
            Narrowing::Rowids(rowids) => {
                let slot = self.push(Bind::Text(rowids.clone()));
                sql.push_str(&format!(
                    " AND rowid IN (SELECT value FROM json_each({slot}))"
                ));
            }
            Narrowing::Trigrams(patterns) => {
                for pattern in patterns {
                    let slot = self.push(Bind::Text(pattern.clone()));
                    sql.push_str(&format!(" AND {PG_SEARCH_TEXT} LIKE {slot}"));
                }
            }
        }
        if text.prefilter {
            let slot = self.push(Bind::Text(text.pg_text.clone()));
            sql.push_str(&format!(" AND strpos({PG_SEARCH_TEXT}, {slot}) > 0"));
        }
        sql.push_str(&self.any_like(&text.pattern, text.sqlite, &["ip", "device", "location"]));
        sql
    }

    /// ` AND (… OR …)`: the case-insensitive LIKE of `pattern` on any of
    /// `columns`. SQLite's LIKE already ignores ASCII case and its LOWER
    /// changes nothing else, so there it reads the columns as they are.
    pub(super) fn any_like(&mut self, pattern: &str, sqlite: bool, columns: &[&str]) -> String {
        let slot = self.push(Bind::Text(pattern.to_string()));
        let likes: Vec<String> = columns
            .iter()
            .map(|column| {
                if sqlite {
                    format!("{column} LIKE {slot} ESCAPE '\\'")
                } else {
                    format!("LOWER({column}) LIKE {slot} ESCAPE '\\'")
                }
            })
            .collect();
        format!(" AND ({})", likes.join(" OR "))
    }

    /// Binds every value in order.
    pub(super) fn bind_all<'q>(
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
