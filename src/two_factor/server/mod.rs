//! Two-factor authentication on the server: enrolment and management, the
//! sign-in challenge, verifying codes (TOTP with replay protection, SMS,
//! backup codes) under a per-account lockout, and sudo mode.

pub mod challenge;
pub mod enrolment;
pub mod sms;
pub mod store;
pub mod sudo;
pub mod verify;

use crate::error::AppError;
use crate::server::state::AppState;
use crate::two_factor::Method;

/// The user's active second factor, `None` while 2FA is off: what a sudo
/// prompt asks for besides the password.
pub async fn active_method(state: &AppState, user_id: &str) -> Result<Option<Method>, AppError> {
    Ok(store::active_method(&state.pool, user_id).await?)
}
