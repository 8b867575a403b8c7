//! Two-factor authentication on the server: enrolment and management, the
//! sign-in challenge, verifying codes (TOTP with replay protection, SMS,
//! backup codes) under a per-account lockout, and sudo mode.

pub mod challenge;
pub mod enrolment;
pub mod reveal;
pub mod sms;
pub mod store;
pub mod sudo;
pub mod verify;

use crate::error::AppError;
use crate::server::state::AppState;
use crate::two_factor::{Method, SudoFactor};

/// The user's active second factor, `None` while 2FA is off.
pub async fn active_method(state: &AppState, user_id: &str) -> Result<Option<Method>, AppError> {
    Ok(store::active_method(&state.pool, user_id).await?)
}

/// What a sudo prompt asks of the user: the password and the active
/// method's code, or a passkey when the account has one.
pub async fn sudo_factor(state: &AppState, user_id: &str) -> Result<SudoFactor, AppError> {
    let record = store::get(&state.pool, user_id).await?;
    Ok(SudoFactor {
        method: record.active_method(),
        passkey: record.passkeys > 0,
        passwordless: !record.password_set,
    })
}

/// Deletes the unused backup codes that one of `sessions` made (a recovery
/// disowns them); returns how many.
pub async fn remove_backup_codes_made_by(
    state: &AppState,
    user_id: &str,
    sessions: &[String],
) -> Result<u64, AppError> {
    Ok(store::delete_backup_codes_made_by(&state.pool, user_id, sessions).await?)
}

/// Removes every second factor and backup code of an account whose address
/// was never confirmed, when its real owner takes it over by email: nothing
/// a pre-hijacker set up may stay. Returns whether 2FA was on.
pub async fn remove_all_factors(state: &AppState, user_id: &str) -> Result<bool, AppError> {
    let was_on = store::active_method(&state.pool, user_id).await?.is_some();
    store::deactivate(&state.pool, user_id).await?;
    Ok(was_on)
}
