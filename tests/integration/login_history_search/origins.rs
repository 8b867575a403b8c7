//! Text that only a device or a location can hold is answered from the
//! per-day counts by origin: the chart sums them, and a page reads only the
//! days that hold matches. Pages walked one, two or five rows at a time in
//! both directions, "more" checks and the chart still return exactly what
//! the plain scan returns, with matches spread over a few days, a page's
//! cursor inside a day whose other matches lie past it, and nothing found
//! at all; and the counts always equal a recount of the events.

use super::{DAY, check, filter, oracle, seed_at, walk};
use crate::helpers::*;
use sqlx::{AnyPool, Row};
use statusstack::login_history::filter::{Cursor, HistoryFilter, PagePosition};
use statusstack::login_history::server::store::history::{self, Scope};

const HOUR: i64 = 60 * 60 * 1000;

/// Days back (from the newest) and how many of that day's six events are
/// on the rare device: several on some days, none on most.
const RARE_DAYS: &[(i64, i64)] = &[(0, 1), (3, 6), (4, 1), (11, 2), (25, 3), (40, 6)];

/// Six events a day, four hours apart, for 45 days; the first events of
/// each day in [`RARE_DAYS`] come from "Opera on Haiku", the others from
/// Firefox; logins and failed attempts alternate.
async fn fill_days(app: &TestApp, user: &str) {
    let newest = now() - 60_000;
    let mut tx = statusstack::server::db::begin_write(&app.pool)
        .await
        .unwrap();
    for n in 0..45 * 6 {
        let (day, slot) = (n / 6, n % 6);
        let rare = RARE_DAYS
            .iter()
            .any(|(rare_day, count)| *rare_day == day && slot < *count);
        let device = if rare {
            "Opera on Haiku"
        } else {
            "Firefox on Linux"
        };
        let (kind, category, outcome) = if n % 2 == 0 {
            ("sign_in", "logins", "success")
        } else {
            ("sign_in_failed", "failed", "failure")
        };
        sqlx::query(
            "INSERT INTO security_events (id, user_id, kind, outcome, occurred_at, ip, user_agent,
                 detail, device, location, category)
             VALUES ($1, $2, $3, $4, $5, '198.51.100.7', '', '{}', $6, 'Berlin, BE, DE', $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(user)
        .bind(kind)
        .bind(outcome)
        .bind(newest - n * 4 * HOUR)
        .bind(device)
        .bind(category)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Every matching event, walked from the oldest towards the newest
/// (`size` rows a page), checking "is there more" both ways at each page.
async fn walk_newer(
    pool: &AnyPool,
    scope: Scope<'_>,
    filter: &HistoryFilter,
    size: usize,
) -> Vec<String> {
    let window = filter.window(now());
    let mut seen: Vec<String> = Vec::new();
    let mut cursor = Cursor {
        at: window.0 - 1,
        id: String::new(),
    };
    loop {
        let position = PagePosition::After(cursor.clone());
        let page = history::page(pool, scope, filter, window, &position, size)
            .await
            .unwrap();
        let Some(newest) = page.first() else { break };
        let next = Cursor {
            at: newest.occurred_at,
            id: newest.id.clone(),
        };
        if let Some(oldest) = page.last() {
            let back = Cursor {
                at: oldest.occurred_at,
                id: oldest.id.clone(),
            };
            assert_eq!(
                history::exists_beyond(pool, scope, filter, window, false, &back)
                    .await
                    .unwrap(),
                !seen.is_empty(),
                "{:?}: older events lie behind this page",
                filter.text
            );
        }
        seen.extend(page.iter().rev().map(|event| event.id.clone()));
        let more = history::exists_beyond(pool, scope, filter, window, true, &next)
            .await
            .unwrap();
        if page.len() < size {
            assert!(!more, "{:?}: nothing lies beyond a short page", filter.text);
        }
        if !more {
            break;
        }
        cursor = next;
    }
    seen.reverse();
    seen
}

/// The per-day counts by origin equal a recount of the events (rows whose
/// events all went may stay, at zero; none goes below).
pub(super) async fn assert_counts_follow_events(app: &TestApp) {
    let rows = |sql: &'static str| {
        let pool = app.pool.clone();
        async move {
            sqlx::query(sql)
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|row| {
                    (
                        row.get::<String, _>(0),
                        row.get::<i64, _>(1),
                        row.get::<String, _>(2),
                        row.get::<String, _>(3),
                        row.get::<String, _>(4),
                        row.get::<String, _>(5),
                        row.get::<i64, _>(6),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let recount = rows(
        "SELECT user_id, occurred_at / 86400000 AS day, category, outcome, device, location,
             COUNT(*) AS n FROM security_events WHERE user_id IS NOT NULL
         GROUP BY user_id, occurred_at / 86400000, category, outcome, device, location
         ORDER BY 1, 2, 3, 4, 5, 6",
    )
    .await;
    let kept = rows(
        "SELECT user_id, day, category, outcome, device, location, events
         FROM security_event_day_origins WHERE events <> 0 ORDER BY 1, 2, 3, 4, 5, 6",
    )
    .await;
    assert!(kept.iter().all(|row| row.6 > 0), "no count below zero");
    assert_eq!(kept, recount);
}

both_databases! {
    async fn text_only_a_device_or_location_holds_reads_the_days_that_hold_it(app) {
        app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        app.sign_up("Bob", "bob@example.com", STRONG_PASSWORD).await;
        let user = user_id(&app, "ada@example.com").await;
        let other = user_id(&app, "bob@example.com").await;
        fill_days(&app, &user).await;
        fill_days(&app, &other).await;
        assert_counts_follow_events(&app).await;
        for query in ["range=30d", "range=90d", "range=90d&category=failed", "range=7d&result=success", "range=24h"] {
            for text in ["haiku", "Opera on H", "berlin", "firefox", "atlantis"] {
                let f = filter(query, text);
                check(&app.pool, Scope::User(&user), &f).await;
                let expected: Vec<String> = oracle(&app.pool, Scope::User(&user), &f)
                    .await
                    .into_iter()
                    .map(|row| row.0)
                    .collect();
                if !["haiku", "atlantis"].contains(&text) {
                    continue;
                }
                for size in [1, 2, 5] {
                    assert_eq!(walk(&app.pool, Scope::User(&user), &f, size).await, expected, "{query} {text} by {size}, older");
                    assert_eq!(walk_newer(&app.pool, Scope::User(&user), &f, size).await, expected, "{query} {text} by {size}, newer");
                }
            }
        }
        // The rare device on the newest day only: one, in 24 hours.
        let f = filter("range=24h", "haiku");
        assert_eq!(oracle(&app.pool, Scope::User(&user), &f).await.len(), 1);
        // Failed attempts from the rare device: three on day 3, one on day
        // 11, one on day 25, three on day 40.
        let f = filter("range=90d&category=failed", "haiku");
        assert_eq!(oracle(&app.pool, Scope::User(&user), &f).await.len(), 3 + 1 + 1 + 3);
    }

    async fn the_counts_follow_updates_retention_and_a_deleted_account(app) {
        app.sign_up("Cy", "cy@example.com", STRONG_PASSWORD).await;
        app.sign_up("Di", "di@example.com", STRONG_PASSWORD).await;
        let user = user_id(&app, "cy@example.com").await;
        let gone = user_id(&app, "di@example.com").await;
        fill_days(&app, &user).await;
        fill_days(&app, &gone).await;
        seed_at(&app, &user, "192.0.2.1", "Lynx on Plan9", "Atlantis", now() - 500 * DAY).await;
        assert_counts_follow_events(&app).await;
        sqlx::query("UPDATE security_events SET device = 'Opera on Haiku', occurred_at = occurred_at - 86400000 WHERE device = 'Firefox on Linux' AND category = 'failed'")
            .execute(&app.pool).await.unwrap();
        assert_counts_follow_events(&app).await;
        statusstack::server::maintenance::prune_once(&app.state).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE location = 'Atlantis'").await, 0);
        assert_counts_follow_events(&app).await;
        sqlx::query("DELETE FROM users WHERE id = $1").bind(&gone).execute(&app.pool).await.unwrap();
        assert_counts_follow_events(&app).await;
        assert_eq!(app.count(&format!("SELECT COUNT(*) FROM security_event_day_origins WHERE user_id = '{gone}'")).await, 0);
        for text in ["haiku", "firefox", ""] {
            check(&app.pool, Scope::User(&user), &filter("range=90d", text)).await;
        }
    }
}
