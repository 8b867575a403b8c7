//! Refuses server function forms whose text is unreadable: bytes that are
//! not UTF-8 once percent-decoded (a form decoder would quietly turn them
//! into U+FFFD and store that) and control characters (NUL breaks
//! PostgreSQL's text, CR/LF headers and exports, escape sequences logs).
//! One check before every server function, so none has to remember it.

use crate::error::AppError;
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};
use leptos::server_fn::error::SERVER_FN_ERROR_HEADER;

/// Server functions live under `/api/`; the JSON API under `/api/v1/`.
fn is_server_function_form(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::POST
        && path.starts_with("/api/")
        && !path.starts_with("/api/v1/")
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// Checks a server function's form before it runs; answers a bad one as the
/// function itself would answer a validation error.
pub async fn refuse_unreadable_text(request: Request, next: Next) -> Response {
    if !is_server_function_form(&request) {
        return next.run(request).await;
    }
    let path = request.uri().path().to_string();
    let (parts, body) = request.into_parts();
    // The body-size limit outside this layer ends the read of a larger body.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if let Some(field) = unreadable_field(&bytes) {
        let error = AppError::validation(
            &field,
            "The form contains characters that are not allowed (control characters or text that is not UTF-8).",
        );
        let body = serde_json::to_vec(&error).unwrap_or_default();
        let mut response = (StatusCode::INTERNAL_SERVER_ERROR, body).into_response();
        if let Ok(value) = http::HeaderValue::from_str(&path) {
            response.headers_mut().insert(SERVER_FN_ERROR_HEADER, value);
        }
        return response;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The first field (its name, or "form" when the name itself is unreadable)
/// whose name or value is not UTF-8 or holds a control character.
fn unreadable_field(body: &[u8]) -> Option<String> {
    for pair in body.split(|b| *b == b'&').filter(|pair| !pair.is_empty()) {
        let mut halves = pair.splitn(2, |b| *b == b'=');
        let name = readable(&percent_decode(halves.next().unwrap_or_default()));
        let value = readable(&percent_decode(halves.next().unwrap_or_default()));
        match (name, value) {
            (Some(_), Some(_)) => {}
            (Some(name), None) => return Some(name),
            (None, _) => return Some("form".into()),
        }
    }
    None
}

fn readable(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    (!text.chars().any(|c| c.is_control() || c == '\u{FFFD}')).then(|| text.to_string())
}

/// Decodes `+` and `%XX` as forms encode them; a malformed escape stays as is.
fn percent_decode(input: &[u8]) -> Vec<u8> {
    // `+` first: a `%2B` decodes to a `+` that stays one.
    let spaced: Vec<u8> = input
        .iter()
        .map(|&byte| if byte == b'+' { b' ' } else { byte })
        .collect();
    crate::ids::percent_decode_bytes(&spaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_forms_pass() {
        assert_eq!(unreadable_field(b""), None);
        assert_eq!(
            unreadable_field(b"name=Ada+Lovelace&email=ada%40example.com"),
            None
        );
        assert_eq!(unreadable_field("name=Zo%C3%AB&note=日本".as_bytes()), None);
        assert_eq!(unreadable_field(b"password=100%25+sure&x=%"), None);
    }

    #[test]
    fn control_characters_and_broken_text_are_named() {
        assert_eq!(unreadable_field(b"ok=1&email=a%00b"), Some("email".into()));
        assert_eq!(
            unreadable_field(b"name=line%0D%0Abreak"),
            Some("name".into())
        );
        assert_eq!(unreadable_field(b"name=%1B%5B31m"), Some("name".into()));
        assert_eq!(unreadable_field(b"name=%FF%FE"), Some("name".into()));
        assert_eq!(unreadable_field(b"name=\xff"), Some("name".into()));
        assert_eq!(unreadable_field(b"na%FFme=x"), Some("form".into()));
        assert_eq!(
            unreadable_field("name=%EF%BF%BD".as_bytes()),
            Some("name".into())
        );
    }
}
