//! Active Sessions server functions: list, revoke one, revoke the others,
//! revoke those without a second factor, mark the list as reviewed.

use super::SessionsOverview;
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::login_history::{EventKind, Outcome};
#[cfg(feature = "ssr")]
use crate::server::{
    auth::{app_state, client_meta, require_user},
    store::{sessions, users},
};
#[cfg(feature = "ssr")]
use crate::time::now_ms;

/// Session ids are UUIDs; anything else is refused before the database.
pub fn session_id_problem(id: &str) -> Option<&'static str> {
    (!crate::ids::is_uuid_shaped(id)).then_some("That session id is not valid.")
}

/// The signed-in user's live sessions, newest activity first, with the
/// current one marked, and the monthly review status.
#[server(endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<SessionsOverview, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let now = now_ms();
    let listed = live_sessions(&state, &session.user.id, Some(&session.session_id), now).await?;
    let reviewed_at = users::sessions_reviewed_at(&state.pool, &session.user.id).await?;
    Ok(SessionsOverview {
        sessions: listed,
        reviewed_at,
        review_due: super::review_due(reviewed_at, session.user.created_at, now),
        needs_password: session.require_recent_auth(now).is_err(),
        sudo_factor: crate::server::store::two_factor::active_method(&state.pool, &session.user.id)
            .await?,
    })
}

/// The user's live sessions, newest activity first; `current` marks the
/// caller's own (API-key callers have none).
#[cfg(feature = "ssr")]
pub async fn live_sessions(
    state: &crate::server::state::AppState,
    user_id: &str,
    current: Option<&str>,
    now: i64,
) -> Result<Vec<super::SessionInfo>, AppError> {
    let rows = sessions::list_live(&state.pool, user_id, now, state.config.session_idle_ms).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (device, kind) = crate::server::client::device_label(&row.user_agent);
            let location = if row.location.is_empty() {
                state.locate(&row.ip)
            } else {
                row.location
            };
            super::SessionInfo {
                current: current == Some(row.id.as_str()),
                id: row.id,
                device,
                kind,
                ip: row.ip,
                location,
                created_at: row.created_at,
                last_seen_at: row.last_seen_at,
                sign_in_method: super::sign_in_method_label(&row.auth_method),
            }
        })
        .collect())
}

/// Ends one of the user's sessions (not `current`) and records it.
#[cfg(feature = "ssr")]
pub async fn revoke_one_session(
    state: &crate::server::state::AppState,
    user_id: &str,
    current: Option<&str>,
    session_id: &str,
    client: &crate::server::store::events::ClientMeta,
) -> Result<(), AppError> {
    let session_id = session_id.trim().to_ascii_lowercase();
    if let Some(problem) = session_id_problem(&session_id) {
        return Err(AppError::validation("session_id", problem));
    }
    if current == Some(session_id.as_str()) {
        return Err(AppError::validation(
            "session_id",
            "This is the session you are using. Use Sign out to end it.",
        ));
    }
    let revoked = sessions::revoke_own(&state.pool, user_id, &session_id, now_ms())
        .await?
        .ok_or(AppError::NotFound)?;
    let (device, _) = crate::server::client::device_label(&revoked.user_agent);
    state
        .record_event(
            Some(user_id),
            EventKind::SessionRevoked,
            Outcome::Success,
            client,
            serde_json::json!({
                "scope": "one",
                "session_id": revoked.id,
                "device": device,
                "ip": revoked.ip,
                "location": revoked.location,
            }),
        )
        .await
}

/// Signs out one of the user's other sessions. Someone else's id, or one that
/// has already ended, is "not found"; the current session signs out instead.
#[server(endpoint = "revoke_session")]
pub async fn revoke_session(session_id: String) -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let client = client_meta()?;
    revoke_one_session(
        &state,
        &session.user.id,
        Some(&session.session_id),
        &session_id,
        &client,
    )
    .await
}

/// Signs out the user's other sessions: `scope` "all" ends every one but this,
/// "without_2fa" only those that signed in with the password alone (e.g.
/// right after turning on two-factor authentication). Needs a password entered
/// in the last 10 minutes, or `password` now. Returns how many ended.
#[server(endpoint = "revoke_other_sessions")]
pub async fn revoke_other_sessions(
    scope: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<u64, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let scope = MassRevocation::parse(&scope)
        .ok_or_else(|| AppError::validation("scope", "Choose which sessions to sign out."))?;
    let client = client_meta()?;
    state
        .confirm_sudo(&session, password, code, &client)
        .await?;
    let now = now_ms();
    let (user, keep) = (&session.user.id, &session.session_id);
    let ended = match scope {
        MassRevocation::All => sessions::revoke_all_except(&state.pool, user, keep, now).await,
        MassRevocation::WithoutSecondFactor => {
            sessions::revoke_single_factor_except(&state.pool, user, keep, now).await
        }
    }?;
    state
        .record_event(
            Some(user),
            EventKind::SessionRevoked,
            Outcome::Success,
            &client,
            serde_json::json!({"scope": scope.as_str(), "sessions_ended": ended}),
        )
        .await?;
    Ok(ended)
}

/// Which other sessions a mass sign-out ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MassRevocation {
    All,
    WithoutSecondFactor,
}

impl MassRevocation {
    pub fn as_str(self) -> &'static str {
        match self {
            MassRevocation::All => "all",
            MassRevocation::WithoutSecondFactor => "without_2fa",
        }
    }

    pub fn parse(text: &str) -> Option<MassRevocation> {
        [MassRevocation::All, MassRevocation::WithoutSecondFactor]
            .into_iter()
            .find(|scope| scope.as_str() == text)
    }
}

/// Records that the user looked through the list ("Review sessions monthly").
#[server(endpoint = "mark_sessions_reviewed")]
pub async fn mark_sessions_reviewed() -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    users::mark_sessions_reviewed(&state.pool, &session.user.id, now_ms())
        .await
        .map_err(AppError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_uuid_shaped_ids_pass() {
        assert!(session_id_problem("0190f3a2-7b1c-7d4e-8f00-0123456789ab").is_none());
        for bad in [
            "",
            "abc",
            "0190f3a2-7b1c-7d4e-8f00-0123456789abc",
            "0190f3a2x7b1c-7d4e-8f00-0123456789ab",
            "'; DROP TABLE sessions; --",
        ] {
            assert!(session_id_problem(bad).is_some(), "{bad}");
        }
    }
}
