//! The per-day counts by origin (`security_event_day_origins`): a person's
//! events per UTC day, category, result, device and location, kept by
//! triggers in the statement that records, deletes or changes an event
//! (`migrations/*/0020_event_day_origins.sql`). They answer the chart for
//! the days wholly inside its window, and tell a page whose text filter only
//! the device or the location can match (see [`search::may_match_address`])
//! which days hold its matches, so it reads no event of a day without one.

use super::conditions::{Bind, Conditions, Scope};
use super::search;
use crate::login_history::Outcome;
use crate::login_history::filter::HistoryFilter;
use crate::server::db::parsed;
use crate::time::DAY_MS;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// Whether the counts answer `filter`: no text, or text no address can hold.
pub(super) fn answer(filter: &HistoryFilter) -> bool {
    filter.text.is_empty() || !search::may_match_address(&filter.text.to_lowercase())
}

/// The person's counts from day `days.0` to day `days.1` (both included)
/// with the categories, result and text on device and location, bound after
/// `c`'s values. Only for a filter the counts [`answer`].
fn origin_sql(
    c: &mut Conditions,
    pool: &AnyPool,
    user_id: &str,
    filter: &HistoryFilter,
    days: (i64, i64),
) -> String {
    let user = c.push(Bind::Text(user_id.to_string()));
    let first = c.push(Bind::Int(days.0));
    let last = c.push(Bind::Int(days.1));
    let mut sql = format!("user_id = {user} AND day >= {first} AND day <= {last}");
    sql.push_str(&c.category_and_outcome(filter));
    if !filter.text.is_empty() {
        let pattern = search::like_pattern(&filter.text.to_lowercase());
        let sqlite = crate::server::db::is_sqlite(pool);
        sql.push_str(&c.any_like(&pattern, sqlite, &["device", "location"]));
    }
    sql
}

/// Matching events per UTC day and result: (day, outcome, count), for a
/// filter the counts [`answer`]. The days wholly inside the window come
/// from the counts; the part of a day at either edge (this morning, the
/// start of a 30-day window) from its events, so the chart counts what the
/// table lists. One statement.
pub(super) async fn daily_counts(
    pool: &AnyPool,
    user_id: &str,
    filter: &HistoryFilter,
    window: (i64, i64),
) -> anyhow::Result<Vec<(i64, Outcome, i64)>> {
    if window.0 >= window.1 {
        return Ok(Vec::new());
    }
    let mut c = Conditions::new();
    let mut parts = Vec::new();
    let first_whole = window.0.div_euclid(DAY_MS) + i64::from(window.0.rem_euclid(DAY_MS) != 0);
    let end_whole = window.1.div_euclid(DAY_MS);
    let edges = if first_whole < end_whole {
        let days = origin_sql(&mut c, pool, user_id, filter, (first_whole, end_whole - 1));
        parts.push(format!(
            "SELECT day, outcome, events AS n FROM security_event_day_origins WHERE {days}"
        ));
        [
            (window.0, first_whole * DAY_MS),
            (end_whole * DAY_MS, window.1),
        ]
    } else {
        [window, (window.1, window.1)]
    };
    let lowered = filter.text.to_lowercase();
    let text = (!lowered.is_empty())
        .then(|| search::TextMatch::plain(&lowered, crate::server::db::is_sqlite(pool)));
    for edge in edges.into_iter().filter(|(from, to)| from < to) {
        let events = c.filter_sql(Scope::User(user_id), filter, edge, text.as_ref());
        parts.push(format!(
            "SELECT occurred_at / {DAY_MS} AS day, outcome, 1 AS n FROM security_events WHERE {events}"
        ));
    }
    let sql = format!(
        "SELECT day, outcome, CAST(SUM(n) AS BIGINT) AS n FROM ({}) AS counted
         GROUP BY day, outcome HAVING SUM(n) > 0",
        parts.join(" UNION ALL ")
    );
    day_counts(pool, &c, &sql, filter.text.is_empty()).await
}

