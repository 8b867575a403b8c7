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

/// Starts setting up the authenticator app through the sudo prompt (the
/// password; `cookie` takes the rotated token) and returns the set-up key
/// the page shows.
async fn start_totp_through_sudo(app: &TestApp, cookie: &mut String) -> String {
    app.call_rotating(
        "start_two_factor_enrolment",
        &[("method", "totp"), ("password", STRONG_PASSWORD)],
        cookie,
    )
    .await;
    let status: serde_json::Value =
        serde_json::from_str(&app.call("two_factor_status", &[], Some(cookie)).await.body).unwrap();
    status["pending"]["manual_key"]
        .as_str()
        .expect("a set-up key")
        .to_string()
}

/// Confirms the set-up with the current code as a plain form posted from
/// the Security page before the Wasm loaded (`Accept: text/html`, referrer).
async fn confirm_totp_without_script(app: &TestApp, cookie: &str, manual_key: &str) -> Reply {
    let secret = crate::two_factor::decode_base32(manual_key);
    let page = format!("{}/settings/security", app.base);
    app.call_with_headers(
        "confirm_two_factor_enrolment",
        &[("code", &code_at(&secret, app))],
        Some(cookie),
        &[
            ("origin", app.base.as_str()),
            ("accept", "text/html"),
            ("referer", &page),
        ],
    )
    .await
}
