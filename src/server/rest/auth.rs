//! Who is calling the JSON API: the `Authorization: Bearer ssk_…` header,
//! checked for shape and checksum before any database access, then resolved
//! to a key that is not revoked, not expired and not rotated out.

use super::ApiError;
use crate::api_keys::Permission;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::client_meta_from;
use crate::server::crypto::api_token::{ApiToken, TokenProblem};
use crate::server::rate_limit::WindowLimit;
use crate::server::state::AppState;
use crate::server::store::api_keys::{self, KeyOwner, SecretMatch};
use crate::server::store::events::ClientMeta;
use crate::time::now_ms;
use axum::extract::{ConnectInfo, FromRequestParts};
use http::header::AUTHORIZATION;
use http::request::Parts;
use http::{HeaderMap, StatusCode};
use std::net::SocketAddr;

/// A key's last use is written at most this often.
pub const LAST_USED_THROTTLE_MS: i64 = 60 * 1000;
/// No header of ours is longer; longer ones are refused unread.
const MAX_AUTHORIZATION_BYTES: usize = 256;
/// Refused uses (expired key, missing permission) recorded per key and hour,
/// so a misbehaving client cannot flood the Login History.
const REFUSAL_EVENTS_PER_KEY: WindowLimit = WindowLimit {
    name: "api-key-refusal-events",
    limit: 20,
    window_ms: 60 * 60 * 1000,
};

/// An authenticated API request: the key, its owner and where it came from.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub key_id: String,
    pub key_name: String,
    pub user_id: String,
    pub permission: Permission,
    pub owner: KeyOwner,
    pub client: ClientMeta,
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<ApiCaller, ApiError> {
        let token = bearer_token(&parts.headers)?;
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0);
        let client = client_meta_from(&parts.headers, peer, state.config.trust_proxy_headers);
        state.authenticate_api_key(&token, client).await
    }
}

/// The well-formed key in the `Authorization` header, or a 401 saying what is wrong.
pub fn bearer_token(headers: &HeaderMap) -> Result<ApiToken, ApiError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(ApiError::unauthorized(
            "Send your API key as `Authorization: Bearer ssk_…`.",
            None,
        ));
    };
    let malformed = |message: &str| ApiError::unauthorized(message, Some("invalid_request"));
    if values.next().is_some() {
        return Err(malformed("Send exactly one Authorization header."));
    }
    if value.len() > MAX_AUTHORIZATION_BYTES {
        return Err(malformed("The Authorization header is too long."));
    }
    let text = value
        .to_str()
        .map_err(|_| malformed("The Authorization header must be plain ASCII text."))?;
    let (scheme, credentials) = text.trim().split_once(' ').unwrap_or((text.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(malformed(
            "Use the Bearer scheme: `Authorization: Bearer ssk_…`.",
        ));
    }
    ApiToken::parse(credentials.trim()).map_err(|problem| {
        let message = match problem {
            TokenProblem::NotOurs => "That is not a StatusStack API key; keys start with ssk_.",
            TokenProblem::WrongLength => {
                "That API key is incomplete or too long; copy the whole key."
            }
            TokenProblem::BadCharacter => "That API key contains characters keys never have.",
            TokenProblem::Checksum => {
                "That API key's checksum does not match; it was probably mistyped or truncated."
            }
        };
        ApiError::unauthorized(message, Some("invalid_token"))
    })
}

