//! The account's email: changing it (sudo mode, confirmed from the new
//! address, the old one told), and the new-device notice preference.

use super::links::{EMAIL_CHANGE_TTL_MS, consume_link, issue_link, spent_link};
use super::notices::{Recipient, mail_notice};
use super::store::Purpose;
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::recovery::EmailSettings;
use crate::server::auth::AuthSession;
use crate::server::auth::store::users;
use crate::server::client::ClientMeta;
use crate::server::crypto::RandomToken;
use crate::server::mail::compose::{LinkMail, link_mail};
use crate::server::state::AppState;
use crate::two_factor::server::active_method;
use crate::two_factor::server::sudo::confirm_sudo;

/// Starts changing the account's email to `new_email` (normalised, checked)
/// in sudo mode: a confirmation link goes to the new address and a notice
/// to the current one. Nothing changes until the link is followed.
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
    confirm_sudo(state, session, password, code, client).await?;
    let user = &session.user;
    let url = issue_link(
        state,
        Purpose::EmailChange,
        &user.id,
        &new_email,
        EMAIL_CHANGE_TTL_MS,
    )
    .await?;
    let confirm = link_mail(&LinkMail {
        to: new_email.clone(),
        recipient_name: user.name.clone(),
        subject: "Confirm your new email address".into(),
        intro: format!(
            "Confirm that this address should become the email of the StatusStack account of {}:",
            user.name
        ),
        button: "Confirm this address".into(),
        url,
        expiry: "The link works once, for 24 hours.".into(),
        footer: "If you did not ask for this, ignore this email and nothing changes.".into(),
    });
    state.enqueue_mail(&confirm, None).await?;
    record_event(
        state,
        Some(&user.id),
        EventKind::EmailChangeRequested,
        Outcome::Success,
        client,
        serde_json::json!({"new_email": new_email}),
    )
    .await?;
    let recipient = Recipient {
        user_id: &user.id,
        email: &user.email,
        name: &user.name,
    };
    let headline = format!(
        "Someone signed in to your account asked to change its email address to {new_email}. It changes only when the link sent there is followed."
    );
    let subject = "A change of your email address was requested".to_string();
    mail_notice(state, &recipient, subject, headline, client).await
}

/// Confirms an email change with the link sent to the new address; returns
/// the new address.
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
    if !users::update_email(&state.pool, &used.user_id, &used.subject).await? {
        return Err(AppError::validation(
            "token",
            "That address now belongs to another account, so it cannot be yours.",
        ));
    }
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
        "The email address of your StatusStack account was changed from {} to {}. Notices go to the new address from now on.",
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

/// The account's email, the new-sign-in notice preference, and what
/// changing the email would ask for.
pub async fn settings(state: &AppState, session: &AuthSession) -> Result<EmailSettings, AppError> {
    let (_, notify) = users::recovery_flags(&state.pool, &session.user.id).await?;
    Ok(EmailSettings {
        email: session.user.email.clone(),
        new_sign_in_notices: notify,
        needs_password: session.require_recent_auth(state.now()).is_err(),
        sudo_factor: active_method(state, &session.user.id).await?,
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
