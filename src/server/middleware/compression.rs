//! Compression of pages and JSON, only where it cannot leak a secret.
//!
//! BREACH: when a response is compressed, its length depends on how well a
//! guess the attacker got reflected into it matches a secret in the same
//! response. An attacker who can make the victim's browser send many such
//! requests, and can watch the encrypted lengths, reads the secret a few
//! characters at a time. So a response is compressed only when all hold:
//!
//! - it answers a `GET` (every one-time secret we hand out in a server
//!   function's reply answers a `POST`: new keys, backup codes, set-up keys);
//! - no other site can have caused the request: `Sec-Fetch-Site` is
//!   `same-origin` or `none` (typed, bookmarked, opened from another app), or
//!   the request carries no cookie at all (signed-out pages, the API with a
//!   key in `Authorization`, which no other site can attach);
//! - it is not a page opened from an emailed single-use link;
//! - a page's HTML holds no element that shows a one-time secret: the views
//!   that show one (backup codes, an authenticator set-up key and its QR
//!   code) mark it with [`SECRET_MARKER`], and the page is then sent
//!   uncompressed. Pages are read in full to look (they render in
//!   milliseconds; compression would hold them back as much).
//!
//! Static files under `/pkg` are compressed at build time and served by
//! [`crate::server::assets`]; this layer leaves an encoded body alone.

use super::headers::opens_emailed_link;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use futures::StreamExt;
use http::header::{ACCEPT_ENCODING, CONTENT_TYPE, COOKIE};
use http::{Extensions, HeaderMap, Method, StatusCode, Version};
use http_body_util::BodyExt;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// The attribute a view puts on the element that shows a one-time secret.
pub const SECRET_MARKER: &str = "data-one-time-secret";

/// Pages larger than this are sent as they stream, uncompressed.
const MAX_SCANNED_PAGE: usize = 4 * 1024 * 1024;

/// Set on a response this module found safe to compress.
#[derive(Clone, Copy, Debug)]
struct Compressible;

/// Whether the request could not have been caused by another site.
fn not_cross_site(headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-site").map(|v| v.as_bytes()) {
        Some(b"same-origin") | Some(b"none") => true,
        Some(_) => false,
        None => !headers.contains_key(COOKIE),
    }
}

/// Whether the client takes brotli or gzip at all: if not, nothing here is
/// worth reading the page for.
fn accepts_compression(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let name = coding.split(';').next().unwrap_or_default().trim();
            name.eq_ignore_ascii_case("br") || name.eq_ignore_ascii_case("gzip")
        })
}

/// Whether the response to `request` may be compressed, before looking at it.
fn request_allows_compression(request: &Request) -> bool {
    request.method() == Method::GET
        && accepts_compression(request.headers())
        && not_cross_site(request.headers())
        && !opens_emailed_link(request.uri().path())
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// Reads `body` up to [`MAX_SCANNED_PAGE`]: the whole of it, or, when it is
/// larger or fails midway, `Err` with a body that still streams all of it.
async fn read_page(mut body: Body) -> Result<Bytes, Body> {
    let mut read = Vec::new();
    loop {
        match body.frame().await {
            None => return Ok(Bytes::from(read)),
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    read.extend_from_slice(&data);
                }
                if read.len() > MAX_SCANNED_PAGE {
                    let head = futures::stream::iter([Ok::<_, axum::Error>(Bytes::from(read))]);
                    return Err(Body::from_stream(head.chain(body.into_data_stream())));
                }
            }
            Some(Err(error)) => {
                tracing::debug!(error = %error, "page body failed while reading it");
                let read_then_failed = [Ok(Bytes::from(read)), Err(error)];
                return Err(Body::from_stream(futures::stream::iter(read_then_failed)));
            }
        }
    }
}

/// Marks the responses that may be compressed (see the module's rules).
pub async fn mark_compressible(request: Request, next: Next) -> Response {
    let allowed = request_allows_compression(&request);
    let mut response = next.run(request).await;
    if !allowed {
        return response;
    }
    if !is_html(response.headers()) {
        response.extensions_mut().insert(Compressible);
        return response;
    }
    let (mut parts, body) = response.into_parts();
    match read_page(body).await {
        Ok(page) => {
            if !contains(&page, SECRET_MARKER.as_bytes()) {
                parts.extensions.insert(Compressible);
            }
            Response::from_parts(parts, Body::from(page))
        }
        Err(streaming) => Response::from_parts(parts, streaming),
    }
}

/// Brotli or gzip by the client's `Accept-Encoding`, for marked responses
/// only (and, as tower-http's default, not for tiny bodies, images or
/// bodies already encoded).
pub fn layer() -> CompressionLayer<impl Predicate> {
    let marked = |_: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions| {
        extensions.get::<Compressible>().is_some()
    };
    CompressionLayer::new()
        .no_deflate()
        .no_zstd()
        .quality(CompressionLevel::Default)
        .compress_when(DefaultPredicate::new().and(marked))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, http::HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_requests_no_other_site_could_cause_qualify() {
        let cases: [(&[(&'static str, &'static str)], bool); 6] = [
            (&[("sec-fetch-site", "same-origin")], true),
            (&[("sec-fetch-site", "none"), ("cookie", "a=b")], true),
            (&[("sec-fetch-site", "cross-site")], false),
            (&[("sec-fetch-site", "same-site")], false),
            (&[("cookie", "ss_session=x")], false),
            (&[], true),
        ];
        for (pairs, expected) in cases {
            assert_eq!(not_cross_site(&headers(pairs)), expected, "{pairs:?}");
        }
    }

    #[test]
    fn only_clients_that_take_brotli_or_gzip_qualify() {
        for (value, expected) in [
            (Some("gzip, deflate, br"), true),
            (Some("BR;q=1.0"), true),
            (Some("identity"), false),
            (Some("deflate, zstd"), false),
            (None, false),
        ] {
            let pairs: Vec<_> = value.map(|v| ("accept-encoding", v)).into_iter().collect();
            assert_eq!(accepts_compression(&headers(&pairs)), expected, "{value:?}");
        }
    }

    #[test]
    fn the_marker_is_found_anywhere_in_the_page() {
        let page = format!("<html><body><ul {SECRET_MARKER}>codes</ul></body></html>");
        assert!(contains(page.as_bytes(), SECRET_MARKER.as_bytes()));
        assert!(!contains(
            b"<html><body>nothing here</body></html>",
            SECRET_MARKER.as_bytes()
        ));
    }

    #[tokio::test]
    async fn a_page_larger_than_the_scan_limit_still_arrives_whole() {
        let big = vec![b'x'; MAX_SCANNED_PAGE + 10];
        let chunks: Vec<Result<Bytes, std::io::Error>> = big
            .chunks(64 * 1024)
            .map(|chunk| Ok(Bytes::copy_from_slice(chunk)))
            .collect();
        let body = Body::from_stream(futures::stream::iter(chunks));
        let Err(streaming) = read_page(body).await else {
            panic!("a page over the limit is passed on as a stream");
        };
        let whole = streaming.collect().await.map(|c| c.to_bytes());
        assert_eq!(whole.map(|b| b.len()).ok(), Some(big.len()));
    }
}
