//! The account's email: changing it (sudo mode, confirmed from the new
//! address, the old one told with a one-click cancel, every change kept for
//! a recovery to undo), and the new-device notice preference.

use super::email_changes::{self, ConfirmedChange};
use super::links::{EMAIL_CHANGE_TTL_MS, LinkRequest, consume_link, issue_link, spent_link};
use super::notices::{Recipient, mail_notice};
use super::store::{self, Purpose};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::recovery::{CancelledEmailChange, EmailSettings};
use crate::server::auth::AuthSession;
use crate::server::auth::store::{sessions, users};
use crate::server::client::ClientMeta;
use crate::server::crypto::RandomToken;
use crate::server::mail::compose::{LinkMail, link_mail};
use crate::server::rate_limit::WindowLimit;
use crate::server::state::AppState;
use crate::time::{HOUR_MS, utc_datetime};
use crate::two_factor::server::sudo::confirm_sudo;
use crate::two_factor::server::sudo_factor;

/// Email changes asked for per account: each mails an address that has not
/// opted in to anything.
pub const EMAIL_CHANGES_PER_ACCOUNT: WindowLimit = WindowLimit {
    name: "email-change-user",
    limit: 3,
    window_ms: HOUR_MS,
};
/// Email changes asked for per IP address (an IPv6 /64).
pub const EMAIL_CHANGES_PER_IP: WindowLimit = WindowLimit {
    name: "email-change-ip",
    limit: 10,
    window_ms: HOUR_MS,
};
/// Email changes asked for on the whole service.
pub const EMAIL_CHANGES_GLOBAL: WindowLimit = WindowLimit {
    name: "email-change-all",
    limit: 300,
    window_ms: HOUR_MS,
};

