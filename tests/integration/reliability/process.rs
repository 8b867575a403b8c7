//! The real server binary as a separate process: SIGTERM finishes what is
//! in flight and keeps queued mail; SIGKILL at any moment loses no
//! acknowledged write and leaves SQLite intact.

use crate::helpers::*;
use rand::Rng;
use sqlx::AnyPool;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The server binary, started with its own port and these settings.
struct Process {
    child: Child,
    base: String,
    port: u16,
}

impl Process {
    async fn start(dir: &Path, database_url: &str, extra: &[(&str, &str)]) -> Process {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.join(format!("server-{port}.log"))).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_statusstack"));
        command
            .env("DATABASE_URL", database_url)
            .env("DATA_DIR", dir)
            .env("SITE_ROOT", dir.join("site"))
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("LOG_LEVEL", "warn")
            .env_remove("MAIL_PROVIDER")
            .stdout(Stdio::null())
            .stderr(log);
        for (name, value) in extra {
            command.env(name, value);
        }
        let child = command.spawn().expect("start the server binary");
        let process = Process {
            child,
            base: format!("http://127.0.0.1:{port}"),
            port,
        };
        let started = Instant::now();
        while reqwest::get(format!("{}/healthz", process.base))
            .await
            .map(|r| r.status().as_u16())
            .ok()
            != Some(200)
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the server did not come up"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        process
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -{name}");
    }

    /// Waits for the process to end; its exit status.
    async fn wait(&mut self, limit: Duration) -> std::process::ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < limit,
                "the server did not stop within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn sqlite_pool(url: &str) -> AnyPool {
    sqlx::any::install_default_drivers();
    AnyPool::connect(url).await.unwrap()
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "statusstack-process-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_requests_in_flight_and_keeps_queued_mail() {
    bounded(async {
        let dir = temp_dir();
        let url = format!("sqlite://{}/db.sqlite?mode=rwc", dir.display());
        let closed_port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
        let unreachable_smtp = [
            ("MAIL_PROVIDER", "smtp"),
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", closed_port.as_str()),
            ("SMTP_SECURITY", "none"),
            ("MAIL_RETRY_SECONDS", "1"),
        ];
        let mut server = Process::start(&dir, &url, &unreachable_smtp).await;
        let http = reqwest::Client::new();
        let signed_up = http
            .post(format!("{}/api/sign_up", server.base))
            .header("origin", &server.base)
            .header("accept", "application/json")
            .form(&[("name", "Term"), ("email", "term@example.com"), ("password", STRONG_PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_up.status(), 200);

        // A request in flight: headers and half its body sent.
        let body = "password=correct%20horse%20battery";
        let mut in_flight = tokio::net::TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
        let head = format!(
            "POST /api/password_strength HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nOrigin: {}\r\nAccept: application/json\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            server.port, server.base, body.len(), &body[..10]
        );
        in_flight.write_all(head.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        server.signal("TERM");

        // No new connection is taken once the signal arrived.
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", server.port)).await.is_ok() {
            assert!(started.elapsed() < Duration::from_secs(3), "still accepting after SIGTERM");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The request in flight is finished and answered.
        in_flight.write_all(&body.as_bytes()[10..]).await.unwrap();
        let mut answer = String::new();
        in_flight.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.contains("\"acceptable\""), "{answer}");
        let status = server.wait(Duration::from_secs(15)).await;
        assert!(status.success(), "exit status {status:?}");

        // The confirmation mail could not be delivered: it waits in the queue...
        let pool = sqlite_pool(&url).await;
        let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_queue WHERE sent_at IS NULL AND recipient = 'term@example.com'")
            .fetch_one(&pool).await.unwrap();
        assert_eq!(waiting, 1);
        // ...and the next start delivers it.
        let _next = Process::start(&dir, &url, &[("MAIL_RETRY_SECONDS", "1")]).await;
        let started = Instant::now();
        loop {
            let sent: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_queue WHERE sent_at IS NOT NULL AND recipient = 'term@example.com'")
                .fetch_one(&pool).await.unwrap();
            if sent == 1 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "the queued mail was not sent after the restart");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let outbox = std::fs::read_dir(dir.join("outbox")).unwrap().count();
        assert_eq!(outbox, 1, "delivered to the outbox once");
        drop(_next);
        let _ = std::fs::remove_dir_all(&dir);
    })
    .await;
}

/// What the client saw acknowledged before the kill.
#[derive(Default)]
struct Acknowledged {
    keys: Vec<String>,
    revoked_cookies: Vec<String>,
    sign_ups: Vec<String>,
}

/// Calls a server function; `None` when the server died before answering
/// in full (the write may or may not have happened: it was not acknowledged).
async fn post(
    base: &str,
    name: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
    forwarded: &str,
) -> Option<Reply> {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/api/{name}"))
        .header("origin", base)
        .header("accept", "application/json")
        .header("x-forwarded-for", forwarded)
        .form(form);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let response = request.send().await.ok()?;
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let body = response.text().await.ok()?;
    Some(Reply {
        status,
        headers,
        body,
    })
}

/// Writes through the server at `base` until it dies; records each write
/// the server acknowledged.
async fn write_until_killed(
    base: &str,
    cookie_name: &str,
    cookie: &str,
    round: usize,
    seen: &mut Acknowledged,
) {
    for n in 0.. {
        let forwarded = format!("10.9.{round}.{n}");
        let name = format!("crash {round}.{n}");
        let form = [
            ("name", name.as_str()),
            ("permission", "read"),
            ("expiry", "90"),
        ];
        let Some(reply) = post(base, "create_api_key", &form, Some(cookie), &forwarded).await
        else {
            return;
        };
        assert_eq!(reply.status, 200, "{}", reply.body);
        let issued: statusstack::api_keys::IssuedKey = serde_json::from_str(&reply.body).unwrap();
        seen.keys.push(issued.key.id.clone());

        let email = format!("crash-{round}-{n}@example.com");
        let form = [
            ("name", "Crash"),
            ("email", email.as_str()),
            ("password", STRONG_PASSWORD),
        ];
        let Some(reply) = post(base, "sign_up", &form, None, &forwarded).await else {
            return;
        };
        assert_eq!(reply.status, 200, "{}", reply.body);
        seen.sign_ups.push(email);

        let form = [
            ("email", "crash@example.com"),
            ("password", STRONG_PASSWORD),
        ];
        let Some(reply) = post(base, "sign_in", &form, None, &forwarded).await else {
            return;
        };
        let other = reply.session_cookie(cookie_name).unwrap_or_else(|| {
            panic!(
                "a second session: {} {:?} {}",
                reply.status, reply.headers, reply.body
            )
        });
        let Some(reply) = post(base, "sign_out", &[], Some(&other), &forwarded).await else {
            return;
        };
        assert_eq!(reply.location(), Some("/login"));
        seen.revoked_cookies.push(other);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_any_moment_loses_no_acknowledged_write() {
    bounded(async {
        // The in-process server sets up the account and reads back; the
        // binary on the same SQLite file and key takes the writes and the kills.
        let app = TestApp::spawn_with(Db::Sqlite, &[("TRUST_PROXY_HEADERS", "true")]).await;
        let cookie = app
            .sign_up("Crash", "crash@example.com", STRONG_PASSWORD)
            .await;
        let url = app.state.config.database_url.clone();
        let mut seen = Acknowledged::default();
        for round in 0..10 {
            let mut server =
                Process::start(app.data_dir(), &url, &[("TRUST_PROXY_HEADERS", "true")]).await;
            let base = server.base.clone();
            let kill_after = Duration::from_millis(rand::thread_rng().gen_range(100..700));
            let writes = write_until_killed(&base, app.cookie_name, &cookie, round, &mut seen);
            let killed = async {
                tokio::time::sleep(kill_after).await;
                server.signal("KILL");
                server.wait(Duration::from_secs(5)).await
            };
            let ((), status) = tokio::join!(writes, killed);
            assert!(!status.success(), "round {round}: killed, {status:?}");

            // The file as a restarted server finds it, through a new
            // connection: a pooled one that last read the search index
            // before the other process wrote has FTS5's cached structure,
            // and SQLite 3.46's integrity check of FTS5 tables reports that
            // stale copy as a "malformed inverted index" once (the same
            // check right after, or on a new connection, says "ok").
            let mut fresh = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
                .await
                .unwrap();
            let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&mut fresh)
                .await
                .unwrap();
            assert_eq!(integrity, "ok", "round {round}");
            for id in &seen.keys {
                let found = app
                    .count(&format!("SELECT COUNT(*) FROM api_keys WHERE id = '{id}'"))
                    .await;
                assert_eq!(found, 1, "round {round}: key {id} was acknowledged");
            }
            for email in &seen.sign_ups {
                let found = app
                    .count(&format!(
                        "SELECT COUNT(*) FROM users WHERE email = '{email}'"
                    ))
                    .await;
                assert_eq!(found, 1, "round {round}: sign-up {email} was acknowledged");
            }
            for revoked in &seen.revoked_cookies {
                assert!(
                    !app.is_signed_in(revoked).await,
                    "round {round}: a signed-out session works again"
                );
            }
        }
        let writes = seen.keys.len() + seen.sign_ups.len() + seen.revoked_cookies.len();
        assert!(
            writes >= 10,
            "only {writes} acknowledged writes in ten rounds"
        );
    })
    .await;
}
