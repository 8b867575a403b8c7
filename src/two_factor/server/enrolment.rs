//! Turning two-factor authentication on, changing its method, new backup
//! codes and turning it off: the Security page's 2FA section on the server.

use super::sms::{send_sms_code, sms_resend_in, use_sms_code_for};
use super::store;
use super::store::enrolments;
use super::sudo::confirm_sudo;
use super::verify::{backup_code_mac, enrolment_binding, open_totp, seal_totp};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::AuthSession;
use crate::server::auth::sessions::rotate_session;
use crate::server::auth::store::sessions;
use crate::server::client::ClientMeta;
use crate::server::crypto::{codes, totp};
use crate::server::db::new_id;
use crate::server::state::AppState;
use crate::team::server::gate::check_may_turn_off_two_factor;
use crate::time::MINUTE_MS;
use crate::two_factor::{EnabledFactor, Method, PendingEnrolment, TwoFactorStatus, phone};

/// How long an unfinished enrolment can be resumed (its secret stays
/// readable through the status until then, to this session only).
const ENROLMENT_TTL_MS: i64 = 15 * MINUTE_MS;

/// The Two-Factor section's state: the active method, or the enrolment in progress.
pub async fn status(state: &AppState, session: &AuthSession) -> Result<TwoFactorStatus, AppError> {
    let user = &session.user;
    let now = state.now();
    let record = store::get(&state.pool, &user.id).await?;
    let enabled = match record.active_method() {
        Some(method) => Some(EnabledFactor {
            method,
            since: record.since.unwrap_or_default(),
            phone: record.sms_phone.as_deref().map(phone::mask_phone),
            backup_codes_left: record.backup_codes_left,
        }),
        None => None,
    };
    let enrolment = if record.enrolling {
        enrolments::get_enrolment(&state.pool, &user.id, &session.session_id, now).await?
    } else {
        None
    };
    let pending = match enrolment {
        Some(enrolment) => Some(pending_view(state, &user.id, &user.email, &enrolment, now).await?),
        None => None,
    };
    Ok(TwoFactorStatus {
        enabled,
        pending,
        passkeys: record.passkeys,
        passwordless: !record.password_set,
        needs_sudo: session.require_recent_auth(now).is_err(),
        revealed_backup_codes: None,
    })
}

async fn pending_view(
    state: &AppState,
    user_id: &str,
    email: &str,
    enrolment: &enrolments::Enrolment,
    now: i64,
) -> Result<PendingEnrolment, AppError> {
    let method = enrolment.method;
    Ok(match method {
        Method::Totp => {
            let sealed = enrolment.totp_secret_sealed.as_deref().unwrap_or_default();
            let secret = open_totp(state, user_id, sealed)?;
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
            resend_in_secs: sms_resend_in(state, &enrolment_binding(&enrolment.id), now).await?,
        },
        Method::Passkey => return Err(enrolment_gone()),
    })
}

