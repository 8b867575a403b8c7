//! The security checkup's server function.

use super::SecurityCheckup;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::server::auth::{app_state, require_user};
#[cfg(feature = "ssr")]
use crate::time::now_ms;

/// The signed-in user's security checkup: a 0-100 score and the checklist
/// (password, 2FA, backup codes, sessions, API keys), computed from the
/// account as it is now. Reads only; changes nothing.
#[server(endpoint = "security_checkup")]
pub async fn get_security_checkup() -> Result<SecurityCheckup, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    crate::server::checkup::personal_checkup(
        &state,
        &session.user.id,
        Some(&session.session_id),
        now_ms(),
    )
    .await
}
