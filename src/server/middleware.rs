//! Request guards every route passes through: security headers with a CSP
//! nonce, CSRF, signed-in page guard, and flash messages for forms posted
//! before the Wasm has loaded.

use crate::error::AppError;
use crate::server::auth::ResolvedSession;
use crate::server::config::PublicUrl;
use crate::server::state::AppState;
use crate::ui::flash::{FLASH_COOKIE, FormFlash};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::header::{
    ACCEPT, CONTENT_SECURITY_POLICY, HOST, LOCATION, ORIGIN, REFERER, SET_COOKIE,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use http::{HeaderValue, Method, StatusCode};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;
use rand::RngCore;

/// The per-request CSP nonce, read by the Leptos renderer.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
}

/// Adds CSP (with a fresh nonce), nosniff, referrer policy, framing and HSTS headers.
pub async fn security_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let nonce = URL_SAFE_NO_PAD.encode(bytes);
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let is_static_asset = request.uri().path().starts_with("/pkg/");
    // Pages opened from emailed single-use links must not leak them onward.
    let holds_link_token = matches!(
        request.uri().path(),
        "/reset-password" | "/confirm-email" | "/this-wasnt-me" | "/join"
    );
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        headers.insert(CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if holds_link_token {
        headers.insert(
            http::header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    } else {
        headers
            .entry(http::header::REFERRER_POLICY)
            .or_insert(HeaderValue::from_static("strict-origin-when-cross-origin"));
    }
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if !is_static_asset {
        headers
            .entry(http::header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    if state.config.public_url.https {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// Whether a state-changing request comes from our own pages.
pub fn is_same_origin(public_url: &PublicUrl, headers: &http::HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let origin = headers
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v != "null")
        .map(|v| v.to_ascii_lowercase())
        .or_else(|| {
            let referer = headers.get(REFERER)?.to_str().ok()?;
            PublicUrl::parse(referer).map(|url| url.origin)
        });
    let Some(origin) = origin else { return false };
    if origin == public_url.origin {
        return true;
    }
    let scheme = if public_url.https { "https" } else { "http" };
    headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|host| origin == format!("{scheme}://{}", host.to_ascii_lowercase()))
}

/// Refuses cross-site state-changing requests with 403 (Leptos server
/// functions do no CSRF checking of their own).
pub async fn csrf_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    // The JSON API authenticates by header only, never by cookie.
    let bearer_api = is_json_api(request.uri().path());
    if !safe && !bearer_api && !is_same_origin(&state.config.public_url, request.headers()) {
        tracing::warn!(path = %request.uri().path(), "refused cross-site request");
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    next.run(request).await
}

/// Whether `path` belongs to the `/api/v1` JSON API.
pub fn is_json_api(path: &str) -> bool {
    path.strip_prefix(crate::server::rest::BASE_PATH)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Removes Leptos's own `__path`/`__err` error parameters from a URL. Their
/// content would be shown as the form's error, so a crafted link could put any
/// words on our sign-in page; forms use the flash cookie instead.
pub fn without_action_error_params(url: &str) -> Option<String> {
    let (base, query) = url.split_once('?')?;
    let is_error_param = |pair: &&str| {
        let key = pair.split('=').next().unwrap_or_default();
        key == "__path" || key == "__err"
    };
    if !query.split('&').any(|pair| is_error_param(&pair)) {
        return None;
    }
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| !pair.is_empty() && !is_error_param(pair))
        .collect();
    Some(if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    })
}

/// Sends signed-out visitors of `/settings…` to the sign-in page (remembering
/// where they were going) and signed-in visitors of `/login` and `/signup` on.
pub async fn page_guard(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    if let Some(clean) = request
        .uri()
        .path_and_query()
        .and_then(|pq| without_action_error_params(pq.as_str()))
    {
        return see_other(&clean);
    }
    let path = request.uri().path();
    let protected = path == "/settings"
        || path.starts_with("/settings/")
        || path == crate::team::TWO_FACTOR_SETUP_PATH;
    let signed_out_only = path == "/login"
        || path == "/signup"
        || path == "/forgot-password"
        || path == crate::server::two_factor::CHALLENGE_PATH;
    if !protected && !signed_out_only {
        return next.run(request).await;
    }
    let session = match state.session_from_headers(request.headers()).await {
        Ok(session) => session,
        Err(_) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Internal.to_string(),
            )
                .into_response();
        }
    };
    match (session, protected) {
        (None, true) => {
            let target = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/settings/security");
            let mut response = see_other(&format!(
                "/login?next={}",
                crate::ui::encode_query_component(target)
            ));
            if state.token_from_headers(request.headers()).is_some()
                && let Ok(value) = HeaderValue::from_str(&state.clearing_cookie())
            {
                response.headers_mut().append(SET_COOKIE, value);
            }
            response
        }
        (Some(_), false) => see_other("/settings/security"),
        (None, false) if path == crate::server::two_factor::CHALLENGE_PATH => {
            match state.challenge_from_headers(request.headers()).await {
                Ok(Some(_)) => next.run(request).await,
                Ok(None) => see_other("/login?challenge=expired"),
                Err(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    AppError::Internal.to_string(),
                )
                    .into_response(),
            }
        }
        (Some(session), true) => {
            if path != crate::team::TWO_FACTOR_SETUP_PATH {
                match state
                    .two_factor_requirement(&session.user.id, crate::time::now_ms())
                    .await
                {
                    Ok(crate::team::TwoFactorRequirement::Enforced { .. }) => {
                        return see_other(crate::team::TWO_FACTOR_SETUP_PATH);
                    }
                    Ok(requirement) => {
                        request.extensions_mut().insert(
                            crate::server::team::policy::ResolvedRequirement(requirement),
                        );
                    }
                    Err(_) => {
                        return (
                            StatusCode::INTERNAL_SERVER_ERROR,
                            AppError::Internal.to_string(),
                        )
                            .into_response();
                    }
                }
            }
            request.extensions_mut().insert(ResolvedSession(session));
            next.run(request).await
        }
        (None, false) => next.run(request).await,
    }
}

