//! The round trips to an organization's identity provider: signing in
//! (from the SSO sign-in page, by email) and an Owner's "Test connection".
//! Both use the sealed flow cookie of `server::identity::flow` (`state`,
//! `nonce`, PKCE verifier, 10 minutes, cleared by every callback); a test
//! must finish in the Owner's session that started it and proves exactly
//! the settings saved when it began.

use super::settings::open_secret;
use super::store;
use crate::account::normalize_email;
use crate::error::AppError;
use crate::server::auth::{AuthSession, set_cookie};
use crate::server::client::ClientMeta;
use crate::server::identity::flow::{FLOW_TTL_MS, FlowTicket, Intent};
use crate::server::identity::settings::{ProviderKind, ProviderSettings};
use crate::server::rate_limit::WindowLimit;
use crate::server::state::AppState;
use crate::sso::{CALLBACK_PATH, SsoProblem, email_domain};
use crate::time::MINUTE_MS;

/// SSO round trips started per IP address.
pub const STARTS_PER_IP: WindowLimit = WindowLimit {
    name: "sso-start-ip",
    limit: 60,
    window_ms: 10 * MINUTE_MS,
};
/// SSO callbacks that reach an identity provider, per IP address.
pub const CALLBACKS_PER_IP: WindowLimit = WindowLimit {
    name: "sso-callback-ip",
    limit: 30,
    window_ms: 10 * MINUTE_MS,
};
/// The flow cookie's provider for every SSO round trip; the ticket names
/// the organization.
pub const FLOW_PROVIDER: &str = "sso";
/// Where a sign-in lands without a `next`.
pub const DEFAULT_NEXT: &str = "/settings/team";

/// What to register at the identity provider.
pub fn redirect_uri(state: &AppState) -> String {
    format!("{}{CALLBACK_PATH}", state.config.public_url.origin)
}

/// The provider settings one round trip uses.
fn provider(
    state: &AppState,
    org_id: &str,
    label: &str,
    (issuer, client_id, sealed): (&str, &str, &str),
) -> Result<ProviderSettings, AppError> {
    Ok(ProviderSettings {
        // Discovery is cached by this key: it depends on the issuer only.
        key: format!("sso:{issuer}"),
        label: label.to_string(),
        kind: ProviderKind::Oidc {
            issuer: issuer.to_string(),
        },
        client_id: client_id.to_string(),
        client_secret: Some(open_secret(state, org_id, sealed)?),
    })
}

/// The active settings of `stored`, if it has them.
pub fn active(
    state: &AppState,
    stored: &store::StoredConnection,
) -> Result<Option<ProviderSettings>, AppError> {
    match (
        &stored.issuer,
        &stored.client_id,
        &stored.client_secret_sealed,
    ) {
        (Some(issuer), Some(client_id), Some(sealed)) => Ok(Some(provider(
            state,
            &stored.org_id,
            &stored.display_name,
            (issuer, client_id, sealed),
        )?)),
        _ => Ok(None),
    }
}

/// The settings saved at `saved_at` (pending), or the active ones for `None`.
pub fn under_test(
    state: &AppState,
    stored: &store::StoredConnection,
    saved_at: Option<i64>,
) -> Result<Option<ProviderSettings>, AppError> {
    let Some(saved_at) = saved_at else {
        return active(state, stored);
    };
    match (
        &stored.pending_issuer,
        &stored.pending_client_id,
        &stored.pending_client_secret_sealed,
    ) {
        (Some(issuer), Some(client_id), Some(sealed)) if stored.pending_since == Some(saved_at) => {
            Ok(Some(provider(
                state,
                &stored.org_id,
                &stored.display_name,
                (issuer, client_id, sealed),
            )?))
        }
        _ => Ok(None),
    }
}

