//! Security headers on every response: CSP with a per-request nonce,
//! nosniff, framing, referrer policy, HSTS over HTTPS, and no caching of pages.

use crate::server::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderValue;
use http::header::{
    CONTENT_SECURITY_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use rand::RngCore;

/// The per-request CSP nonce, read by the Leptos renderer.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// `form_action` lists the sign-in providers' origins: a form posted
/// before the Wasm loads ("Continue with GitHub") is redirected there, and
/// browsers hold redirects after a form to `form-action` too.
fn content_security_policy(nonce: &str, form_action: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'{form_action}"
    )
}

/// Whether `path` is a page opened from an emailed single-use link, which
/// carries its token in the address and in the page.
pub fn opens_emailed_link(path: &str) -> bool {
    matches!(
        path,
        "/reset-password"
            | "/confirm-email"
            | "/cancel-email-change"
            | "/verify-email"
            | "/this-wasnt-me"
            | "/join"
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
    let holds_link_token = opens_emailed_link(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_security_policy(
        &nonce,
        state.identity.form_action_sources(),
    )) {
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
