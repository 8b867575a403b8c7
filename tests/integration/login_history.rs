//! Login History over HTTP: filters checked against an oracle computed from
//! the table, keyset pages that never skip or repeat, isolation between
//! users, hostile filters, the export, and retention.

use crate::helpers::*;
use serde_json::Value;
use sqlx::Row;
use statusstack::error::AppError;
use statusstack::login_history::server::store::events;
use statusstack::login_history::{EventKind, Outcome};
use statusstack::server::client::{ClientMeta, Origin};
use std::collections::HashSet;

const DAY: i64 = 24 * 60 * 60 * 1000;

/// One stored event, as the oracle sees it.
#[derive(Clone, Debug)]
struct Seed {
    kind: &'static str,
    category: &'static str,
    outcome: &'static str,
    at: i64,
    ip: &'static str,
    device: &'static str,
    location: &'static str,
}

/// Records the event through the server's own store at its time; returns its id.
async fn seed(app: &TestApp, user: &str, event: &Seed) -> String {
    let kind = event.kind.parse::<EventKind>().expect("a known kind");
    assert_eq!(kind.category().as_str(), event.category);
    let client = ClientMeta {
        ip: event.ip.into(),
        user_agent: String::new(),
    };
    let origin = Origin {
        client: &client,
        device: event.device.to_string(),
        location: event.location.to_string(),
    };
    let outcome = event.outcome.parse::<Outcome>().ok().unwrap();
    let mut tx = statusstack::server::db::begin_write(&app.pool)
        .await
        .unwrap();
    let id = events::record(
        &mut tx,
        Some(user),
        None,
        kind,
        outcome,
        &origin,
        serde_json::json!({}),
        event.at,
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

fn seeds(now: i64) -> Vec<Seed> {
    let s = |kind, category, outcome, days_ago: i64, ip, device, location| Seed {
        kind,
        category,
        outcome,
        at: now - days_ago * DAY - 1000,
        ip,
        device,
        location,
    };
    vec![
        s(
            "sign_in",
            "logins",
            "success",
            0,
            "10.0.0.7",
            "Firefox on Linux",
            "Berlin, BE, DE",
        ),
        s(
            "sign_in_failed",
            "failed",
            "failure",
            0,
            "203.0.113.9",
            "Chrome on Windows",
            "Paris, IDF, FR",
        ),
        s(
            "sign_in_failed",
            "failed",
            "failure",
            2,
            "203.0.113.9",
            "Chrome on Windows",
            "Paris, IDF, FR",
        ),
        s(
            "password_changed",
            "password",
            "success",
            3,
            "10.0.0.7",
            "Firefox on Linux",
            "Berlin, BE, DE",
        ),
        s(
            "two_factor_enabled",
            "two_factor",
            "success",
            5,
            "198.51.100.4",
            "Safari on iPhone",
            "Lyon, ARA, FR",
        ),
        s(
            "two_factor_failed",
            "two_factor",
            "failure",
            8,
            "198.51.100.4",
            "Safari on iPhone",
            "Lyon, ARA, FR",
        ),
        s(
            "session_revoked",
            "sessions",
            "success",
            20,
            "10.0.0.7",
            "Firefox on Linux",
            "Berlin, BE, DE",
        ),
        s(
            "api_key_created",
            "api_keys",
            "success",
            40,
            "10.0.0.7",
            "API client",
            "Unknown location",
        ),
        s(
            "oauth_connected",
            "oauth",
            "success",
            80,
            "10.0.0.7",
            "Firefox on Linux",
            "Berlin, BE, DE",
        ),
        s(
            "sign_in",
            "logins",
            "success",
            120,
            "10.0.0.7",
            "Firefox on Linux",
            "Berlin, BE, DE",
        ),
    ]
}

async fn history(app: &TestApp, cookie: &str, query: &str) -> Reply {
    app.call("login_history", &[("query", query)], Some(cookie))
        .await
}

async fn page(app: &TestApp, cookie: &str, query: &str) -> Value {
    let reply = history(app, cookie, query).await;
    assert_eq!(reply.status, 200, "{query}: {}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

/// Every event of the user as (id, category, outcome, at, ip, device, location), newest first.
async fn all_events(
    app: &TestApp,
    user: &str,
) -> Vec<(String, String, String, i64, String, String, String)> {
    sqlx::query(
        "SELECT id, category, outcome, occurred_at, ip, device, location FROM security_events
         WHERE user_id = $1 ORDER BY occurred_at DESC, id DESC",
    )
    .bind(user)
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| {
        (
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            r.get(5),
            r.get(6),
        )
    })
    .collect()
}

both_databases! {
    async fn each_filter_alone_and_combined_matches_the_oracle(app) {
        let cookie = app.sign_up("Hal", "hal@example.com", STRONG_PASSWORD).await;
        let user = user_id(&app, "hal@example.com").await;
        let now = now();
        for event in seeds(now) {
            seed(&app, &user, &event).await;
        }
        let all = all_events(&app, &user).await;
        type Row = (String, String, String, i64, String, String, String);
        type Case = (&'static str, Box<dyn Fn(&Row) -> bool>);
        let cases: Vec<Case> = vec![
            ("", Box::new(move |r: &Row| r.3 >= now - 30 * DAY)),
            ("category=failed", Box::new(move |r: &Row| r.1 == "failed" && r.3 >= now - 30 * DAY)),
            ("category=two_factor&category=sessions", Box::new(move |r: &Row| (r.1 == "two_factor" || r.1 == "sessions") && r.3 >= now - 30 * DAY)),
            ("result=failure", Box::new(move |r: &Row| r.2 == "failure" && r.3 >= now - 30 * DAY)),
            ("range=24h", Box::new(move |r: &Row| r.3 >= now - DAY)),
            ("range=7d", Box::new(move |r: &Row| r.3 >= now - 7 * DAY)),
            ("range=90d", Box::new(move |r: &Row| r.3 >= now - 90 * DAY)),
            ("q=PARIS", Box::new(move |r: &Row| r.6.contains("Paris") && r.3 >= now - 30 * DAY)),
            ("q=203.0.113", Box::new(move |r: &Row| r.4.starts_with("203.0.113") && r.3 >= now - 30 * DAY)),
            ("q=iphone", Box::new(move |r: &Row| r.5.contains("iPhone") && r.3 >= now - 30 * DAY)),
            ("category=logins,failed&result=failure&range=7d&q=chrome", Box::new(move |r: &Row| r.1 == "failed" && r.2 == "failure" && r.3 >= now - 7 * DAY && r.5.contains("Chrome"))),
        ];
        for (query, keep) in cases {
            let expected: Vec<String> = all.iter().filter(|r| keep(r)).map(|r| r.0.clone()).collect();
            assert_eq!(ids(&page(&app, &cookie, query).await), expected, "{query}");
        }
        let from = statusstack::time::iso_date(now - 100 * DAY);
        let to = statusstack::time::iso_date(now - 10 * DAY);
        let custom = page(&app, &cookie, &format!("range=custom&from={from}&to={to}")).await;
        let kinds: Vec<&str> = custom["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["session_revoked", "api_key_created", "oauth_connected"]);
        let chart = &custom["chart"];
        assert_eq!(chart.as_array().unwrap().len(), 91, "one bar per day of the range");
        let total: i64 = chart.as_array().unwrap().iter().map(|b| b["successes"].as_i64().unwrap() + b["failures"].as_i64().unwrap()).sum();
        assert_eq!(total, 3);
        let failures: i64 = page(&app, &cookie, "result=failure").await["chart"].as_array().unwrap().iter().map(|b| b["failures"].as_i64().unwrap()).sum();
        let texted: i64 = page(&app, &cookie, "result=failure&q=.").await["chart"].as_array().unwrap().iter().map(|b| b["failures"].as_i64().unwrap()).sum();
        assert_eq!((failures, texted), (3, 3), "day counts and counted rows agree");
    }

    async fn pages_never_skip_or_repeat_rows_with_shared_times_or_new_arrivals(app) {
        let cookie = app.sign_up("Pia", "pia@example.com", STRONG_PASSWORD).await;
        let user = user_id(&app, "pia@example.com").await;
        let same_time = now() - DAY;
        let event = Seed { kind: "sign_in", category: "logins", outcome: "success", at: same_time, ip: "10.1.1.1", device: "Firefox on Linux", location: "Local network" };
        for _ in 0..120 {
            seed(&app, &user, &event).await;
        }
        for minutes in 1..=30 {
            seed(&app, &user, &Seed { at: same_time - minutes * 60_000, ..event.clone() }).await;
        }
        let expected: Vec<String> = all_events(&app, &user).await.into_iter().map(|r| r.0).collect();
        let mut seen = Vec::new();
        let mut query = String::new();
        let mut pages = Vec::new();
        loop {
            let current = page(&app, &cookie, &query).await;
            pages.push(query.clone());
            seen.extend(ids(&current));
            // New events arriving between pages must not disturb the walk.
            seed(&app, &user, &Seed { at: now(), ..event.clone() }).await;
            match current["older"].as_str() {
                Some(next) => query = next.to_string(),
                None => break,
            }
        }
        assert_eq!(seen, expected, "every row exactly once, in order");
        assert_eq!(pages.len(), expected.len().div_ceil(50));
        // And back: "Newer" from the last page walks to the start without gaps.
        let last = page(&app, &cookie, pages.last().unwrap()).await;
        let mut back = ids(&last);
        let mut newer = last["newer"].as_str().map(String::from);
        while let Some(query) = newer {
            let current = page(&app, &cookie, &query).await;
            let mut chunk = ids(&current);
            chunk.extend(back);
            back = chunk;
            newer = current["newer"].as_str().map(String::from);
        }
        let fresh: Vec<String> = all_events(&app, &user).await.into_iter().map(|r| r.0).collect();
        assert_eq!(back, fresh, "walking back reaches the newest rows, including new arrivals");
    }

    async fn a_user_never_sees_another_users_events(app) {
        let alice = app.sign_up("Alice", "alice@example.com", STRONG_PASSWORD).await;
        let bob = app.sign_up("Bob", "bob@example.com", STRONG_PASSWORD).await;
        let alice_id = user_id(&app, "alice@example.com").await;
        let bob_id = user_id(&app, "bob@example.com").await;
        let secret = seed(&app, &alice_id, &Seed { kind: "sign_in_failed", category: "failed", outcome: "failure", at: now() - 1000, ip: "192.0.2.77", device: "Opera on Windows", location: "Oslo, NO" }).await;
        let bob_events: HashSet<String> = all_events(&app, &bob_id).await.into_iter().map(|r| r.0).collect();
        let at = now() - 1000;
        for query in [
            String::new(),
            "q=192.0.2.77".into(),
            "category=failed".into(),
            format!("before={}_{secret}", at + 1),
            format!("after={}_{secret}", at - 1),
            format!("before={}_{}", now() + DAY, secret),
        ] {
            let shown: HashSet<String> = ids(&page(&app, &bob, &query).await).into_iter().collect();
            assert!(shown.is_subset(&bob_events), "{query}: {shown:?}");
            assert!(!shown.contains(&secret));
        }
        assert!(ids(&page(&app, &alice, "q=192.0.2.77").await).contains(&secret));
        assert_eq!(app.call("login_history", &[("query", "")], None).await.error(), Some(AppError::Unauthenticated));
        let export = app.export("format=json", Some(&bob)).await;
        assert!(!export.body.contains(&secret));
    }

    async fn hostile_filters_get_a_clear_error_or_an_empty_page(app) {
        let cookie = app.sign_up("Eve", "eve@example.com", STRONG_PASSWORD).await;
        let huge = format!("q={}", "A".repeat(10 * 1024));
        for query in [
            "range=custom&from=2026-02-31&to=2026-03-01",
            "range=custom&from=2026-11-27&to=2026-11-01",
            "range=custom&from=yesterday&to=today",
            "category=everything",
            "category=logins;DROP TABLE users",
            "result=maybe",
            "before=1;DELETE FROM security_events",
            "after=99999999999999999999999_0190f3a2-7b1c-7d4e-8f00-0123456789ab",
            "q=%FF%FE",
            huge.as_str(),
        ] {
            let reply = history(&app, &cookie, query).await;
            assert_eq!(reply.status, 422, "{query:.40}: {}", reply.body);
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "filter"), "{query:.40}");
        }
        for query in ["q=' OR 1=1 --", "q=%25", "q=_", "q=\\", "q=%22%3B%20DROP%20TABLE%20security_events%3B"] {
            let page = page(&app, &cookie, query).await;
            assert_eq!(page["events"].as_array().unwrap().len(), 0, "{query}");
        }
        assert!(app.count("SELECT COUNT(*) FROM security_events").await > 0, "nothing was dropped");
        let bad_export = app.export("format=xlsx", Some(&cookie)).await;
        assert_eq!(bad_export.status, 422);
        let bad_filter_export = app.export("format=csv&range=custom", Some(&cookie)).await;
        assert_eq!(bad_filter_export.status, 422);
    }

    async fn the_export_holds_exactly_the_filtered_view_and_is_recorded(app) {
        let cookie = app.sign_up("Exa", "exa@example.com", STRONG_PASSWORD).await;
        let user = user_id(&app, "exa@example.com").await;
        for event in seeds(now()) {
            seed(&app, &user, &event).await;
        }
        let query = "category=failed,two_factor&range=90d";
        let view = page(&app, &cookie, query).await;
        let json = app.export(&format!("format=json&{query}"), Some(&cookie)).await;
        assert_eq!(json.status, 200);
        assert!(json.headers["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"statusstack-login-history-"));
        let exported: Value = serde_json::from_str(&json.body).unwrap();
        assert_eq!(exported, view["events"], "the JSON export equals the view");
        let csv = app.export(&format!("format=csv&{query}"), Some(&cookie)).await;
        assert_eq!(csv.headers["content-type"], "text/csv; charset=utf-8");
        let lines: Vec<&str> = csv.body.lines().collect();
        assert_eq!(lines[0], "time_utc,event,kind,result,device,location,ip,detail");
        assert_eq!(lines.len() - 1, view["events"].as_array().unwrap().len());
        for (line, event) in lines[1..].iter().zip(view["events"].as_array().unwrap()) {
            assert!(line.contains(&format!("\"{}\"", event["kind"].as_str().unwrap())), "{line}");
            assert!(line.contains(&format!("\"{}\"", event["ip"].as_str().unwrap())), "{line}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'history_exported'").await, 2);
        let signed_out = app.export("format=csv", None).await;
        assert_eq!(signed_out.status, 303, "signed-out visitors go to sign in");
    }

    async fn a_big_export_streams_every_row(app) {
        let cookie = app.sign_up("Big", "big@example.com", STRONG_PASSWORD).await;
        let user = user_id(&app, "big@example.com").await;
        let base = now() - DAY;
        let mut tx = statusstack::server::db::begin_write(&app.pool).await.unwrap();
        for i in 0..2_500i64 {
            sqlx::query(
                "INSERT INTO security_events (id, user_id, kind, outcome, occurred_at, ip, user_agent, detail, device, location, category)
                 VALUES ($1, $2, 'sign_in', 'success', $3, '10.0.0.1', '', '{}', 'Firefox on Linux', 'Local network', 'logins')",
            )
            .bind(uuid::Uuid::now_v7().to_string()).bind(&user).bind(base + i % 7)
            .execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        let csv = app.export("format=csv&category=logins", Some(&cookie)).await;
        let expected = app.count("SELECT COUNT(*) FROM security_events WHERE category = 'logins'").await;
        assert_eq!(csv.body.lines().count() as i64 - 1, expected, "batches of 1000 join without loss");
    }

    async fn retention_prunes_only_what_is_old(app) {
        app.sign_up("Ret", "ret@example.com", STRONG_PASSWORD).await;
        let user = user_id(&app, "ret@example.com").await;
        let old = Seed { kind: "sign_in", category: "logins", outcome: "success", at: now() - 401 * DAY, ip: "10.0.0.1", device: "", location: "" };
        let old_id = seed(&app, &user, &old).await;
        let kept_id = seed(&app, &user, &Seed { at: now() - 399 * DAY, ..old }).await;
        statusstack::server::maintenance::prune_once(&app.state).await.unwrap();
        let left: HashSet<String> = all_events(&app, &user).await.into_iter().map(|r| r.0).collect();
        assert!(!left.contains(&old_id), "older than 400 days");
        assert!(left.contains(&kept_id));
        assert!(left.len() >= 3, "recent events stay: {left:?}");
    }
}
