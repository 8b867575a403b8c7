//! Identity providers for the "connected accounts" tests.
//!
//! - [`RealOidc`]: the npm `oidc-provider` (a certified OpenID Connect
//!   provider) run by node from `end2end/oidc/provider.mjs`, one per test
//!   binary, with its own login and consent pages walked by
//!   [`ProviderBrowser`].
//! - [`FakeOidc`]: a small in-process OpenID Connect provider that signs in
//!   whoever [`FakeOidc::set_user`] says at once, and can be told to
//!   misbehave ([`Misbehaviour`]).
//! - [`FakeGitHub`]: GitHub's OAuth and REST endpoints, likewise.
//!
//! The fakes run on the calling test's tokio runtime and stop with it (or
//! when dropped). The redirect URI the app uses depends on its port: learn
//! it with `TestApp::spawn_with_bound` and [`callback_url`].

// Not every test binary module uses every item.
#![allow(dead_code, unused_imports)]

mod browser;
mod fake_github;
mod fake_oidc;
mod jwt;
mod real_oidc;

pub use browser::{ProviderBrowser, sign_in_at_provider};
pub use fake_github::{FakeGitHub, GitHubEmail, GitHubMisbehaviour, GitHubUser};
pub use fake_oidc::{FakeOidc, Misbehaviour, OidcUser};
pub use jwt::{decode_jwt, test_signing_key};
pub use real_oidc::RealOidc;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Url;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

/// The redirect URI the app registers for `provider` (`github`, `google` or
/// a generic name) when it listens on `addr` with the default `PUBLIC_URL`.
pub fn callback_url(addr: SocketAddr, provider: &str) -> String {
    format!(
        "http://localhost:{}/auth/oauth/{provider}/callback",
        addr.port()
    )
}

/// The settings for one generic OpenID Connect provider `name`:
/// `OIDC_PROVIDERS=name:issuer:client_id`, `OIDC_<NAME>_CLIENT_SECRET` and,
/// when given, `OIDC_<NAME>_LABEL`. For two generic providers in one app,
/// join their `OIDC_PROVIDERS` values with a comma.
pub fn generic_oidc_settings(
    name: &str,
    issuer: &str,
    client_id: &str,
    client_secret: &str,
    label: Option<&str>,
) -> Vec<(String, String)> {
    let key = name.to_uppercase().replace('-', "_");
    let mut settings = vec![
        (
            "OIDC_PROVIDERS".into(),
            format!("{name}:{issuer}:{client_id}"),
        ),
        (format!("OIDC_{key}_CLIENT_SECRET"), client_secret.into()),
    ];
    if let Some(label) = label {
        settings.push((format!("OIDC_{key}_LABEL"), label.into()));
    }
    settings
}

/// GETs `authorize_url` with `http` (which must not follow redirects) and
/// returns where the provider sends the browser, as an absolute URL. For
/// [`FakeOidc`] and [`FakeGitHub`] that is at once the app's callback with
/// `code` and `state` (or `error`).
pub async fn authorize(http: &reqwest::Client, authorize_url: &str) -> String {
    let response = http
        .get(authorize_url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {authorize_url}: {e}"));
    let status = response.status();
    let base = response.url().clone();
    let location = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    match location {
        Some(location) if status.is_redirection() => resolve(&base, &location),
        _ => {
            let body = response.text().await.unwrap_or_default();
            panic!("GET {authorize_url}: expected a redirect, got {status}: {body}")
        }
    }
}

/// The value of query parameter `name` in `url`, if any.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// `location` made absolute against `base`.
fn resolve(base: &Url, location: &str) -> String {
    base.join(location)
        .unwrap_or_else(|e| panic!("bad Location {location:?}: {e}"))
        .to_string()
}

/// Whether `verifier` answers the PKCE S256 `challenge` (RFC 7636).
fn pkce_s256_matches(verifier: &str, challenge: &str) -> bool {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge
}

/// A random URL-safe string, for codes and tokens.
fn random_token(prefix: &str) -> String {
    use rand::Rng;
    let bytes: [u8; 24] = rand::thread_rng().r#gen();
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// Client credentials from `Authorization: Basic` (each half form-URL-decoded,
/// RFC 6749 §2.3.1) or else from `client_id`/`client_secret` in the body.
fn client_credentials(
    headers: &axum::http::HeaderMap,
    form: &std::collections::HashMap<String, String>,
) -> Option<(String, String)> {
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    if let Some(encoded) = basic {
        let decoded = STANDARD.decode(encoded.trim()).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        return Some((form_decode(id), form_decode(secret)));
    }
    Some((
        form.get("client_id")?.clone(),
        form.get("client_secret")?.clone(),
    ))
}

/// The bearer token in `Authorization` (`Bearer x`, or GitHub's `token x`).
fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
        .then(|| token.trim().to_owned())
}

/// Decodes `application/x-www-form-urlencoded` text: `+` and `%XX`.
fn form_decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Binds 127.0.0.1:0 and serves `router` on the current runtime; returns the
/// base URL and the task (abort it to stop serving).
async fn serve(router: axum::Router) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a fake provider");
    let addr = listener.local_addr().expect("fake provider address");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}"), task)
}
