//! Verifying a typed second-factor code: the method's code (TOTP, accepted
//! once per time step, or the SMS sent for a binding) or an unused backup
//! code, every attempt counted against the account's lockout before it is
//! checked. Used by the sign-in challenge and by sudo mode.

use super::store;
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::client::ClientMeta;
use crate::server::crypto::{sealing, totp};
use crate::server::rate_limit;
use crate::server::state::AppState;
use crate::sessions::SecondFactorUsed;
use crate::two_factor::server::sms::use_sms_code_for;
use crate::two_factor::{CodeInput, Method, classify_code};

const TOTP_SEAL_PURPOSE: &str = "totp-secret";
const BACKUP_CODE_PURPOSE: &str = "backup-code-of-user";
const LEGACY_BACKUP_CODE_PURPOSE: &str = "backup-code";

/// Which factor a verified code was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorUsed {
    Totp,
    Sms,
    BackupCode { remaining: i64 },
}

impl FactorUsed {
    /// The factor as the session records it.
    pub fn kind(self) -> SecondFactorUsed {
        match self {
            FactorUsed::Totp => SecondFactorUsed::Totp,
            FactorUsed::Sms => SecondFactorUsed::Sms,
            FactorUsed::BackupCode { .. } => SecondFactorUsed::BackupCode,
        }
    }
}

/// Why a code is being checked, for the security events.
#[derive(Clone, Copy, Debug)]
pub enum CodePurpose {
    SignIn,
    Sudo,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            CodePurpose::SignIn => "sign_in",
            CodePurpose::Sudo => "sudo",
        }
    }
}

/// The SMS binding of a sign-in challenge.
pub fn sign_in_binding(challenge_id: &str) -> String {
    format!("sign_in:{challenge_id}")
}

/// The SMS binding of a session's sudo confirmation.
pub fn sudo_binding(session_id: &str) -> String {
    format!("sudo:{session_id}")
}

/// The SMS binding of an enrolment.
pub fn enrolment_binding(enrolment_id: &str) -> String {
    format!("enrol:{enrolment_id}")
}

/// Seals a TOTP secret for storage, bound to its user.
pub fn seal_totp(
    state: &AppState,
    user_id: &str,
    secret: &totp::TotpSecret,
) -> Result<String, AppError> {
    sealing::seal(
        &state.key,
        TOTP_SEAL_PURPOSE,
        user_id.as_bytes(),
        secret.as_bytes(),
    )
    .map_err(AppError::from)
}

/// Opens a sealed TOTP secret of `user_id`.
pub fn open_totp(
    state: &AppState,
    user_id: &str,
    sealed: &str,
) -> Result<totp::TotpSecret, AppError> {
    let bytes = sealing::open(&state.key, TOTP_SEAL_PURPOSE, user_id.as_bytes(), sealed)?;
    totp::TotpSecret::from_bytes(&bytes)
        .ok_or_else(|| AppError::from(anyhow::anyhow!("sealed TOTP secret has the wrong length")))
}

/// The MAC under which a backup code of `user_id` is stored. The user id is
/// in it, so one pass over the ~2^50 codes cracks one account, not all.
pub fn backup_code_mac(state: &AppState, user_id: &str, normalized_code: &str) -> String {
    let bound = format!("{user_id}\n{normalized_code}");
    state.key.mac_hex(BACKUP_CODE_PURPOSE, bound.as_bytes())
}

/// The MAC of codes stored before they were bound to their user.
fn legacy_backup_code_mac(state: &AppState, normalized_code: &str) -> String {
    state
        .key
        .mac_hex(LEGACY_BACKUP_CODE_PURPOSE, normalized_code.as_bytes())
}

/// Checks a TOTP code against `secret` and accepts its time step once only.
/// `Ok(false)` is a wrong code; a replay is recorded and refused.
pub async fn accept_totp(
    state: &AppState,
    user_id: &str,
    secret: &totp::TotpSecret,
    code: &str,
    client: &ClientMeta,
) -> Result<bool, AppError> {
    let unix_secs = (state.now() / 1000).max(0) as u64;
    let Some(step) = totp::matching_step(secret, code, unix_secs) else {
        return Ok(false);
    };
    if store::advance_totp_step(&state.pool, user_id, step as i64).await? {
        return Ok(true);
    }
    record_event(
        state,
        Some(user_id),
        EventKind::TotpReuseRefused,
        Outcome::Failure,
        client,
        serde_json::json!({"step": step}),
    )
    .await?;
    Err(AppError::validation(
        "code",
        "That code was already used. Wait for the next code in your app.",
    ))
}

