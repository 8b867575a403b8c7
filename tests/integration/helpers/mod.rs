//! Spawns the app with a fresh database and speaks its server functions.

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::redirect::Policy;
use sqlx::{AnyPool, Row};
use statusstack::server::{config::Config, router};
use std::collections::HashMap;
use std::sync::Arc;

pub mod authenticator;
mod clock;
pub mod dns;
mod fault_proxy;
pub mod identity;
mod logs;
mod outbox;
mod pages;
mod postgres;
mod wire;

pub use clock::TestClock;
pub use fault_proxy::WireCount;
use logs::install_log_capture;
pub use logs::{LOG_CAPTURE_LIMIT, captured_logs};
pub use outbox::link_token;
use wire::send;
pub use wire::{Reply, encode_form, send as wire_send};

pub const STRONG_PASSWORD: &str = "quantum marmalade orbits silently";
pub const OTHER_STRONG_PASSWORD: &str = "velvet thunder juggles cobalt lanterns";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Runs each test body once per database, as `name::sqlite` and `name::postgres`.
macro_rules! both_databases {
    ($($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                crate::helpers::bounded(async {
                    let $app = crate::helpers::TestApp::spawn(crate::helpers::Db::Sqlite).await;
                    $body
                }).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                crate::helpers::bounded(async {
                    let $app = crate::helpers::TestApp::spawn(crate::helpers::Db::Postgres).await;
                    $body
                }).await
            }
        }
    )*};
}

/// The id of the account signed up with `email`.
pub async fn user_id(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// No test may take longer than this; a hang fails the test instead of the whole CI run.
pub const TEST_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);
/// No single request may take longer than this.
pub const REQUEST_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs a test body under `TEST_TIME_LIMIT`.
pub async fn bounded<F: std::future::Future<Output = ()>>(body: F) {
    if tokio::time::timeout(TEST_TIME_LIMIT, body).await.is_err() {
        panic!("the test did not finish within {TEST_TIME_LIMIT:?}");
    }
}

