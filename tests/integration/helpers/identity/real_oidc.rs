//! The real OpenID Connect provider: `node end2end/oidc/provider.mjs`
//! (npm `oidc-provider` v9), started once per test binary on first use.
//!
//! The child's stdin is a pipe this process holds for the rest of its life;
//! the script exits when that pipe closes, so the provider dies with the
//! test binary, however the binary ends. The child and its reader threads
//! belong to no tokio runtime, so every test (each on its own runtime) can
//! use it.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tokio::sync::OnceCell;

/// How long node may take to print its `ISSUER=` line.
const START_LIMIT: Duration = Duration::from_secs(30);

/// Keeps at most this much of the provider's stderr, for failure messages.
const STDERR_LIMIT: usize = 64 * 1024;

/// The shared `oidc-provider` process.
pub struct RealOidc {
    issuer: String,
    stderr: Arc<Mutex<String>>,
    /// Held open until the test binary exits; closing it stops the provider.
    _stdin: Mutex<ChildStdin>,
    _child: Mutex<Child>,
}

static SHARED: OnceCell<RealOidc> = OnceCell::const_new();

impl RealOidc {
    /// The provider for this test binary, started on first call (waiting
    /// for its `ISSUER=` line, not a fixed time).
    pub async fn shared() -> &'static RealOidc {
        SHARED
            .get_or_init(|| async {
                tokio::task::spawn_blocking(RealOidc::start)
                    .await
                    .expect("starting oidc-provider panicked")
            })
            .await
    }

    fn start() -> RealOidc {
        let root = env!("CARGO_MANIFEST_DIR");
        let script = format!("{root}/end2end/oidc/provider.mjs");
        let module = format!("{root}/node_modules/oidc-provider/package.json");
        assert!(
            std::path::Path::new(&module).exists(),
            "{module} is missing: run `npm ci` in {root}"
        );
        let mut child = Command::new("node")
            .arg(&script)
            .current_dir(root)
            .env("PORT", "0")
            .env_remove("CLIENTS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("node {script}: {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");

        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || drain_stderr(stderr_pipe, sink));

        let (issuer_tx, issuer_rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                if let Some(issuer) = line.strip_prefix("ISSUER=") {
                    let _ = issuer_tx.send(issuer.trim().to_owned());
                    break;
                }
            }
            // Keep reading so the child never blocks on a full pipe.
            for _ in lines {}
        });

        let issuer = match issuer_rx.recv_timeout(START_LIMIT) {
            Ok(issuer) => issuer,
            Err(e) => {
                let _ = child.kill();
                let log = stderr.lock().unwrap().clone();
                panic!("oidc-provider did not print ISSUER= ({e}); its stderr:\n{log}")
            }
        };
        RealOidc {
            issuer,
            stderr,
            _stdin: Mutex::new(stdin),
            _child: Mutex::new(child),
        }
    }

    /// The issuer URL, `http://127.0.0.1:<port>` (no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// What the provider wrote to stderr so far (its warnings and errors).
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Registers a new confidential client (dynamic client registration)
    /// with this one redirect URI, registered as `client_secret_basic` (the
    /// provider accepts the secret in the body too); returns
    /// `(client_id, client_secret)`.
    pub async fn register_client(&self, redirect_uri: &str) -> (String, String) {
        self.register_client_with(redirect_uri, "client_secret_basic")
            .await
    }

    /// Like [`Self::register_client`], with another registered
    /// `token_endpoint_auth_method` (e.g. `client_secret_post`). Note that
    /// oidc-provider accepts `client_secret_basic` and `client_secret_post`
    /// alike from any client that has a secret, whichever was registered.
    pub async fn register_client_with(
        &self,
        redirect_uri: &str,
        token_endpoint_auth_method: &str,
    ) -> (String, String) {
        let metadata = json!({
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": token_endpoint_auth_method,
            "client_name": "StatusStack test",
        });
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        let response = http
            .post(format!("{}/reg", self.issuer))
            .json(&metadata)
            .send()
            .await
            .expect("POST /reg");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON from /reg");
        assert_eq!(status, 201, "client registration failed: {body}");
        let field = |name: &str| {
            body[name]
                .as_str()
                .unwrap_or_else(|| panic!("no {name} in {body}"))
                .to_owned()
        };
        (field("client_id"), field("client_secret"))
    }

    /// Settings that make this provider the app's generic provider `name`
    /// for a client registered with [`Self::register_client`].
    pub fn generic_settings(
        &self,
        name: &str,
        client_id: &str,
        client_secret: &str,
        label: Option<&str>,
    ) -> Vec<(String, String)> {
        super::generic_oidc_settings(name, &self.issuer, client_id, client_secret, label)
    }
}

fn drain_stderr(mut pipe: impl Read, sink: Arc<Mutex<String>>) {
    let mut buffer = [0u8; 4096];
    while let Ok(n) = pipe.read(&mut buffer) {
        if n == 0 {
            break;
        }
        let mut log = sink.lock().unwrap();
        if log.len() < STDERR_LIMIT {
            log.push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
    }
}
