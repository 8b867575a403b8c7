//! Forgot password: the reset link (asked for without revealing whether the
//! address has an account) and setting a new password with it.

use super::email_changes;
use super::links::{LinkRequest, RESET_TTL_MS, consume_link, issue_link, peek_link, spent_link};
use super::store;
use super::store::Purpose;
use super::undo::{EMAIL_UNDO_WINDOW_MS, Intrusion, undo_intrusion};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::recovery::RecoveryReport;
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

/// Sends a reset link if `email` has an account, or was an account's
/// address until a change in the last 72 hours (the link then also undoes
/// that change); otherwise does nothing.
#[tracing::instrument(skip_all)]
async fn send_password_reset(
    state: &AppState,
    email: &str,
    client: &ClientMeta,
) -> anyhow::Result<()> {
    let account = match users::find_by_email(&state.pool, email).await? {
        Some(account) => Some(account),
        None => {
            let since = state.now() - EMAIL_UNDO_WINDOW_MS;
            match email_changes::account_that_left(&state.pool, email, since).await? {
                Some(user_id) => users::find_by_id(&state.pool, &user_id).await?,
                None => None,
            }
        }
    };
    let Some(account) = account else {
        return Ok(());
    };
    let user = account.user;
    let mailing = ResetMail {
        user_id: &user.id,
        to: email,
        name: &user.name,
        reason: "requested",
        undone: &[],
    };
    mail_reset_link(state, &mailing, client)
        .await
        .map_err(|error| anyhow::anyhow!("could not send the reset link: {error}"))?;
    Ok(())
}

/// The reset reason of a sign-up with the address of an account that was
/// never confirmed: the link lets the address's owner take it over.
pub const UNCONFIRMED_SIGN_UP: &str = "unconfirmed_sign_up";

/// A reset link about to be mailed.
pub struct ResetMail<'a> {
    pub user_id: &'a str,
    /// The address it goes to: the account's, or the one it had until a
    /// recent change.
    pub to: &'a str,
    pub name: &'a str,
    /// Why, for the history: "requested", "reported_not_me", "must_reset",
    /// `UNCONFIRMED_SIGN_UP`.
    pub reason: &'a str,
    /// What a recovery already undid, told in the same mail.
    pub undone: &'a [String],
}

/// Retires older reset links, mails a new one and records the request.
pub async fn mail_reset_link(
    state: &AppState,
    mailing: &ResetMail<'_>,
    client: &ClientMeta,
) -> Result<(), AppError> {
    store::retire_unused(
        &state.pool,
        mailing.user_id,
        Purpose::PasswordReset,
        state.now(),
    )
    .await?;
    let url = issue_link(
        state,
        &LinkRequest {
            purpose: Purpose::PasswordReset,
            user_id: mailing.user_id,
            subject: "",
            sent_to: mailing.to,
            session_id: None,
            ttl_ms: RESET_TTL_MS,
        },
    )
    .await?;
    let intro = if mailing.reason == UNCONFIRMED_SIGN_UP {
        "Someone tried to sign up with this address, which already has a StatusStack account that was never confirmed. If it was you, choose a password with this link: it confirms the address and removes everything set up on the account before, with whatever password.".to_string()
    } else if mailing.undone.is_empty() {
        "Someone, hopefully you, asked to reset the password of your StatusStack account. Choose a new one with this link:".to_string()
    } else {
        format!(
            "You reported that someone else used your StatusStack account. We have already done this: {} Now choose a new password with this link; until you do, nobody can sign in:",
            mailing.undone.join(" ")
        )
    };
    let mail = compose::link_mail(&LinkMail {
        to: mailing.to.to_string(),
        recipient_name: mailing.name.to_string(),
        subject: "Reset your password".into(),
        intro,
        button: "Choose a new password".into(),
        url,
        expiry: "The link works once, for 30 minutes.".into(),
        footer: "If you did not ask for this, ignore this email: your password stays as it is."
            .into(),
    });
    state.enqueue_mail(&mail, None).await?;
    record_event(
        state,
        Some(mailing.user_id),
        EventKind::PasswordResetRequested,
        Outcome::Success,
        client,
        serde_json::json!({ "reason": mailing.reason }),
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
/// `sign_out_everywhere` ends every session, and what those sessions made
/// is undone with them (see `undo`). An account whose address was never
/// confirmed loses everything set up on it, whatever was asked: the link
/// proves the mailbox, and a pre-hijacker's sessions, keys and 2FA must go.
pub async fn reset_password(
    state: &AppState,
    token: &RandomToken,
    new_password: Password,
    sign_out_everywhere: bool,
    client: &ClientMeta,
) -> Result<RecoveryReport, AppError> {
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
    let user_id = used.user_id.as_str();
    let unconfirmed = !account.user.email_verified;
    users::update_password_hash(&state.pool, user_id, &hash, Some(now)).await?;
    users::set_must_reset_password(&state.pool, user_id, false).await?;
    remember_score(state, user_id, verdict.score).await;
    state.clear_password_attempts(&account.user.email).await?;
    state.lift_code_locks(user_id).await?;
    let ended = if sign_out_everywhere || unconfirmed {
        sessions::revoke_all_returning(&state.pool, user_id, now).await?
    } else {
        Vec::new()
    };
    let intrusion = Intrusion {
        user_id,
        ended_sessions: &ended,
        unknown_since: None,
        mailed_to: &used.sent_to,
        clear_everything: unconfirmed,
    };
    let report = undo_intrusion(state, &intrusion, client).await?;
    if unconfirmed {
        users::confirm_email(&state.pool, user_id, &used.sent_to, now).await?;
    }
    record_event(
        state,
        Some(user_id),
        EventKind::PasswordReset,
        Outcome::Success,
        client,
        serde_json::json!({"sessions_ended": ended.len(), "undone": report.lines()}),
    )
    .await?;
    Ok(report)
}
