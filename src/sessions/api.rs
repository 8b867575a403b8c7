//! Active Sessions server functions: list, revoke one, revoke the others,
//! revoke those without a second factor, mark the list as reviewed.

use super::SessionsOverview;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::{MassRevocation, server};
#[cfg(feature = "ssr")]
use crate::server::auth::{app_state, client_meta, require_user};

/// The signed-in user's live sessions, newest activity first, with the
/// current one marked, and the monthly review status.
#[server(endpoint = "list_sessions", output = crate::codec::Json)]
pub async fn list_sessions() -> Result<SessionsOverview, AppError> {
    let session = require_user().await?;
    server::overview(&app_state()?, &session).await
}

/// Signs out one of the user's other sessions. Someone else's id, or one that
/// has already ended, is "not found"; the current session signs out instead.
#[server(endpoint = "revoke_session", output = crate::codec::Json)]
pub async fn revoke_session(session_id: String) -> Result<(), AppError> {
    let session = require_user().await?;
    let (user, current) = (&session.user.id, Some(session.session_id.as_str()));
    server::revoke_one(&app_state()?, user, current, &session_id, &client_meta()?).await
}

/// Signs out the user's other sessions: `scope` "all" ends every one but this,
/// "without_2fa" only those that signed in with the password alone (e.g.
/// right after turning on two-factor authentication). Needs sudo mode
/// (`password`, and `code` when 2FA is on). Returns how many ended.
#[server(endpoint = "revoke_other_sessions", output = crate::codec::Json)]
pub async fn revoke_other_sessions(
    scope: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<u64, AppError> {
    let session = require_user().await?;
    let scope = scope
        .parse::<MassRevocation>()
        .ok()
        .ok_or_else(|| AppError::validation("scope", "Choose which sessions to sign out."))?;
    let (state, client) = (app_state()?, client_meta()?);
    server::revoke_others(&state, &session, scope, password, code, &client).await
}

/// Records that the user looked through the list ("Review sessions monthly").
#[server(endpoint = "mark_sessions_reviewed", output = crate::codec::Json)]
pub async fn mark_sessions_reviewed() -> Result<(), AppError> {
    let session = require_user().await?;
    server::mark_reviewed(&app_state()?, &session.user.id).await
}
