//! Server-side sessions: cookies, lookup, start, rotation, and the helpers
//! every server function begins with (`require_user`).

use crate::account::CurrentUser;
use crate::error::AppError;
use crate::server::crypto::RandomToken;
use crate::server::db::new_id;
use crate::server::password::{Password, verify_password};
use crate::server::state::AppState;
use crate::server::store::events::ClientMeta;
use crate::server::store::{sessions, users};
use crate::time::now_ms;
use axum::extract::ConnectInfo;
use http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use http::request::Parts;
use http::{HeaderMap, HeaderValue};
use leptos::prelude::{expect_context, use_context};
use leptos_axum::ResponseOptions;
use std::net::SocketAddr;

/// Session cookie name over plain HTTP (development).
pub const COOKIE_NAME_HTTP: &str = "ss_session";
/// Over HTTPS the `__Host-` prefix pins the cookie to our exact origin.
pub const COOKIE_NAME_HTTPS: &str = "__Host-ss_session";
/// `last_seen_at` is written at most this often per session.
pub const LAST_SEEN_THROTTLE_MS: i64 = 60 * 1000;
const USER_AGENT_MAX_CHARS: usize = 512;

/// The half-signed-in browser's cookie (between password and second factor).
pub const CHALLENGE_COOKIE_HTTP: &str = "ss_challenge";
pub const CHALLENGE_COOKIE_HTTPS: &str = "__Host-ss_challenge";
/// How long a sign-in challenge waits for the second factor.
pub const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;

