//! Recovery server functions: forgot password and reset, change email and
//! its confirmation, "This wasn't me", and the new-sign-in notice preference.

use super::{CancelledEmailChange, RecoveryReport};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::{self, email, links::parse_link_token, reset};
#[cfg(feature = "ssr")]
use crate::{
    account::{PASSWORD_MAX_CHARS, email_problem, normalize_email},
    server::{
        auth::{app_state, client_meta, posted_without_script, require_user},
        password::Password,
    },
};

/// Asks for a reset link. Answers the same, in the same time, whether or not
/// the address has an account: the lookup and the email happen after the
/// response. Limited per address and per IP.
#[server(endpoint = "request_password_reset", output = crate::codec::Json)]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let email = normalize_email(&email);
    if let Some(problem) = email_problem(&email) {
        return Err(AppError::validation("email", problem));
    }
    reset::request_reset(app_state()?, email, client_meta()?).await
}

/// Whether a reset link still works (the page says so before the form).
#[server(endpoint = "check_reset_link", output = crate::codec::Json)]
pub async fn check_reset_link(token: String) -> Result<(), AppError> {
    reset::check_link(&app_state()?, &parse_link_token(&token)?).await
}

/// Sets a new password with a reset link. The policy is the sign-up one; the
/// link works once. Signs nobody in: the next sign-in still asks for 2FA.
/// `sign_out_everywhere` ("on", the form's default) ends every session and
/// undoes what they made. Returns what was undone; a form posted without
/// the Wasm goes to the page that lists it.
#[server(endpoint = "reset_password", output = crate::codec::Json)]
pub async fn reset_password(
    token: String,
    new_password: String,
    sign_out_everywhere: Option<String>,
) -> Result<RecoveryReport, AppError> {
    let token = parse_link_token(&token)?;
    if new_password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(AppError::validation(
            "new_password",
            "Passwords are at most 128 characters.",
        ));
    }
    let sign_out = sign_out_everywhere.is_some_and(|v| v == "on" || v == "true");
    let (state, client) = (app_state()?, client_meta()?);
    let report = reset::reset_password(
        &state,
        &token,
        Password::new(&new_password),
        sign_out,
        &client,
    )
    .await?;
    if posted_without_script() {
        leptos_axum::redirect(&format!("/recovered?{}", report.to_query()));
    }
    Ok(report)
}

/// "This wasn't me": ends the session the notice named (or all), undoes
/// what the ended sessions made, requires a password reset before the next
/// sign-in, and mails a reset link. Returns what was undone; a form posted
/// without the Wasm goes to the page that lists it.
#[server(endpoint = "report_not_me", output = crate::codec::Json)]
pub async fn report_not_me(token: String) -> Result<RecoveryReport, AppError> {
    let token = parse_link_token(&token)?;
    let report = server::report_not_me(&app_state()?, &token, &client_meta()?).await?;
    if posted_without_script() {
        leptos_axum::redirect(&format!("/recovered?{}", report.to_query()));
    }
    Ok(report)
}

/// Cancels a requested email change with the link mailed to the current
/// address; signs out the session that asked for it.
#[server(endpoint = "cancel_email_change", output = crate::codec::Json)]
pub async fn cancel_email_change(token: String) -> Result<CancelledEmailChange, AppError> {
    let token = parse_link_token(&token)?;
    let cancelled = email::cancel_change(&app_state()?, &token, &client_meta()?).await?;
    // The link's page sends no referrer for a plain form post to come back to.
    if posted_without_script() {
        leptos_axum::redirect("/cancel-email-change?cancelled=1");
    }
    Ok(cancelled)
}

/// Starts changing the account's email (sudo mode): a confirmation link goes
/// to the new address and a notice to the current one. Nothing changes until
/// the link is followed.
#[server(endpoint = "request_email_change", output = crate::codec::Json)]
pub async fn request_email_change(
    new_email: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let new_email = normalize_email(&new_email);
    if let Some(problem) = email_problem(&new_email) {
        return Err(AppError::validation("new_email", problem));
    }
    let (state, client) = (app_state()?, client_meta()?);
    email::request_change(&state, &session, new_email, password, code, &client).await
}

/// Confirms an email change with the link sent to the new address.
#[server(endpoint = "confirm_email_change", output = crate::codec::Json)]
pub async fn confirm_email_change(token: String) -> Result<String, AppError> {
    let token = parse_link_token(&token)?;
    email::confirm_change(&app_state()?, &token, &client_meta()?).await
}

/// The account's email, the new-sign-in notice preference, and what
/// changing the email would ask for.
#[server(endpoint = "email_settings", output = crate::codec::Json)]
pub async fn get_email_settings() -> Result<super::EmailSettings, AppError> {
    let session = require_user().await?;
    email::settings(&app_state()?, &session).await
}

/// Turns the new-device sign-in notice on ("on") or off (anything else).
/// Notices about password, email and 2FA changes cannot be turned off.
#[server(endpoint = "set_new_sign_in_notices", output = crate::codec::Json)]
pub async fn set_new_sign_in_notices(enabled: Option<String>) -> Result<(), AppError> {
    let session = require_user().await?;
    let enabled = enabled.is_some_and(|v| v == "on" || v == "true");
    email::set_new_sign_in_notices(&app_state()?, &session.user.id, enabled).await
}