/// Starts setting up `method`: a new authenticator secret, or `phone` (E.164)
/// that gets a code by SMS. Always in sudo mode: a stolen session must not
/// enrol its own authenticator or phone, the first time or any other.
pub async fn start(
    state: &AppState,
    session: &AuthSession,
    method: Method,
    phone: Option<String>,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let user_id = &session.user.id;
    if method == Method::Passkey {
        return Err(AppError::validation(
            "method",
            "Passkeys need no set-up code: choose \"Use my passkeys\".",
        ));
    }
    if method == Method::Sms {
        session.user.require_verified_email()?;
    }
    confirm_sudo(state, session, password, code, client).await?;
    let now = state.now();
    let id = new_id();
    let sealed = match method {
        Method::Totp => Some(seal_totp(state, user_id, &totp::TotpSecret::generate())?),
        Method::Sms | Method::Passkey => None,
    };
    if let Some(number) = &phone {
        send_sms_code(state, user_id, number, &enrolment_binding(&id), client).await?;
    }
    enrolments::put_enrolment(
        &state.pool,
        user_id,
        &session.session_id,
        &enrolments::Enrolment {
            id,
            method,
            totp_secret_sealed: sealed,
            phone,
            expires_at: now + ENROLMENT_TTL_MS,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Sends the enrolment's SMS code again (after the countdown), replacing the old one.
pub async fn resend_sms(
    state: &AppState,
    session: &AuthSession,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let user_id = &session.user.id;
    let enrolment =
        enrolments::get_enrolment(&state.pool, user_id, &session.session_id, state.now())
            .await?
            .ok_or_else(enrolment_gone)?;
    let number = enrolment.phone.as_deref().ok_or_else(enrolment_gone)?;
    send_sms_code(
        state,
        user_id,
        number,
        &enrolment_binding(&enrolment.id),
        client,
    )
    .await
}

fn enrolment_gone() -> AppError {
    AppError::validation("code", "This set-up has expired. Start again.")
}

/// Finishes the enrolment with `code` (six digits) from the new factor; only
/// then is 2FA on. The first time, returns the new backup codes: the one
/// time they are shown.
pub async fn confirm(
    state: &AppState,
    session: &AuthSession,
    code: &str,
    client: &ClientMeta,
) -> Result<Option<Vec<String>>, AppError> {
    let user_id = &session.user.id;
    let now = state.now();
    let enrolment = enrolments::get_enrolment(&state.pool, user_id, &session.session_id, now)
        .await?
        .ok_or_else(enrolment_gone)?;
    let method = enrolment.method;
    state.take_code_attempt(user_id, now).await?;
    let verified_step = match method {
        Method::Totp => {
            let sealed = enrolment.totp_secret_sealed.as_deref().unwrap_or_default();
            let secret = open_totp(state, user_id, sealed)?;
            totp::matching_step(&secret, code, (now / 1000).max(0) as u64)
                .map(|step| (step as i64, Some(sealed)))
        }
        Method::Sms => {
            let binding = enrolment_binding(&enrolment.id);
            let used = use_sms_code_for(state, &binding, code, now).await?;
            used.then_some((0, None))
        }
        Method::Passkey => None,
    };
    let Some((step, sealed)) = verified_step else {
        return Err(AppError::InvalidCode);
    };
    if !enrolments::take_enrolment(&state.pool, &enrolment.id).await? {
        return Err(enrolment_gone());
    }
    state.clear_code_attempts(user_id).await?;
    let active = store::ActiveMethod {
        method: method.as_str(),
        totp_secret_sealed: sealed,
        totp_step: step,
        sms_phone: enrolment.phone.as_deref(),
    };
    turn_on(state, session, method, &active, client).await
}

/// Makes the account's passkeys its second factor (sudo mode; the account
/// must have one): no code to verify, as each passkey was verified when it
/// was added. The first time, returns the new backup codes, once.
pub async fn use_passkeys(
    state: &AppState,
    session: &AuthSession,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<Option<Vec<String>>, AppError> {
    let record = store::get(&state.pool, &session.user.id).await?;
    if record.passkeys == 0 {
        return Err(AppError::validation(
            "method",
            "Add a passkey first (Settings → Authentication), then use it as your second factor.",
        ));
    }
    if record.method == Some(Method::Passkey) {
        return Err(AppError::validation(
            "method",
            "Your passkeys are your second factor already.",
        ));
    }
    confirm_sudo(state, session, password, code, client).await?;
    let active = store::ActiveMethod {
        method: Method::Passkey.as_str(),
        totp_secret_sealed: None,
        totp_step: 0,
        sms_phone: None,
    };
    turn_on(state, session, Method::Passkey, &active, client).await
}

/// Turns `method` on (or switches to it), ends every other session's sudo
/// window and records it; the first time, returns new backup codes.
async fn turn_on(
    state: &AppState,
    session: &AuthSession,
    method: Method,
    active: &store::ActiveMethod<'_>,
    client: &ClientMeta,
) -> Result<Option<Vec<String>>, AppError> {
    let user_id = &session.user.id;
    let now = state.now();
    let previous = store::get(&state.pool, user_id).await?.method;
    store::activate(&state.pool, user_id, active, now).await?;
    // A privilege change: a token copied before it is worthless after it, and
    // no other session keeps a sudo window opened with the password alone.
    rotate_session(state, session, true).await?;
    sessions::end_sudo_except(&state.pool, user_id, &session.session_id).await?;
    match previous {
        None => {
            let password_only: Vec<String> =
                crate::sessions::server::live_sessions(state, user_id, None, now)
                    .await?
                    .into_iter()
                    .filter(|listed| listed.id != session.session_id && !listed.has_second_factor)
                    .map(|listed| format!("{}, {} ({})", listed.device, listed.location, listed.ip))
                    .collect();
            record_event(
                state,
                Some(user_id),
                EventKind::TwoFactorEnabled,
                Outcome::Success,
                client,
                serde_json::json!({
                    "method": method.as_str(),
                    "sessions_without_2fa": password_only,
                }),
            )
            .await?;
            Ok(Some(
                new_backup_codes(state, user_id, &session.session_id, now).await?,
            ))
        }
        Some(from) => {
            record_event(
                state,
                Some(user_id),
                EventKind::TwoFactorMethodChanged,
                Outcome::Success,
                client,
                serde_json::json!({"from": from.as_str(), "to": method.as_str()}),
            )
            .await?;
            Ok(None)
        }
    }
}

/// Generates, stores (as MACs) and returns a fresh set of backup codes,
/// made by `session_id`.
async fn new_backup_codes(
    state: &AppState,
    user_id: &str,
    session_id: &str,
    now: i64,
) -> Result<Vec<String>, AppError> {
    let fresh = codes::generate_backup_codes();
    let macs: Vec<String> = fresh
        .iter()
        .map(|code| backup_code_mac(state, user_id, code.expose()))
        .collect();
    store::replace_backup_codes(&state.pool, user_id, session_id, &macs, now).await?;
    Ok(fresh
        .iter()
        .map(|code| codes::display_backup_code(code.expose()))
        .collect())
}

/// Abandons an unfinished enrolment; 2FA stays as it was.
pub async fn cancel(state: &AppState, user_id: &str) -> Result<(), AppError> {
    enrolments::cancel_enrolment(&state.pool, user_id).await?;
    Ok(())
}

/// Replaces every backup code with ten new ones (sudo mode) and returns them, once.
pub async fn regenerate_backup_codes(
    state: &AppState,
    session: &AuthSession,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<Vec<String>, AppError> {
    require_enabled(state, &session.user.id).await?;
    confirm_sudo(state, session, password, code, client).await?;
    let codes = new_backup_codes(state, &session.user.id, &session.session_id, state.now()).await?;
    record_event(
        state,
        Some(&session.user.id),
        EventKind::BackupCodesRegenerated,
        Outcome::Success,
        client,
        serde_json::json!({"count": codes.len()}),
    )
    .await?;
    Ok(codes)
}

async fn require_enabled(state: &AppState, user_id: &str) -> Result<Method, AppError> {
    store::active_method(&state.pool, user_id)
        .await?
        .ok_or_else(|| {
            AppError::validation("method", "Two-factor authentication is not turned on.")
        })
}

/// Turns 2FA off (sudo mode, and only where the organization allows it): the
/// method, its secret or number and every backup code are deleted.
pub async fn disable(
    state: &AppState,
    session: &AuthSession,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let method = require_enabled(state, &session.user.id).await?;
    check_may_turn_off_two_factor(state, &session.user.id).await?;
    confirm_sudo(state, session, password, code, client).await?;
    store::deactivate(&state.pool, &session.user.id).await?;
    record_event(
        state,
        Some(&session.user.id),
        EventKind::TwoFactorDisabled,
        Outcome::Success,
        client,
        serde_json::json!({"method": method.as_str()}),
    )
    .await
}

/// Texts a code for confirming a sensitive action, when the method is SMS.
pub async fn send_sudo_sms(
    state: &AppState,
    session: &AuthSession,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let record = store::get(&state.pool, &session.user.id).await?;
    let number = record
        .sms_number()
        .ok_or_else(|| AppError::validation("code", "Your second factor is not SMS."))?;
    let binding = super::verify::sudo_binding(&session.session_id);
    send_sms_code(state, &session.user.id, number, &binding, client).await
}
