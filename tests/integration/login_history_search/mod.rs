//! Login History free-text search through its trigram indexes (FTS5 on
//! SQLite, pg_trgm on PostgreSQL): for tricky text — LIKE and FTS5 syntax,
//! quotes, unicode and case, one or two characters, a term in one column
//! only, rare and common terms — pages, keyset walks, "more" checks and the
//! chart return exactly what the plain case-insensitive LIKE scan (the
//! search before the indexes) returns on the same database, for a person and
//! for an organization. Also: the index follows inserts, updates, retention
//! and a deleted account, and the migration indexes rows that already exist.

use crate::helpers::*;
use sqlx::{AnyPool, Row};
use statusstack::login_history::filter::{Cursor, HistoryFilter, PagePosition};
use statusstack::login_history::server::store::history::{self, Scope};

mod migration;
mod origins;

const DAY: i64 = 24 * 60 * 60 * 1000;
const ORG: &str = "org-search-test";

/// (ip, device, location): each value lands in one column only.
const ROWS: &[(&str, &str, &str)] = &[
    ("203.0.113.77", "Firefox on Linux", "Berlin, BE, DE"),
    ("2001:db8::1", "Safari on iPhone", "München, BY, DE"),
    ("10.0.0.1", "100%_sure\\path", "O'Brien \"Bob\" Street"),
    ("10.0.0.2", "NEAR(a b) AND c*", "x-y:z \"quoted\""),
    ("10.0.0.3", "ZÜRICH Browser", "İstanbul, TR"),
    ("198.51.100.4", "Edge on Windows", "Ünïcödé 🙂 town"),
    ("10.0.0.4", "a\"b OR c", "NOT near -minus"),
];

/// Texts as typed in the search box (the store receives them trimmed).
const TEXTS: &[&str] = &[
    "%",
    "_",
    "\\",
    "%%",
    "%_%",
    "a%b",
    "100%_sure",
    "0%_s",
    "\\path",
    "e\\p",
    "'",
    "o'brien",
    "\"",
    "\"\"",
    "\"bob\"",
    "a\"b",
    "a\"b or",
    "*",
    "c*",
    "and",
    "AND",
    "AND c",
    "near(",
    "NEAR(a",
    "near(a b)",
    "-",
    "-minus",
    ":",
    "::1",
    "x-y:z",
    "2001:db8",
    "not",
    "or c",
    "münchen",
    "MÜNCHEN",
    "ünïcödé",
    "ÜNÏCÖDÉ",
    "zürich",
    "ZÜRICH",
    "istanbul",
    "İstanbul",
    "🙂",
    "🙂 t",
    "1",
    "10",
    "fi",
    "m",
    "ü",
    "ber",
    "berlin",
    "BERLIN",
    "be, de",
    "203.0.113.77",
    "113.7",
    "iphone",
    "firefox",
    "FireFox on",
    "on",
    "linux",
    "missing-text",
    "Berlin, BE, DE, and a much longer text that no event holds anywhere at all",
];

/// What most events hold: every trigram of it is common, so searches for it
/// take the plain scan; [`ROWS`] are rare (under 1 % of events each), so
/// searches for them go through the trigram index.
const COMMON: (&str, &str, &str) = ("10.0.0.9", "Firefox on Linux", "Local network");

/// Fills the table: `count` events a minute apart for the user (every third
/// also the organization's), one in 150 of each of [`ROWS`], cycling through
/// the categories, plus a stranger whose events must never show.
async fn fill(app: &TestApp, user: &str, stranger: &str, count: i64) {
    let base = now() - DAY;
    let categories = [
        ("sign_in", "logins", "success"),
        ("sign_in_failed", "failed", "failure"),
        ("two_factor_failed", "two_factor", "failure"),
    ];
    let mut tx = statusstack::server::db::begin_write(&app.pool)
        .await
        .unwrap();
    for n in 0..count {
        let (ip, device, location) = ROWS.get((n % 150) as usize).copied().unwrap_or(COMMON);
        let (kind, category, outcome) = categories[n as usize % categories.len()];
        let (owner, org) = match n % 5 {
            4 => (stranger, None),
            _ if n % 3 == 0 => (user, Some(ORG)),
            _ => (user, None),
        };
        sqlx::query(
            "INSERT INTO security_events (id, user_id, org_id, kind, outcome, occurred_at, ip,
                 user_agent, detail, device, location, category)
             VALUES ($1, $2, $3, $4, $5, $6, $7, '', '{}', $8, $9, $10)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(owner)
        .bind(org)
        .bind(kind)
        .bind(outcome)
        // Pairs share a time, so keyset pages must break ties by id.
        .bind(base - (n / 2) * 60_000)
        .bind(ip)
        .bind(device)
        .bind(location)
        .bind(category)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

fn escape_like(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            _ => vec![c],
        })
        .collect()
}

