//! A database outage under load, through the fault proxy: while PostgreSQL
//! is cut off, pages answer a clear 503 page and the JSON API
//! `503 {"error":{"code":"unavailable"}}` with `Retry-After`, none later
//! than 5 s; once it is back, requests succeed again within 2 s without a
//! restart; every acknowledged write is there, none half-done.

use crate::helpers::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// What one request of the load saw.
struct Seen {
    kind: &'static str,
    sent: Instant,
    took: Duration,
    status: u16,
    retry_after: Option<String>,
    body: String,
}

/// Key names whose creation was acknowledged, and those answered with an error.
#[derive(Default)]
struct Writes {
    acknowledged: Vec<String>,
    refused: Vec<String>,
}

async fn load(
    app: Arc<TestApp>,
    cookie: String,
    token: String,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Seen>>>,
    writes: Arc<Mutex<Writes>>,
    kind: usize,
) {
    let bearer = format!("Bearer {token}");
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let sent = Instant::now();
        let (name, reply) = match kind {
            0 => ("page", app.get("/settings/security", Some(&cookie)).await),
            1 => (
                "api",
                app.api_at(
                    &app.base,
                    reqwest::Method::GET,
                    "/api/v1/me",
                    &[("authorization", bearer.as_bytes())],
                    None,
                )
                .await,
            ),
            _ => {
                let key_name = format!("outage {n}");
                let reply = app
                    .call(
                        "create_api_key",
                        &[
                            ("name", &key_name),
                            ("permission", "read"),
                            ("expiry", "90"),
                        ],
                        Some(&cookie),
                    )
                    .await;
                let mut writes = writes.lock().await;
                if reply.status == 200 {
                    writes.acknowledged.push(key_name)
                } else {
                    writes.refused.push(key_name)
                }
                ("write", reply)
            }
        };
        let retry_after = reply
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(String::from);
        seen.lock().await.push(Seen {
            kind: name,
            sent,
            took: sent.elapsed(),
            status: reply.status,
            retry_after,
            body: reply.body,
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_answers_503_and_recovers_without_a_restart() {
    bounded(async {
        let (app, proxy, direct) = TestApp::spawn_behind_proxy().await;
        let cookie = app.sign_up("Outage", "outage@example.com", STRONG_PASSWORD).await;
        let token = crate::api_keys::create_key_with(&app, &cookie, &[("name", "load"), ("permission", "read"), ("expiry", "90")])
            .await
            .expect("a key")
            .token;
        let (app, stop) = (Arc::new(app), Arc::new(AtomicBool::new(false)));
        let (seen, writes) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Writes::default())));
        let tasks: Vec<_> = (0..3)
            .map(|kind| tokio::spawn(load(app.clone(), cookie.clone(), token.clone(), stop.clone(), seen.clone(), writes.clone(), kind)))
            .collect();
        tokio::time::sleep(Duration::from_secs(1)).await;
        // A slow network first: every round trip 100 ms late, still served.
        proxy.set_latency(Duration::from_millis(100));
        tokio::time::sleep(Duration::from_secs(2)).await;
        proxy.set_latency(Duration::ZERO);
        let cut_at = Instant::now();
        proxy.cut();
        tokio::time::sleep(Duration::from_secs(10)).await;
        let back_at = Instant::now();
        proxy.restore();
        tokio::time::sleep(Duration::from_secs(4)).await;
        stop.store(true, Ordering::SeqCst);
        for task in tasks {
            task.await.expect("a load task panicked");
        }

        let seen = seen.lock().await;
        for request in seen.iter() {
            assert!(request.took < Duration::from_secs(5), "a {} request took {:?}", request.kind, request.took);
            assert!(request.status == 200 || request.status == 503, "{} answered {}: {}", request.kind, request.status, request.body);
            if request.status == 503 {
                assert_eq!(request.retry_after.as_deref(), Some("5"), "{}", request.kind);
                match request.kind {
                    "page" => assert!(request.body.contains("Try again in 5 seconds"), "{}", request.body),
                    "api" => assert!(request.body.contains("\"code\":\"unavailable\""), "{}", request.body),
                    _ => assert!(request.body.contains("Unavailable"), "{}", request.body),
                }
            }
        }
        // Sent well inside the cut: refused. Sent 2 s after it: served.
        let during = |r: &&Seen| r.sent > cut_at + Duration::from_secs(1) && r.sent + r.took < back_at;
        let after = |r: &&Seen| r.sent > back_at + Duration::from_secs(2);
        for kind in ["page", "api", "write"] {
            let cut: Vec<_> = seen.iter().filter(|r| r.kind == kind).filter(during).collect();
            assert!(!cut.is_empty(), "no {kind} request during the cut");
            assert!(cut.iter().all(|r| r.status == 503), "a {kind} request was served without the database");
            let recovered: Vec<_> = seen.iter().filter(|r| r.kind == kind).filter(after).collect();
            assert!(!recovered.is_empty(), "no {kind} request after the cut");
            assert!(recovered.iter().all(|r| r.status == 200), "{kind} did not recover within 2 s");
        }

        // Acknowledged keys are there with their event; refused ones are
        // either wholly there or not at all.
        let writes = writes.lock().await;
        assert!(!writes.acknowledged.is_empty() && !writes.refused.is_empty());
        let count = |sql: String| {
            let direct = direct.clone();
            async move { sqlx::query_scalar::<_, i64>(&sql).fetch_one(&direct).await.unwrap() }
        };
        for name in writes.acknowledged.iter().chain(writes.refused.iter()) {
            let keys = count(format!("SELECT COUNT(*) FROM api_keys WHERE name = '{name}'")).await;
            let events = count(format!("SELECT COUNT(*) FROM security_events WHERE kind = 'api_key_created' AND detail LIKE '%\"{name}\"%'")).await;
            assert_eq!(keys, events, "{name}: a key without its event, or the reverse");
            if writes.acknowledged.contains(name) {
                assert_eq!(keys, 1, "{name} was acknowledged");
            }
        }
        assert!(!captured_logs().contains("panicked"), "a panic in the server log");
    })
    .await;
}
