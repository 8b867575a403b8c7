//! The Login History on the server: recording events, reading filtered pages
//! with their chart, the streamed export and the `/api/v1/login-history` endpoint.

pub mod export;
pub mod record;
pub mod rest;
pub mod store;

use super::filter::{Cursor, HistoryFilter, PAGE_SIZE, PagePosition};
use super::{DayBucket, EventKind, EventRow, HistoryPage, Outcome};
use crate::error::AppError;
use crate::server::client::device_label;
use crate::server::state::AppState;
use crate::time::DAY_MS;
use store::history;
use store::history::StoredEvent;

/// One page of the user's events for `filter`, with the chart when `with_chart`
/// (the JSON API leaves it out).
pub async fn history_page(
    state: &AppState,
    scope: history::Scope<'_>,
    filter: HistoryFilter,
    with_chart: bool,
) -> Result<HistoryPage, AppError> {
    let now = state.now();
    let window = checked_window(state, &filter, now)?;
    let pool = &state.pool;
    // One extra row tells whether a further page exists in the direction read.
    let mut rows = history::page(
        pool,
        scope,
        &filter,
        window,
        &filter.position,
        PAGE_SIZE + 1,
    )
    .await?;
    let more = rows.len() > PAGE_SIZE;
    if more {
        match filter.position {
            PagePosition::After(_) => {
                rows.remove(0);
            }
            _ => {
                rows.pop();
            }
        }
    }
    let cursor_of = |event: &StoredEvent| Cursor {
        at: event.occurred_at,
        id: event.id.clone(),
    };
    let (first, last) = (rows.first().map(cursor_of), rows.last().map(cursor_of));
    let has_newer = match (&filter.position, &first) {
        (PagePosition::Newest, _) | (_, None) => false,
        (PagePosition::After(_), Some(_)) => more,
        (PagePosition::Before(_), Some(first)) => {
            history::exists_beyond(pool, scope, &filter, window, true, first).await?
        }
    };
    let has_older = match (&filter.position, &last) {
        (_, None) => false,
        (PagePosition::After(_), Some(last)) => {
            history::exists_beyond(pool, scope, &filter, window, false, last).await?
        }
        (_, Some(_)) => more,
    };
    let newer = first
        .filter(|_| has_newer)
        .map(|cursor| filter.page_query(&PagePosition::After(cursor)));
    let older = last
        .filter(|_| has_older)
        .map(|cursor| filter.page_query(&PagePosition::Before(cursor)));
    let chart = if with_chart {
        let counts = history::daily_counts(pool, scope, &filter, window).await?;
        daily_buckets(window, counts)
    } else {
        Vec::new()
    };
    Ok(HistoryPage {
        events: rows.into_iter().map(event_row).collect(),
        chart,
        filter,
        newer,
        older,
        window,
    })
}

/// The filter's time window, refused with a clear message when a custom
/// range reaches past the days the history keeps; presets never start
/// before them either, so no window holds more days than that.
pub fn checked_window(
    state: &AppState,
    filter: &HistoryFilter,
    now: i64,
) -> Result<(i64, i64), AppError> {
    let retention_days = state.config.event_retention_ms / DAY_MS;
    filter
        .check_range(now, retention_days)
        .map_err(|message| AppError::validation("filter", message))?;
    let (start, end) = filter.window(now);
    Ok((start.max(now - state.config.event_retention_ms), end))
}

/// Every day of the window, with zero for days without events.
fn daily_buckets(window: (i64, i64), counts: Vec<(i64, Outcome, i64)>) -> Vec<DayBucket> {
    use crate::time::DAY_MS;
    let first = window.0.div_euclid(DAY_MS);
    let last = (window.1 - 1).div_euclid(DAY_MS);
    let mut buckets: Vec<DayBucket> = (first..=last)
        .map(|day| DayBucket {
            day,
            successes: 0,
            failures: 0,
        })
        .collect();
    for (day, outcome, n) in counts {
        if let Some(bucket) = buckets.get_mut((day - first).max(0) as usize) {
            if outcome == Outcome::Failure {
                bucket.failures += n;
            } else {
                bucket.successes += n;
            }
        }
    }
    buckets
}

/// A stored event as the history shows it.
pub fn event_row(event: StoredEvent) -> EventRow {
    let kind = event.kind.parse::<EventKind>().ok();
    EventRow {
        label: kind
            .map(|k| k.label().to_string())
            .unwrap_or_else(|| event.kind.replace('_', " ")),
        category: kind.map(EventKind::category),
        outcome: event.outcome,
        detail: summarize_detail(&event.detail),
        device: if event.device.is_empty() {
            device_label(&event.user_agent).0
        } else {
            event.device
        },
        location: event.location,
        id: event.id,
        kind: event.kind,
        occurred_at: event.occurred_at,
        ip: event.ip,
    }
}

/// `{"reason":"wrong_password","consecutive_failures":3}` → "reason: wrong password · consecutive failures: 3".
fn summarize_detail(detail: &str) -> String {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str(detail) else {
        return String::new();
    };
    map.iter()
        .filter_map(|(key, value)| {
            let value = match value {
                serde_json::Value::String(text) => text.replace('_', " "),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some(format!("{}: {value}", key.replace('_', " ")))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The user's `recent` latest successful sign-ins, newest first (time,
/// ip), and how many sign-ins failed since `failed_since`.
pub async fn sign_in_summary(
    state: &AppState,
    user_id: &str,
    recent: i64,
    failed_since: i64,
) -> Result<(Vec<(i64, String)>, i64), AppError> {
    Ok(store::events::sign_in_summary(&state.pool, user_id, recent, failed_since).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_read_as_text() {
        assert_eq!(
            summarize_detail(r#"{"consecutive_failures":3,"reason":"wrong_password"}"#),
            "consecutive failures: 3 · reason: wrong password"
        );
        assert_eq!(summarize_detail("not json"), "");
    }

    #[test]
    fn every_day_of_the_window_gets_a_bucket() {
        let day = 24 * 60 * 60 * 1000;
        let buckets = daily_buckets(
            (10 * day + 5, 13 * day),
            vec![(10, Outcome::Failure, 4), (12, Outcome::Success, 2)],
        );
        assert_eq!(buckets.len(), 3);
        assert_eq!((buckets[0].day, buckets[0].failures), (10, 4));
        assert_eq!(buckets[2].successes, 2);
    }
}