/// Verifies a typed second-factor code for `user_id`: the method's code
/// (TOTP, or the SMS sent for `sms_binding`) or an unused backup code.
/// Every attempt counts against the account's lockout before it is checked.
pub async fn verify_second_factor(
    state: &AppState,
    user_id: &str,
    typed: &str,
    sms_binding: &str,
    purpose: CodePurpose,
    client: &ClientMeta,
) -> Result<FactorUsed, AppError> {
    let input = classify_code(typed).map_err(|message| AppError::validation("code", message))?;
    let record = store::get(&state.pool, user_id).await?;
    let Some(method) = record.active_method() else {
        return Err(AppError::validation(
            "code",
            "Two-factor authentication is not turned on.",
        ));
    };
    let now = state.now();
    let attempt = state.take_code_attempt(user_id, now).await?;
    let outcome = match &input {
        CodeInput::Digits(code) => match method {
            Method::Totp => {
                let sealed = record.totp_secret_sealed.as_deref().unwrap_or_default();
                let secret = open_totp(state, user_id, sealed)?;
                match accept_totp(state, user_id, &secret, code, client).await {
                    Ok(true) => Ok(Some(FactorUsed::Totp)),
                    Ok(false) => Ok(None),
                    Err(error) => Err(error),
                }
            }
            Method::Sms => use_sms_code_for(state, sms_binding, code, now)
                .await
                .map(|used| used.then_some(FactorUsed::Sms)),
            // A passkey answers no six digits: only a backup code is typed.
            Method::Passkey => Ok(None),
        },
        CodeInput::Backup(code) => {
            let bound = backup_code_mac(state, user_id, code);
            let legacy = legacy_backup_code_mac(state, code);
            if store::use_backup_code(&state.pool, user_id, &bound, &legacy, now).await? {
                let remaining = store::unused_backup_codes(&state.pool, user_id).await?;
                record_event(
                    state,
                    Some(user_id),
                    EventKind::BackupCodeUsed,
                    Outcome::Success,
                    client,
                    serde_json::json!({"remaining": remaining, "purpose": purpose.as_str()}),
                )
                .await?;
                Ok(Some(FactorUsed::BackupCode { remaining }))
            } else {
                Ok(None)
            }
        }
    };
    match outcome {
        Ok(Some(used)) => {
            state.clear_code_attempts(user_id).await?;
            Ok(used)
        }
        Ok(None) => Err(code_failed(state, user_id, attempt, purpose, client).await?),
        Err(error) => {
            code_failed(state, user_id, attempt, purpose, client).await?;
            Err(error)
        }
    }
}

/// Records a failed code; the failure that uses up the budget locks the
/// check and says for how long.
async fn code_failed(
    state: &AppState,
    user_id: &str,
    attempt: i64,
    purpose: CodePurpose,
    client: &ClientMeta,
) -> Result<AppError, AppError> {
    record_event(
        state,
        Some(user_id),
        EventKind::TwoFactorChallengeFailed,
        Outcome::Failure,
        client,
        serde_json::json!({"purpose": purpose.as_str(), "attempt": attempt}),
    )
    .await?;
    if attempt < rate_limit::CODE_ATTEMPTS {
        return Ok(AppError::InvalidCode);
    }
    let locked_ms = state.record_code_lock(user_id, state.now()).await?;
    record_event(
        state,
        Some(user_id),
        EventKind::TwoFactorLockout,
        Outcome::Failure,
        client,
        serde_json::json!({
            "purpose": purpose.as_str(),
            "minutes": locked_ms / 60_000,
            "escalated": locked_ms > rate_limit::CODE_LOCK_MS,
        }),
    )
    .await?;
    Ok(AppError::RateLimited {
        retry_after: (locked_ms / 1000) as u64,
    })
}
