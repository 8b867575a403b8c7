//! Single sign-on server functions: the Owner's card and its changes (each
//! in sudo mode), the test round trip, and, for the sign-in page, which
//! SSO serves an address, the start of a sign-in and the callback.

use super::{MemberSso, SsoChoice, SsoOverview};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::server::{callback, domains, flow, policy, settings};
#[cfg(feature = "ssr")]
use crate::server::auth::{app_state, client_meta, require_user};

/// The "Single sign-on" card for an Owner; `None` for everyone else.
#[server(endpoint = "get_sso_overview", output = crate::codec::Json)]
pub async fn get_sso_overview() -> Result<Option<SsoOverview>, AppError> {
    let session = require_user().await?;
    super::server::overview(&app_state()?, &session).await
}

/// What a member who is not an Owner sees of their organization's SSO;
/// `None` for Owners, outside an organization and while none is active.
#[server(endpoint = "get_member_sso", output = crate::codec::Json)]
pub async fn get_member_sso() -> Result<Option<MemberSso>, AppError> {
    let session = require_user().await?;
    super::server::member_view(&app_state()?, &session).await
}

/// Saves the identity provider's settings as pending (sudo mode): the
/// issuer's discovery document is fetched and checked first. An empty
/// `client_secret` keeps the one saved before.
#[server(endpoint = "save_sso_settings", output = crate::codec::Json)]
pub async fn save_sso_settings(
    display_name: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let form = settings::SettingsForm {
        display_name,
        issuer,
        client_id,
        client_secret,
        password,
        code,
    };
    settings::save(&app_state()?, &session, form, &client_meta()?).await
}

/// Removes the organization's single sign-on and its requirement (sudo mode).
#[server(endpoint = "remove_sso", output = crate::codec::Json)]
pub async fn remove_sso(password: Option<String>, code: Option<String>) -> Result<(), AppError> {
    let session = require_user().await?;
    settings::remove(&app_state()?, &session, (password, code), &client_meta()?).await
}

/// Starts "Test connection": the Owner signs in at the identity provider
/// with the pending settings, which become active when it succeeds. A
/// plain form's POST, which the browser follows to the identity provider:
/// not a link, which any other site could make an Owner's browser open.
#[server(endpoint = "test_sso_connection", output = crate::codec::Json)]
pub async fn test_sso_connection() -> Result<(), AppError> {
    let session = require_user().await?;
    flow::start_test(&app_state()?, &session, &client_meta()?).await
}

/// Claims `domain` for the organization (sudo mode).
#[server(endpoint = "add_sso_domain", output = crate::codec::Json)]
pub async fn add_sso_domain(
    domain: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    domains::add(
        &app_state()?,
        &session,
        &domain,
        (password, code),
        &client_meta()?,
    )
    .await
}

/// Looks up `domain`'s TXT record and verifies the domain when it holds
/// the value we gave; for a verified domain whose record went missing, it
/// checks again now and clears the misses when the record is back.
#[server(endpoint = "verify_sso_domain", output = crate::codec::Json)]
pub async fn verify_sso_domain(domain: String) -> Result<(), AppError> {
    let session = require_user().await?;
    domains::verify(&app_state()?, &session, &domain, &client_meta()?).await
}

/// Removes a claimed domain (sudo mode).
#[server(endpoint = "remove_sso_domain", output = crate::codec::Json)]
pub async fn remove_sso_domain(
    domain: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    domains::remove(
        &app_state()?,
        &session,
        &domain,
        (password, code),
        &client_meta()?,
    )
    .await
}

/// Turns "Require SSO for members" on or off, and whether their API keys
/// keep working (sudo mode; checkbox values). Returns how many sessions
/// ended.
#[server(endpoint = "set_sso_enforcement", output = crate::codec::Json)]
pub async fn set_sso_enforcement(
    enforced: Option<String>,
    allow_api_keys: Option<String>,
    password: Option<String>,
    code: Option<String>,
) -> Result<u64, AppError> {
    let session = require_user().await?;
    let form = policy::EnforcementForm {
        enforced: crate::team::api::checkbox(enforced)?,
        allow_api_keys: crate::team::api::checkbox(allow_api_keys)?,
        password,
        code,
    };
    policy::set_enforcement(&app_state()?, &session, form, &client_meta()?).await
}

/// Sets the members' idle and absolute session lifetimes (minutes, hours;
/// blank for the server's), in sudo mode.
#[server(endpoint = "set_sso_session_lifetimes", output = crate::codec::Json)]
pub async fn set_sso_session_lifetimes(
    idle_minutes: String,
    absolute_hours: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let form = policy::SessionForm {
        idle_minutes: whole_number(&idle_minutes, "idle_minutes")?,
        absolute_hours: whole_number(&absolute_hours, "absolute_hours")?,
        password,
        code,
    };
    policy::set_session_lifetimes(&app_state()?, &session, form, &client_meta()?).await
}

/// A blank field, or a whole number.
#[cfg(feature = "ssr")]
fn whole_number(text: &str, field: &str) -> Result<Option<i64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    text.parse::<i64>()
        .map(Some)
        .map_err(|_| AppError::validation(field, "Enter a whole number, or leave it blank."))
}

/// Which organization's SSO serves `email`, for the sign-in pages.
/// Limited per IP address.
#[server(endpoint = "find_sso", output = crate::codec::Json)]
pub async fn find_sso(email: String) -> Result<Option<SsoChoice>, AppError> {
    super::server::choice_for(&app_state()?, &email, &client_meta()?).await
}

/// Starts signing in `email` through its organization's SSO: the browser
/// goes to the identity provider and comes back to `next`. A link (GET).
#[server(endpoint = "start_sso_sign_in", input = GetUrl, output = crate::codec::Json)]
pub async fn start_sso_sign_in(email: String, next: Option<String>) -> Result<(), AppError> {
    // No `next`: the callback lands the member on the Team page.
    let next = next
        .filter(|next| !next.trim().is_empty())
        .map(|next| crate::account::safe_next_path(&next))
        .unwrap_or_default();
    flow::start_sign_in(&app_state()?, &email, &next, &client_meta()?).await
}

/// Where the identity provider sends the browser back (through
/// `/auth/sso/callback`): finishes the sign-in or test. Always a redirect.
#[server(endpoint = "sso_callback", input = GetUrl, output = crate::codec::Json)]
pub async fn sso_callback(
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
) -> Result<(), AppError> {
    let answer = callback::Answer {
        code,
        state,
        error,
        iss,
    };
    callback::finish(&app_state()?, answer, &client_meta()?).await
}
