//! The search migrations on a database that already holds events: they are
//! indexed and counted per day by origin (backfill), and running the
//! migrations again changes nothing.

use super::{DAY, filter};
use crate::helpers::now;
use sqlx::Row;
use statusstack::login_history::filter::PagePosition;
use statusstack::login_history::server::store::history::{self, Scope};

/// A database with the shared migrations only (what a deployment had before
/// the search indexes) and an event in it, then the full migration: the
/// event is found through the new index, and migrating again changes nothing.
async fn migrating_indexes_existing_events(url: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    sqlx::migrate!("./migrations").run(&pool).await.unwrap();
    sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at)
         VALUES ('old-user', 'old@example.com', 'Old', 'x', 0, 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO security_events (id, user_id, kind, outcome, occurred_at, ip, user_agent,
             detail, device, location, category)
         VALUES ('old-event', 'old-user', 'sign_in', 'success', $1, '192.0.2.9', '', '{}',
             'Netscape on BeOS', 'Old Town', 'logins')",
    )
    .bind(now() - DAY)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    for _ in 0..2 {
        let pool = statusstack::server::db::connect_and_migrate(url, 2)
            .await
            .unwrap();
        let versions = sqlx::query("SELECT COUNT(*) AS n FROM _sqlx_migrations WHERE version = 17")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(versions.get::<i64, _>("n"), 1);
        for text in ["netscape on beos", "192.0.2.9", "old town"] {
            let f = filter("range=7d", text);
            let found = history::page(
                &pool,
                Scope::User("old-user"),
                &f,
                f.window(now()),
                &PagePosition::Newest,
                10,
            )
            .await
            .unwrap();
            assert_eq!(
                found.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
                ["old-event"],
                "{text}"
            );
        }
        // The per-day counts by origin start from the events already there,
        // once: the chart counts the old event, with and without text.
        for text in ["", "old town", "beos"] {
            let f = filter("range=7d", text);
            let chart = history::daily_counts(&pool, Scope::User("old-user"), &f, f.window(now()))
                .await
                .unwrap();
            let counts: Vec<(&str, i64)> = chart
                .iter()
                .map(|(_, outcome, n)| (outcome.as_str(), *n))
                .collect();
            assert_eq!(counts, [("success", 1)], "{text:?}");
        }
        pool.close().await;
    }
}

#[tokio::test]
async fn sqlite_migration_indexes_existing_events() {
    let dir = std::env::temp_dir().join(format!("ss-search-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    migrating_indexes_existing_events(&format!("sqlite://{}/old.db?mode=rwc", dir.display())).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn postgres_migration_indexes_existing_events() {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("ss_test_search_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    let (prefix, _) = admin.rsplit_once('/').unwrap();
    migrating_indexes_existing_events(&format!("{prefix}/{name}")).await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
}
