//! Request guards every route passes through: security headers with a CSP
//! nonce, CSRF, the signed-in page guard, and flash messages for forms posted
//! before the Wasm has loaded.

pub mod compression;
pub mod csrf;
pub mod flash;
pub mod form_input;
pub mod guard;
pub mod headers;

use crate::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::{HeaderValue, StatusCode};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// Server functions answer every error with 500; this gives each error its
/// proper status (and `Retry-After` when rate-limited). The Leptos client
/// decodes any 4xx/5xx the same way.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status = error.status();
        if let AppError::RateLimited { retry_after } | AppError::Unavailable { retry_after } = error
        {
            parts
                .headers
                .insert(http::header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
