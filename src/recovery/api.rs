//! Recovery server functions: forgot password and reset, change email and
//! its confirmation, "This wasn't me", and the new-sign-in notice preference.

use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::account::{PASSWORD_MAX_CHARS, email_problem, normalize_email};
#[cfg(feature = "ssr")]
use crate::login_history::{EventKind, Outcome};
#[cfg(feature = "ssr")]
use crate::server::auth::store::{sessions, users};
#[cfg(feature = "ssr")]
use crate::server::auth::{app_state, client_meta, require_user};
#[cfg(feature = "ssr")]
use crate::server::password;
#[cfg(feature = "ssr")]
use crate::server::password::{Password, PolicyContext};
#[cfg(feature = "ssr")]
use crate::server::recovery::{
    EMAIL_CHANGE_TTL_MS, RESETS_PER_EMAIL, RESETS_PER_IP, Recipient, parse_link_token, spent_link,
};
#[cfg(feature = "ssr")]
use crate::server::store::account_tokens::Purpose;
#[cfg(feature = "ssr")]
use crate::time::now_ms;

/// Asks for a reset link. Answers the same, in the same time, whether or not
/// the address has an account: the lookup and the email happen after the
/// response. Limited per address and per IP.
#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let state = app_state()?;
    let client = client_meta()?;
    let email = normalize_email(&email);
    if let Some(problem) = email_problem(&email) {
        return Err(AppError::validation("email", problem));
    }
    let now = now_ms();
    state.hit_limit(RESETS_PER_IP, &client.ip, now).await?;
    state.hit_limit(RESETS_PER_EMAIL, &email, now).await?;
    tokio::spawn(async move {
        if let Err(error) = state.send_password_reset(&email, &client).await {
            tracing::error!(error = ?error, "sending a reset link failed");
        }
    });
    Ok(())
}

/// Whether a reset link still works (the page says so before the form).
#[server(endpoint = "check_reset_link")]
pub async fn check_reset_link(token: String) -> Result<(), AppError> {
    let state = app_state()?;
    let token = parse_link_token(&token)?;
    state
        .peek_link(Purpose::PasswordReset, &token)
        .await?
        .map(|_| ())
        .ok_or_else(|| spent_link("password reset"))
}

/// Sets a new password with a reset link. The policy is the sign-up one; the
/// link works once. Signs nobody in: the next sign-in still asks for 2FA.
/// `sign_out_everywhere` ("on", the form's default) ends every session.
#[server(endpoint = "reset_password")]
pub async fn reset_password(
    token: String,
    new_password: String,
    sign_out_everywhere: Option<String>,
) -> Result<(), AppError> {
    let state = app_state()?;
    let client = client_meta()?;
    let token = parse_link_token(&token)?;
    let spent = || spent_link("password reset");
    let pending = state
        .peek_link(Purpose::PasswordReset, &token)
        .await?
        .ok_or_else(spent)?;
    let account = users::find_by_id(&state.pool, &pending.user_id)
        .await?
        .ok_or_else(spent)?;
    if new_password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(AppError::validation(
            "new_password",
            "Passwords are at most 128 characters.",
        ));
    }
    let new_password = Password::new(&new_password);
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
    let hash = password::hash_password(new_password).await?;
    // Only now is the link used up: a refused password leaves it working.
    let used = state
        .consume_link(Purpose::PasswordReset, &token)
        .await?
        .ok_or_else(spent)?;
    let now = now_ms();
    users::update_password_hash(&state.pool, &used.user_id, &hash, Some(now)).await?;
    users::set_must_reset_password(&state.pool, &used.user_id, false).await?;
    crate::server::password::remember_score(&state, &used.user_id, verdict.score).await;
    state.clear_sign_in_failures(&account.user.email).await?;
    let sign_out = sign_out_everywhere.is_some_and(|v| v == "on" || v == "true");
    let ended = if sign_out {
        sessions::revoke_all_except(&state.pool, &used.user_id, "", now).await?
    } else {
        0
    };
    crate::login_history::server::record::record_event(
        &state,
        Some(&used.user_id),
        EventKind::PasswordReset,
        Outcome::Success,
        &client,
        serde_json::json!({"sessions_ended": ended}),
    )
    .await?;
    leptos_axum::redirect("/login?reset=done");
    Ok(())
}

