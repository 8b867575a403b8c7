//! Forgot password: the reset link (asked for without revealing whether the
//! address has an account) and setting a new password with it.

use super::links::{RESET_TTL_MS, consume_link, issue_link, peek_link, spent_link};
use super::store;
use super::store::Purpose;
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::store::{sessions, users};
use crate::server::client::ClientMeta;
use crate::server::crypto::RandomToken;
use crate::server::mail::compose;
use crate::server::mail::compose::LinkMail;
use crate::server::password;
use crate::server::password::score::remember_score;
use crate::server::password::{Password, PolicyContext};
use crate::server::rate_limit::WindowLimit;
use crate::server::state::AppState;
use crate::time::HOUR_MS;

/// Reset requests per email address, whether or not it has an account.
pub const RESETS_PER_EMAIL: WindowLimit = WindowLimit {
    name: "reset-email",
    limit: 5,
    window_ms: HOUR_MS,
};
/// Reset requests per IP address.
pub const RESETS_PER_IP: WindowLimit = WindowLimit {
    name: "reset-ip",
    limit: 20,
    window_ms: HOUR_MS,
};

/// Asks for a reset link for `email` (normalised): limited per address and
/// per IP, then answered at once; the lookup and the email happen after the
/// response, so both cases answer alike and in the same time.
pub async fn request_reset(
    state: AppState,
    email: String,
    client: ClientMeta,
) -> Result<(), AppError> {
    let now = state.now();
    state
        .hit_limit(RESETS_PER_IP, &client.ip_bucket(), now)
        .await?;
    state.hit_limit(RESETS_PER_EMAIL, &email, now).await?;
    tokio::spawn(async move {
        if let Err(error) = send_password_reset(&state, &email, &client).await {
            tracing::error!(error = ?error, "sending a reset link failed");
        }
    });
    Ok(())
}

/// Sends a reset link if `email` has an account; otherwise does nothing.
#[tracing::instrument(skip_all)]
async fn send_password_reset(
    state: &AppState,
    email: &str,
    client: &ClientMeta,
) -> anyhow::Result<()> {
    let Some(account) = users::find_by_email(&state.pool, email).await? else {
        return Ok(());
    };
    let user = account.user;
    mail_reset_link(
        state,
        &user.id,
        &user.email,
        &user.name,
        client,
        "requested",
    )
    .await
    .map_err(|error| anyhow::anyhow!("could not send the reset link: {error}"))?;
    Ok(())
}

/// Retires older reset links, mails a new one and records the request.
pub async fn mail_reset_link(
    state: &AppState,
    user_id: &str,
    email: &str,
    name: &str,
    client: &ClientMeta,
    reason: &str,
) -> Result<(), AppError> {
    store::retire_unused(&state.pool, user_id, Purpose::PasswordReset, state.now()).await?;
    let url = issue_link(state, Purpose::PasswordReset, user_id, "", RESET_TTL_MS).await?;
    let mail = compose::link_mail(&LinkMail {
        to: email.to_string(),
        recipient_name: name.to_string(),
        subject: "Reset your password".into(),
        intro: "Someone, hopefully you, asked to reset the password of your StatusStack account. Choose a new one with this link:".into(),
        button: "Choose a new password".into(),
        url,
        expiry: "The link works once, for 30 minutes.".into(),
        footer: "If you did not ask for this, ignore this email: your password stays as it is.".into(),
    });
    state.enqueue_mail(&mail, None).await?;
    record_event(
        state,
        Some(user_id),
        EventKind::PasswordResetRequested,
        Outcome::Success,
        client,
        serde_json::json!({ "reason": reason }),
    )
    .await
}

/// Whether a reset link still works (the page says so before the form).
pub async fn check_link(state: &AppState, token: &RandomToken) -> Result<(), AppError> {
    peek_link(state, Purpose::PasswordReset, token)
        .await?
        .map(|_| ())
        .ok_or_else(|| spent_link("password reset"))
}

/// Sets `new_password` with the reset link `token`. The policy is the
/// sign-up one; the link is used up only once the password is accepted.
/// `sign_out_everywhere` ends every session.
pub async fn reset_password(
    state: &AppState,
    token: &RandomToken,
    new_password: Password,
    sign_out_everywhere: bool,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let spent = || spent_link("password reset");
    let pending = peek_link(state, Purpose::PasswordReset, token)
        .await?
        .ok_or_else(spent)?;
    let account = users::find_by_id(&state.pool, &pending.user_id)
        .await?
        .ok_or_else(spent)?;
    let verdict = password::evaluate(
        new_password.expose(),
        &PolicyContext {
            email: &account.user.email,
            name: &account.user.name,
        },
    );
    if let Some(problem) = verdict.problem {
        return Err(AppError::validation("new_password", problem));
    }
    let hash = password::hash_password(&state.password_gate, new_password).await?;
    // Only now is the link used up: a refused password leaves it working.
    let used = consume_link(state, Purpose::PasswordReset, token)
        .await?
        .ok_or_else(spent)?;
    let now = state.now();
    users::update_password_hash(&state.pool, &used.user_id, &hash, Some(now)).await?;
    users::set_must_reset_password(&state.pool, &used.user_id, false).await?;
    remember_score(state, &used.user_id, verdict.score).await;
    state.clear_password_attempts(&account.user.email).await?;
    state.lift_code_locks(&used.user_id).await?;
    let ended = if sign_out_everywhere {
        sessions::revoke_all_except(&state.pool, &used.user_id, "", now).await?
    } else {
        0
    };
    record_event(
        state,
        Some(&used.user_id),
        EventKind::PasswordReset,
        Outcome::Success,
        client,
        serde_json::json!({"sessions_ended": ended}),
    )
    .await
}
