//! Attack tests for the security review's findings: each performs the attack
//! against the running server, on SQLite and PostgreSQL, and shows it now
//! fails. The ASVS 5.0 requirement each one checks is named in its comment.

mod abuse;
mod at_rest;
mod compression;
mod history;
mod no_script;
mod notices;
mod races;
mod recovery;
mod requests;
mod sudo;
mod throttling;

use crate::helpers::*;
use crate::two_factor::{CHALLENGE, challenge, enable_totp, verify};
use statusstack::error::AppError;

/// Moves every session's last full sign-in or re-authentication out of the
/// sudo window, as for a session signed in an hour ago.
async fn age_sudo_windows(app: &TestApp) {
    sqlx::query("UPDATE sessions SET reauthenticated_at = 1")
        .execute(&app.pool)
        .await
        .unwrap();
}

/// The authenticator's code at the servers' clock.
fn code_at(secret: &[u8], app: &TestApp) -> String {
    use statusstack::server::clock::Clock;
    let step = (app.clock.now_ms() / 30_000) as u64;
    statusstack::server::crypto::totp::code_at_step(secret, step, 6)
}
