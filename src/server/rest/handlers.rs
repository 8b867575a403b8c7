//! The JSON API's endpoints. Each authenticates (the `ApiCaller` extractor),
//! then checks the key's permission, then reads its input.

use super::auth::ApiCaller;
use super::{ApiError, BASE_PATH, ErrorBody};
use crate::api_keys::{ApiKeyInfo, Expiry, IssuedKey, Permission, clean_key_name};
use crate::login_history::EventRow;
use crate::login_history::filter::HistoryFilter;
use crate::server::api_keys::{KeyRequest, check_key_id};
use crate::server::state::AppState;
use crate::sessions::SessionInfo;
use crate::time::now_ms;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use http::StatusCode;
use serde::{Deserialize, Serialize};

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

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionList {
    /// Newest activity first.
    pub sessions: Vec<SessionInfo>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryResponse {
    /// Newest first, at most 50.
    pub events: Vec<EventRow>,
    /// The URL of the next newer page, if there is one.
    pub newer: Option<String>,
    /// The URL of the next older page, if there is one.
    pub older: Option<String>,
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

type ApiResult<T> = Result<T, ApiError>;

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
    let owner = caller.owner;
    Ok(Json(Me {
        id: caller.user_id,
        name: owner.name,
        email: owner.email,
        created_at: owner.created_at,
        two_factor: owner.two_factor.map(|method| method.as_str().to_string()),
        key: KeyIdentity {
            id: caller.key_id,
            name: caller.key_name,
            permission: caller.permission,
        },
    }))
}

/// The owner's live sessions.
#[utoipa::path(get, path = "/api/v1/sessions", tag = "sessions",
    responses(
        (status = 200, description = "Live sessions", body = SessionList),
        (status = 401, description = "Missing, malformed, unknown, revoked or expired key", body = ErrorBody),
        (status = 403, description = "The key's owner must first set up the two-factor authentication their organization requires", body = ErrorBody),
        (status = 429, description = "Too many requests for this key", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> ApiResult<Json<SessionList>> {
    caller
        .require(&state, Permission::Read, "GET /api/v1/sessions")
        .await?;
    let sessions =
        crate::sessions::api::live_sessions(&state, &caller.user_id, None, now_ms()).await?;
    Ok(Json(SessionList { sessions }))
}

/// Signs out one of the owner's sessions.
#[utoipa::path(delete, path = "/api/v1/sessions/{id}", tag = "sessions",
    params(("id" = uuid::Uuid, Path, description = "The session's id")),
    responses(
        (status = 204, description = "The session was signed out"),
        (status = 401, description = "Missing, malformed, unknown, revoked or expired key", body = ErrorBody),
        (status = 403, description = "The key is Read-only, or its owner must first set up the two-factor authentication their organization requires", body = ErrorBody),
        (status = 404, description = "No such live session of the key's owner", body = ErrorBody),
        (status = 422, description = "The id is not a session id", body = ErrorBody),
        (status = 429, description = "Too many requests for this key", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn revoke_session(
    State(state): State<AppState>,
    caller: ApiCaller,
    id: Result<Path<String>, PathRejection>,
) -> ApiResult<StatusCode> {
    caller
        .require(&state, Permission::Write, "DELETE /api/v1/sessions/{id}")
        .await?;
    let Path(id) = id.map_err(|_| invalid("id", "That session id is not valid."))?;
    crate::sessions::api::revoke_one_session(&state, &caller.user_id, None, &id, &caller.client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The owner's security events, with the Login History's filters and cursors.
#[utoipa::path(get, path = "/api/v1/login-history", tag = "login history",
    params(
        ("range" = Option<String>, Query, description = "24h, 7d, 30d (default), 90d or custom"),
        ("from" = Option<String>, Query, description = "With range=custom: first day, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "With range=custom: last day, YYYY-MM-DD"),
        ("category" = Option<String>, Query, description = "Comma-separated: logins, failed, password, two_factor, sessions, api_keys, oauth"),
        ("result" = Option<String>, Query, description = "success, failure or any"),
        ("q" = Option<String>, Query, description = "Text in the event, device, location or IP address (at most 100 characters)"),
        ("before" = Option<String>, Query, description = "Cursor from `older`"),
        ("after" = Option<String>, Query, description = "Cursor from `newer`"),
    ),
    responses(
        (status = 200, description = "One page of events, newest first", body = HistoryResponse),
        (status = 401, description = "Missing, malformed, unknown, revoked or expired key", body = ErrorBody),
        (status = 403, description = "The key's owner must first set up the two-factor authentication their organization requires", body = ErrorBody),
        (status = 422, description = "A filter value is not valid", body = ErrorBody),
        (status = 429, description = "Too many requests for this key", body = ErrorBody),
    ),
    security(("api_key" = [])))]
pub async fn login_history(
    State(state): State<AppState>,
    caller: ApiCaller,
    RawQuery(query): RawQuery,
) -> ApiResult<Json<HistoryResponse>> {
    caller
        .require(&state, Permission::Read, "GET /api/v1/login-history")
        .await?;
    let filter = HistoryFilter::from_query(query.as_deref().unwrap_or_default())
        .map_err(|message| invalid("filter", message))?;
    let page = crate::login_history::api::history_page(
        &state,
        crate::server::store::history::Scope::User(&caller.user_id),
        filter,
        false,
    )
    .await?;
    let link = |query: String| format!("{BASE_PATH}/login-history?{query}");
    Ok(Json(HistoryResponse {
        events: page.events,
        newer: page.newer.map(link),
        older: page.older.map(link),
    }))
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
        keys: state.list_api_keys(&caller.user_id).await?,
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
        invalid(
            "body",
            format!(
                "The body must be JSON like {{\"name\": \"CI\", \"permission\": \"read\", \"expires_in_days\": 90}} ({error})."
            ),
        )
    })?;
    let name = clean_key_name(&body.name).map_err(|message| invalid("name", message))?;
    let expires_at = match body.expires_in_days {
        None => None,
        Some(days) if (1..=365).contains(&days) => Expiry::Days(days)
            .expires_at(now_ms())
            .map_err(|message| invalid("expires_in_days", message))?,
        Some(_) => {
            return Err(invalid(
                "expires_in_days",
                "expires_in_days must be from 1 to 365.",
            ));
        }
    };
    let issued = state
        .issue_api_key(
            &caller.user_id,
            KeyRequest {
                name,
                permission: body.permission,
                expires_at,
            },
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
    let Path(id) = id.map_err(|_| invalid("id", "That key id is not valid."))?;
    let key_id = check_key_id(&id)?;
    state
        .revoke_api_key(&caller.user_id, &key_id, &caller.client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    crate::error::AppError::validation(field, message).into()
}
