//! The page guard: signed-out visitors of `/settings…` go to the sign-in
//! page, signed-in visitors of the sign-in pages go on, a half-signed-in
//! browser reaches only its second step, a member held at the 2FA gate
//! only the set-up, and an Owner or Admin held at the passkey gate only the
//! page that adds one.

use crate::error::AppError;
use crate::ids::{encode_query_component, is_local_path};
use crate::server::auth::{AuthSession, ResolvedSession};
use crate::server::state::AppState;
use crate::team::server::gate::ResolvedRequirement;
use crate::team::server::passkey_gate::{ResolvedPasskeyRequirement, gate_requirements};
use crate::team::{
    PASSKEY_SETUP_PATH, PasskeyRequirement, TWO_FACTOR_SETUP_PATH, TwoFactorRequirement,
};
use crate::two_factor::server::challenge::{CHALLENGE_PATH, challenge_from_headers};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{LOCATION, SET_COOKIE};
use http::{HeaderValue, Method, StatusCode};

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(LOCATION, value);
    }
    response
}

/// Keeps every redirect on this site: a `Location` that is neither a local
/// path nor this site's own origin becomes `/`. Whatever built it (a page, a
/// server function, a proxy-supplied value), no answer sends a browser to
/// another host.
pub async fn local_redirects_only(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let mut response = next.run(request).await;
    let Some(location) = response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap_or("//").to_string())
    else {
        return response;
    };
    let scheme = if state.config.public_url.https {
        "https"
    } else {
        "http"
    };
    let own_origins = [
        Some(state.config.public_url.origin.clone()),
        host.map(|host| format!("{scheme}://{host}")),
    ];
    let local = is_local_path(&location)
        || own_origins.iter().flatten().any(|origin| {
            location
                .strip_prefix(origin.as_str())
                .is_some_and(|rest| rest.is_empty() || is_local_path(rest))
        });
    // The one other kind of place: a configured sign-in provider's
    // authorization page, at the start of a round trip.
    if !local && !state.identity.is_authorization_page(&location) {
        tracing::warn!(location = %location.escape_debug(), "refused a redirect to another site");
        response
            .headers_mut()
            .insert(LOCATION, HeaderValue::from_static("/"));
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
pub async fn page_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    if let Some(clean) = request
        .uri()
        .path_and_query()
        .and_then(|pq| without_action_error_params(pq.as_str()))
    {
        // `//evil.example/?__err=x` must not send the browser to another host.
        return see_other(if is_local_path(&clean) { &clean } else { "/" });
    }
    let path = request.uri().path();
    let protected =
        path == "/settings" || path.starts_with("/settings/") || path == TWO_FACTOR_SETUP_PATH;
    let signed_out_only = path == "/login"
        || path == "/signup"
        || path == "/forgot-password"
        || path == CHALLENGE_PATH;
    if !protected && !signed_out_only {
        return next.run(request).await;
    }
    let session = match state.session_from_headers(request.headers()).await {
        Ok(session) => session,
        Err(error) => return error_page(&error),
    };
    match (session, protected) {
        (None, true) => to_sign_in(&state, &request),
        (Some(_), false) => see_other(&already_signed_in_target(&request)),
        (None, false) if path == CHALLENGE_PATH => {
            match challenge_from_headers(&state, request.headers()).await {
                Ok(Some(_)) => next.run(request).await,
                Ok(None) => see_other("/login?challenge=expired"),
                Err(error) => error_page(&error),
            }
        }
        (Some(session), true) => into_settings(&state, session, request, next).await,
        (None, false) => next.run(request).await,
    }
}

/// Sends a signed-out visitor of a settings page to sign in, remembering
/// where they were going, and clears a session cookie that no longer works.
/// Where a signed-in visitor of the sign-in (or sign-up) page goes: the
/// page it was asked to continue to, when that is on this site.
fn already_signed_in_target(request: &Request) -> String {
    let next = axum::extract::Query::<std::collections::HashMap<String, String>>::try_from_uri(
        request.uri(),
    )
    .ok()
    .and_then(|query| query.0.get("next").cloned())
    .unwrap_or_default();
    crate::account::safe_next_path(&next)
}

fn to_sign_in(state: &AppState, request: &Request) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/settings/security");
    let mut response = see_other(&format!("/login?next={}", encode_query_component(target)));
    if state.token_from_headers(request.headers()).is_some()
        && let Ok(value) = HeaderValue::from_str(&state.clearing_cookie())
    {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}

/// Lets a signed-in member into a settings page, unless their organization
/// holds them at the 2FA set-up or (an Owner or Admin) at the page that adds
/// a passkey; hands the session and the requirements to the render so it
/// does not look them up again.
async fn into_settings(
    state: &AppState,
    session: AuthSession,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path != TWO_FACTOR_SETUP_PATH {
        let at_passkey_setup = path == PASSKEY_SETUP_PATH;
        match gate_requirements(state, &session.user.id, state.now()).await {
            Ok((TwoFactorRequirement::Enforced { .. }, _)) => {
                return see_other(TWO_FACTOR_SETUP_PATH);
            }
            Ok((_, PasskeyRequirement::Enforced { .. })) if !at_passkey_setup => {
                return see_other(PASSKEY_SETUP_PATH);
            }
            Ok((two_factor, passkey)) => {
                let extensions = request.extensions_mut();
                extensions.insert(ResolvedRequirement(two_factor));
                extensions.insert(ResolvedPasskeyRequirement(passkey));
            }
            Err(error) => return error_page(&error),
        }
    }
    request.extensions_mut().insert(ResolvedSession(session));
    next.run(request).await
}

/// A page for a failure before the render: its status, `Retry-After` when
/// the database is out of reach, and the error's words with a way back in.
fn error_page(error: &AppError) -> Response {
    let message = crate::server::mail::compose::html_escape(&error.to_string());
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>StatusStack Security</title></head><body><main>\
         <h1>StatusStack Security</h1><p role=\"alert\">{message}</p>\
         <p><a href=\"/settings/security\">Try again</a></p></main></body></html>"
    );
    let mut response = (
        error.status(),
        [(http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    if let AppError::Unavailable { retry_after } | AppError::RateLimited { retry_after } = error {
        response
            .headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(*retry_after));
    }
    response
}
