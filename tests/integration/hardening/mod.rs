//! Attack tests for the security review's findings: each performs the attack
//! against the running server, on SQLite and PostgreSQL, and shows it now
//! fails. The ASVS 5.0 requirement each one checks is named in its comment.

mod history;
mod notices;
mod requests;
mod sudo;
mod throttling;

use crate::helpers::*;
use crate::two_factor::{CHALLENGE, challenge, enable_totp, verify};
use sqlx::Row;
use statusstack::error::AppError;

/// Moves every session's last full sign-in or re-authentication out of the
/// sudo window, as for a session signed in an hour ago.
async fn age_sudo_windows(app: &TestApp) {
    sqlx::query("UPDATE sessions SET reauthenticated_at = 1")
        .execute(&app.pool)
        .await
        .unwrap();
}

/// The newest queued mail to `to` whose subject contains `subject`: its text.
async fn newest_mail(app: &TestApp, to: &str, subject: &str) -> Option<String> {
    let rows = sqlx::query(
        "SELECT subject, text_body FROM mail_queue WHERE recipient = $1 ORDER BY created_at DESC",
    )
    .bind(to)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    rows.iter()
        .find(|row| row.get::<String, _>("subject").contains(subject))
        .map(|row| row.get::<String, _>("text_body"))
}

/// Waits (ten seconds at most) for a mail the server queues in the
/// background, e.g. the reset link, which is sent after the answer so its
/// timing tells nothing.
async fn wait_for_mail(app: &TestApp, to: &str, subject: &str) -> String {
    for _ in 0..200 {
        if let Some(text) = newest_mail(app, to, subject).await {
            return text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} about {subject}");
}

/// The token of the first link in `text` that opens `path`.
fn link_token(text: &str, path: &str) -> String {
    let start = text
        .find(&format!("{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {text}"))
        + path.len()
        + "?token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// The authenticator's code at the servers' clock.
fn code_at(secret: &[u8], app: &TestApp) -> String {
    use statusstack::server::clock::Clock;
    let step = (app.clock.now_ms() / 30_000) as u64;
    statusstack::server::crypto::totp::code_at_step(secret, step, 6)
}
