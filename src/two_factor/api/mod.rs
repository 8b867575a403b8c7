//! Two-factor server functions of the signed-in user: enrolment, backup
//! codes, turning it off. Everything sensitive goes through sudo mode.

pub mod challenge;

use super::{Method, TwoFactorStatus};
use crate::error::AppError;
use crate::ui::{CodeSender, SecondFactorPrompt};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::{EnabledFactor, PendingEnrolment, phone, six_digits};
#[cfg(feature = "ssr")]
use crate::login_history::{EventKind, Outcome};
#[cfg(feature = "ssr")]
use crate::server::{
    auth::{AuthSession, app_state, client_meta, require_user},
    crypto::{codes, totp},
    db::new_id,
    state::AppState,
    store::two_factor as store,
    two_factor::{enrolment_binding, sudo_binding},
};
#[cfg(feature = "ssr")]
use crate::time::now_ms;

/// How long an unfinished enrolment can be resumed.
#[cfg(feature = "ssr")]
const ENROLMENT_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// The Two-Factor section's state: the active method, or the enrolment in progress.
#[server(endpoint = "two_factor_status")]
pub async fn get_two_factor_status() -> Result<TwoFactorStatus, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    status_of(&state, &session).await
}

#[cfg(feature = "ssr")]
async fn status_of(state: &AppState, session: &AuthSession) -> Result<TwoFactorStatus, AppError> {
    let user = &session.user;
    let now = now_ms();
    let record = store::get(&state.pool, &user.id).await?;
    let enabled = match record.active_method() {
        Some(method) => Some(EnabledFactor {
            method,
            since: record.since.unwrap_or_default(),
            phone: record.sms_phone.as_deref().map(phone::mask_phone),
            backup_codes_left: store::unused_backup_codes(&state.pool, &user.id).await?,
        }),
        None => None,
    };
    let pending = match store::get_enrolment(&state.pool, &user.id, now).await? {
        Some(enrolment) => Some(pending_view(state, &user.id, &user.email, &enrolment, now).await?),
        None => None,
    };
    Ok(TwoFactorStatus {
        enabled,
        pending,
        needs_sudo: session.require_recent_auth(now).is_err(),
    })
}

#[cfg(feature = "ssr")]
async fn pending_view(
    state: &AppState,
    user_id: &str,
    email: &str,
    enrolment: &store::Enrolment,
    now: i64,
) -> Result<PendingEnrolment, AppError> {
    let method = Method::parse(&enrolment.method)
        .ok_or_else(|| AppError::from(anyhow::anyhow!("unknown enrolment method")))?;
    Ok(match method {
        Method::Totp => {
            let sealed = enrolment.totp_secret_sealed.as_deref().unwrap_or_default();
            let secret = state.open_totp(user_id, sealed)?;
            let uri = totp::otpauth_uri(&secret, email);
            PendingEnrolment {
                method,
                qr_svg: Some(totp::qr_svg(&uri)?),
                manual_key: Some(secret.grouped()),
                phone: None,
                resend_in_secs: 0,
            }
        }
        Method::Sms => PendingEnrolment {
            method,
            qr_svg: None,
            manual_key: None,
            phone: enrolment.phone.as_deref().map(phone::mask_phone),
            resend_in_secs: state
                .sms_resend_in(&enrolment_binding(&enrolment.id), now)
                .await?,
        },
    })
}

/// Starts setting up a method: a new authenticator secret, or a phone number
/// that gets a code by SMS. Switching method or number while 2FA is on needs
/// sudo mode (`password`, and `code` from the current factor).
#[server(endpoint = "start_two_factor_enrolment")]
pub async fn start_enrolment(
    method: String,
    phone: Option<String>,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let client = client_meta()?;
    let method = Method::parse(&method)
        .ok_or_else(|| AppError::validation("method", "Choose an authenticator app or SMS."))?;
    let phone = match method {
        Method::Sms => Some(
            phone::normalize_e164(phone.as_deref().unwrap_or_default())
                .map_err(|message| AppError::validation("phone", message))?,
        ),
        Method::Totp => None,
    };
    let user_id = &session.user.id;
    let record = store::get(&state.pool, user_id).await?;
    if record.method.is_some() {
        state
            .confirm_sudo(&session, password, code, &client)
            .await?;
    }
    let now = now_ms();
    let id = new_id();
    let sealed = match method {
        Method::Totp => Some(state.seal_totp(user_id, &totp::TotpSecret::generate())?),
        Method::Sms => None,
    };
    if let Some(number) = &phone {
        state
            .send_sms_code(user_id, number, &enrolment_binding(&id), &client)
            .await?;
    }
    store::put_enrolment(
        &state.pool,
        user_id,
        &store::Enrolment {
            id,
            method: method.as_str().to_string(),
            totp_secret_sealed: sealed,
            phone,
            expires_at: now + ENROLMENT_TTL_MS,
        },
        now,
    )
    .await
    .map_err(AppError::from)
}

/// Sends the enrolment's SMS code again (after the countdown), replacing the old one.
#[server(endpoint = "resend_two_factor_enrolment_sms")]
pub async fn resend_enrolment_sms() -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let client = client_meta()?;
    let enrolment = store::get_enrolment(&state.pool, &session.user.id, now_ms())
        .await?
        .ok_or_else(enrolment_gone)?;
    let number = enrolment.phone.as_deref().ok_or_else(enrolment_gone)?;
    state
        .send_sms_code(
            &session.user.id,
            number,
            &enrolment_binding(&enrolment.id),
            &client,
        )
        .await
}

#[cfg(feature = "ssr")]
fn enrolment_gone() -> AppError {
    AppError::validation("code", "This set-up has expired. Start again.")
}