/// How the session was authenticated, as stored in `sessions.auth_method`.
pub const AUTH_METHOD_PASSWORD: &str = "password";

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
    pub fn cookie_name(&self) -> &'static str {
        if self.config.public_url.https {
            COOKIE_NAME_HTTPS
        } else {
            COOKIE_NAME_HTTP
        }
    }

    /// The `Set-Cookie` value that hands out a session token.
    pub fn session_cookie(&self, token: &RandomToken) -> String {
        self.cookie_line(
            self.cookie_name(),
            token.expose(),
            self.config.session_absolute_ms / 1000,
        )
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn clearing_cookie(&self) -> String {
        self.cookie_line(self.cookie_name(), "", 0)
    }

    /// The cookie that holds a half-signed-in browser's sign-in challenge.
    pub fn challenge_cookie_name(&self) -> &'static str {
        if self.config.public_url.https {
            CHALLENGE_COOKIE_HTTPS
        } else {
            CHALLENGE_COOKIE_HTTP
        }
    }

    /// The `Set-Cookie` value that binds a sign-in challenge to this browser.
    pub fn challenge_cookie(&self, token: &RandomToken) -> String {
        self.cookie_line(
            self.challenge_cookie_name(),
            token.expose(),
            CHALLENGE_TTL_MS / 1000,
        )
    }

    /// The `Set-Cookie` value that removes the challenge cookie.
    pub fn clearing_challenge_cookie(&self) -> String {
        self.cookie_line(self.challenge_cookie_name(), "", 0)
    }

    /// The well-formed challenge token in the request's cookies, if any.
    pub fn challenge_token_from_headers(&self, headers: &HeaderMap) -> Option<RandomToken> {
        cookie_values(headers, self.challenge_cookie_name()).find_map(RandomToken::parse)
    }

    fn cookie_line(&self, name: &str, value: &str, max_age_secs: i64) -> String {
        let secure = if self.config.public_url.https {
            "; Secure"
        } else {
            ""
        };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
    }

    /// The well-formed session token in the request's cookies, if any.
    pub fn token_from_headers(&self, headers: &HeaderMap) -> Option<RandomToken> {
        cookie_values(headers, self.cookie_name()).find_map(RandomToken::parse)
    }

    /// Resolves the request's session: unknown, revoked, idle or expired tokens
    /// give `None`. Records activity at most once a minute.
    pub async fn session_from_headers(
        &self,
        headers: &HeaderMap,
    ) -> Result<Option<AuthSession>, AppError> {
        let Some(token) = self.token_from_headers(headers) else {
            return Ok(None);
        };
        let now = now_ms();
        let Some(record) = sessions::find_by_token_hash(&self.pool, &token.hash()).await? else {
            return Ok(None);
        };
        let idle_deadline = record.last_seen_at + self.config.session_idle_ms;
        if record.expires_at <= now || idle_deadline <= now {
            return Ok(None);
        }
        let Some(user) = users::find_by_id(&self.pool, &record.user_id).await? else {
            return Ok(None);
        };
        if now - record.last_seen_at >= LAST_SEEN_THROTTLE_MS {
            sessions::touch(&self.pool, &record.id, now, LAST_SEEN_THROTTLE_MS).await?;
        }
        Ok(Some(AuthSession {
            session_id: record.id,
            user: user.user,
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
        auth_method: &str,
    ) -> Result<(RandomToken, String), AppError> {
        let token = RandomToken::generate();
        let now = now_ms();
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

impl AppState {
    /// Checks the signed-in user's own password (password change, sudo mode)
    /// under the same back-off as sign-in; a wrong one counts as a failed sign-in.
    pub async fn verify_own_password(
        &self,
        user: &CurrentUser,
        password: &str,
        ip: &str,
        now: i64,
    ) -> Result<bool, AppError> {
        self.check_sign_in_backoff(&user.email, now).await?;
        let stored = users::find_by_id(&self.pool, &user.id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let matches = verify_password(Password::new(password), Some(stored.password_hash)).await?;
        if !matches {
            self.record_sign_in_failure(&user.email, ip, now).await?;
        }
        Ok(matches)
    }

    /// The approximate location of an address as stored text.
    pub fn locate(&self, ip: &str) -> String {
        match ip.parse() {
            Ok(ip) => self.geo.locate(ip),
            Err(_) => crate::server::geo::UNKNOWN_LOCATION.to_string(),
        }
    }
}

/// Ends the browser's previous session (a token that existed before sign-in
/// must never stay valid after it), starts a new one with `auth_method`, sets
/// its cookie, records the sign-in and sends the browser to `next`.
pub async fn begin_session(
    state: &AppState,
    user_id: &str,
    client: &ClientMeta,
    auth_method: &str,
    next: &str,
) -> Result<(), AppError> {
    if let Some(previous) = current_session().await? {
        sessions::revoke(&state.pool, &previous.session_id, now_ms()).await?;
    }
    let (token, session_id) = state.start_session(user_id, client, auth_method).await?;
    set_cookie(&state.session_cookie(&token))?;
    let unfamiliar = state.is_unfamiliar_sign_in(user_id, client).await?;
    state
        .record_event(
            Some(user_id),
            crate::login_history::EventKind::SignIn,
            crate::login_history::Outcome::Success,
            client,
            serde_json::json!({"method": auth_method}),
        )
        .await?;
    if unfamiliar {
        state
            .notify_new_sign_in(user_id, &session_id, client)
            .await?;
    }
    leptos_axum::redirect(next);
    Ok(())
}

/// Every value of cookie `name` across all `Cookie` headers.
pub fn cookie_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(move |pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value.trim())
        })
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
        ip: crate::server::client::client_ip(peer, parts_headers, trust_proxy)
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
        tracing::error!("request parts missing from context");
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
/// from every server function but the few that set 2FA up.
pub async fn require_user() -> Result<AuthSession, AppError> {
    let session = current_session().await?.ok_or(AppError::Unauthenticated)?;
    let parts = request_parts()?;
    let gated = parts
        .uri
        .path()
        .strip_prefix("/api/")
        .is_some_and(|endpoint| {
            !crate::server::team::policy::ALLOWED_AT_TWO_FACTOR_GATE.contains(&endpoint)
        });
    if gated
        && let crate::team::TwoFactorRequirement::Enforced { .. } = app_state()?
            .two_factor_requirement(&session.user.id, now_ms())
            .await?
    {
        return Err(AppError::TwoFactorRequired);
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
    fn cookie_values_are_found_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; ss_session=abc"));
        headers.append(COOKIE, HeaderValue::from_static("ss_session=def"));
        let values: Vec<&str> = cookie_values(&headers, "ss_session").collect();
        assert_eq!(values, ["abc", "def"]);
        assert_eq!(cookie_values(&headers, "missing").count(), 0);
    }

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