/// "This wasn't me": ends the session the notice named (or all), requires a
/// password reset before the next sign-in, and mails a reset link. Returns
/// how many sessions ended.
#[server(endpoint = "report_not_me")]
pub async fn report_not_me(token: String) -> Result<u64, AppError> {
    let state = app_state()?;
    let client = client_meta()?;
    let token = parse_link_token(&token)?;
    state.report_not_me(&token, &client).await
}

/// Starts changing the account's email (sudo mode): a confirmation link goes
/// to the new address and a notice to the current one. Nothing changes until
/// the link is followed.
#[server(endpoint = "request_email_change")]
pub async fn request_email_change(
    new_email: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let client = client_meta()?;
    let new_email = normalize_email(&new_email);
    if let Some(problem) = email_problem(&new_email) {
        return Err(AppError::validation("new_email", problem));
    }
    if new_email == session.user.email {
        return Err(AppError::validation(
            "new_email",
            "That is already your email address.",
        ));
    }
    crate::two_factor::server::sudo::confirm_sudo(&state, &session, password, code, &client)
        .await?;
    let user = &session.user;
    let url = state
        .issue_link(
            Purpose::EmailChange,
            &user.id,
            &new_email,
            EMAIL_CHANGE_TTL_MS,
        )
        .await?;
    let confirm = crate::server::mail::compose::link_mail(
        &crate::server::mail::compose::LinkMail {
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
        },
    );
    state.enqueue_mail(&confirm, None).await?;
    crate::login_history::server::record::record_event(
        &state,
        Some(&user.id),
        EventKind::EmailChangeRequested,
        Outcome::Success,
        &client,
        serde_json::json!({"new_email": new_email}),
    )
    .await?;
    let (subject, headline) = (
        "A change of your email address was requested".to_string(),
        format!(
            "Someone signed in to your account asked to change its email address to {new_email}. It changes only when the link sent there is followed."
        ),
    );
    let recipient = Recipient {
        user_id: &user.id,
        email: &user.email,
        name: &user.name,
    };
    state
        .mail_notice(&recipient, subject, headline, &client)
        .await
}

/// Confirms an email change with the link sent to the new address.
#[server(endpoint = "confirm_email_change")]
pub async fn confirm_email_change(token: String) -> Result<String, AppError> {
    let state = app_state()?;
    let client = client_meta()?;
    let token = parse_link_token(&token)?;
    let used = state
        .consume_link(Purpose::EmailChange, &token)
        .await?
        .ok_or_else(|| spent_link("email confirmation"))?;
    let account = users::find_by_id(&state.pool, &used.user_id)
        .await?
        .ok_or_else(|| spent_link("email confirmation"))?;
    let changed = users::update_email(&state.pool, &used.user_id, &used.subject).await?;
    if !changed {
        return Err(AppError::validation(
            "token",
            "That address now belongs to another account, so it cannot be yours.",
        ));
    }
    // The old address hears about it (with "This wasn't me"), the new one too.
    crate::login_history::server::record::record_event(
        &state,
        Some(&used.user_id),
        EventKind::EmailChanged,
        Outcome::Success,
        &client,
        serde_json::json!({"old_email": account.user.email, "new_email": used.subject}),
    )
    .await?;
    state
        .mail_notice(
            &Recipient {
                user_id: &used.user_id,
                email: &account.user.email,
                name: &account.user.name,
            },
            "Your email address was changed".into(),
            format!(
                "The email address of your StatusStack account was changed from {} to {}. Notices go to the new address from now on.",
                account.user.email, used.subject
            ),
            &client,
        )
        .await?;
    Ok(used.subject)
}

/// The account's email, the new-sign-in notice preference, and what
/// changing the email would ask for.
#[server(endpoint = "email_settings")]
pub async fn get_email_settings() -> Result<super::EmailSettings, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let (_, notify) = users::recovery_flags(&state.pool, &session.user.id).await?;
    Ok(super::EmailSettings {
        email: session.user.email.clone(),
        new_sign_in_notices: notify,
        needs_password: session.require_recent_auth(now_ms()).is_err(),
        sudo_factor: crate::two_factor::server::store::active_method(&state.pool, &session.user.id)
            .await?,
    })
}

/// Turns the new-device sign-in notice on ("on") or off (anything else).
/// Notices about password, email and 2FA changes cannot be turned off.
#[server(endpoint = "set_new_sign_in_notices")]
pub async fn set_new_sign_in_notices(enabled: Option<String>) -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let enabled = enabled.is_some_and(|v| v == "on" || v == "true");
    users::set_notify_new_sign_in(&state.pool, &session.user.id, enabled)
        .await
        .map_err(AppError::from)
}
