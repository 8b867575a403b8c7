//! `GET /api/v1/me`: who the key belongs to, and the key itself.

use crate::api_keys::Permission;
use crate::server::rest::auth::ApiCaller;
use crate::server::rest::{ApiResult, ErrorBody};
use crate::server::state::AppState;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// The account's routes of the JSON API.
pub fn routes() -> Router<AppState> {
    Router::new().route("/me", get(me))
}

/// The key's owner and the key itself.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: String,
    pub name: String,
    pub email: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// `totp` or `sms` when two-factor authentication is on.
    pub two_factor: Option<String>,
    pub key: KeyIdentity,
}

/// The key a request was made with.
#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyIdentity {
    pub id: String,
    pub name: String,
    pub permission: Permission,
}

/// The key's owner and the key.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses(
        (status = 200, description = "The key's owner", body = Me),
        (status = 401, description = "Missing, malformed, unknown, revoked or expired key", body = ErrorBody),
        (status = 403, description = "The key's owner must first set up the two-factor authentication their organization requires", body = ErrorBody),
        (status = 429, description = "Too many requests for this key", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn me(caller: ApiCaller) -> ApiResult<Json<Me>> {
    // The key lookup already read the owner: one database round trip in all.
    let ApiCaller { key, .. } = caller;
    let owner = key.owner;
    Ok(Json(Me {
        id: key.user_id,
        name: owner.name,
        email: owner.email,
        created_at: owner.created_at,
        two_factor: owner.two_factor.map(|method| method.as_str().to_string()),
        key: KeyIdentity {
            id: key.key_id,
            name: key.key_name,
            permission: key.permission,
        },
    }))
}