/// A running server with its own database.
pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub pool: AnyPool,
    /// The server's state, for calling housekeeping directly.
    pub state: statusstack::server::state::AppState,
    pub cookie_name: &'static str,
    /// The servers' clock: the system's, unless a test freezes or moves it.
    pub clock: Arc<TestClock>,
    dir: std::path::PathBuf,
    postgres_db: Option<(String, String)>,
    settings: HashMap<String, String>,
    db: Db,
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, &[]).await
    }

    /// Spawns with extra settings, e.g. `PUBLIC_URL`.
    pub async fn spawn_with(db: Db, extra: &[(&str, &str)]) -> TestApp {
        let extra: Vec<(String, String)> = extra
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::spawn_with_bound(db, |_| async move { extra }).await
    }

    /// Binds the server's listener first, then spawns with the extra
    /// settings `settings(addr)` computes from its address: for settings
    /// that name the app's own URL, such as an identity provider's client
    /// registered for `http://localhost:{port}/auth/oauth/{provider}/callback`.
    pub async fn spawn_with_bound<F, Fut>(db: Db, settings: F) -> TestApp
    where
        F: FnOnce(std::net::SocketAddr) -> Fut,
        Fut: std::future::Future<Output = Vec<(String, String)>>,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let extra = settings(addr).await;
        sqlx::any::install_default_drivers();
        install_log_capture();
        let id = uuid::Uuid::now_v7().simple().to_string();
        let dir = std::env::temp_dir().join(format!("statusstack-test-{id}"));
        std::fs::create_dir_all(&dir).unwrap();
        let (database_url, postgres_db) = match db {
            Db::Sqlite => (format!("sqlite://{}/test.db?mode=rwc", dir.display()), None),
            Db::Postgres => {
                let (admin, name) = postgres::create_test_database(&id).await;
                let url = postgres::with_database(&admin, &name);
                let url = match extra.iter().find(|(key, _)| key == "POSTGRES_VIA_PORT") {
                    Some((_, port)) => postgres::via_port(&url, port),
                    None => url,
                };
                (url, Some((admin, name)))
            }
        };
        let mut settings: HashMap<String, String> = HashMap::from([
            ("DATABASE_URL".into(), database_url),
            ("BIND_ADDR".into(), addr.to_string()),
            ("DATA_DIR".into(), dir.display().to_string()),
            ("SITE_ROOT".into(), dir.join("site").display().to_string()),
            // Several test servers share one PostgreSQL (max_connections 100):
            // two tests at a time, each with one or two servers of 8, stay far
            // below it.
            ("DATABASE_MAX_CONNECTIONS".into(), "8".into()),
        ]);
        settings.extend(extra);
        let clock = Arc::new(TestClock::default());
        let (state, https) = start_server(listener, &settings, &clock).await;
        let pool = state.pool.clone();
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(REQUEST_TIME_LIMIT)
            .build()
            .unwrap();
        TestApp {
            settings,
            db,
            base: format!("http://{addr}"),
            http,
            pool,
            state,
            clock,
            cookie_name: if https {
                "__Host-ss_session"
            } else {
                "ss_session"
            },
            dir,
            postgres_db,
        }
    }

    /// The server's data directory (SQLite file, key, mail outbox).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The URL of this app's PostgreSQL database, bypassing any proxy.
    pub fn direct_database_url(&self) -> String {
        let (admin, name) = self.postgres_db.clone().expect("a PostgreSQL app");
        postgres::with_database(&admin, &name)
    }

    /// Which database this app runs on.
    pub fn db(&self) -> Db {
        self.db
    }

    /// Starts a second server on the same database and key, as a second
    /// instance behind a load balancer would be; returns its base URL.
    pub async fn spawn_second_instance(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut settings = self.settings.clone();
        settings.insert("BIND_ADDR".into(), addr.to_string());
        start_server(listener, &settings, &self.clock).await;
        format!("http://{addr}")
    }

    /// Calls a server function the way the browser's fetch does (same origin).
    pub async fn call(&self, name: &str, form: &[(&str, &str)], cookie: Option<&str>) -> Reply {
        self.call_with_headers(name, form, cookie, &[("origin", &self.base.clone())])
            .await
    }

    /// Calls a server function like `call`, and follows the browser in taking
    /// the new session cookie when the response rotates it.
    pub async fn call_rotating(
        &self,
        name: &str,
        form: &[(&str, &str)],
        cookie: &mut String,
    ) -> Reply {
        let reply = self.call(name, form, Some(cookie)).await;
        if let Some(rotated) = reply.session_cookie(self.cookie_name) {
            *cookie = rotated;
        }
        reply
    }

    pub async fn call_with_headers(
        &self,
        name: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.call_at(&self.base, name, form, cookie, headers).await
    }

    /// Calls a server function on the instance at `base` (this server or
    /// a second instance) with these extra headers.
    pub async fn call_at(
        &self,
        base: &str,
        name: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let request = self
            .http
            .post(format!("{base}/api/{name}"))
            .body(encode_form(form));
        let mut all = HeaderMap::new();
        all.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        all.insert("accept", HeaderValue::from_static("application/json"));
        all.insert(
            "user-agent",
            HeaderValue::from_static("integration-test/1.0"),
        );
        for (k, v) in headers {
            all.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        send(request.headers(all), cookie).await
    }

    /// Calls `sign_up` with these fields, whatever comes of it.
    pub async fn try_sign_up(&self, name: &str, email: &str, password: &str) -> Reply {
        self.call(
            "sign_up",
            &[("name", name), ("email", email), ("password", password)],
            None,
        )
        .await
    }

    /// Signs up, confirms the address with the mailed link, signs in and
    /// returns the session cookie pair (`name=value`).
    pub async fn sign_up(&self, name: &str, email: &str, password: &str) -> String {
        let reply = self.try_sign_up(name, email, password).await;
        assert!(
            reply.error().is_none(),
            "sign-up failed: {} {}",
            reply.status,
            reply.body
        );
        assert!(
            reply.session_cookie(self.cookie_name).is_none(),
            "no session before the address is confirmed"
        );
        self.confirm_address(email).await;
        let reply = self.sign_in(email, password).await;
        assert!(
            reply.error().is_none(),
            "sign-in after sign-up failed: {}",
            reply.body
        );
        reply
            .session_cookie(self.cookie_name)
            .expect("signing in sets a session cookie")
    }

    pub async fn sign_in(&self, email: &str, password: &str) -> Reply {
        self.call("sign_in", &[("email", email), ("password", password)], None)
            .await
    }

    /// Whether `cookie` is a working session: the settings page renders for it.
    pub async fn is_signed_in(&self, cookie: &str) -> bool {
        let reply = self.get("/settings/security", Some(cookie)).await;
        match reply.status {
            200 => true,
            303 => false,
            other => panic!("unexpected status {other} for the settings page"),
        }
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    }

    /// Polls `sql` (a count) until it reaches `expected`, for at most 20 s,
    /// and returns the last value: for work the server finishes in the background.
    pub async fn wait_for_count(&self, sql: &str, expected: i64) -> i64 {
        let mut value = self.count(sql).await;
        for _ in 0..200 {
            if value >= expected {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            value = self.count(sql).await;
        }
        value
    }

    pub async fn event_kinds(&self) -> Vec<String> {
        sqlx::query("SELECT kind FROM security_events ORDER BY occurred_at, id")
            .fetch_all(&self.pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String, _>(0).unwrap())
            .collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let Some((admin, name)) = self.postgres_db.take() {
            postgres::drop_test_database(admin, name);
        }
    }
}

/// Builds the state from `settings` and serves it on `listener`.
async fn start_server(
    listener: tokio::net::TcpListener,
    settings: &HashMap<String, String>,
    clock: &Arc<TestClock>,
) -> (statusstack::server::state::AppState, bool) {
    let config = Config::from_lookup(|name| settings.get(name).cloned()).unwrap();
    let https = config.public_url.https;
    let mut state = router::build_state(config).await.expect("server state");
    state.clock = clock.clone();
    let served = state.clone();
    tokio::spawn(async move {
        let _ = router::serve(listener, served).await;
    });
    (state, https)
}

/// The GeoIP test database, built by `scripts/make-geoip-fixture.sh` on first use.
pub fn geoip_fixture() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let path = format!("{root}/target/test-fixtures/GeoLite2-City-Test.mmdb");
    static BUILD: std::sync::Once = std::sync::Once::new();
    BUILD.call_once(|| {
        let status = std::process::Command::new(format!("{root}/scripts/make-geoip-fixture.sh"))
            .arg(&path)
            .status()
            .expect("run scripts/make-geoip-fixture.sh");
        assert!(status.success(), "building the GeoIP fixture failed");
    });
    path
}

/// Now, in Unix milliseconds, as the server's clock reads it.
pub fn now() -> i64 {
    statusstack::time::now_ms()
}
