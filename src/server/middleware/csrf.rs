//! CSRF: state-changing requests must come from our own pages.

use crate::server::config::PublicUrl;
use crate::server::state::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{HOST, ORIGIN, REFERER};
use http::{Method, StatusCode};

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

#[cfg(test)]
mod tests {
    use super::*;
    use http::{HeaderMap, HeaderValue};

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
}
