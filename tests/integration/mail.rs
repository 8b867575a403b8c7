//! Security notices by email: the outbox default, delivery over a real SMTP
//! connection to a small server on loopback, exactly-once, no secrets, and
//! SMTP being down when the change happens.

use crate::helpers::*;
use reqwest::Method;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpSocket};

/// A minimal SMTP server (RFC 5321 without extensions) that keeps every
/// message it accepts but the address confirmations every sign-up sends
/// (`TestApp::sign_up` confirms the address itself), so tests count the
/// mail they are about.
pub struct FakeSmtp {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
}

impl FakeSmtp {
    pub async fn start() -> FakeSmtp {
        FakeSmtp::serve(TcpListener::bind("127.0.0.1:0").await.unwrap())
    }

    /// A loopback port that refuses connections until `start_reserved`
    /// listens on it: bound, so no other test can take it in between.
    pub fn reserve() -> TcpSocket {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        socket
    }

    /// Starts serving on a port from `reserve`.
    pub fn start_reserved(socket: TcpSocket) -> FakeSmtp {
        FakeSmtp::serve(socket.listen(16).unwrap())
    }

    fn serve(listener: TcpListener) -> FakeSmtp {
        let port = listener.local_addr().unwrap().port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let _ = serve_session(stream, kept).await;
                });
            }
        });
        FakeSmtp { port, messages }
    }

    /// Waits until `count` messages arrived (at most 20 s) and returns all.
    pub async fn wait_for(&self, count: usize) -> Vec<String> {
        for _ in 0..200 {
            let messages = self.messages.lock().unwrap().clone();
            if messages.len() >= count {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "expected {count} messages, got {:?}",
            self.messages.lock().unwrap()
        );
    }

    pub fn received(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }
}

async fn serve_session(
    stream: tokio::net::TcpStream,
    messages: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 fake-smtp ready\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250-fake-smtp\r\n250 8BITMIME\r\n",
            "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await?;
                let mut message = String::new();
                while let Some(data) = lines.next_line().await? {
                    if data == "." {
                        break;
                    }
                    message.push_str(data.strip_prefix('.').unwrap_or(&data));
                    message.push('\n');
                }
                if !message.contains("Subject: [StatusStack] Confirm your email address") {
                    messages.lock().unwrap().push(message);
                }
                b"250 queued\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
    Ok(())
}