/// The search as it was before the indexes: the scope, the window, the
/// filter's categories and result, and the plain LIKE over the lowercased
/// columns.
async fn oracle(
    pool: &AnyPool,
    scope: Scope<'_>,
    filter: &HistoryFilter,
) -> Vec<(String, i64, String)> {
    let (column, id) = match scope {
        Scope::User(id) => ("user_id", id),
        Scope::Org(id) => ("org_id", id),
    };
    // The filters' values are the parser's own names: no quote can be in them.
    let mut categories = if filter.categories.is_empty() {
        String::new()
    } else {
        let names: Vec<String> = filter
            .categories
            .iter()
            .map(|category| format!("'{}'", category.as_str()))
            .collect();
        format!(" AND category IN ({})", names.join(", "))
    };
    if let Some(outcome) = filter.outcome {
        categories.push_str(&format!(" AND outcome = '{}'", outcome.as_str()));
    }
    let (from, to) = filter.window(now());
    sqlx::query(&format!(
        "SELECT id, occurred_at, outcome FROM security_events
         WHERE {column} = $1 AND occurred_at >= $2 AND occurred_at < $3{categories}
           AND (LOWER(ip) LIKE $4 ESCAPE '\\' OR LOWER(device) LIKE $4 ESCAPE '\\'
                OR LOWER(location) LIKE $4 ESCAPE '\\')
         ORDER BY occurred_at DESC, id DESC"
    ))
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(format!("%{}%", escape_like(&filter.text.to_lowercase())))
    .fetch_all(pool)
    .await
    .unwrap()
    .iter()
    .map(|row| (row.get(0), row.get(1), row.get(2)))
    .collect()
}

fn filter(query: &str, text: &str) -> HistoryFilter {
    let mut filter = HistoryFilter::from_query(query).unwrap();
    filter.text = text.to_string();
    filter
}

/// Every matching event, walked page by page (`size` rows each) through
/// the keyset cursors, checking "is there more" at each page's edges.
async fn walk(
    pool: &AnyPool,
    scope: Scope<'_>,
    filter: &HistoryFilter,
    size: usize,
) -> Vec<String> {
    let window = filter.window(now());
    let mut seen: Vec<String> = Vec::new();
    let mut position = PagePosition::Newest;
    loop {
        let page = history::page(pool, scope, filter, window, &position, size)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        let cursor = Cursor {
            at: last.occurred_at,
            id: last.id.clone(),
        };
        let more = history::exists_beyond(pool, scope, filter, window, false, &cursor)
            .await
            .unwrap();
        if let Some(first) = page.first().filter(|_| !seen.is_empty()) {
            let back = Cursor {
                at: first.occurred_at,
                id: first.id.clone(),
            };
            assert!(
                history::exists_beyond(pool, scope, filter, window, true, &back)
                    .await
                    .unwrap()
            );
        }
        seen.extend(page.iter().map(|event| event.id.clone()));
        if page.len() < size {
            assert!(!more, "{:?}: nothing lies beyond a short page", filter.text);
        }
        if !more {
            break;
        }
        position = PagePosition::Before(cursor);
    }
    seen
}

/// Per (UTC day, result) counts of the oracle's rows, as the chart gets them.
fn day_counts(rows: &[(String, i64, String)]) -> Vec<(i64, String, i64)> {
    let mut counts: std::collections::BTreeMap<(i64, String), i64> = Default::default();
    for (_, at, outcome) in rows {
        *counts.entry((at / DAY, outcome.clone())).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|((day, outcome), n)| (day, outcome, n))
        .collect()
}

async fn check(pool: &AnyPool, scope: Scope<'_>, filter: &HistoryFilter) {
    let expected = oracle(pool, scope, filter).await;
    let ids: Vec<String> = expected.iter().map(|row| row.0.clone()).collect();
    let window = filter.window(now());
    let all = history::page(pool, scope, filter, window, &PagePosition::Newest, 10_000)
        .await
        .unwrap();
    let got: Vec<String> = all.iter().map(|event| event.id.clone()).collect();
    assert_eq!(got, ids, "{scope:?} {:?}", filter.text);
    assert_eq!(
        walk(pool, scope, filter, 40).await,
        ids,
        "{scope:?} {:?} walked",
        filter.text
    );
    let mut chart: Vec<(i64, String, i64)> = history::daily_counts(pool, scope, filter, window)
        .await
        .unwrap()
        .into_iter()
        .map(|(day, outcome, n)| (day, outcome.as_str().to_string(), n))
        .collect();
    chart.sort();
    assert_eq!(
        chart,
        day_counts(&expected),
        "{scope:?} {:?} chart",
        filter.text
    );
}