impl AppState {
    /// Resolves a well-formed key to its caller, refusing unknown, revoked,
    /// expired and rotated-out secrets with 401 and busy keys with 429.
    #[tracing::instrument(skip_all)]
    pub async fn authenticate_api_key(
        &self,
        token: &ApiToken,
        client: ClientMeta,
    ) -> Result<ApiCaller, ApiError> {
        let now = now_ms();
        let invalid = |message: &str| ApiError::unauthorized(message, Some("invalid_token"));
        let found = api_keys::find_by_secret_hash(&self.pool, &token.hash())
            .await?
            .ok_or_else(|| invalid("Unknown API key."))?;
        if found.revoked_at.is_some() {
            return Err(invalid("This API key was revoked."));
        }
        if let Some(expired_at) = found.expires_at.filter(|at| *at <= now) {
            self.record_refusal(
                found.refused(),
                EventKind::ApiKeyExpiredUse,
                &client,
                "expired",
            )
            .await;
            return Err(invalid(&format!(
                "This API key expired on {}.",
                crate::time::utc_datetime(expired_at)
            )));
        }
        if found.valid_until.is_some_and(|until| until <= now) {
            self.record_refusal(
                found.refused(),
                EventKind::ApiKeyExpiredUse,
                &client,
                "rotated_out",
            )
            .await;
            return Err(invalid(
                "This secret was replaced when the key was rotated and its grace period has ended. Use the new secret.",
            ));
        }
        if let Some(crate::team::TwoFactorRequirement::Enforced { reason, .. }) = found
            .membership
            .as_ref()
            .map(|membership| crate::server::team::policy::requirement_for(membership, now))
        {
            return Err(ApiError::new(
                http::StatusCode::FORBIDDEN,
                "two_factor_required",
                format!("{reason} The key works again once its owner has set it up."),
            ));
        }
        self.take_api_quota(&found.key_id, now).await?;
        if found
            .last_used_at
            .is_none_or(|at| now - at >= LAST_USED_THROTTLE_MS)
        {
            api_keys::touch_last_used(
                &self.pool,
                &found.key_id,
                &client.ip,
                &client.user_agent,
                now,
                LAST_USED_THROTTLE_MS,
            )
            .await?;
        }
        Ok(ApiCaller {
            permission: Permission::parse(&found.permission).unwrap_or(Permission::Read),
            key_id: found.key_id,
            key_name: found.key_name,
            user_id: found.user_id,
            owner: found.owner,
            client,
        })
    }

    /// Records a refused use in the owner's Login History, a few per key and hour.
    async fn record_refusal(
        &self,
        key: RefusedKey<'_>,
        kind: EventKind,
        client: &ClientMeta,
        reason: &str,
    ) {
        if self
            .hit_limit(REFUSAL_EVENTS_PER_KEY, key.key_id, now_ms())
            .await
            .is_err()
        {
            return;
        }
        let detail = serde_json::json!({
            "key_id": key.key_id,
            "name": key.key_name,
            "reason": reason,
        });
        // The refusal stands whether or not its event could be written.
        let _ = self
            .record_event(Some(key.user_id), kind, Outcome::Failure, client, detail)
            .await;
    }
}

/// The key a refused request presented.
#[derive(Clone, Copy)]
struct RefusedKey<'a> {
    user_id: &'a str,
    key_id: &'a str,
    key_name: &'a str,
}

impl SecretMatch {
    fn refused(&self) -> RefusedKey<'_> {
        RefusedKey {
            user_id: &self.user_id,
            key_id: &self.key_id,
            key_name: &self.key_name,
        }
    }
}

impl ApiCaller {
    /// Refuses with 403 (and an event) unless the key's permission covers
    /// `needed`. A pass that needed Write or Admin is recorded for that level
    /// (throttled like the last use), so the checkup can tell which keys hold
    /// more permission than they use.
    pub async fn require(
        &self,
        state: &AppState,
        needed: Permission,
        action: &str,
    ) -> Result<(), ApiError> {
        if self.permission.allows(needed) {
            api_keys::record_permission_use(
                &state.pool,
                &self.key_id,
                needed,
                now_ms(),
                LAST_USED_THROTTLE_MS,
            )
            .await?;
            return Ok(());
        }
        let key = RefusedKey {
            user_id: &self.user_id,
            key_id: &self.key_id,
            key_name: &self.key_name,
        };
        state
            .record_refusal(key, EventKind::ApiKeyPermissionDenied, &self.client, action)
            .await;
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "This key is {}; {action} needs a {} key.",
                self.permission.label(),
                needed.label()
            ),
        ))
    }
}