/// Runs a `day, outcome, n` query.
pub(super) async fn day_counts(
    pool: &AnyPool,
    c: &Conditions,
    sql: &str,
    persistent: bool,
) -> anyhow::Result<Vec<(i64, Outcome, i64)>> {
    let rows = c
        .bind_all(sqlx::query(sql).persistent(persistent))
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

/// The part of `window` a walk from one edge (the newest end when
/// `newest_first`) must read to find `needed` matches, or every match
/// there is; `None` when no day of the window holds a match. Only for a
/// filter the counts [`answer`].
pub(super) async fn narrowed_window(
    pool: &AnyPool,
    user_id: &str,
    filter: &HistoryFilter,
    window: (i64, i64),
    newest_first: bool,
    needed: usize,
) -> anyhow::Result<Option<(i64, i64)>> {
    if window.0 >= window.1 {
        return Ok(None);
    }
    let mut c = Conditions::new();
    let days = (
        window.0.div_euclid(DAY_MS),
        (window.1 - 1).div_euclid(DAY_MS),
    );
    c.sql = origin_sql(&mut c, pool, user_id, filter, days);
    let sql = format!(
        "SELECT day, CAST(SUM(events) AS BIGINT) AS n FROM security_event_day_origins
         WHERE {} GROUP BY day HAVING SUM(events) > 0",
        c.sql
    );
    let rows = c
        .bind_all(sqlx::query(&sql).persistent(false))
        .fetch_all(pool)
        .await
        .context("Failed to find the days that hold matches")?;
    let days = rows
        .iter()
        .map(|row| Ok((row.try_get("day")?, row.try_get("n")?)))
        .collect::<anyhow::Result<Vec<(i64, i64)>>>()?;
    Ok(narrow_to_days(window, days, newest_first, needed))
}

/// Walks the days that hold matches from the window's starting edge until
/// `needed` matches are behind it, and keeps the window from the first such
/// day to the end of the last one. The day at the starting edge counts for
/// nothing: its count may include events past the edge (the cursor of a
/// page, or the window's end). The day at the far edge may too, but the
/// walk cannot go past it anyway.
fn narrow_to_days(
    window: (i64, i64),
    mut days: Vec<(i64, i64)>,
    newest_first: bool,
    needed: usize,
) -> Option<(i64, i64)> {
    days.sort_unstable();
    if newest_first {
        days.reverse();
    }
    let start_day = if newest_first {
        (window.1 - 1).div_euclid(DAY_MS)
    } else {
        window.0.div_euclid(DAY_MS)
    };
    let first = days.first()?.0;
    let mut found: i64 = 0;
    let mut last = first;
    for (day, events) in days {
        last = day;
        if day != start_day {
            found = found.saturating_add(events);
        }
        if found >= needed as i64 {
            break;
        }
    }
    let (oldest, newest) = if newest_first {
        (last, first)
    } else {
        (first, last)
    };
    let from = window.0.max(oldest.saturating_mul(DAY_MS));
    let to = window
        .1
        .min(newest.saturating_add(1).saturating_mul(DAY_MS));
    (from < to).then_some((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: i64 = DAY_MS;

    #[test]
    fn the_walk_keeps_the_days_that_hold_the_needed_matches() {
        let window = (10 * D + 5, 20 * D + 7);
        let days = vec![(12, 3), (18, 2), (15, 4), (11, 9)];
        // Newest first: 18 (2), 15 (4) make 6.
        assert_eq!(
            narrow_to_days(window, days.clone(), true, 5),
            Some((15 * D, 19 * D))
        );
        // Oldest first: 11 (9) is enough.
        assert_eq!(
            narrow_to_days(window, days.clone(), false, 5),
            Some((11 * D, 12 * D))
        );
        // Not enough anywhere: from the first to the last day with a match.
        assert_eq!(
            narrow_to_days(window, days, true, 100),
            Some((11 * D, 19 * D))
        );
        assert_eq!(narrow_to_days(window, Vec::new(), true, 1), None);
    }

    #[test]
    fn the_day_at_the_starting_edge_counts_for_nothing() {
        // The cursor (or the window's end) is inside day 20: its 50 events
        // may all lie past it, so the walk goes on to day 17.
        let window = (10 * D, 20 * D + 7);
        let days = vec![(20, 50), (17, 1)];
        assert_eq!(
            narrow_to_days(window, days, true, 1),
            Some((17 * D, 20 * D + 7))
        );
        let window = (10 * D + 3, 30 * D);
        let days = vec![(10, 50), (13, 1)];
        assert_eq!(
            narrow_to_days(window, days, false, 1),
            Some((10 * D + 3, 14 * D))
        );
    }

    #[test]
    fn the_window_edges_stay_inside_the_window() {
        let window = (10 * D + 5, 12 * D + 7);
        assert_eq!(
            narrow_to_days(window, vec![(10, 1), (12, 1)], true, 10),
            Some(window)
        );
    }
}