/// Sends the browser to `org_id`'s identity provider with a fresh ticket.
async fn go(
    state: &AppState,
    provider: &ProviderSettings,
    ticket: FlowTicket,
    login_hint: Option<&str>,
) -> Result<Result<(), SsoProblem>, AppError> {
    let authorization = match state
        .identity
        .sso_authorization(provider, &redirect_uri(state), login_hint)
        .await
    {
        Ok(authorization) => authorization,
        Err(failure) => {
            tracing::warn!(
                reason = failure.reason(),
                "an SSO round trip could not start"
            );
            return Ok(Err(SsoProblem::Unavailable));
        }
    };
    let ticket = FlowTicket {
        state: authorization.state,
        nonce: authorization.nonce,
        verifier: authorization.verifier,
        ..ticket
    };
    set_cookie(&state.flow_cookie(&ticket)?)?;
    leptos_axum::redirect(&authorization.url);
    Ok(Ok(()))
}

fn ticket(state: &AppState, intent: Intent, org_id: &str, next: &str) -> FlowTicket {
    FlowTicket {
        provider: FLOW_PROVIDER.to_string(),
        intent,
        state: String::new(),
        nonce: String::new(),
        verifier: String::new(),
        next: next.to_string(),
        session_id: None,
        expires_at: state.now() + FLOW_TTL_MS,
        org_id: Some(org_id.to_string()),
        settings_saved_at: None,
    }
}

/// Starts signing in `email` through its organization's SSO; a problem
/// sends the browser back to the SSO sign-in page saying what it is.
pub async fn start_sign_in(
    state: &AppState,
    email: &str,
    next: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let email = normalize_email(email);
    let outcome = match email_domain(&email) {
        None => Err(SsoProblem::NotConfigured),
        Some(domain) => match store::sso_for_domain(&state.pool, &domain).await? {
            None => Err(SsoProblem::NotConfigured),
            Some(found) => {
                if state
                    .hit_limit(STARTS_PER_IP, &client.ip_bucket(), state.now())
                    .await
                    .is_err()
                {
                    Err(SsoProblem::TooManyAttempts)
                } else {
                    let stored = store::find(&state.pool, &found.org_id).await?;
                    match stored
                        .as_ref()
                        .map(|stored| active(state, stored))
                        .transpose()?
                        .flatten()
                    {
                        None => Err(SsoProblem::NotConfigured),
                        Some(provider) => {
                            let ticket = ticket(state, Intent::SsoSignIn, &found.org_id, next);
                            go(state, &provider, ticket, Some(&email)).await?
                        }
                    }
                }
            }
        },
    };
    if let Err(problem) = outcome {
        leptos_axum::redirect(&sign_in_page(problem));
    }
    Ok(())
}

/// The SSO sign-in page showing `problem`.
pub fn sign_in_page(problem: SsoProblem) -> String {
    format!("/login/sso?sso_error={}", problem.as_str())
}

/// The Owner's card showing the test's outcome.
pub fn card_with(outcome: &str) -> String {
    format!("/settings/authentication?sso_test={outcome}#single-sign-on")
}

/// Starts the Owner's "Test connection" of the pending settings (or the
/// active ones when nothing is pending).
pub async fn start_test(
    state: &AppState,
    session: &AuthSession,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let org_id = super::owned_org(state, session).await?;
    state
        .hit_limit(STARTS_PER_IP, &client.ip_bucket(), state.now())
        .await?;
    let stored = store::find(&state.pool, &org_id).await?.ok_or_else(|| {
        AppError::validation("issuer", "Save the identity provider's settings first.")
    })?;
    let saved_at = stored.pending_since;
    let provider = under_test(state, &stored, saved_at)?.ok_or_else(|| {
        AppError::validation("issuer", "Save the identity provider's settings first.")
    })?;
    let mut ticket = ticket(state, Intent::SsoTest, &org_id, super::CARD_PATH);
    ticket.session_id = Some(session.session_id.clone());
    ticket.settings_saved_at = saved_at;
    if let Err(problem) = go(state, &provider, ticket, Some(&session.user.email)).await? {
        leptos_axum::redirect(&card_with(problem.as_str()));
    }
    Ok(())
}
