//! A fake GitHub: the OAuth web flow (`/login/oauth/authorize`,
//! `/login/oauth/access_token`) and the two REST calls a sign-in needs
//! (`/user`, `/user/emails`), all on one base URL that serves as both
//! `GITHUB_URL` and `GITHUB_API_URL`.
//!
//! Like GitHub: token errors are HTTP 200 with an `error` field; the token
//! response is form-encoded unless the request accepts JSON, and its
//! `scope` is comma-separated; the REST API refuses requests without a
//! `User-Agent` (403) and bad tokens (401); `/user/emails` needs the
//! `user:email` scope (404 without). Stricter than GitHub: `/authorize`
//! requires a PKCE S256 challenge.

use super::{bearer, client_credentials, pkce_s256_matches, random_token, serve};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use reqwest::Url;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One address on a GitHub account, as `/user/emails` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitHubEmail {
    /// The address.
    pub email: String,
    /// Whether it is the account's primary address.
    pub primary: bool,
    /// Whether GitHub has verified it.
    pub verified: bool,
}

/// The GitHub account the fake signs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitHubUser {
    /// The numeric account id (stable; the login can change).
    pub id: u64,
    /// The login (user name).
    pub login: String,
    /// The display name, if set.
    pub name: Option<String>,
    /// The public profile address `/user` shows, if any.
    pub public_email: Option<String>,
    /// All addresses, for `/user/emails`.
    pub emails: Vec<GitHubEmail>,
}

/// One way for [`FakeGitHub`] to go wrong (set with [`FakeGitHub::misbehave`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GitHubMisbehaviour {
    /// The token endpoint answers 500.
    TokenEndpoint500,
    /// The token endpoint answers only after 30 seconds.
    TokenEndpointHangs,
    /// `/user` answers 200 with an HTML page.
    UserHtml,
    /// `/user` answers only after 30 seconds.
    UserHangs,
}

struct PendingCode {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    scope: String,
    user: GitHubUser,
}

struct Grant {
    scope: String,
    user: GitHubUser,
}

struct Inner {
    client_id: String,
    client_secret: String,
    user: GitHubUser,
    misbehaviour: Option<GitHubMisbehaviour>,
    codes: HashMap<String, PendingCode>,
    tokens: HashMap<String, Grant>,
    authorize_requests: Vec<HashMap<String, String>>,
    token_requests: usize,
}

type Shared = Arc<Mutex<Inner>>;

/// A fake GitHub on 127.0.0.1:<free port>, stopped on drop.
pub struct FakeGitHub {
    base: String,
    inner: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl FakeGitHub {
    /// The OAuth app's client id.
    pub const CLIENT_ID: &'static str = "Iv1.fakegithubclient";
    /// The OAuth app's client secret.
    pub const CLIENT_SECRET: &'static str = "fake-github-secret";

    /// Starts the fake with user `octocat` (id 583231), whose primary
    /// address `octocat@example.test` is verified.
    pub async fn start() -> FakeGitHub {
        let inner = Arc::new(Mutex::new(Inner {
            client_id: Self::CLIENT_ID.into(),
            client_secret: Self::CLIENT_SECRET.into(),
            user: GitHubUser {
                id: 583231,
                login: "octocat".into(),
                name: Some("The Octocat".into()),
                public_email: None,
                emails: vec![GitHubEmail {
                    email: "octocat@example.test".into(),
                    primary: true,
                    verified: true,
                }],
            },
            misbehaviour: None,
            codes: HashMap::new(),
            tokens: HashMap::new(),
            authorize_requests: Vec::new(),
            token_requests: 0,
        }));
        let router = Router::new()
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(access_token))
            .route("/user", get(user))
            .route("/user/emails", get(emails))
            .with_state(inner.clone());
        let (base, task) = serve(router).await;
        FakeGitHub { base, inner, task }
    }

    /// The base URL (`http://127.0.0.1:<port>`), for both `GITHUB_URL` and
    /// `GITHUB_API_URL`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Signs in this account from the next authorization on.
    pub fn set_user(&self, user: GitHubUser) {
        self.inner.lock().unwrap().user = user;
    }