/// Finishes the enrolment with a code from the new factor; only then is 2FA
/// on. The first time, returns the new backup codes: the one time they are shown.
#[server(endpoint = "confirm_two_factor_enrolment")]
pub async fn confirm_enrolment(code: String) -> Result<Option<Vec<String>>, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let client = client_meta()?;
    let user_id = &session.user.id;
    let code = six_digits(&code).map_err(|message| AppError::validation("code", message))?;
    let now = now_ms();
    let enrolment = store::get_enrolment(&state.pool, user_id, now)
        .await?
        .ok_or_else(enrolment_gone)?;
    let method = Method::parse(&enrolment.method).ok_or_else(enrolment_gone)?;
    state.take_code_attempt(user_id, now).await?;
    let verified_step = match method {
        Method::Totp => {
            let sealed = enrolment.totp_secret_sealed.as_deref().unwrap_or_default();
            let secret = state.open_totp(user_id, sealed)?;
            totp::matching_step(&secret, &code, (now / 1000).max(0) as u64)
                .map(|step| (step as i64, Some(sealed)))
        }
        Method::Sms => {
            let binding = enrolment_binding(&enrolment.id);
            let used = state.use_sms_code_for(&binding, &code, now).await?;
            used.then_some((0, None))
        }
    };
    let Some((step, sealed)) = verified_step else {
        return Err(AppError::InvalidCode);
    };
    if !store::take_enrolment(&state.pool, &enrolment.id).await? {
        return Err(enrolment_gone());
    }
    state.clear_code_attempts(user_id).await?;
    let previous = store::get(&state.pool, user_id).await?.method;
    store::activate(
        &state.pool,
        user_id,
        &store::ActiveMethod {
            method: method.as_str(),
            totp_secret_sealed: sealed,
            totp_step: step,
            sms_phone: enrolment.phone.as_deref(),
        },
        now,
    )
    .await?;
    match previous {
        None => {
            state
                .record_event(
                    Some(user_id),
                    EventKind::TwoFactorEnabled,
                    Outcome::Success,
                    &client,
                    serde_json::json!({"method": method.as_str()}),
                )
                .await?;
            Ok(Some(new_backup_codes(&state, user_id, now).await?))
        }
        Some(from) => {
            state
                .record_event(
                    Some(user_id),
                    EventKind::TwoFactorMethodChanged,
                    Outcome::Success,
                    &client,
                    serde_json::json!({"from": from, "to": method.as_str()}),
                )
                .await?;
            Ok(None)
        }
    }
}

/// Generates, stores (as MACs) and returns a fresh set of backup codes.
#[cfg(feature = "ssr")]
async fn new_backup_codes(
    state: &AppState,
    user_id: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let fresh = codes::generate_backup_codes();
    let macs: Vec<String> = fresh
        .iter()
        .map(|code| state.backup_code_mac(code.expose()))
        .collect();
    store::replace_backup_codes(&state.pool, user_id, &macs, now).await?;
    Ok(fresh
        .iter()
        .map(|code| codes::display_backup_code(code.expose()))
        .collect())
}

/// Abandons an unfinished enrolment; 2FA stays as it was.
#[server(endpoint = "cancel_two_factor_enrolment")]
pub async fn cancel_enrolment() -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    store::cancel_enrolment(&state.pool, &session.user.id).await?;
    Ok(())
}

/// Replaces every backup code with ten new ones (sudo mode) and returns them, once.
#[server(endpoint = "regenerate_backup_codes")]
pub async fn regenerate_backup_codes(
    password: Option<String>,
    code: Option<String>,
) -> Result<Vec<String>, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let client = client_meta()?;
    require_enabled(&state, &session.user.id).await?;
    state
        .confirm_sudo(&session, password, code, &client)
        .await?;
    let codes = new_backup_codes(&state, &session.user.id, now_ms()).await?;
    state
        .record_event(
            Some(&session.user.id),
            EventKind::BackupCodesRegenerated,
            Outcome::Success,
            &client,
            serde_json::json!({"count": codes.len()}),
        )
        .await?;
    Ok(codes)
}

#[cfg(feature = "ssr")]
async fn require_enabled(state: &AppState, user_id: &str) -> Result<Method, AppError> {
    store::active_method(&state.pool, user_id)
        .await?
        .ok_or_else(|| {
            AppError::validation("method", "Two-factor authentication is not turned on.")
        })
}

/// Turns 2FA off (sudo mode): the method, its secret or number and every
/// backup code are deleted.
#[server(endpoint = "disable_two_factor")]
pub async fn disable_two_factor(
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let client = client_meta()?;
    let method = require_enabled(&state, &session.user.id).await?;
    state
        .check_may_turn_off_two_factor(&session.user.id)
        .await?;
    state
        .confirm_sudo(&session, password, code, &client)
        .await?;
    store::deactivate(&state.pool, &session.user.id).await?;
    state
        .record_event(
            Some(&session.user.id),
            EventKind::TwoFactorDisabled,
            Outcome::Success,
            &client,
            serde_json::json!({"method": method.as_str()}),
        )
        .await
}

/// Texts a code for confirming a sensitive action, when the method is SMS.
#[server(endpoint = "send_sudo_sms")]
pub async fn send_sudo_sms() -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let client = client_meta()?;
    let record = store::get(&state.pool, &session.user.id).await?;
    let number = record
        .sms_number()
        .ok_or_else(|| AppError::validation("code", "Your second factor is not SMS."))?;
    state
        .send_sms_code(
            &session.user.id,
            number,
            &sudo_binding(&session.session_id),
            &client,
        )
        .await
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
