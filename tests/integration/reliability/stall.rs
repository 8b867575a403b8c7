//! The intermittent stall, performed on purpose. Leptos generates the route
//! list by rendering the app with every resource load held back by a
//! process-wide flag; a page that another server in the same process
//! rendered meanwhile created its resources under that flag and waited for
//! them forever (a 200 whose body stopped mid-page). The route list is now
//! generated once per process, before any server serves.

use crate::helpers::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_other_servers_in_the_process_start() {
    bounded(async {
        let app = TestApp::spawn(Db::Sqlite).await;
        let cookie = app
            .sign_up("Stall", "stall@example.com", STRONG_PASSWORD)
            .await;
        let stop = Arc::new(AtomicBool::new(false));
        // Stops the builder however the test ends: the runtime waits for it.
        let _stop_on_exit = StopOnDrop(stop.clone());
        let builder = tokio::task::spawn_blocking({
            let (stop, state) = (stop.clone(), app.state.clone());
            move || {
                let mut built = 0_u32;
                while !stop.load(Ordering::SeqCst) {
                    drop(statusstack::server::router::router(state.clone()));
                    built += 1;
                }
                built
            }
        });
        for attempt in 0..40 {
            let page = tokio::time::timeout(
                Duration::from_secs(10),
                app.get("/settings/security", Some(&cookie)),
            )
            .await
            .unwrap_or_else(|_| panic!("render {attempt} stalled while routers were built"));
            assert_eq!(page.status, 200);
            assert!(page.body.contains("</html>"), "render {attempt} is whole");
        }
        stop.store(true, Ordering::SeqCst);
        let built = builder.await.expect("router builder");
        assert!(built > 0, "routers were built alongside the renders");
    })
    .await;
}

struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}