fn smtp_settings(port: u16) -> [(&'static str, String); 5] {
    [
        ("MAIL_PROVIDER", "smtp".into()),
        ("SMTP_HOST", "127.0.0.1".into()),
        ("SMTP_PORT", port.to_string()),
        ("SMTP_SECURITY", "none".into()),
        ("MAIL_RETRY_SECONDS", "1".into()),
    ]
}

pub async fn spawn_with_smtp(db: Db, port: u16) -> TestApp {
    spawn_with_smtp_and(db, port, &[]).await
}

/// A server that mails through the fake SMTP server on `port`, with more settings.
pub async fn spawn_with_smtp_and(db: Db, port: u16, extra: &[(&str, &str)]) -> TestApp {
    let settings = smtp_settings(port);
    let mut pairs: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.extend_from_slice(extra);
    TestApp::spawn_with(db, &pairs).await
}

async fn change_password(app: &TestApp, cookie: &str) {
    let reply = app
        .call(
            "change_password",
            &[
                ("current_password", STRONG_PASSWORD),
                ("new_password", OTHER_STRONG_PASSWORD),
            ],
            Some(cookie),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
}

/// Quoted-printable soft line breaks removed, so phrases can be searched.
pub fn unfolded(message: &str) -> String {
    message.replace("=\n", "").replace("=3D", "=")
}

both_databases! {
    async fn the_outbox_writes_each_notice_as_an_eml_file(app) {
        let cookie = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        change_password(&app, &cookie).await;
        let outbox = app.data_dir().join("outbox");
        // The worker writes the file, then marks the message sent: wait for
        // both (the first message is the sign-up's address confirmation).
        let sent = app.wait_for_count("SELECT COUNT(*) FROM mail_queue WHERE sent_at IS NOT NULL", 2).await;
        assert_eq!(sent, 2);
        let mut files: Vec<_> = std::fs::read_dir(&outbox).unwrap().flatten().map(|e| e.path()).collect();
        assert_eq!(files.len(), 2, "{files:?}");
        files.retain(|file| !std::fs::read_to_string(file).unwrap().contains("Confirm your email address"));
        assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
        let message = unfolded(&std::fs::read_to_string(&files[0]).unwrap());
        assert!(message.contains("To: pat@example.com"), "{message}");
        assert!(message.contains("Subject: [StatusStack] Your password was changed"));
        assert!(message.contains("multipart/alternative") && message.contains("text/html") && message.contains("text/plain"));
        assert!(!message.contains(STRONG_PASSWORD) && !message.contains(OTHER_STRONG_PASSWORD));
        // The outbox is not reachable over HTTP.
        let name = files[0].file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(app.get(&format!("/outbox/{name}"), None).await.status, 404);
    }

    async fn each_notice_arrives_once_over_smtp_with_what_where_and_no_secret(app) {
        let smtp = FakeSmtp::start().await;
        let app = spawn_with_smtp(app.db(), smtp.port).await;
        let cookie = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        change_password(&app, &cookie).await;
        let cookie = app.sign_in("pat@example.com", OTHER_STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        let created = app.call("create_api_key", &[("name", "deploy"), ("permission", "admin"), ("expiry", "30")], Some(&cookie)).await;
        assert_eq!(created.status, 200, "{}", created.body);
        let token: String = serde_json::from_str::<serde_json::Value>(&created.body).unwrap()["token"].as_str().unwrap().into();
        // A Read-only key is not worth an email.
        app.call("create_api_key", &[("name", "reader"), ("permission", "read"), ("expiry", "30")], Some(&cookie)).await;
        let messages = smtp.wait_for(2).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let messages_later = smtp.received();
        assert_eq!(messages_later.len(), 2, "exactly once: {messages_later:?}");
        let password = unfolded(messages.iter().find(|m| m.contains("password was changed")).expect("password notice"));
        let key = unfolded(messages.iter().find(|m| m.contains("Admin API key was created")).expect("admin key notice"));
        for message in [&password, &key] {
            assert!(message.contains("To: pat@example.com"));
            assert!(message.contains("127.0.0.1") && message.contains("UTC"), "{message}");
            assert!(message.contains("If it was not you"));
            assert!(message.contains("/settings/security"));
            for secret in [STRONG_PASSWORD, OTHER_STRONG_PASSWORD, &token[4..]] {
                assert!(!message.contains(secret), "a secret in {message}");
            }
        }
        assert!(key.contains("deploy"));
        let queued = app.count("SELECT COUNT(*) FROM mail_queue").await;
        assert_eq!(app.wait_for_count("SELECT COUNT(*) FROM mail_queue WHERE sent_at IS NOT NULL", queued).await, queued);
        // Using the key mails nothing.
        assert_eq!(app.api(Method::GET, "/api/v1/me", &token).await.status, 200);
    }

    async fn smtp_being_down_never_fails_the_request_and_the_mail_goes_out_later(app) {
        // A port that refuses connections, for now.
        let reserved = FakeSmtp::reserve();
        let port = reserved.local_addr().unwrap().port();
        let app = spawn_with_smtp(app.db(), port).await;
        // The retry is due when the test moves the clock, not when a timer says.
        app.clock.freeze_at(now());
        let cookie = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        change_password(&app, &cookie).await;
        let notice = "FROM mail_queue WHERE subject LIKE '%password was changed'";
        let attempts = app.wait_for_count(&format!("SELECT COALESCE(MAX(attempts), 0) {notice}"), 1).await;
        assert_eq!(attempts, 1, "one delivery was attempted");
        assert_eq!(app.count(&format!("SELECT COUNT(*) {notice} AND sent_at IS NULL")).await, 1);
        let error: String = sqlx::query_scalar(&format!("SELECT last_error {notice}")).fetch_one(&app.pool).await.unwrap();
        assert!(!error.is_empty());
        // Before the back-off has passed, the worker leaves it alone.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(app.count(&format!("SELECT MAX(attempts) {notice}")).await, 1);
        // SMTP comes back; once the back-off has passed the retry delivers it, once.
        let smtp = FakeSmtp::start_reserved(reserved);
        app.clock.advance(2_000);
        let messages = smtp.wait_for(1).await;
        assert!(unfolded(&messages[0]).contains("Your password was changed"));
        assert_eq!(app.wait_for_count(&format!("SELECT COUNT(*) {notice} AND sent_at IS NOT NULL"), 1).await, 1);
        assert_eq!(smtp.received().len(), 1);
    }
}
