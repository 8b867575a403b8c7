//! The load generator of `make soak` (scripts/soak.sh starts the release
//! server and runs this against it from a second process).
//!
//! Mixed traffic at fixed rates: each kind has its own open-loop schedule
//! (request n is due at `t0 + n / rate` and is sent then whether or not the
//! earlier ones have been answered), so a slow server meets a growing queue
//! instead of a politely waiting client. Latency counts from the due time.
//!
//! Settings (environment): SOAK_BASE_URL (the server), SOAK_OUTBOX (its
//! DATA_DIR/outbox), SOAK_SERVER_PID (for its memory), SOAK_SECONDS
//! (measured, default 600), SOAK_WARMUP_SECONDS (default 30).

mod report;
mod setup;

use report::{Kind, Memory, Recorder, Run, Sample};
use setup::{Accounts, Server};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Requests per second of each scheduled kind; every sign-in is followed by
/// a sign-out of the session it made, so sessions do not pile up. Chosen so
/// that a 2-core machine running the server and this client keeps up with
/// room to spare: argon2 (one hash per sign-in) is slow on purpose.
const SCHEDULE: [(Kind, f64); 5] = [
    (Kind::Page, 20.0),
    (Kind::ServerFn, 30.0),
    (Kind::Api, 40.0),
    (Kind::SignIn, 2.0),
    (Kind::Export, 2.0),
];
/// Accounts the sign-ins take turns on, so that sign-ins still in flight on
/// one address never reach its back-off.
const SIGN_IN_ACCOUNTS: usize = 4;
/// A request still unanswered after this counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The server functions the server-function traffic takes turns on, with
/// their form fields: what the Security and API Keys pages load.
const SERVER_FUNCTIONS: [(&str, &[(&str, &str)]); 5] = [
    ("list_sessions", &[]),
    ("security_overview", &[]),
    ("list_api_keys", &[]),
    ("security_checkup", &[]),
    ("login_history", &[("query", "")]),
];
/// The JSON API paths a Read key may call.
const API_PATHS: [&str; 3] = ["/api/v1/me", "/api/v1/sessions", "/api/v1/login-history"];
/// Export filters; the categories leave out the exports' own events, so each
/// export is as long as the last and the run stays stationary.
const EXPORTS: [&str; 2] = [
    "format=csv&category=logins,password,api_keys",
    "format=json&category=logins,password,api_keys",
];

/// The generator's settings, from the environment.
struct Settings {
    base: String,
    outbox: PathBuf,
    server_pid: u32,
    measured: Duration,
    warmup: Duration,
}

/// Reads the settings; an error names the variable.
fn settings() -> Result<Settings, String> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let seconds = |name: &str, default: u64| -> Result<Duration, String> {
        match std::env::var(name) {
            Ok(value) => value
                .parse()
                .map(Duration::from_secs)
                .map_err(|_| format!("{name}: {value:?} is not a whole number of seconds")),
            Err(_) => Ok(Duration::from_secs(default)),
        }
    };
    let pid = var("SOAK_SERVER_PID")?;
    Ok(Settings {
        base: var("SOAK_BASE_URL")?.trim_end_matches('/').to_string(),
        outbox: PathBuf::from(var("SOAK_OUTBOX")?),
        server_pid: pid
            .parse()
            .map_err(|_| format!("SOAK_SERVER_PID: {pid:?} is not a process id"))?,
        measured: seconds("SOAK_SECONDS", 600)?.max(Duration::from_secs(1)),
        warmup: seconds("SOAK_WARMUP_SECONDS", 30)?,
    })
}

/// Runs the soak; exits 1 when any request failed, 2 when it could not run.
#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    match soak().await {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(message) => {
            eprintln!("soak: {message}");
            ExitCode::from(2)
        }
    }
}

/// Prepares the accounts, runs every schedule to the end, prints the report
/// and returns how many requests failed.
async fn soak() -> Result<usize, String> {
    let settings = settings()?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .user_agent("statusstack-soak/1.0")
        .build()
        .map_err(|e| e.to_string())?;
    let server = Server {
        http,
        base: settings.base.clone(),
    };
    let accounts = setup::prepare(&server, &settings.outbox, SIGN_IN_ACCOUNTS).await?;
    let t0 = Instant::now() + Duration::from_millis(100);
    let traffic = Arc::new(Traffic {
        server,
        accounts,
        t0,
    });
    let recorder = Recorder::default();
    let length = settings.warmup + settings.measured;
    println!(
        "soak: {} s of warm-up, then {} s measured against {}",
        settings.warmup.as_secs(),
        settings.measured.as_secs(),
        settings.base
    );
    let memory = tokio::spawn(report::sample_memory(
        settings.server_pid,
        t0,
        settings.warmup,
        settings.measured,
    ));
    let mut schedules = JoinSet::new();
    for (n, (kind, rate)) in SCHEDULE.into_iter().enumerate() {
        // Staggered so the kinds' slots do not all fall on the same instants.
        let phase = n as f64 / SCHEDULE.len() as f64;
        let (traffic, recorder) = (traffic.clone(), recorder.clone());
        schedules.spawn(drive(kind, rate, phase, length, traffic, recorder));
    }
    schedules.join_all().await;
    let memory = memory.await.unwrap_or_else(|_| Memory::default());
    let run = Run {
        warmup: settings.warmup,
        measured: settings.measured,
        rates: &SCHEDULE,
        memory,
    };
    Ok(report::print(&recorder.take(), &run))
}