/// The HTTP status that matches an error, so API clients need not parse bodies.
pub fn status_for(error: &AppError) -> StatusCode {
    match error {
        AppError::InvalidCode | AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::InvalidCredentials | AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::ReauthRequired | AppError::Forbidden | AppError::TwoFactorRequired => {
            StatusCode::FORBIDDEN
        }
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

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
        parts.status = status_for(&error);
        if let AppError::RateLimited { retry_after } = error {
            parts
                .headers
                .insert(http::header::RETRY_AFTER, HeaderValue::from(retry_after));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
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
        let secure = if state.config.public_url.https {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!(
            "{FLASH_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=60{secure}",
            URL_SAFE_NO_PAD.encode(json)
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

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn public() -> PublicUrl {
        PublicUrl::parse("http://127.0.0.1:3000").unwrap()
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(is_same_origin(
            &public(),
            &headers(&[("sec-fetch-site", "same-origin")])
        ));
        assert!(!is_same_origin(
            &public(),
            &headers(&[
                ("sec-fetch-site", "cross-site"),
                ("origin", "http://127.0.0.1:3000")
            ])
        ));
        assert!(!is_same_origin(
            &public(),
            &headers(&[("sec-fetch-site", "same-site")])
        ));
    }

    #[test]
    fn origin_or_referer_must_be_ours_without_fetch_metadata() {
        assert!(is_same_origin(
            &public(),
            &headers(&[("origin", "http://127.0.0.1:3000")])
        ));
        assert!(is_same_origin(
            &public(),
            &headers(&[("referer", "http://127.0.0.1:3000/login?x=1")])
        ));
        assert!(!is_same_origin(
            &public(),
            &headers(&[("origin", "http://evil.example")])
        ));
        assert!(!is_same_origin(&public(), &headers(&[("origin", "null")])));
        assert!(!is_same_origin(
            &public(),
            &headers(&[("referer", "http://127.0.0.1:3000.evil.example/")])
        ));
        assert!(!is_same_origin(&public(), &headers(&[])));
    }

    #[test]
    fn the_host_header_origin_is_accepted_too() {
        assert!(is_same_origin(
            &public(),
            &headers(&[
                ("origin", "http://localhost:3000"),
                ("host", "localhost:3000")
            ])
        ));
        assert!(!is_same_origin(
            &public(),
            &headers(&[
                ("origin", "http://evil.example"),
                ("host", "localhost:3000")
            ])
        ));
    }

    #[test]
    fn leptos_error_parameters_are_stripped() {
        assert_eq!(
            without_action_error_params("/login?__path=%2Fapi&__err=abc").as_deref(),
            Some("/login")
        );
        assert_eq!(
            without_action_error_params("http://h/login?next=%2Fx&__err=abc&__path=p").as_deref(),
            Some("http://h/login?next=%2Fx")
        );
        assert_eq!(without_action_error_params("/login?next=%2Fx"), None);
        assert_eq!(without_action_error_params("/login"), None);
    }
}
