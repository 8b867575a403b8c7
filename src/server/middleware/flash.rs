//! Forms posted before the Wasm has loaded: their outcome travels to the next
//! page in a one-minute cookie, which that page's render reads and clears.

use super::csrf::is_json_api;
use super::guard::without_action_error_params;
use crate::error::{AppError, FormFlash};
use crate::server::auth::cookies::cookie_values;
use crate::server::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::{ACCEPT, LOCATION, SET_COOKIE};
use http::{HeaderValue, Method, StatusCode};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// The flash cookie over plain HTTP (development).
pub const FLASH_COOKIE_HTTP: &str = "ss_flash";
/// Over HTTPS the `__Host-` prefix keeps a sibling subdomain from planting
/// form-error text on our pages.
pub const FLASH_COOKIE_HTTPS: &str = "__Host-ss_flash";

/// How long a flash waits for the page it belongs to.
const FLASH_MAX_AGE_SECS: i64 = 60;

/// The flash cookie's name for this deployment.
fn flash_cookie(state: &AppState) -> &'static str {
    if state.config.public_url.https {
        FLASH_COOKIE_HTTPS
    } else {
        FLASH_COOKIE_HTTP
    }
}

/// For forms posted before the Wasm has loaded: turns the server function's
/// outcome into a short-lived flash cookie that the page shows after the redirect.
pub async fn no_script_form_flash(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_plain_form_post = request.method() == Method::POST
        && request.uri().path().starts_with("/api/")
        && !is_json_api(request.uri().path())
        && request
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if !is_plain_form_post {
        return next.run(request).await;
    }
    let action = request.uri().path().to_string();
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let error = if parts.headers.remove(SERVER_FN_ERROR_HEADER).is_some() {
        let bytes = axum::body::to_bytes(body, 64 * 1024)
            .await
            .unwrap_or_default();
        Some(serde_json::from_slice::<AppError>(&bytes).unwrap_or(AppError::Internal))
    } else {
        None
    };
    let clean_location = parts
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .and_then(without_action_error_params)
        .and_then(|clean| HeaderValue::from_str(&clean).ok());
    if let Some(clean) = clean_location {
        parts.headers.insert(LOCATION, clean);
    }
    let flash = FormFlash { action, error };
    if let Ok(json) = serde_json::to_vec(&flash) {
        let cookie = state.cookie_line(
            flash_cookie(&state),
            &URL_SAFE_NO_PAD.encode(json),
            FLASH_MAX_AGE_SECS,
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            parts.headers.append(SET_COOKIE, value);
        }
    }
    if parts.status.is_success() || parts.status.is_server_error() {
        // No redirect target was set: send the browser back to a sensible page.
        parts.status = StatusCode::SEE_OTHER;
        parts
            .headers
            .entry(LOCATION)
            .or_insert(HeaderValue::from_static("/"));
    }
    Response::from_parts(parts, Body::empty())
}

/// Hands a page request's flash cookie to the render, which shows it once,
/// and clears the cookie with the response.
pub async fn page_flash(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let is_page =
        request.method() == Method::GET && !path.starts_with("/pkg/") && !path.starts_with("/api/");
    let Some(value) = is_page
        .then(|| cookie_values(request.headers(), flash_cookie(&state)).next())
        .flatten()
    else {
        return next.run(request).await;
    };
    if let Some(flash) = URL_SAFE_NO_PAD
        .decode(value)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<FormFlash>(&bytes).ok())
    {
        request.extensions_mut().insert(flash);
    }
    let mut response = next.run(request).await;
    let clearing = state.cookie_line(flash_cookie(&state), "", 0);
    if let Ok(value) = HeaderValue::from_str(&clearing) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}
