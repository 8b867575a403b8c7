//! `/api/v1/api-keys`: list, create (the token is in the response, once) and
//! revoke the owner's keys. Admin keys only.

use crate::api_keys::server::{KeyCreator, KeyRequest, check_key_id, issue_api_key};
use crate::api_keys::{ApiKeyInfo, Expiry, IssuedKey, Permission, clean_key_name};
use crate::server::rest::auth::ApiCaller;
use crate::server::rest::{ApiError, ApiResult, ErrorBody};
use crate::server::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use http::StatusCode;
use serde::{Deserialize, Serialize};

/// The API keys' routes of the JSON API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api-keys", get(list_api_keys).post(create_api_key))
        .route("/api-keys/{id}", delete(revoke_api_key))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct KeyList {
    /// Newest first; revoked keys are not listed.
    pub keys: Vec<ApiKeyInfo>,
}

/// A new key.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    /// 1 to 64 characters.
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    pub permission: Permission,
    /// Days until the key expires, 1 to 365; leave out for a key that never expires.
    #[schema(minimum = 1, maximum = 365)]
    pub expires_in_days: Option<i64>,
}

/// The owner's API keys (never their secrets).
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api keys",
    responses(
        (status = 200, description = "The owner's keys", body = KeyList),
        (status = 401, description = "Missing, malformed, unknown, revoked or expired key", body = ErrorBody),
        (status = 403, description = "The key is not an Admin key, or its owner must first set up the two-factor authentication their organization requires", body = ErrorBody),
        (status = 429, description = "Too many requests for this key", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<KeyList>> {
    caller
        .require(&state, Permission::Admin, "GET /api/v1/api-keys")
        .await?;
    Ok(Json(KeyList {
        keys: crate::api_keys::server::list_api_keys(&state, &caller.user_id).await?,
    }))
}

/// Creates a key; the response holds its token, the only time it is shown.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api keys",
    request_body = NewKeyBody,
    responses(
        (status = 201, description = "The new key and its token", body = IssuedKey),
        (status = 401, description = "Missing, malformed, unknown, revoked or expired key", body = ErrorBody),
        (status = 403, description = "The key is not an Admin key, or its owner must first set up the two-factor authentication their organization requires", body = ErrorBody),
        (status = 422, description = "The body is not a valid new key", body = ErrorBody),
        (status = 429, description = "Too many requests for this key", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn create_api_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<IssuedKey>)> {
    caller
        .require(&state, Permission::Admin, "POST /api/v1/api-keys")
        .await?;
    let body: NewKeyBody = serde_json::from_slice(&body).map_err(|error| {
        ApiError::invalid(
            "body",
            format!(
                "The body must be JSON like {{\"name\": \"CI\", \"permission\": \"read\", \"expires_in_days\": 90}} ({error})."
            ),
        )
    })?;
    let name = clean_key_name(&body.name).map_err(|message| ApiError::invalid("name", message))?;
    let expires_at = match body.expires_in_days {
        None => None,
        Some(days) if (1..=365).contains(&days) => Expiry::Days(days)
            .expires_at(state.now())
            .map_err(|message| ApiError::invalid("expires_in_days", message))?,
        Some(_) => {
            return Err(ApiError::invalid(
                "expires_in_days",
                "expires_in_days must be from 1 to 365.",
            ));
        }
    };
    let issued = issue_api_key(
        &state,
        &caller.user_id,
        KeyRequest {
            name,
            permission: body.permission,
            expires_at,
        },
        KeyCreator::Key(&caller.key_id),
        &caller.client,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Revokes one of the owner's keys (the calling key included).
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api keys",
    params(("id" = uuid::Uuid, Path, description = "The key's id")),
    responses(
        (status = 204, description = "The key was revoked"),
        (status = 401, description = "Missing, malformed, unknown, revoked or expired key", body = ErrorBody),
        (status = 403, description = "The key is not an Admin key, or its owner must first set up the two-factor authentication their organization requires", body = ErrorBody),
        (status = 404, description = "No such key of the owner", body = ErrorBody),
        (status = 422, description = "The id is not a key id", body = ErrorBody),
        (status = 429, description = "Too many requests for this key", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    caller: ApiCaller,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<StatusCode> {
    caller
        .require(&state, Permission::Admin, "DELETE /api/v1/api-keys/{id}")
        .await?;
    let Path(id) = id.map_err(|_| ApiError::invalid("id", "That key id is not valid."))?;
    let key_id = check_key_id(&id)?;
    crate::api_keys::server::revoke_api_key(&state, &caller.user_id, &key_id, &caller.client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
