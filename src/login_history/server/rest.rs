//! `GET /api/v1/login-history`: the owner's security events, with the Login
//! History's filters and cursors.

use crate::api_keys::Permission;
use crate::login_history::EventRow;
use crate::login_history::filter::HistoryFilter;
use crate::server::rest::auth::ApiCaller;
use crate::server::rest::{ApiError, ApiResult, BASE_PATH, ErrorBody};
use crate::server::state::AppState;
use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// The Login History's routes of the JSON API.
pub fn routes() -> Router<AppState> {
    Router::new().route("/login-history", get(login_history))
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

/// The owner's security events, with the Login History's filters and cursors.
#[utoipa::path(get, path = "/api/v1/login-history", tag = "login history",
    params(
        ("range" = Option<String>, Query, description = "24h, 7d, 30d (default), 90d or custom"),
        ("from" = Option<String>, Query, description = "With range=custom: first day, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "With range=custom: last day, YYYY-MM-DD"),
        ("category" = Option<String>, Query, description = "Comma-separated: logins, failed, password, two_factor, sessions, api_keys, oauth, team, passkeys"),
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
        .map_err(|message| ApiError::invalid("filter", message))?;
    let page = super::history_page(
        &state,
        super::store::history::Scope::User(&caller.user_id),
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