/// Starts changing the account's email to `new_email` (normalised, checked)
/// in sudo mode: a confirmation link goes to the new address (with no text
/// the requester chose), and the current one is told, with a one-click
/// cancel. Nothing changes until the link is followed. Limited per
/// account, per IP and on the whole service.
pub async fn request_change(
    state: &AppState,
    session: &AuthSession,
    new_email: String,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<(), AppError> {
    if new_email == session.user.email {
        return Err(AppError::validation(
            "new_email",
            "That is already your email address.",
        ));
    }
    let user = &session.user;
    let now = state.now();
    state
        .hit_limit(EMAIL_CHANGES_PER_ACCOUNT, &user.id, now)
        .await?;
    state
        .hit_limit(EMAIL_CHANGES_PER_IP, &client.ip_bucket(), now)
        .await?;
    state.hit_limit(EMAIL_CHANGES_GLOBAL, "all", now).await?;
    confirm_sudo(state, session, password, code, client).await?;
    // A newer request replaces the older one, and its cancel link with it.
    store::retire_unused(&state.pool, &user.id, Purpose::EmailChange, now).await?;
    store::retire_unused(&state.pool, &user.id, Purpose::EmailChangeCancel, now).await?;
    let link = |purpose, sent_to| LinkRequest {
        purpose,
        user_id: &user.id,
        subject: &new_email,
        sent_to,
        session_id: Some(&session.session_id),
        ttl_ms: EMAIL_CHANGE_TTL_MS,
    };
    let confirm_url = issue_link(state, &link(Purpose::EmailChange, &new_email)).await?;
    let confirm = link_mail(&LinkMail {
        to: new_email.clone(),
        recipient_name: String::new(),
        subject: "Confirm your new email address".into(),
        intro: "Someone asked to make this address the sign-in email of their StatusStack account. If it was you, confirm it:".into(),
        button: "Confirm this address".into(),
        url: confirm_url,
        expiry: "The link works once, for 24 hours.".into(),
        footer: "If you did not ask for this, ignore this email and nothing changes.".into(),
    });
    state.enqueue_mail(&confirm, None).await?;
    let cancel_url = issue_link(state, &link(Purpose::EmailChangeCancel, &user.email)).await?;
    let origin = state.origin(client);
    let cancel = link_mail(&LinkMail {
        to: user.email.clone(),
        recipient_name: user.name.clone(),
        subject: "Your email address is about to change".into(),
        intro: format!(
            "At {} someone signed in to your StatusStack account asked to change its email address to {new_email}, from {}, {} ({}). Nothing changes until the link sent there is followed. If it was not you, cancel the change now:",
            utc_datetime(now),
            origin.device,
            origin.location,
            client.ip
        ),
        button: "Cancel the change".into(),
        url: cancel_url,
        expiry: "The link works until the change is confirmed.".into(),
        footer: "Cancelling also signs out the session that asked. If it was not you, change your password afterwards: whoever asked knew it.".into(),
    });
    state.enqueue_mail(&cancel, None).await?;
    record_event(
        state,
        Some(&user.id),
        EventKind::EmailChangeRequested,
        Outcome::Success,
        client,
        serde_json::json!({"new_email": new_email}),
    )
    .await
}

/// Confirms an email change with the link sent to the new address; returns
/// the new address. The change is kept, so a recovery through the old
/// address can undo it for 72 hours.
pub async fn confirm_change(
    state: &AppState,
    token: &RandomToken,
    client: &ClientMeta,
) -> Result<String, AppError> {
    let used = consume_link(state, Purpose::EmailChange, token)
        .await?
        .ok_or_else(|| spent_link("email confirmation"))?;
    let account = users::find_by_id(&state.pool, &used.user_id)
        .await?
        .ok_or_else(|| spent_link("email confirmation"))?;
    let now = state.now();
    if !users::update_email(&state.pool, &used.user_id, &used.subject, now).await? {
        return Err(AppError::validation(
            "token",
            "That address now belongs to another account, so it cannot be yours.",
        ));
    }
    email_changes::insert(
        &state.pool,
        &ConfirmedChange {
            user_id: &used.user_id,
            old_email: &account.user.email,
            new_email: &used.subject,
            session_id: used.session_id.as_deref(),
            now,
        },
    )
    .await?;
    store::retire_unused(&state.pool, &used.user_id, Purpose::EmailChangeCancel, now).await?;
    // The old address hears about it (with "This wasn't me"), the new one too.
    record_event(
        state,
        Some(&used.user_id),
        EventKind::EmailChanged,
        Outcome::Success,
        client,
        serde_json::json!({"old_email": account.user.email, "new_email": used.subject}),
    )
    .await?;
    let recipient = Recipient {
        user_id: &used.user_id,
        email: &account.user.email,
        name: &account.user.name,
    };
    let headline = format!(
        "The email address of your StatusStack account was changed from {} to {}. Notices go to the new address from now on. If it was not you, “This wasn't me” below also moves the account back to this address (for 72 hours).",
        account.user.email, used.subject
    );
    mail_notice(
        state,
        &recipient,
        "Your email address was changed".into(),
        headline,
        client,
    )
    .await?;
    Ok(used.subject)
}

/// Cancels a requested email change with the link mailed to the current
/// address: the confirmation link stops working and the session that asked
/// is signed out.
pub async fn cancel_change(
    state: &AppState,
    token: &RandomToken,
    client: &ClientMeta,
) -> Result<CancelledEmailChange, AppError> {
    let used = consume_link(state, Purpose::EmailChangeCancel, token)
        .await?
        .ok_or_else(|| {
            AppError::validation(
                "token",
                "This cancel link no longer works: the change was already confirmed, replaced by a newer request, or it expired. If you did not ask for a change, use “This wasn't me” in the email that told you the address changed: for 72 hours it also moves the account back to this address.",
            )
        })?;
    let now = state.now();
    store::retire_unused(&state.pool, &used.user_id, Purpose::EmailChange, now).await?;
    let session_ended = match used.session_id.as_deref() {
        Some(session_id) => sessions::revoke_own(&state.pool, &used.user_id, session_id, now)
            .await?
            .is_some(),
        None => false,
    };
    record_event(
        state,
        Some(&used.user_id),
        EventKind::EmailChangeCancelled,
        Outcome::Success,
        client,
        serde_json::json!({"new_email": used.subject, "session_ended": session_ended}),
    )
    .await?;
    Ok(CancelledEmailChange {
        new_email: used.subject,
        session_ended,
    })
}

/// The account's email, the new-sign-in notice preference, and what
/// changing the email would ask for.
pub async fn settings(state: &AppState, session: &AuthSession) -> Result<EmailSettings, AppError> {
    let (_, notify) = users::recovery_flags(&state.pool, &session.user.id).await?;
    Ok(EmailSettings {
        email: session.user.email.clone(),
        new_sign_in_notices: notify,
        needs_password: session.require_recent_auth(state.now()).is_err(),
        sudo_factor: sudo_factor(state, &session.user.id).await?,
    })
}

/// Turns the new-device sign-in notice on or off.
pub async fn set_new_sign_in_notices(
    state: &AppState,
    user_id: &str,
    enabled: bool,
) -> Result<(), AppError> {
    Ok(users::set_notify_new_sign_in(&state.pool, user_id, enabled).await?)
}
