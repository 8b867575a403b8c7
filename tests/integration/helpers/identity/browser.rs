//! Walks `oidc-provider`'s development login and consent pages over plain
//! HTTP, as a browser would, up to the redirect back to the app.
//!
//! Page shapes relied on (oidc-provider 9, `features.devInteractions`):
//! - `/auth?...` answers 303 to `/interaction/<uid>` (relative Location)
//!   and sets `_interaction`/`_interaction_resume` cookies (with `.sig`
//!   twins) whose `path` is that interaction's own path;
//! - the login page has one `<form ... action="<absolute URL>" method="post">`
//!   with `<input type="hidden" name="prompt" value="login"/>` and text
//!   inputs `login` and `password`;
//! - the consent page has one such form with `prompt` = `consent` and no
//!   other inputs;
//! - each POST answers 303 to `/auth/<uid>`, which answers 303 either to the
//!   next interaction or, at the end, to the client's redirect URI.
//!
//! Cookies are kept here by hand (name, value, path, origin; expiry only as
//! deletion), so no reqwest cookie store is needed.

use super::resolve;
use reqwest::Url;
use reqwest::redirect::Policy;
use std::time::Duration;

/// At most this many requests per sign-in: a loop fails the test instead.
const STEP_LIMIT: usize = 20;

#[derive(Clone, Debug)]
struct Cookie {
    origin: String,
    name: String,
    value: String,
    path: String,
}

/// A minimal browser for the provider's pages: its own HTTP client (no
/// automatic redirects) and cookie jar. Keep one across sign-ins to keep the
/// provider's session (a second sign-in then skips the login page).
pub struct ProviderBrowser {
    http: reqwest::Client,
    cookies: Vec<Cookie>,
}

impl Default for ProviderBrowser {
    fn default() -> Self {
        Self::new()
    }
}

impl ProviderBrowser {
    /// A browser with an empty cookie jar.
    pub fn new() -> ProviderBrowser {
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        ProviderBrowser {
            http,
            cookies: Vec::new(),
        }
    }

    /// Follows `authorize_url` through the provider's pages, signing in as
    /// `login` (any password) and consenting, and returns the URL the
    /// provider finally redirects to on another origin (the app's callback,
    /// with `code`, `state` and `iss`, or `error`), without following it.
    pub async fn sign_in(&mut self, authorize_url: &str, login: &str) -> String {
        let provider = origin(&parse(authorize_url));
        let mut next = Request::Get(authorize_url.to_owned());
        for _ in 0..STEP_LIMIT {
            let url = parse(next.url());
            let builder = match &next {
                Request::Get(u) => self.http.get(u),
                Request::Post(u, form) => self.http.post(u).form(form),
            };
            let response = builder
                .header("cookie", self.cookie_header(&url))
                .header("user-agent", "statusstack-tests")
                .send()
                .await
                .unwrap_or_else(|e| panic!("{} {}: {e}", next.method(), url));
            for set_cookie in response.headers().get_all("set-cookie") {
                if let Ok(text) = set_cookie.to_str() {
                    self.store(&url, text);
                }
            }
            let status = response.status();
            let location = response
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .map(|l| resolve(&url, l));
            let body = response.text().await.unwrap_or_default();
            next = match location {
                Some(location) if status.is_redirection() => {
                    if origin(&parse(&location)) != provider {
                        return location;
                    }
                    Request::Get(location)
                }
                _ if status.is_success() => answer_page(&url, &body, login),
                _ => panic!("{} {url}: {status}\n{body}", next.method()),
            };
        }
        panic!("no redirect back to the app after {STEP_LIMIT} requests from {authorize_url}")
    }

    /// The `Cookie` header for a request to `url`.
    fn cookie_header(&self, url: &Url) -> String {
        let origin = origin(url);
        self.cookies
            .iter()
            .filter(|c| c.origin == origin && path_matches(url.path(), &c.path))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Stores (or, when expired, deletes) the cookie in a `Set-Cookie` header.
    fn store(&mut self, url: &Url, set_cookie: &str) {
        let mut parts = set_cookie.split(';').map(str::trim);
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let mut path = "/".to_owned();
        let mut expired = false;
        for attribute in parts {
            let (key, val) = attribute.split_once('=').unwrap_or((attribute, ""));
            match key.to_ascii_lowercase().as_str() {
                "path" => path = val.to_owned(),
                "max-age" => expired = val.parse::<i64>().is_ok_and(|age| age <= 0),
                // oidc-provider deletes cookies with an expiry in 1970.
                "expires" => expired = val.contains("1970"),
                _ => {}
            }
        }
        let origin = origin(url);
        self.cookies
            .retain(|c| !(c.origin == origin && c.name == name && c.path == path));
        if !expired {
            self.cookies.push(Cookie {
                origin,
                name: name.to_owned(),
                value: value.to_owned(),
                path,
            });
        }
    }
}

/// Signs in as `login` at the provider behind `authorize_url` with a fresh
/// [`ProviderBrowser`]; returns the callback URL (not followed).
pub async fn sign_in_at_provider(authorize_url: &str, login: &str) -> String {
    ProviderBrowser::new().sign_in(authorize_url, login).await
}

enum Request {
    Get(String),
    Post(String, Vec<(String, String)>),
}

impl Request {
    fn url(&self) -> &str {
        match self {
            Request::Get(url) | Request::Post(url, _) => url,
        }
    }

    fn method(&self) -> &'static str {
        match self {
            Request::Get(_) => "GET",
            Request::Post(..) => "POST",
        }
    }
}

/// The submission of the login or consent form on `page`.
fn answer_page(url: &Url, page: &str, login: &str) -> Request {
    let Some((action, mut fields)) = parse_form(page) else {
        panic!("no form on {url}:\n{page}");
    };
    let prompt = fields
        .iter()
        .find(|(name, _)| name == "prompt")
        .map(|(_, value)| value.clone());
    match prompt.as_deref() {
        Some("login") => {
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), "any password will do".into()));
        }
        Some("consent") => {}
        other => panic!("unexpected prompt {other:?} on {url}:\n{page}"),
    }
    Request::Post(resolve(url, &action), fields)
}

/// The first form's `action` and its hidden inputs, by plain string search.
fn parse_form(page: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = page.find("<form")?;
    let end = page[start..]
        .find("</form>")
        .map_or(page.len(), |e| start + e);
    let form = &page[start..end];
    let open_tag = &form[..form.find('>')?];
    let action = attribute(open_tag, "action")?;
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(at) = rest.find("<input") {
        rest = &rest[at..];
        let tag_end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..tag_end];
        if attribute(tag, "type").as_deref() == Some("hidden")
            && let Some(name) = attribute(tag, "name")
        {
            fields.push((name, attribute(tag, "value").unwrap_or_default()));
        }
        rest = &rest[tag_end..];
    }
    Some((action, fields))
}

/// The value of `name="..."` in a tag, HTML entities decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

fn unescape(text: &str) -> String {
    text.replace("&#x2F;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn parse(url: &str) -> Url {
    Url::parse(url).unwrap_or_else(|e| panic!("bad URL {url:?}: {e}"))
}

fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

/// RFC 6265 §5.1.4 path matching.
fn path_matches(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}
