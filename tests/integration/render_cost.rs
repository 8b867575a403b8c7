//! What one render of the signed-in security page costs the database,
//! counted on the wire by the PostgreSQL proxy. SQLite runs the same
//! statements (one code path for both); the wire is where they can be
//! counted without instrumenting the server.

use crate::helpers::{STRONG_PASSWORD, TestApp, bounded};

/// The most statements one render of `/settings/security` may run.
const STATEMENTS_PER_RENDER: u64 = 8;
/// Renders measured after the warm-up; the fewest counts, since the mail
/// worker's once-a-second poll can only add statements to a render.
const MEASURED_RENDERS: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_security_page_renders_in_a_few_statements() {
    bounded(async {
        let (app, proxy, _direct) = TestApp::spawn_behind_proxy().await;
        let cookie = app
            .sign_up("Ada", "ada@example.com", STRONG_PASSWORD)
            .await;
        // Warm-up: every pooled connection has prepared the page's statements.
        for _ in 0..3 {
            assert_eq!(app.get("/settings/security", Some(&cookie)).await.status, 200);
        }
        let mut fewest = None;
        for _ in 0..MEASURED_RENDERS {
            let before = proxy.wire_count();
            let reply = app.get("/settings/security", Some(&cookie)).await;
            assert_eq!(reply.status, 200);
            assert!(reply.body.contains("Active Sessions"), "{}", reply.body);
            let cost = proxy.wire_count().since(before);
            if fewest.is_none_or(|f: crate::helpers::WireCount| cost.statements < f.statements) {
                fewest = Some(cost);
            }
        }
        let fewest = fewest.unwrap();
        println!(
            "render cost: {} statements, {} round trips (pings included) for one /settings/security render",
            fewest.statements, fewest.round_trips
        );
        assert!(
            fewest.statements <= STATEMENTS_PER_RENDER,
            "one render ran {} statements (at most {STATEMENTS_PER_RENDER})",
            fewest.statements
        );
    })
    .await
}

/// The reads a render shares live for that render only: the next page
/// shows what a server function changed in between.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_render_reads_afresh() {
    bounded(async {
        let app = TestApp::spawn(crate::helpers::Db::Sqlite).await;
        let mut cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let second = app.sign_in("ada@example.com", STRONG_PASSWORD).await;
        assert!(second.error().is_none(), "{}", second.body);
        let rows = |body: &str| body.matches("data-testid=\"session-row\"").count();
        let before = app.get("/settings/security", Some(&cookie)).await;
        assert_eq!(rows(&before.body), 2, "{}", before.body);
        // The password confirmation rotates the session id, as the browser sees.
        let revoked = app
            .call_rotating(
                "revoke_other_sessions",
                &[("scope", "all"), ("password", STRONG_PASSWORD)],
                &mut cookie,
            )
            .await;
        assert!(revoked.error().is_none(), "{}", revoked.body);
        let after = app.get("/settings/security", Some(&cookie)).await;
        assert_eq!(rows(&after.body), 1, "{}", after.body);
    })
    .await
}
