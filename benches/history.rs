//! Login History at a million rows: seeds 1,000,000 events for one user plus
//! 1,000,000 spread over 1,000 others, then times the server's own history
//! queries (first page, a page 10,000 rows deep, each filter, the chart) on
//! SQLite and on PostgreSQL. Reports p50/p95 in milliseconds and the
//! deep/first ratio; `make bench` runs it.

use sqlx::{AnyPool, Row};
use statusstack::login_history::filter::{Cursor, HistoryFilter, PAGE_SIZE, PagePosition};
use statusstack::login_history::server::store::history;
use statusstack::server::db::{connect_and_migrate, default_max_connections};
use statusstack::time::now_ms;
use std::time::Instant;

const MAIN_EVENTS: i64 = 1_000_000;
const OTHER_EVENTS: i64 = 1_000_000;
const OTHER_USERS: i64 = 1_000;
const SPAN_MS: i64 = 400 * 24 * 60 * 60 * 1000;
const RUNS: usize = 40;
const MAIN_USER: &str = "bench-main-user";

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    sqlx::any::install_default_drivers();
    let mut report =
        String::from("| database | query | p50 ms | p95 ms |\n| --- | --- | ---: | ---: |\n");
    let dir = std::env::temp_dir().join(format!("ss-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sqlite_url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let pg_name = format!("ss_bench_{}", std::process::id());
    let mut admin_conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await?;
    sqlx::query(&format!("CREATE DATABASE {pg_name}"))
        .execute(&mut admin_conn)
        .await?;
    let pg_url = match admin.rsplit_once('/') {
        Some((prefix, _)) => format!("{prefix}/{pg_name}"),
        None => anyhow::bail!("TEST_POSTGRES_URL has no database part"),
    };
    let result = async {
        for (name, url) in [
            ("SQLite", sqlite_url.as_str()),
            ("PostgreSQL", pg_url.as_str()),
        ] {
            let pool = connect_and_migrate(url, default_max_connections(url)).await?;
            let started = Instant::now();
            seed(&pool).await?;
            eprintln!(
                "{name}: seeded 2,000,000 events in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            report.push_str(&measure(name, &pool).await?);
            pool.close().await;
        }
        anyhow::Ok(())
    }
    .await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))
        .execute(&mut admin_conn)
        .await?;
    let _ = std::fs::remove_dir_all(&dir);
    result?;
    println!(
        "\nLogin History, 1,000,000 events for the user (+1,000,000 for others), {RUNS} runs each\n"
    );
    println!("{report}");
    std::fs::create_dir_all("bench-results")?;
    std::fs::write("bench-results/history.md", &report)?;
    Ok(())
}

/// Generates the rows inside the database (one recursive CTE per user group),
/// with the same SQL on both databases; the triggers of a recorded event keep
/// the per-day counts, as they do for the server.
async fn seed(pool: &AnyPool) -> anyhow::Result<()> {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at)
         VALUES ($1, 'main@bench.test', 'Main', 'x', 0, 0)",
    )
    .bind(MAIN_USER)
    .execute(pool)
    .await?;
    sqlx::query(&format!(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {OTHER_USERS})
         INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at)
         SELECT 'bench-other-' || n, 'other' || n || '@bench.test', 'Other', 'x', 0, 0 FROM seq"
    ))
    .execute(pool)
    .await?;
    for (count, user_expr) in [
        (MAIN_EVENTS, format!("'{MAIN_USER}'")),
        (
            OTHER_EVENTS,
            format!("'bench-other-' || (1 + n % {OTHER_USERS})"),
        ),
    ] {
        let step = SPAN_MS / count;
        let prefix = if user_expr.contains("other") {
            "o"
        } else {
            "m"
        };
        sqlx::query(&format!(
            "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {count})
             INSERT INTO security_events (id, user_id, kind, outcome, occurred_at, ip, user_agent,
                 detail, device, location, category)
             SELECT '{prefix}' || n, {user_expr},
                 CASE WHEN n % 10 < 5 THEN 'sign_in' WHEN n % 10 < 7 THEN 'sign_in_failed'
                      WHEN n % 10 = 7 THEN 'two_factor_passed' WHEN n % 10 = 8 THEN 'session_revoked'
                      ELSE 'password_changed' END,
                 CASE WHEN n % 10 IN (5, 6) THEN 'failure' ELSE 'success' END,
                 {now} - n * CAST({step} AS BIGINT),
                 '10.' || (n % 250) || '.' || (n % 199) || '.' || (n % 97),
                 '', '{{}}',
                 CASE n % 5 WHEN 0 THEN 'Chrome on macOS' WHEN 1 THEN 'Firefox on Linux'
                      WHEN 2 THEN 'Safari on iPhone' WHEN 3 THEN 'Edge on Windows' ELSE 'API client' END,
                 CASE n % 4 WHEN 0 THEN 'San Francisco, CA, US' WHEN 1 THEN 'Berlin, BE, DE'
                      WHEN 2 THEN 'Local network' ELSE 'Unknown location' END,
                 CASE WHEN n % 10 < 5 THEN 'logins' WHEN n % 10 < 7 THEN 'failed'
                      WHEN n % 10 = 7 THEN 'two_factor' WHEN n % 10 = 8 THEN 'sessions'
                      ELSE 'password' END
             FROM seq"
        ))
        .execute(pool)
        .await?;
    }
    sqlx::query("ANALYZE").execute(pool).await?;
    Ok(())
}

