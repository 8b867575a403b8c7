//! The security checkups' server functions: the signed-in user's and, for
//! an Owner, their organization's.

use super::SecurityCheckup;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server;
#[cfg(feature = "ssr")]
use crate::server::auth::{app_state, require_user};

/// The signed-in user's security checkup: a 0-100 score and the checklist
/// (password, 2FA, backup codes, sessions, API keys), computed from the
/// account as it is now. Reads only; changes nothing.
#[server(endpoint = "security_checkup", output = crate::codec::Json)]
pub async fn get_security_checkup() -> Result<SecurityCheckup, AppError> {
    let session = require_user().await?;
    let current = Some(session.session_id.as_str());
    let state = app_state()?;
    server::personal_checkup(&state, &session.user.id, current, state.now()).await
}

/// The organization's security checkup (members without 2FA, the 2FA
/// policy, the team's API keys); Owners only.
#[server(endpoint = "org_checkup", output = crate::codec::Json)]
pub async fn get_org_checkup() -> Result<SecurityCheckup, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    server::team::org_checkup(&state, &session.user.id, state.now()).await
}