both_databases! {
    async fn every_tricky_text_finds_exactly_what_the_plain_scan_finds(app) {
        app.sign_up("Sam", "sam@example.com", STRONG_PASSWORD).await;
        app.sign_up("Tom", "tom@example.com", STRONG_PASSWORD).await;
        let user = user_id(&app, "sam@example.com").await;
        let stranger = user_id(&app, "tom@example.com").await;
        fill(&app, &user, &stranger, 700).await;
        for text in TEXTS {
            check(&app.pool, Scope::User(&user), &filter("range=7d", text)).await;
        }
        for text in ["berlin", "o'brien", "\"", "🙂", "2001:db8", "zz"] {
            check(&app.pool, Scope::User(&user), &filter("category=failed&range=7d", text)).await;
            check(&app.pool, Scope::User(&stranger), &filter("range=7d", text)).await;
            check(&app.pool, Scope::Org(ORG), &filter("range=7d", text)).await;
        }
        // Nothing of the stranger's ever shows, whatever the text.
        let strangers: Vec<String> = oracle(&app.pool, Scope::User(&stranger), &filter("range=7d", "")).await.into_iter().map(|r| r.0).collect();
        for text in ["10.0", "\"", "%"] {
            let f = filter("range=7d", text);
            let mine = history::page(&app.pool, Scope::User(&user), &f, f.window(now()), &PagePosition::Newest, 10_000).await.unwrap();
            assert!(mine.iter().all(|event| !strangers.contains(&event.id)), "{text}");
        }
    }

    async fn a_rare_term_among_common_ones_and_a_term_in_one_column_only(app) {
        app.sign_up("Ria", "ria@example.com", STRONG_PASSWORD).await;
        app.sign_up("Uli", "uli@example.com", STRONG_PASSWORD).await;
        let user = user_id(&app, "ria@example.com").await;
        let other = user_id(&app, "uli@example.com").await;
        fill(&app, &user, &other, 1_200).await;
        // One event holds a rare address made of common trigrams ("10.0.",
        // "0.0") and one a device nobody else has.
        let rare = seed_one(&app, &user, "10.0.7.7", "Opera on Haiku", "Local network").await;
        for (text, only) in [("10.0.7.7", &rare), ("haiku", &rare), ("opera on h", &rare)] {
            let f = filter("range=7d", text);
            let found = history::page(&app.pool, Scope::User(&user), &f, f.window(now()), &PagePosition::Newest, 50).await.unwrap();
            assert_eq!(found.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(), [only.as_str()], "{text}");
            check(&app.pool, Scope::User(&user), &f).await;
            check(&app.pool, Scope::User(&other), &f).await;
        }
        for text in ["local network", "10.0.0", "firefox", "ne", "network"] {
            check(&app.pool, Scope::User(&user), &filter("range=7d", text)).await;
        }
    }

    async fn the_index_follows_updates_retention_and_a_deleted_account(app) {
        app.sign_up("Ida", "ida@example.com", STRONG_PASSWORD).await;
        app.sign_up("Gus", "gus@example.com", STRONG_PASSWORD).await;
        let user = user_id(&app, "ida@example.com").await;
        let gone = user_id(&app, "gus@example.com").await;
        let old = seed_at(&app, &user, "192.0.2.200", "Lynx on Plan9", "Atlantis", now() - 500 * DAY).await;
        let kept = seed_one(&app, &user, "192.0.2.201", "Lynx on Plan9", "Atlantis").await;
        seed_one(&app, &gone, "192.0.2.202", "Lynx on Plan9", "Atlantis").await;
        let all_time = "range=custom&from=1970-01-01&to=2999-12-31";
        let found = |text: &'static str| {
            let pool = app.pool.clone();
            let user = user.clone();
            async move {
                let f = filter(all_time, text);
                history::page(&pool, Scope::User(&user), &f, f.window(now()), &PagePosition::Newest, 50)
                    .await.unwrap().into_iter().map(|e| e.id).collect::<Vec<_>>()
            }
        };
        assert_eq!(found("atlantis").await, [kept.clone(), old.clone()]);
        statusstack::server::maintenance::prune_once(&app.state).await.unwrap();
        assert_eq!(found("atlantis").await, std::slice::from_ref(&kept), "pruned events are gone from the index");
        sqlx::query("UPDATE security_events SET location = 'Lemuria' WHERE id = $1").bind(&kept).execute(&app.pool).await.unwrap();
        assert!(found("atlantis").await.is_empty());
        assert_eq!(found("lemuria").await, std::slice::from_ref(&kept));
        sqlx::query("DELETE FROM users WHERE id = $1").bind(&gone).execute(&app.pool).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE ip = '192.0.2.202'").await, 0);
        check(&app.pool, Scope::User(&user), &filter(all_time, "lynx")).await;
        if app.db() == Db::Sqlite {
            // FTS5 compares its index with the table and fails on any drift.
            sqlx::query("INSERT INTO security_events_search (security_events_search, rank) VALUES ('integrity-check', 1)")
                .execute(&app.pool).await.unwrap();
        }
    }
}

async fn seed_one(app: &TestApp, user: &str, ip: &str, device: &str, location: &str) -> String {
    seed_at(app, user, ip, device, location, now() - 60_000).await
}

async fn seed_at(
    app: &TestApp,
    user: &str,
    ip: &str,
    device: &str,
    location: &str,
    at: i64,
) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO security_events (id, user_id, kind, outcome, occurred_at, ip, user_agent,
             detail, device, location, category)
         VALUES ($1, $2, 'sign_in', 'success', $3, $4, '', '{}', $5, $6, 'logins')",
    )
    .bind(&id)
    .bind(user)
    .bind(at)
    .bind(ip)
    .bind(device)
    .bind(location)
    .execute(&app.pool)
    .await
    .unwrap();
    id
}
