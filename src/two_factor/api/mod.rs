//! Two-factor server functions of the signed-in user: enrolment, backup
//! codes, turning it off. Everything sensitive goes through sudo mode.

pub mod challenge;

use super::{Method, SudoFactor, TwoFactorStatus};
use crate::error::AppError;
use crate::passkeys::Ceremony;
use crate::passkeys::api::{finish_passkey_sudo, start_passkey_sudo};
use crate::ui::webauthn::ask_for_passkey;
use crate::ui::{CodeSender, PasskeyProof, SecondFactorPrompt};
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
#[server(endpoint = "two_factor_status", output = crate::codec::Json)]
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
#[server(endpoint = "start_two_factor_enrolment", output = crate::codec::Json)]
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
        Method::Totp | Method::Passkey => None,
    };
    let (state, client) = (app_state()?, client_meta()?);
    enrolment::start(&state, &session, method, phone, password, code, &client).await
}

/// Sends the enrolment's SMS code again (after the countdown), replacing the old one.
#[server(endpoint = "resend_two_factor_enrolment_sms", output = crate::codec::Json)]
pub async fn resend_enrolment_sms() -> Result<(), AppError> {
    let session = require_user().await?;
    enrolment::resend_sms(&app_state()?, &session, &client_meta()?).await
}

/// Finishes the enrolment with a code from the new factor; only then is 2FA
/// on. The first time, returns the new backup codes: the one time they are shown.
#[server(endpoint = "confirm_two_factor_enrolment", output = crate::codec::Json)]
pub async fn confirm_enrolment(code: String) -> Result<Option<Vec<String>>, AppError> {
    let session = require_user().await?;
    let code = six_digits(&code).map_err(|message| AppError::validation("code", message))?;
    let state = app_state()?;
    let codes = enrolment::confirm(&state, &session, &code, &client_meta()?).await?;
    keep_for_page_without_script(&state, &session, codes).await
}

/// Without the Wasm the answer to a form is a redirect: the page it leads
/// to shows the new backup codes, which wait there sealed for a minute.
#[cfg(feature = "ssr")]
async fn keep_for_page_without_script(
    state: &crate::server::state::AppState,
    session: &crate::server::auth::AuthSession,
    codes: Option<Vec<String>>,
) -> Result<Option<Vec<String>>, AppError> {
    if let Some(codes) = &codes
        && posted_without_script()
    {
        set_cookie(&reveal::keep_for_next_page(state, session, codes).await?)?;
    }
    Ok(codes)
}

/// Abandons an unfinished enrolment; 2FA stays as it was.
#[server(endpoint = "cancel_two_factor_enrolment", output = crate::codec::Json)]
pub async fn cancel_enrolment() -> Result<(), AppError> {
    let session = require_user().await?;
    enrolment::cancel(&app_state()?, &session.user.id).await
}

/// Makes the account's passkeys its second factor (sudo mode): after the
/// password, sign-in asks for a passkey (or a backup code). The first
/// time, returns the new backup codes: the one time they are shown.
#[server(endpoint = "use_passkeys_for_two_factor", output = crate::codec::Json)]
pub async fn use_passkeys_for_two_factor(
    password: Option<String>,
    code: Option<String>,
) -> Result<Option<Vec<String>>, AppError> {
    let session = require_user().await?;
    let (state, client) = (app_state()?, client_meta()?);
    let codes = enrolment::use_passkeys(&state, &session, password, code, &client).await?;
    keep_for_page_without_script(&state, &session, codes).await
}

/// Replaces every backup code with ten new ones (sudo mode) and returns them, once.
#[server(endpoint = "regenerate_backup_codes", output = crate::codec::Json)]
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
#[server(endpoint = "disable_two_factor", output = crate::codec::Json)]
pub async fn disable_two_factor(
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let (state, client) = (app_state()?, client_meta()?);
    enrolment::disable(&state, &session, password, code, &client).await
}

/// Texts a code for confirming a sensitive action, when the method is SMS.
#[server(endpoint = "send_sudo_sms", output = crate::codec::Json)]
pub async fn send_sudo_sms() -> Result<(), AppError> {
    let session = require_user().await?;
    enrolment::send_sudo_sms(&app_state()?, &session, &client_meta()?).await
}

/// What the sudo prompt asks of an account besides the password: the
/// active method's code (with "Text me a code" when that comes by SMS),
/// and "Use a passkey instead" when the account has a passkey; for an
/// account without a password, how to set one instead of the fields;
/// `None` when the password alone is asked.
pub fn sudo_prompt(factor: impl Into<SudoFactor>) -> Option<SecondFactorPrompt> {
    let factor = factor.into();
    if factor.method.is_none() && !factor.passkey && !factor.passwordless {
        return None;
    }
    Some(SecondFactorPrompt {
        password: !factor.passwordless,
        code_label: factor.method.map(Method::code_label),
        // Only a backup code is typed for passkeys: no "works too" to add.
        code_hint: factor
            .method
            .filter(|method| *method != Method::Passkey)
            .map(|_| "A backup code works too."),
        send_code: (factor.method == Some(Method::Sms))
            .then(|| CodeSender::new(ServerAction::<SendSudoSms>::new(), SendSudoSms {})),
        passkey: factor
            .passkey
            .then(|| PasskeyProof::new(confirm_with_passkey)),
    })
}

/// Opens the session's sudo window with one of the account's passkeys.
async fn confirm_with_passkey() -> Result<(), Option<String>> {
    let start = async { start_passkey_sudo().await.map(Ceremony::into_parts) };
    ask_for_passkey(start, finish_passkey_sudo).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_asks_for_a_password_only_where_the_account_has_one() {
        assert!(
            sudo_prompt(SudoFactor::default()).is_none(),
            "the password alone: no more to ask"
        );
        let no_password = sudo_prompt(SudoFactor {
            passwordless: true,
            ..SudoFactor::default()
        })
        .expect("a prompt that says how to set one");
        assert!(!no_password.password);
        let with_code = sudo_prompt(SudoFactor {
            method: Some(Method::Totp),
            ..SudoFactor::default()
        })
        .expect("a code besides the password");
        assert!(with_code.password);
        assert_eq!(with_code.code_label, Some(Method::Totp.code_label()));
    }
}
