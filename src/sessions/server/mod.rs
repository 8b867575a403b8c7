//! Active Sessions on the server: the list with the current one marked,
//! signing out one, all others or those without a second factor, and the
//! monthly review.

pub mod rest;

use super::{MassRevocation, SessionInfo, SessionsOverview, review_due, session_id_problem};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::AuthSession;
use crate::server::auth::store::{sessions, users};
use crate::server::client::{ClientMeta, device_label};
use crate::server::state::AppState;
use crate::two_factor::server::sudo::confirm_sudo;
use crate::two_factor::server::sudo_factor;

/// The Active Sessions section of `session`'s user, with the review status
/// and what a mass sign-out would ask for.
pub async fn overview(
    state: &AppState,
    session: &AuthSession,
) -> Result<SessionsOverview, AppError> {
    let now = state.now();
    let user = &session.user;
    let listed = live_sessions(state, &user.id, Some(&session.session_id), now).await?;
    let reviewed_at = users::sessions_reviewed_at(&state.pool, &user.id).await?;
    Ok(SessionsOverview {
        sessions: listed,
        reviewed_at,
        review_due: review_due(reviewed_at, user.created_at, now),
        needs_password: session.require_recent_auth(now).is_err(),
        sudo_factor: sudo_factor(state, &user.id).await?,
    })
}

/// The user's live sessions, newest activity first; `current` marks the
/// caller's own (API-key callers have none).
pub async fn live_sessions(
    state: &AppState,
    user_id: &str,
    current: Option<&str>,
    now: i64,
) -> Result<Vec<SessionInfo>, AppError> {
    let rows = sessions::list_live(&state.pool, user_id, now, state.config.session_idle_ms).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (device, kind) = device_label(&row.user_agent);
            let location = if row.location.is_empty() {
                state.locate(&row.ip)
            } else {
                row.location
            };
            SessionInfo {
                current: current == Some(row.id.as_str()),
                id: row.id,
                device,
                kind,
                ip: row.ip,
                location,
                created_at: row.created_at,
                last_seen_at: row.last_seen_at,
                sign_in_method: row.auth_method.label(),
                has_second_factor: row.auth_method.has_second_factor(),
            }
        })
        .collect())
}

/// Ends one of the user's sessions (not `current`) and records it. Someone
/// else's id, or one that has already ended, is "not found".
pub async fn revoke_one(
    state: &AppState,
    user_id: &str,
    current: Option<&str>,
    session_id: &str,
    client: &ClientMeta,
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
    let revoked = sessions::revoke_own(&state.pool, user_id, &session_id, state.now())
        .await?
        .ok_or(AppError::NotFound)?;
    let (device, _) = device_label(&revoked.user_agent);
    record_event(
        state,
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

/// Signs out the user's other sessions in `scope` (sudo mode first) and
/// returns how many ended.
pub async fn revoke_others(
    state: &AppState,
    session: &AuthSession,
    scope: MassRevocation,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<u64, AppError> {
    confirm_sudo(state, session, password, code, client).await?;
    let now = state.now();
    let (user, keep) = (&session.user.id, &session.session_id);
    let ended = match scope {
        MassRevocation::All => sessions::revoke_all_except(&state.pool, user, keep, now).await,
        MassRevocation::WithoutSecondFactor => {
            sessions::revoke_single_factor_except(&state.pool, user, keep, now).await
        }
    }?;
    record_event(
        state,
        Some(user),
        EventKind::SessionRevoked,
        Outcome::Success,
        client,
        serde_json::json!({"scope": scope.as_str(), "sessions_ended": ended}),
    )
    .await?;
    Ok(ended)
}

/// Records that the user looked through the list ("Review sessions monthly").
pub async fn mark_reviewed(state: &AppState, user_id: &str) -> Result<(), AppError> {
    Ok(users::mark_sessions_reviewed(&state.pool, user_id, state.now()).await?)
}