async fn measure(name: &str, pool: &AnyPool) -> anyhow::Result<String> {
    let now = now_ms();
    let deep = deep_cursor(pool).await?;
    let mut rows = String::new();
    let mut first_p95 = 0.0;
    let cases: Vec<(&str, &str, PagePosition)> = vec![
        (
            "first page, all time",
            "range=custom&from=1970-01-01&to=2999-12-31",
            PagePosition::Newest,
        ),
        (
            "page 10,000 rows deep",
            "range=custom&from=1970-01-01&to=2999-12-31",
            PagePosition::Before(deep),
        ),
        ("default (30 days)", "", PagePosition::Newest),
        ("last 24 hours", "range=24h", PagePosition::Newest),
        (
            "category: failed attempts",
            "category=failed",
            PagePosition::Newest,
        ),
        (
            "categories: 2FA + sessions",
            "category=two_factor,sessions",
            PagePosition::Newest,
        ),
        ("result: failure", "result=failure", PagePosition::Newest),
        (
            "text: common (\"berlin\")",
            "q=berlin",
            PagePosition::Newest,
        ),
        (
            "text: rare IP (\"10.7.7.7\")",
            "q=10.7.7.7",
            PagePosition::Newest,
        ),
        (
            "text: rare IP, all time",
            "range=custom&from=1970-01-01&to=2999-12-31&q=10.7.7.7",
            PagePosition::Newest,
        ),
        (
            "text: nowhere (\"atlantis\")",
            "q=atlantis",
            PagePosition::Newest,
        ),
        (
            "text: two characters (\"de\")",
            "q=de",
            PagePosition::Newest,
        ),
        (
            "combined: failed + failure + text, 90 days",
            "category=failed&result=failure&range=90d&q=iphone",
            PagePosition::Newest,
        ),
    ];
    for (label, query, position) in cases {
        let filter = HistoryFilter::from_query(query).map_err(anyhow::Error::msg)?;
        let window = filter.window(now);
        let (p50, p95) = time(|| async {
            history::page(
                pool,
                history::Scope::User(MAIN_USER),
                &filter,
                window,
                &position,
                PAGE_SIZE + 1,
            )
            .await
        })
        .await?;
        if label.starts_with("first page") {
            first_p95 = p95;
        }
        rows.push_str(&format!("| {name} | {label} | {p50:.2} | {p95:.2} |\n"));
        if label.starts_with("page 10,000") {
            rows.push_str(&format!(
                "| {name} | deep / first page (p95) | {:.2}× | |\n",
                p95 / first_p95.max(0.001)
            ));
        }
    }
    for (label, query) in [
        ("chart, 30 days", ""),
        ("chart, 90 days", "range=90d"),
        (
            "chart, 90 days, failed attempts",
            "range=90d&category=failed",
        ),
        ("chart, 30 days, with text (counts rows)", "q=berlin"),
        ("chart, 30 days, rare IP", "q=10.7.7.7"),
    ] {
        let filter = HistoryFilter::from_query(query).map_err(anyhow::Error::msg)?;
        let window = filter.window(now);
        let (p50, p95) = time(|| async {
            history::daily_counts(pool, history::Scope::User(MAIN_USER), &filter, window).await
        })
        .await?;
        rows.push_str(&format!("| {name} | {label} | {p50:.2} | {p95:.2} |\n"));
    }
    Ok(rows)
}

/// The (time, id) of the 10,000th newest row, found once outside the timing.
async fn deep_cursor(pool: &AnyPool) -> anyhow::Result<Cursor> {
    let row = sqlx::query(
        "SELECT occurred_at, id FROM security_events WHERE user_id = $1
         ORDER BY occurred_at DESC, id DESC LIMIT 1 OFFSET 10000",
    )
    .bind(MAIN_USER)
    .fetch_one(pool)
    .await?;
    Ok(Cursor {
        at: row.try_get("occurred_at")?,
        id: row.try_get("id")?,
    })
}

/// p50 and p95 in milliseconds over `RUNS` runs after three warm-ups.
async fn time<F, Fut, T>(mut run: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    for _ in 0..3 {
        run().await?;
    }
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        run().await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    Ok((at(0.5), at(0.95)))
}