/// Sends `kind` at `rate` per second for `length` from the start, each
/// request at its slot whatever became of the earlier ones; returns once
/// all of them are answered.
async fn drive(
    kind: Kind,
    rate: f64,
    phase: f64,
    length: Duration,
    traffic: Arc<Traffic>,
    recorder: Recorder,
) {
    let mut in_flight = JoinSet::new();
    for n in 0u64.. {
        let due = Duration::from_secs_f64((n as f64 + phase) / rate);
        if due >= length {
            break;
        }
        tokio::time::sleep_until(traffic.t0 + due).await;
        let (traffic, recorder) = (traffic.clone(), recorder.clone());
        in_flight.spawn(async move { traffic.send(kind, n, due, &recorder).await });
        while in_flight.try_join_next().is_some() {}
    }
    while in_flight.join_next().await.is_some() {}
}

/// The server and what the requests need to reach it signed in.
struct Traffic {
    server: Server,
    accounts: Accounts,
    t0: Instant,
}

impl Traffic {
    /// Sends request `n` of `kind`, due at `due`, and records how it went; a
    /// sign-in that worked is followed by the sign-out of its session.
    async fn send(&self, kind: Kind, n: u64, due: Duration, recorder: &Recorder) {
        let started = Instant::now();
        let mut session = None;
        let error = match kind {
            Kind::Page => self.page().await,
            Kind::ServerFn => self.server_function(n).await,
            Kind::Api => self.api(n).await,
            Kind::SignIn => self.sign_in(n).await.map(|cookie| session = Some(cookie)),
            Kind::SignOut => Err("sign-outs follow sign-ins and have no schedule".into()),
            Kind::Export => self.export(n).await,
        }
        .err();
        recorder.push(Sample {
            kind,
            due,
            latency: Instant::now().saturating_duration_since(self.t0 + due),
            start_lag: started.saturating_duration_since(self.t0 + due),
            error,
        });
        if let Some(cookie) = session {
            let due = Instant::now().saturating_duration_since(self.t0);
            let started = Instant::now();
            let error = self.sign_out(&cookie).await.err();
            recorder.push(Sample {
                kind: Kind::SignOut,
                due,
                latency: started.elapsed(),
                start_lag: Duration::ZERO,
                error,
            });
        }
    }

    /// The reader's Security page, rendered on the server.
    async fn page(&self) -> Result<(), String> {
        let reply = self
            .server
            .http
            .get(format!("{}/settings/security", self.server.base))
            .header("cookie", &self.accounts.reader_cookie)
            .send()
            .await;
        finish("GET /settings/security", reply, |status| status == 200).await?;
        Ok(())
    }

    /// One of the server functions the settings pages call.
    async fn server_function(&self, n: u64) -> Result<(), String> {
        let (name, form) = SERVER_FUNCTIONS[n as usize % SERVER_FUNCTIONS.len()];
        let reply = self
            .server
            .call(name, form, Some(&self.accounts.reader_cookie))
            .await;
        finish(&format!("POST /api/{name}"), reply, |status| status == 200).await?;
        Ok(())
    }

    /// One of the JSON API's read calls, with the reader's key.
    async fn api(&self, n: u64) -> Result<(), String> {
        let path = API_PATHS[n as usize % API_PATHS.len()];
        let reply = self
            .server
            .http
            .get(format!("{}{path}", self.server.base))
            .bearer_auth(&self.accounts.api_token)
            .send()
            .await;
        finish(&format!("GET {path}"), reply, |status| status == 200).await?;
        Ok(())
    }

    /// A password sign-in on one of the sign-in accounts; returns its session.
    async fn sign_in(&self, n: u64) -> Result<String, String> {
        let emails = &self.accounts.sign_in_emails;
        let email = emails[n as usize % emails.len()].as_str();
        let form = [("email", email), ("password", setup::PASSWORD)];
        let reply = self.server.call("sign_in", &form, None).await;
        let headers = finish("POST /api/sign_in", reply, |status| status < 400).await?;
        setup::session_cookie(&headers)
            .ok_or_else(|| "POST /api/sign_in: answered without a session cookie".to_string())
    }

    /// Ends the session a sign-in made.
    async fn sign_out(&self, cookie: &str) -> Result<(), String> {
        let reply = self.server.call("sign_out", &[], Some(cookie)).await;
        finish("POST /api/sign_out", reply, |status| status < 400).await?;
        Ok(())
    }

    /// A Login History download, as the page's link starts it.
    async fn export(&self, n: u64) -> Result<(), String> {
        let query = EXPORTS[n as usize % EXPORTS.len()];
        let reply = self
            .server
            .http
            .get(format!(
                "{}/settings/security/history/export?{query}",
                self.server.base
            ))
            .header("cookie", &self.accounts.reader_cookie)
            .header("sec-fetch-site", "same-origin")
            .send()
            .await;
        finish("GET /settings/security/history/export", reply, |status| {
            status == 200
        })
        .await?;
        Ok(())
    }
}

/// Reads the whole answer to `request` and checks its status; returns its
/// headers, or an error naming the request and what went wrong.
async fn finish(
    request: &str,
    reply: reqwest::Result<reqwest::Response>,
    wanted: impl Fn(u16) -> bool,
) -> Result<reqwest::header::HeaderMap, String> {
    let describe = |e: reqwest::Error| {
        if e.is_timeout() {
            format!(
                "{request}: no answer within {} s",
                REQUEST_TIMEOUT.as_secs()
            )
        } else {
            format!("{request}: {e}")
        }
    };
    let response = reply.map_err(describe)?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    response.bytes().await.map_err(describe)?;
    if !wanted(status) {
        return Err(format!("{request}: status {status}"));
    }
    Ok(headers)
}
