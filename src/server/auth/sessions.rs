//! Sessions: resolving a request's cookie to its session (with idle and
//! absolute expiry), starting one, and beginning one at sign-in.

use super::single_sign_on::sso_requirement;
use super::store::sessions;
use super::{AuthSession, current_session, set_cookie};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::recovery::server::notices::{is_unfamiliar_sign_in, notify_new_sign_in};
use crate::server::client::ClientMeta;
use crate::server::crypto::RandomToken;
use crate::server::db::new_id;
use crate::server::state::AppState;
use crate::sessions::{FirstFactor, SignInMethod};
use http::HeaderMap;

/// `last_seen_at` is written at most this often per session.
pub const LAST_SEEN_THROTTLE_MS: i64 = 60 * 1000;

impl AppState {
    /// Resolves the request's session: unknown, revoked, idle or expired tokens
    /// give `None`. Records activity at most once a minute.
    pub async fn session_from_headers(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<AuthSession>, AppError> {
        let Some(token) = self.token_from_headers(headers) else {
            return Ok(None);
        };
        let now = self.now();
        let Some((record, user)) = sessions::find_by_token_hash(&self.pool, &token.hash()).await?
        else {
            return Ok(None);
        };
        // An organization may shorten both lifetimes for its members; the
        // shorter one holds, on every request.
        let idle_ms = record
            .org_idle_ms
            .map_or(self.config.session_idle_ms, |ms| {
                ms.min(self.config.session_idle_ms)
            });
        let expires_at = record.org_absolute_ms.map_or(record.expires_at, |ms| {
            record.expires_at.min(record.created_at + ms)
        });
        let idle_deadline = record.last_seen_at + idle_ms;
        if expires_at <= now || idle_deadline <= now {
            return Ok(None);
        }
        if now - record.last_seen_at >= LAST_SEEN_THROTTLE_MS {
            sessions::touch(&self.pool, &record.id, now, LAST_SEEN_THROTTLE_MS).await?;
        }
        Ok(Some(AuthSession {
            session_id: record.id,
            user,
            created_at: record.created_at,
            reauthenticated_at: record.reauthenticated_at,
            sudo_window_ms: self.config.sudo_window_ms,
        }))
    }

    /// Creates a session with a fresh token; returns the token for the cookie.
    pub async fn start_session(
        &self,
        user_id: &str,
        client: &ClientMeta,
        auth_method: SignInMethod,
    ) -> Result<(RandomToken, String), AppError> {
        let token = RandomToken::generate();
        let now = self.now();
        let id = new_id();
        let token_hash = token.hash();
        let location = self.locate(&client.ip);
        sessions::insert(
            &self.pool,
            &sessions::NewSession {
                id: &id,
                user_id,
                token_hash: &token_hash,
                now,
                expires_at: now + self.config.session_absolute_ms,
                ip: &client.ip,
                user_agent: &client.user_agent,
                auth_method,
                location: &location,
            },
        )
        .await?;
        Ok((token, id))
    }
}

/// Ends the browser's previous session (a token that existed before sign-in
/// must never stay valid after it), starts a new one with `auth_method`, sets
/// its cookie, records the sign-in and sends the browser to `next`.
pub async fn begin_session(
    state: &AppState,
    user_id: &str,
    client: &ClientMeta,
    auth_method: SignInMethod,
    next: &str,
) -> Result<(), AppError> {
    refuse_around_required_sso(state, user_id, &auth_method, client).await?;
    if let Some(previous) = current_session().await? {
        sessions::revoke(&state.pool, &previous.session_id, state.now()).await?;
    }
    let (token, session_id) = state
        .start_session(user_id, client, auth_method.clone())
        .await?;
    set_cookie(&state.session_cookie(&token))?;
    let unfamiliar = is_unfamiliar_sign_in(state, user_id, client).await?;
    record_event(
        state,
        Some(user_id),
        crate::login_history::EventKind::SignIn,
        crate::login_history::Outcome::Success,
        client,
        serde_json::json!({"method": auth_method.to_string()}),
    )
    .await?;
    if unfamiliar {
        notify_new_sign_in(state, user_id, &session_id, client).await?;
    }
    leptos_axum::redirect(next);
    Ok(())
}

/// Refuses a way in other than the organization's SSO to an account its
/// "Require SSO" covers, recording the attempt: whichever way began the
/// sign-in (a passkey, a 2FA challenge begun before SSO was required), no
/// session starts without it.
pub async fn refuse_around_required_sso(
    state: &AppState,
    user_id: &str,
    auth_method: &SignInMethod,
    client: &ClientMeta,
) -> Result<(), AppError> {
    if matches!(auth_method.first, FirstFactor::SingleSignOn(_)) {
        return Ok(());
    }
    let Some(requirement) = sso_requirement(&state.pool, user_id).await? else {
        return Ok(());
    };
    record_event(
        state,
        Some(user_id),
        crate::login_history::EventKind::SignInFailed,
        crate::login_history::Outcome::Failure,
        client,
        serde_json::json!({"reason": "sso_required", "method": auth_method.to_string()}),
    )
    .await?;
    Err(AppError::validation("form", requirement.message()))
}

/// Gives the caller's session a new token and cookie (every privilege
/// change does, so a token copied before it is worth nothing after it).
/// With `reauthenticated` the user has just proved every factor, which opens
/// sudo mode.
pub async fn rotate_session(
    state: &AppState,
    session: &AuthSession,
    reauthenticated: bool,
) -> Result<(), AppError> {
    let token = RandomToken::generate();
    sessions::rotate_token(
        &state.pool,
        &session.session_id,
        &token.hash(),
        state.now(),
        reauthenticated,
    )
    .await?;
    set_cookie(&state.session_cookie(&token))
}
