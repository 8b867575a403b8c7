//! Attack tests for the security review's findings: each performs the attack
//! against the running server, on SQLite and PostgreSQL, and shows it now
//! fails. The ASVS 5.0 requirement each one checks is named in its comment.

mod history;
mod notices;
mod requests;
mod sudo;
mod throttling;

use crate::helpers::*;
use crate::two_factor::enable_totp;
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
