//! The HTTP endpoints of [`FakeOidc`](super::FakeOidc): discovery, JWKS,
//! authorize, token and userinfo.

use super::super::jwt::{sign_rs256, test_jwks, unsigned, with_corrupt_signature};
use super::super::{bearer, client_credentials, pkce_s256_matches, random_token};
use super::{Misbehaviour, OidcUser, PendingCode, Shared};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Json, Router};
use reqwest::Url;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The provider's routes, on `inner`.
pub(super) fn router(inner: Shared) -> Router {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(discovery),
        )
        .route("/jwks", axum::routing::get(jwks))
        .route("/authorize", axum::routing::get(authorize))
        .route("/token", axum::routing::post(token))
        .route("/userinfo", axum::routing::get(userinfo).post(userinfo))
        .with_state(inner)
}

async fn discovery(State(inner): State<Shared>) -> Response {
    let (issuer, misbehaviour) = {
        let inner = inner.lock().unwrap();
        (inner.issuer.clone(), inner.misbehaviour)
    };
    match misbehaviour {
        Some(Misbehaviour::DiscoveryMalformed) => {
            let garbage = r#"{"issuer": "http://127.0.0.1", "authorization_endpoint": [oops"#;
            ([(header::CONTENT_TYPE, "application/json")], garbage).into_response()
        }
        Some(Misbehaviour::DiscoveryNamesOtherIssuer) => {
            Json(discovery_document(&issuer, "https://issuer.other.example")).into_response()
        }
        _ => Json(discovery_document(&issuer, &issuer)).into_response(),
    }
}

fn discovery_document(base: &str, issuer: &str) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "userinfo_endpoint": format!("{base}/userinfo"),
        "jwks_uri": format!("{base}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "email", "email_verified", "name"],
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code"],
    })
}

async fn jwks() -> Json<Value> {
    Json(test_jwks())
}

async fn authorize(
    State(inner): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let mut inner = inner.lock().unwrap();
    inner.authorize_requests.push(params.clone());
    let param = |name: &str| params.get(name).cloned().unwrap_or_default();
    if param("client_id") != inner.client_id {
        return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
    }
    let Ok(mut back) = Url::parse(&param("redirect_uri")) else {
        return (StatusCode::BAD_REQUEST, "missing or bad redirect_uri").into_response();
    };
    if let Some(state) = params.get("state") {
        back.query_pairs_mut().append_pair("state", state);
    }
    let problem = if param("response_type") != "code" {
        Some("response_type must be code")
    } else if !param("scope").split(' ').any(|s| s == "openid") {
        Some("the openid scope is required")
    } else if param("code_challenge").is_empty() || param("code_challenge_method") != "S256" {
        Some("PKCE with S256 is required")
    } else {
        None
    };
    if let Some(problem) = problem {
        back.query_pairs_mut()
            .append_pair("error", "invalid_request")
            .append_pair("error_description", problem);
        return Redirect::to(back.as_str()).into_response();
    }
    let code = random_token("code-");
    let pending = PendingCode {
        client_id: param("client_id"),
        redirect_uri: param("redirect_uri"),
        nonce: params.get("nonce").cloned(),
        code_challenge: param("code_challenge"),
        user: inner.user.clone(),
    };
    inner.codes.insert(code.clone(), pending);
    back.query_pairs_mut().append_pair("code", &code);
    Redirect::to(back.as_str()).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = json!({"error": error, "error_description": description});
    (status, Json(body)).into_response()
}

async fn token(
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
        Some(Misbehaviour::TokenEndpoint500) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
        Some(Misbehaviour::TokenEndpointHtml) => {
            let page = "<!doctype html><html><body><h1>Service unavailable</h1></body></html>";
            return ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
        }
        Some(Misbehaviour::TokenEndpointHangs) => {
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            return (StatusCode::GATEWAY_TIMEOUT, "too late").into_response();
        }
        _ => {}
    }
    let mut inner = inner.lock().unwrap();
    let Some((client_id, secret)) = client_credentials(&headers, &form) else {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "no client credentials",
        );
    };
    if client_id != inner.client_id || secret != inner.client_secret {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "wrong client credentials",
        );
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        let description = "only authorization_code";
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            description,
        );
    }
    let code = form.get("code").cloned().unwrap_or_default();
    // Removed on first use: a second exchange of the same code fails.
    let Some(pending) = inner.codes.remove(&code) else {
        let description = "unknown, used or expired code";
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description);
    };
    if pending.client_id != client_id {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "code of another client",
        );
    }
    if form.get("redirect_uri") != Some(&pending.redirect_uri) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "redirect_uri mismatch",
        );
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if !pkce_s256_matches(&verifier, &pending.code_challenge) {
        let description = "code_verifier does not match the challenge";
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description);
    }
    let mut user = pending.user.clone();
    if misbehaviour == Some(Misbehaviour::UnverifiedEmail) {
        user.email_verified = false;
    }
    let id_token = id_token(&inner.issuer, &client_id, &pending, &user, misbehaviour);
    let access_token = random_token("at-");
    inner.access_tokens.insert(access_token.clone(), user);
    Json(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "openid email profile",
        "id_token": id_token,
    }))
    .into_response()
}

fn id_token(
    issuer: &str,
    client_id: &str,
    pending: &PendingCode,
    user: &OidcUser,
    misbehaviour: Option<Misbehaviour>,
) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let (iat, exp) = match misbehaviour {
        Some(Misbehaviour::Expired) => (now - 7200, now - 3600),
        _ => (now, now + 600),
    };
    let iss = match misbehaviour {
        Some(Misbehaviour::WrongIssuer) => "https://issuer.other.example",
        _ => issuer,
    };
    let aud = match misbehaviour {
        Some(Misbehaviour::WrongAudience) => "someone-elses-client",
        _ => client_id,
    };
    let mut claims = json!({
        "iss": iss,
        "aud": aud,
        "sub": user.sub,
        "iat": iat,
        "exp": exp,
        "auth_time": iat,
    });
    let without_email = matches!(
        misbehaviour,
        Some(Misbehaviour::IdTokenWithoutEmail | Misbehaviour::UserinfoOtherSubject)
    );
    if !without_email {
        claims["email"] = json!(user.email);
        claims["email_verified"] = json!(user.email_verified);
        claims["name"] = json!(user.name);
    }
    match (&pending.nonce, misbehaviour) {
        (_, Some(Misbehaviour::WrongNonce)) => claims["nonce"] = json!("not-the-nonce-you-sent"),
        (Some(nonce), _) => claims["nonce"] = json!(nonce),
        (None, _) => {}
    }
    match misbehaviour {
        Some(Misbehaviour::AlgNone) => unsigned(&claims),
        Some(Misbehaviour::BadSignature) => with_corrupt_signature(&sign_rs256(&claims)),
        _ => sign_rs256(&claims),
    }
}

async fn userinfo(State(inner): State<Shared>, headers: HeaderMap) -> Response {
    let inner = inner.lock().unwrap();
    let user = bearer(&headers).and_then(|token| inner.access_tokens.get(&token).cloned());
    let Some(user) = user else {
        let challenge = r#"Bearer error="invalid_token""#;
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
        )
            .into_response();
    };
    let sub = if inner.misbehaviour == Some(Misbehaviour::UserinfoOtherSubject) {
        format!("{}-someone-else", user.sub)
    } else {
        user.sub.clone()
    };
    Json(json!({
        "sub": sub,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
    }))
    .into_response()
}
