//! Who is calling the JSON API: the `Authorization: Bearer ssk_…` header,
//! checked for shape and checksum before any database access, then resolved
//! to a key that is not revoked, not expired and not rotated out.

use super::ApiError;
use crate::api_keys::Permission;
use crate::api_keys::server::authenticate;
use crate::api_keys::server::authenticate::KeyHolder;
use crate::api_keys::server::token::{ApiToken, TokenProblem};
use crate::server::auth::client_meta_from;
use crate::server::client::ClientMeta;
use crate::server::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use http::HeaderMap;
use http::header::AUTHORIZATION;
use http::request::Parts;
use std::net::SocketAddr;

/// No header of ours is longer; longer ones are refused unread.
const MAX_AUTHORIZATION_BYTES: usize = 256;
/// An authenticated API request: the key (with its owner) and where it came from.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub key: KeyHolder,
    pub client: ClientMeta,
}

impl std::ops::Deref for ApiCaller {
    type Target = KeyHolder;

    fn deref(&self) -> &KeyHolder {
        &self.key
    }
}

impl ApiCaller {
    /// Refuses with 403 (and an event) unless the key's permission covers
    /// `needed`; `action` names the request in the refusal.
    pub async fn require(
        &self,
        state: &AppState,
        needed: Permission,
        action: &str,
    ) -> Result<(), ApiError> {
        authenticate::require_permission(state, &self.key, needed, action, &self.client).await
    }
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
        let key = authenticate::authenticate(state, &token, &client).await?;
        Ok(ApiCaller { key, client })
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
