//! `/api/v1/sessions`: the owner's live sessions, and signing one out.

use crate::api_keys::Permission;
use crate::server::rest::auth::ApiCaller;
use crate::server::rest::{ApiError, ApiResult, ErrorBody};
use crate::server::state::AppState;
use crate::sessions::SessionInfo;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use http::StatusCode;
use serde::Serialize;

/// The sessions' routes of the JSON API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sessions", get(list_sessions))
        .route("/sessions/{id}", delete(revoke_session))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionList {
    /// Newest activity first.
    pub sessions: Vec<SessionInfo>,
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
    let sessions = super::live_sessions(&state, &caller.user_id, None, state.now()).await?;
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
    let Path(id) = id.map_err(|_| ApiError::invalid("id", "That session id is not valid."))?;
    super::revoke_one(&state, &caller.user_id, None, &id, &caller.client).await?;
    Ok(StatusCode::NO_CONTENT)
}
