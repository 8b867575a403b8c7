//! The cookies of signing in: the session cookie, and the challenge cookie
//! of a browser between its password and its second factor. `__Host-` and
//! `Secure` over HTTPS; always HttpOnly and SameSite=Lax.

use crate::server::crypto::RandomToken;
use crate::server::state::AppState;
use http::HeaderMap;
use http::header::COOKIE;

/// Session cookie name over plain HTTP (development).
pub const COOKIE_NAME_HTTP: &str = "ss_session";
/// Over HTTPS the `__Host-` prefix pins the cookie to our exact origin.
pub const COOKIE_NAME_HTTPS: &str = "__Host-ss_session";
/// The half-signed-in browser's cookie (between password and second factor).
pub const CHALLENGE_COOKIE_HTTP: &str = "ss_challenge";
pub const CHALLENGE_COOKIE_HTTPS: &str = "__Host-ss_challenge";
/// How long a sign-in challenge waits for the second factor.
pub const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;

impl AppState {
    pub fn cookie_name(&self) -> &'static str {
        if self.config.public_url.https {
            COOKIE_NAME_HTTPS
        } else {
            COOKIE_NAME_HTTP
        }
    }

    /// The `Set-Cookie` value that hands out a session token.
    pub fn session_cookie(&self, token: &RandomToken) -> String {
        self.cookie_line(
            self.cookie_name(),
            token.expose(),
            self.config.session_absolute_ms / 1000,
        )
    }

    /// The `Set-Cookie` value that removes the session cookie.
    pub fn clearing_cookie(&self) -> String {
        self.cookie_line(self.cookie_name(), "", 0)
    }

    /// The cookie that holds a half-signed-in browser's sign-in challenge.
    pub fn challenge_cookie_name(&self) -> &'static str {
        if self.config.public_url.https {
            CHALLENGE_COOKIE_HTTPS
        } else {
            CHALLENGE_COOKIE_HTTP
        }
    }

    /// The `Set-Cookie` value that binds a sign-in challenge to this browser.
    pub fn challenge_cookie(&self, token: &RandomToken) -> String {
        self.cookie_line(
            self.challenge_cookie_name(),
            token.expose(),
            CHALLENGE_TTL_MS / 1000,
        )
    }

    /// The `Set-Cookie` value that removes the challenge cookie.
    pub fn clearing_challenge_cookie(&self) -> String {
        self.cookie_line(self.challenge_cookie_name(), "", 0)
    }

    /// The well-formed challenge token in the request's cookies, if any.
    pub fn challenge_token_from_headers(&self, headers: &HeaderMap) -> Option<RandomToken> {
        cookie_values(headers, self.challenge_cookie_name()).find_map(RandomToken::parse)
    }

    /// A `Set-Cookie` value of ours: HttpOnly, SameSite=Lax, whole site,
    /// `Secure` over HTTPS; `max_age_secs` 0 removes the cookie.
    pub fn cookie_line(&self, name: &str, value: &str, max_age_secs: i64) -> String {
        let secure = if self.config.public_url.https {
            "; Secure"
        } else {
            ""
        };
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}")
    }

    /// The well-formed session token in the request's cookies, if any.
    pub fn token_from_headers(&self, headers: &HeaderMap) -> Option<RandomToken> {
        cookie_values(headers, self.cookie_name()).find_map(RandomToken::parse)
    }
}

/// Every value of cookie `name` across all `Cookie` headers.
pub fn cookie_values<'a>(headers: &'a HeaderMap, name: &'a str) -> impl Iterator<Item = &'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(move |pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value.trim())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn cookie_values_are_found_across_headers() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; ss_session=abc"));
        headers.append(COOKIE, HeaderValue::from_static("ss_session=def"));
        let values: Vec<&str> = cookie_values(&headers, "ss_session").collect();
        assert_eq!(values, ["abc", "def"]);
        assert_eq!(cookie_values(&headers, "missing").count(), 0);
    }
}
