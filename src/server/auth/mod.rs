//! Who is calling: sessions and their cookies, the users behind them, and
//! the helpers every server function begins with (`require_user`).

pub mod cookies;
pub mod sessions;
pub mod single_sign_on;
pub mod store;

use crate::account::CurrentUser;
use crate::error::AppError;
use crate::server::client::{ClientMeta, client_ip};
use crate::server::password::{Password, verify_password};
use crate::server::state::AppState;
use crate::team::server::passkey_gate::gate_requirements;
use axum::extract::ConnectInfo;
use http::header::{SET_COOKIE, USER_AGENT};
use http::request::Parts;
use http::{HeaderMap, HeaderValue};
use leptos::prelude::{expect_context, use_context};
use leptos_axum::ResponseOptions;
use std::net::SocketAddr;
use store::users;

const USER_AGENT_MAX_CHARS: usize = 512;

/// A valid session and its user.
#[derive(Clone, Debug)]
pub struct AuthSession {
    pub session_id: String,
    pub user: CurrentUser,
    pub created_at: i64,
    pub reauthenticated_at: i64,
    /// The configured sudo window (`SUDO_WINDOW_MINUTES`).
    pub sudo_window_ms: i64,
}

impl AuthSession {
    /// Fails with `ReauthRequired` unless the password was entered recently.
    pub fn require_recent_auth(&self, now: i64) -> Result<(), AppError> {
        if now - self.reauthenticated_at < self.sudo_window_ms {
            Ok(())
        } else {
            Err(AppError::ReauthRequired)
        }
    }
}

impl AppState {
    /// Checks the signed-in user's own password (password change, sudo mode)
    /// under the same budget as sign-in: the attempt counts before the check.
    pub async fn verify_own_password(
        &self,
        user: &CurrentUser,
        password: &str,
        ip: &str,
        now: i64,
    ) -> Result<bool, AppError> {
        self.take_password_attempt(&user.email, ip, now).await?;
        let stored = users::find_by_id(&self.pool, &user.id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let password = Password::new(password);
        let matches =
            verify_password(&self.password_gate, password, Some(stored.password_hash)).await?;
        if matches {
            self.password_accepted(&user.email, ip).await?;
        }
        Ok(matches)
    }
}

/// Peer address and user agent of a request.
pub fn client_meta_from(
    parts_headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_proxy: bool,
) -> ClientMeta {
    let user_agent = parts_headers
        .get(USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_MAX_CHARS)
        .collect();
    ClientMeta {
        ip: client_ip(peer, parts_headers, trust_proxy)
            .map(|ip| ip.to_canonical().to_string())
            .unwrap_or_else(|| "unknown".into()),
        user_agent,
    }
}

/// The state, inside a server function or SSR render.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

/// The incoming request's head, inside a server function or SSR render.
pub fn request_parts() -> Result<Parts, AppError> {
    use_context::<Parts>().ok_or_else(|| {
        // Seen when a client goes away mid-render: the page's owner (and the
        // request in it) is disposed while one of its resources still runs.
        tracing::debug!("no request in context: the client went away mid-render");
        AppError::Internal
    })
}

/// Who is calling, inside a server function.
pub fn client_meta() -> Result<ClientMeta, AppError> {
    let parts = request_parts()?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0);
    let trust_proxy = app_state()?.config.trust_proxy_headers;
    Ok(client_meta_from(&parts.headers, peer, trust_proxy))
}

/// Whether this server function was called by a form posted before the
/// Wasm loaded (a browser navigation), not by the page's own fetch: its
/// answer is then a page to go to, not data.
pub fn posted_without_script() -> bool {
    request_parts().is_ok_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// A session the page guard already resolved for this request, so rendering
/// the page does not look it up again.
#[derive(Clone, Debug)]
pub struct ResolvedSession(pub AuthSession);

/// The caller's session, if signed in.
pub async fn current_session() -> Result<Option<AuthSession>, AppError> {
    let parts = request_parts()?;
    if let Some(resolved) = parts.extensions.get::<ResolvedSession>() {
        return Ok(Some(resolved.0.clone()));
    }
    let state = app_state()?;
    state.session_from_headers(&parts.headers).await
}

/// The caller's session, or `Unauthenticated`. Every protected server function starts here.
/// A member held at their organization's 2FA gate gets `TwoFactorRequired`
/// from every server function but the few that set 2FA up; an Owner or
/// Admin held at its passkey gate gets `PasskeyRequired` from every one but
/// the few that add a passkey.
pub async fn require_user() -> Result<AuthSession, AppError> {
    use crate::team::server::{gate::held_at_gate, passkey_gate::held_at_passkey_gate};
    use crate::team::{PasskeyRequirement, TwoFactorRequirement};
    let session = current_session().await?.ok_or(AppError::Unauthenticated)?;
    let parts = request_parts()?;
    let path = parts.uri.path();
    let (two_factor_gate, passkey_gate) = (held_at_gate(path), held_at_passkey_gate(path));
    if two_factor_gate || passkey_gate {
        let state = app_state()?;
        match gate_requirements(&state, &session.user.id, state.now()).await? {
            (TwoFactorRequirement::Enforced { .. }, _) if two_factor_gate => {
                return Err(AppError::TwoFactorRequired);
            }
            (_, PasskeyRequirement::Enforced { .. }) if passkey_gate => {
                return Err(AppError::PasskeyRequired);
            }
            _ => {}
        }
    }
    Ok(session)
}

/// Adds a `Set-Cookie` header to the response of this server function or page.
pub fn set_cookie(value: &str) -> Result<(), AppError> {
    let header = HeaderValue::from_str(value).map_err(anyhow::Error::from)?;
    expect_context::<ResponseOptions>().append_header(SET_COOKIE, header);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_agents_are_stripped_of_control_chars_and_capped() {
        let mut headers = HeaderMap::new();
        let long = format!("Mozilla\t{}", "x".repeat(600));
        headers.insert(USER_AGENT, HeaderValue::from_str(&long).unwrap());
        let meta = client_meta_from(&headers, Some("10.0.0.1:5000".parse().unwrap()), false);
        assert_eq!(meta.ip, "10.0.0.1");
        assert_eq!(meta.user_agent.chars().count(), USER_AGENT_MAX_CHARS);
        assert!(!meta.user_agent.contains('\t'));
    }

    #[test]
    fn sudo_mode_lasts_ten_minutes() {
        let session = AuthSession {
            session_id: "s".into(),
            user: CurrentUser {
                id: "u".into(),
                name: "n".into(),
                email: "e@x.io".into(),
                password_changed_at: 0,
                created_at: 0,
                email_verified: true,
                has_password: true,
            },
            created_at: 0,
            reauthenticated_at: 1_000,
            sudo_window_ms: 600_000,
        };
        assert!(session.require_recent_auth(1_000 + 599_999).is_ok());
        assert_eq!(
            session.require_recent_auth(1_000 + 600_000),
            Err(AppError::ReauthRequired)
        );
    }
}
