//! API Keys server functions of the signed-in user: list, create (Admin keys
//! in sudo mode), rotate, revoke. The token is in the create and rotate
//! responses only.

use super::{ApiKeysOverview, IssuedKey};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::{
    Expiry, Permission, RotationGrace, clean_key_name,
    server::{self, KeyRequest, check_key_id},
};
#[cfg(feature = "ssr")]
use crate::server::auth::{app_state, client_meta, require_user};

/// The signed-in user's keys (never their secrets) and what creating an
/// Admin key would ask for.
#[server(endpoint = "list_api_keys", output = crate::codec::Json)]
pub async fn list_api_keys() -> Result<ApiKeysOverview, AppError> {
    let session = require_user().await?;
    server::overview(&app_state()?, &session).await
}

/// Creates a key: `permission` read, write or admin; `expiry` 30, 60, 90,
/// custom (with `expires_on` as YYYY-MM-DD, at most a year ahead) or never.
/// An Admin key needs sudo mode (`password`, and `code` when 2FA is on).
#[server(endpoint = "create_api_key", output = crate::codec::Json)]
pub async fn create_api_key(
    name: String,
    permission: String,
    expiry: String,
    expires_on: Option<String>,
    password: Option<String>,
    code: Option<String>,
) -> Result<IssuedKey, AppError> {
    let session = require_user().await?;
    let (state, client) = (app_state()?, client_meta()?);
    let name = clean_key_name(&name).map_err(|message| AppError::validation("name", message))?;
    let permission = permission
        .parse::<Permission>()
        .map_err(|_| AppError::validation("permission", "Choose the key's permission."))?;
    let expires_at = Expiry::parse(&expiry, expires_on.as_deref().unwrap_or_default())
        .and_then(|choice| choice.expires_at(state.now()))
        .map_err(|message| AppError::validation("expiry", message))?;
    let request = KeyRequest {
        name,
        permission,
        expires_at,
    };
    server::create_in_settings(&state, &session, request, password, code, &client).await
}

/// Issues a new secret for a key; the old one keeps working for `grace`
/// (none, 1h, 24h or 7d). Rotating an Admin key needs sudo mode.
#[server(endpoint = "rotate_api_key", output = crate::codec::Json)]
pub async fn rotate_api_key(
    key_id: String,
    grace: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<IssuedKey, AppError> {
    let session = require_user().await?;
    let key_id = check_key_id(&key_id)?;
    let grace = grace.parse::<RotationGrace>().map_err(|_| {
        AppError::validation("grace", "Choose how long the old secret keeps working.")
    })?;
    let (state, client) = (app_state()?, client_meta()?);
    server::rotate_in_settings(&state, &session, &key_id, grace, password, code, &client).await
}

/// Revokes one of the user's keys; it stops working on its next request.
#[server(endpoint = "revoke_api_key", output = crate::codec::Json)]
pub async fn revoke_api_key(key_id: String) -> Result<(), AppError> {
    let session = require_user().await?;
    let key_id = check_key_id(&key_id)?;
    server::revoke_api_key(&app_state()?, &session.user.id, &key_id, &client_meta()?).await
}
