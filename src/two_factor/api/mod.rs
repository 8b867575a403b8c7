//! Two-factor server functions of the signed-in user: enrolment, backup
//! codes, turning it off. Everything sensitive goes through sudo mode.

pub mod challenge;

use super::{Method, TwoFactorStatus};
use crate::error::AppError;
use crate::ui::{CodeSender, SecondFactorPrompt};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::{
    phone,
    server::{enrolment, reveal},
    six_digits,
};
#[cfg(feature = "ssr")]
use crate::server::auth::{
    app_state, client_meta, posted_without_script, request_parts, require_user, set_cookie,
};

/// The Two-Factor section's state: the active method, or the enrolment in progress.
#[server(endpoint = "two_factor_status")]
pub async fn get_two_factor_status() -> Result<TwoFactorStatus, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let mut status = enrolment::status(&state, &session).await?;
    let headers = request_parts()?.headers;
    if let Some((codes, clearing)) = reveal::take_for_this_page(&state, &session, &headers).await? {
        set_cookie(&clearing)?;
        status.revealed_backup_codes = Some(codes);
    }
    Ok(status)
}

/// Starts setting up a method: a new authenticator secret, or a phone number
/// that gets a code by SMS. Needs sudo mode (`password`, and `code` from the
/// current factor when 2FA is on); the set-up belongs to this session and
/// lasts 15 minutes.
#[server(endpoint = "start_two_factor_enrolment")]
pub async fn start_enrolment(
    method: String,
    phone: Option<String>,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let method = method
        .parse::<Method>()
        .ok()
        .ok_or_else(|| AppError::validation("method", "Choose an authenticator app or SMS."))?;
    let phone = match method {
        Method::Sms => Some(
            phone::normalize_e164(phone.as_deref().unwrap_or_default())
                .map_err(|message| AppError::validation("phone", message))?,
        ),
        Method::Totp => None,
    };
    let (state, client) = (app_state()?, client_meta()?);
    enrolment::start(&state, &session, method, phone, password, code, &client).await
}

/// Sends the enrolment's SMS code again (after the countdown), replacing the old one.
#[server(endpoint = "resend_two_factor_enrolment_sms")]
pub async fn resend_enrolment_sms() -> Result<(), AppError> {
    let session = require_user().await?;
    enrolment::resend_sms(&app_state()?, &session, &client_meta()?).await
}

/// Finishes the enrolment with a code from the new factor; only then is 2FA
/// on. The first time, returns the new backup codes: the one time they are shown.
#[server(endpoint = "confirm_two_factor_enrolment")]
pub async fn confirm_enrolment(code: String) -> Result<Option<Vec<String>>, AppError> {
    let session = require_user().await?;
    let code = six_digits(&code).map_err(|message| AppError::validation("code", message))?;
    let state = app_state()?;
    let codes = enrolment::confirm(&state, &session, &code, &client_meta()?).await?;
    // Without the Wasm this answer is a redirect: the page it leads to shows
    // the codes, which wait there sealed for a minute.
    if let Some(codes) = &codes
        && posted_without_script()
    {
        set_cookie(&reveal::keep_for_next_page(&state, &session, codes).await?)?;
    }
    Ok(codes)
}

/// Abandons an unfinished enrolment; 2FA stays as it was.
#[server(endpoint = "cancel_two_factor_enrolment")]
pub async fn cancel_enrolment() -> Result<(), AppError> {
    let session = require_user().await?;
    enrolment::cancel(&app_state()?, &session.user.id).await
}

/// Replaces every backup code with ten new ones (sudo mode) and returns them, once.
#[server(endpoint = "regenerate_backup_codes")]
pub async fn regenerate_backup_codes(
    password: Option<String>,
    code: Option<String>,
) -> Result<Vec<String>, AppError> {
    let session = require_user().await?;
    let (state, client) = (app_state()?, client_meta()?);
    enrolment::regenerate_backup_codes(&state, &session, password, code, &client).await
}

/// Turns 2FA off (sudo mode): the method, its secret or number and every
/// backup code are deleted.
#[server(endpoint = "disable_two_factor")]
pub async fn disable_two_factor(
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let (state, client) = (app_state()?, client_meta()?);
    enrolment::disable(&state, &session, password, code, &client).await
}

/// Texts a code for confirming a sensitive action, when the method is SMS.
#[server(endpoint = "send_sudo_sms")]
pub async fn send_sudo_sms() -> Result<(), AppError> {
    let session = require_user().await?;
    enrolment::send_sudo_sms(&app_state()?, &session, &client_meta()?).await
}

/// What the sudo prompt asks of an account whose second factor is `factor`
/// besides the password: nothing without one, else its code, with "Text me
/// a code" when that comes by SMS.
pub fn sudo_prompt(factor: Option<Method>) -> Option<SecondFactorPrompt> {
    factor.map(|method| SecondFactorPrompt {
        code_label: method.code_label(),
        send_code: (method == Method::Sms)
            .then(|| CodeSender::new(ServerAction::<SendSudoSms>::new(), SendSudoSms {})),
    })
}
