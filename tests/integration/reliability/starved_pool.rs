//! The intermittent stall, reproduced on purpose: many concurrent page
//! renders and server functions on a pool of two connections. Every request
//! answers in bounded time (200, or a clear 503 once the pool is starved).

use crate::helpers::*;
use std::time::{Duration, Instant};

/// Far above the pool's acquire timeout, far below the client's.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);

async fn starved(db: Db) {
    let app = TestApp::spawn_with(db, &[("DATABASE_MAX_CONNECTIONS", "2")]).await;
    let cookie = app
        .sign_up("Starved", "starved@example.com", STRONG_PASSWORD)
        .await;
    let app = std::sync::Arc::new(app);
    for round in 0..4 {
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..24 {
            let app = app.clone();
            let cookie = cookie.clone();
            tasks.spawn(async move {
                let started = Instant::now();
                let status = match n % 4 {
                    0 | 1 => app.get("/settings/security", Some(&cookie)).await.status,
                    2 => app.call("list_sessions", &[], Some(&cookie)).await.status,
                    _ => app.get("/settings/api-keys", Some(&cookie)).await.status,
                };
                (status, started.elapsed())
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let (status, took) = joined.expect("request task");
            assert!(
                status == 200 || status == 503,
                "round {round}: status {status}"
            );
            assert!(
                took < ANSWER_WITHIN,
                "round {round}: answered after {took:?}"
            );
        }
    }
    // Afterwards the pool is whole again: a render succeeds.
    assert!(app.is_signed_in(&cookie).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_renders_on_a_pool_of_two_never_stall_postgres() {
    bounded(starved(Db::Postgres)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_renders_on_a_pool_of_two_never_stall_sqlite() {
    bounded(starved(Db::Sqlite)).await;
}

both_databases! {
    async fn a_pool_held_by_others_answers_503_quickly(app) {
        let app = TestApp::spawn_with(app.db(), &[("DATABASE_MAX_CONNECTIONS", "1")]).await;
        let cookie = app.sign_up("Held", "held@example.com", STRONG_PASSWORD).await;
        // The server's only connection is busy elsewhere.
        let held = app.pool.acquire().await.unwrap();
        let started = Instant::now();
        let page = app.get("/settings/security", Some(&cookie)).await;
        assert_eq!(page.status, 503, "{}", page.body);
        assert_eq!(page.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
        assert!(page.body.contains("Try again in 5 seconds"), "{}", page.body);
        let call = app.call("list_sessions", &[], Some(&cookie)).await;
        assert_eq!(call.status, 503);
        assert_eq!(call.error(), Some(statusstack::error::AppError::Unavailable { retry_after: 5 }));
        assert!(started.elapsed() < Duration::from_secs(8), "two answers took {:?}", started.elapsed());
        drop(held);
        assert!(app.is_signed_in(&cookie).await, "the pool serves again once free");
    }
}