    /// Misbehaves this way from now on (replacing any earlier misbehaviour).
    pub fn misbehave(&self, misbehaviour: GitHubMisbehaviour) {
        self.inner.lock().unwrap().misbehaviour = Some(misbehaviour);
    }

    /// Behaves again.
    pub fn behave(&self) {
        self.inner.lock().unwrap().misbehaviour = None;
    }

    /// The query parameters of the last `/login/oauth/authorize` request.
    pub fn last_authorize_request(&self) -> Option<HashMap<String, String>> {
        self.inner
            .lock()
            .unwrap()
            .authorize_requests
            .last()
            .cloned()
    }

    /// How many requests reached the token endpoint.
    pub fn token_requests(&self) -> usize {
        self.inner.lock().unwrap().token_requests
    }

    /// `GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET`, `GITHUB_URL` and
    /// `GITHUB_API_URL` pointing the app at this fake.
    pub fn settings(&self) -> Vec<(String, String)> {
        vec![
            ("GITHUB_CLIENT_ID".into(), Self::CLIENT_ID.into()),
            ("GITHUB_CLIENT_SECRET".into(), Self::CLIENT_SECRET.into()),
            ("GITHUB_URL".into(), self.base.clone()),
            ("GITHUB_API_URL".into(), self.base.clone()),
        ]
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn authorize(
    State(inner): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut inner = inner.lock().unwrap();
    inner.authorize_requests.push(params.clone());
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    if param("client_id") != inner.client_id {
        return (StatusCode::NOT_FOUND, "no such OAuth app").into_response();
    }
    let Ok(mut back) = Url::parse(&param("redirect_uri")) else {
        return (StatusCode::BAD_REQUEST, "missing or bad redirect_uri").into_response();
    };
    if param("code_challenge").is_empty() || param("code_challenge_method") != "S256" {
        back.query_pairs_mut()
            .append_pair("error", "invalid_request")
            .append_pair("error_description", "PKCE with S256 is required")
            .append_pair("state", &param("state"));
        return Redirect::to(back.as_str()).into_response();
    }
    let code = random_token("");
    let pending = PendingCode {
        client_id: param("client_id"),
        redirect_uri: param("redirect_uri"),
        code_challenge: param("code_challenge"),
        scope: param("scope"),
        user: inner.user.clone(),
    };
    inner.codes.insert(code.clone(), pending);
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &param("state"));
    Redirect::to(back.as_str()).into_response()
}

/// GitHub's token answer: JSON if the request accepts it, else a form.
fn token_reply(headers: &HeaderMap, fields: &[(&str, &str)]) -> Response {
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    if wants_json {
        let map: serde_json::Map<String, serde_json::Value> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        Json(map).into_response()
    } else {
        let mut form = Url::parse("http://x/").expect("a URL");
        for (k, v) in fields {
            form.query_pairs_mut().append_pair(k, v);
        }
        let body = form.query().unwrap_or_default().to_owned();
        (
            [(header::CONTENT_TYPE, "application/x-www-form-urlencoded")],
            body,
        )
            .into_response()
    }
}

fn token_error(headers: &HeaderMap, error: &str, description: &str) -> Response {
    let fields = [("error", error), ("error_description", description)];
    token_reply(headers, &fields)
}

async fn access_token(
    State(inner): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let misbehaviour = {
        let mut inner = inner.lock().unwrap();
        inner.token_requests += 1;
        inner.misbehaviour
    };
    match misbehaviour {
        Some(GitHubMisbehaviour::TokenEndpoint500) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
        Some(GitHubMisbehaviour::TokenEndpointHangs) => {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            return (StatusCode::GATEWAY_TIMEOUT, "too late").into_response();
        }
        _ => {}
    }
    let mut inner = inner.lock().unwrap();
    let credentials = client_credentials(&headers, &form);
    let credentials_ok = credentials
        .as_ref()
        .is_some_and(|(id, secret)| *id == inner.client_id && *secret == inner.client_secret);
    if !credentials_ok {
        let description = "The client_id and/or client_secret passed are incorrect.";
        return token_error(&headers, "incorrect_client_credentials", description);
    }
    let code = form.get("code").cloned().unwrap_or_default();
    let bad_code = "The code passed is incorrect or expired.";
    // Removed on first use: a second exchange of the same code fails.
    let Some(pending) = inner.codes.remove(&code) else {
        return token_error(&headers, "bad_verification_code", bad_code);
    };
    if credentials.is_some_and(|(id, _)| id != pending.client_id) {
        return token_error(&headers, "bad_verification_code", bad_code);
    }
    if form
        .get("redirect_uri")
        .is_some_and(|uri| *uri != pending.redirect_uri)
    {
        let description =
            "The redirect_uri MUST match the registered callback URL for this application.";
        return token_error(&headers, "redirect_uri_mismatch", description);
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if !pkce_s256_matches(&verifier, &pending.code_challenge) {
        return token_error(&headers, "bad_verification_code", "code_verifier mismatch");
    }
    let token = random_token("gho_");
    let scope = pending.scope.split(' ').filter(|s| !s.is_empty());
    let scope = scope.collect::<Vec<_>>().join(",");
    let fields = [
        ("access_token", token.as_str()),
        ("token_type", "bearer"),
        ("scope", scope.as_str()),
    ];
    let reply = token_reply(&headers, &fields);
    let grant = Grant {
        scope: pending.scope.clone(),
        user: pending.user,
    };
    inner.tokens.insert(token, grant);
    reply
}

/// The grant behind the request's token, or GitHub's refusal.
#[allow(clippy::result_large_err)] // a test fake: the refusal is the response itself
fn api_grant(inner: &Inner, headers: &HeaderMap) -> Result<(String, GitHubUser), Response> {
    if headers.get(header::USER_AGENT).is_none() {
        let message = "Request forbidden by administrative rules. \
                       Please make sure your request has a User-Agent header";
        return Err((StatusCode::FORBIDDEN, message).into_response());
    }
    let grant = bearer(headers).and_then(|token| inner.tokens.get(&token));
    match grant {
        Some(grant) => Ok((grant.scope.clone(), grant.user.clone())),
        None => {
            let body = json!({"message": "Bad credentials", "status": "401"});
            Err((StatusCode::UNAUTHORIZED, Json(body)).into_response())
        }
    }
}

async fn user(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let (misbehaviour, grant) = {
        let inner = inner.lock().unwrap();
        (inner.misbehaviour, api_grant(&inner, &headers))
    };
    match misbehaviour {
        Some(GitHubMisbehaviour::UserHtml) => {
            let page = "<!doctype html><html><body>Unicorn! GitHub is down.</body></html>";
            return ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
        }
        Some(GitHubMisbehaviour::UserHangs) => {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            return (StatusCode::GATEWAY_TIMEOUT, "too late").into_response();
        }
        _ => {}
    }
    match grant {
        Ok((_, user)) => Json(json!({
            "id": user.id,
            "login": user.login,
            "name": user.name,
            "email": user.public_email,
            "type": "User",
        }))
        .into_response(),
        Err(refusal) => refusal,
    }
}

async fn emails(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let inner = inner.lock().unwrap();
    let (scope, user) = match api_grant(&inner, &headers) {
        Ok(grant) => grant,
        Err(refusal) => return refusal,
    };
    if !scope.split(' ').any(|s| s == "user:email" || s == "user") {
        let body = json!({"message": "Not Found"});
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    }
    let list: Vec<_> = user
        .emails
        .iter()
        .map(|e| {
            let visibility = if e.primary {
                json!("private")
            } else {
                json!(null)
            };
            json!({
                "email": e.email,
                "primary": e.primary,
                "verified": e.verified,
                "visibility": visibility,
            })
        })
        .collect();
    Json(list).into_response()
}
