//! Saving the identity provider's settings: the issuer is checked (HTTPS,
//! not an internal address) and its discovery document fetched before
//! anything is stored; the client secret is sealed under the server key.
//! What is saved stays pending until "Test connection" proves it.

use super::{Change, owned_org, record_change, store};
use crate::error::AppError;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::AuthSession;
use crate::server::client::ClientMeta;
use crate::server::crypto::sealing::{open, seal};
use crate::server::identity::ProviderFailure;
use crate::server::identity::settings::ClientSecretText;
use crate::server::net::is_internal;
use crate::server::state::AppState;
use crate::sso::{DiscoverySummary, display_name_problem};
use crate::two_factor::server::sudo::confirm_sudo;
use openidconnect::core::CoreProviderMetadata;
use std::net::IpAddr;

const SECRET_PURPOSE: &str = "sso-client-secret";
const ISSUER_MAX_CHARS: usize = 512;
const CLIENT_ID_MAX_CHARS: usize = 255;
const CLIENT_SECRET_MAX_CHARS: usize = 512;

/// The settings form as sent.
pub struct SettingsForm {
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    /// Empty keeps the secret already saved.
    pub client_secret: String,
    pub password: Option<String>,
    pub code: Option<String>,
}

/// Checks the form, fetches the discovery document, then (in sudo mode)
/// saves the settings as pending.
pub async fn save(
    state: &AppState,
    session: &AuthSession,
    form: SettingsForm,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let org_id = owned_org(state, session).await?;
    let display_name = form.display_name.trim().to_string();
    if let Some(problem) = display_name_problem(&display_name) {
        return Err(AppError::validation("display_name", problem));
    }
    let issuer = issuer_url(&form.issuer, !state.config.public_url.https)
        .map_err(|problem| AppError::validation("issuer", problem))?;
    let client_id = form.client_id.trim().to_string();
    if client_id.is_empty()
        || client_id.chars().count() > CLIENT_ID_MAX_CHARS
        || client_id.chars().any(char::is_control)
    {
        return Err(AppError::validation(
            "client_id",
            "Enter the client id the identity provider gave you (up to 255 characters).",
        ));
    }
    let stored = store::find(&state.pool, &org_id).await?;
    let secret = match form.client_secret.trim() {
        "" => kept_secret(state, &org_id, stored.as_ref())?
            .ok_or_else(|| AppError::validation("client_secret", "Enter the client secret."))?,
        secret
            if secret.chars().count() > CLIENT_SECRET_MAX_CHARS
                || secret.chars().any(char::is_control) =>
        {
            return Err(AppError::validation(
                "client_secret",
                "That client secret is too long or holds control characters.",
            ));
        }
        secret => ClientSecretText::new(secret.to_string()),
    };
    let metadata = state
        .identity
        .discover_now(&issuer)
        .await
        .map_err(|failure| AppError::validation("issuer", discovery_problem(failure, &issuer)))?;
    let discovery = summary(&metadata).ok_or_else(|| {
        AppError::validation(
            "issuer",
            "The discovery document names no token endpoint, so sign-in cannot work.",
        )
    })?;
    confirm_sudo(state, session, form.password, form.code, client).await?;
    let sealed = seal(
        &state.key,
        SECRET_PURPOSE,
        org_id.as_bytes(),
        secret.expose().as_bytes(),
    )?;
    let now = state.now();
    store::save_pending(
        &state.pool,
        &store::PendingSettings {
            org_id: &org_id,
            display_name: &display_name,
            issuer: &issuer,
            client_id: &client_id,
            secret_sealed: &sealed,
            discovery: &serde_json::to_string(&discovery).map_err(anyhow::Error::from)?,
            now,
        },
    )
    .await?;
    let what = format!(
        "New single sign-on settings were saved for {display_name} (issuer {issuer}, client id {client_id}). They take effect once “Test connection” succeeds."
    );
    record_change(
        state,
        Change {
            actor: session,
            org_id: &org_id,
            kind: EventKind::SsoConfigured,
            what: &what,
        },
        Outcome::Success,
        client,
        serde_json::json!({
            "issuer": issuer,
            "client_id": client_id,
            "display_name": display_name,
            "secret_replaced": !form.client_secret.trim().is_empty(),
        }),
    )
    .await
}

/// Removes the organization's single sign-on (sudo mode): nobody signs in
/// through it any more and nobody is required to. Domains stay verified,
/// and members keep their accounts and sessions.
pub async fn remove(
    state: &AppState,
    session: &AuthSession,
    sudo: (Option<String>, Option<String>),
    client: &ClientMeta,
) -> Result<(), AppError> {
    let org_id = owned_org(state, session).await?;
    if store::find(&state.pool, &org_id).await?.is_none() {
        return Err(AppError::validation(
            "form",
            "Single sign-on is not set up, so there is nothing to remove.",
        ));
    }
    confirm_sudo(state, session, sudo.0, sudo.1, client).await?;
    store::remove_connection(&state.pool, &org_id).await?;
    record_change(
        state,
        Change {
            actor: session,
            org_id: &org_id,
            kind: EventKind::SsoRemoved,
            what: "Single sign-on was removed: members sign in with their own passwords, passkeys and connected accounts again (those made through SSO have no password until they use “Forgot your password?”).",
        },
        Outcome::Success,
        client,
        serde_json::json!({}),
    )
    .await
}

/// The secret of the settings saved before (pending first), opened.
fn kept_secret(
    state: &AppState,
    org_id: &str,
    stored: Option<&store::StoredConnection>,
) -> Result<Option<ClientSecretText>, AppError> {
    let sealed = stored.and_then(|stored| {
        stored
            .pending_client_secret_sealed
            .as_deref()
            .or(stored.client_secret_sealed.as_deref())
    });
    sealed
        .map(|sealed| open_secret(state, org_id, sealed))
        .transpose()
}

/// A stored client secret in clear, for a request to the identity provider.
pub fn open_secret(
    state: &AppState,
    org_id: &str,
    sealed: &str,
) -> Result<ClientSecretText, AppError> {
    let plain = open(&state.key, SECRET_PURPOSE, org_id.as_bytes(), sealed)?;
    let text = String::from_utf8(plain).map_err(anyhow::Error::from)?;
    Ok(ClientSecretText::new(text))
}

/// The issuer as typed, tidied, when it is an HTTPS URL of a public host.
/// `http://` (and loopback hosts) only while the app itself runs on plain
/// HTTP, as in development and tests: otherwise an Owner could make the
/// server fetch from inside its own network.
pub fn issuer_url(typed: &str, development: bool) -> Result<String, &'static str> {
    let issuer = typed.trim().trim_end_matches('/');
    if issuer.is_empty() || issuer.chars().count() > ISSUER_MAX_CHARS {
        return Err("Enter the issuer URL, e.g. https://login.example.com.");
    }
    let rest = match issuer.split_once("://") {
        Some(("https", rest)) => rest,
        Some(("http", rest)) if development => rest,
        _ => return Err("The issuer must be an https:// URL."),
    };
    if issuer.contains(['?', '#', ' ', '\\']) || issuer.chars().any(char::is_control) {
        return Err("The issuer must be a plain URL, without a query or fragment.");
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return Err("The issuer must name a host, e.g. https://login.example.com.");
    }
    let host = host_of(authority);
    let internal = host == "localhost"
        || host.ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(is_internal);
    if internal && !development {
        return Err("The issuer must be a public host, not an internal address.");
    }
    if issuer.starts_with("http://") && !internal {
        return Err("The issuer must be an https:// URL.");
    }
    Ok(issuer.to_string())
}

/// The host of `host[:port]` or `[v6]:port`.
fn host_of(authority: &str) -> String {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    host.to_ascii_lowercase()
}

/// The sentence for a discovery document we could not use.
fn discovery_problem(failure: ProviderFailure, issuer: &str) -> String {
    let document = format!("{issuer}/.well-known/openid-configuration");
    match failure.reason() {
        "discovery_issuer" => format!(
            "The discovery document at {document} names another issuer. Enter the issuer exactly as the identity provider states it."
        ),
        "discovery_status" => format!("{document} answered with an error. Check the issuer URL."),
        "discovery_invalid" | "issuer_url" => {
            format!("{document} is not a valid OpenID Connect discovery document.")
        }
        _ => format!(
            "We could not reach {document}. Check the issuer URL and that the identity provider is up."
        ),
    }
}

/// What the Owner reviews of the discovery document; `None` without a
/// token endpoint.
fn summary(metadata: &CoreProviderMetadata) -> Option<DiscoverySummary> {
    let signing_algorithms = metadata
        .id_token_signing_alg_values_supported()
        .iter()
        .filter_map(|algorithm| serde_json::to_value(algorithm).ok())
        .filter_map(|value| value.as_str().map(str::to_string))
        .collect();
    Some(DiscoverySummary {
        issuer: metadata.issuer().as_str().to_string(),
        authorization_endpoint: metadata.authorization_endpoint().url().to_string(),
        token_endpoint: metadata.token_endpoint()?.url().to_string(),
        userinfo_endpoint: metadata
            .userinfo_endpoint()
            .map(|endpoint| endpoint.url().to_string()),
        jwks_uri: metadata.jwks_uri().url().to_string(),
        signing_algorithms,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_public_https_outside_development() {
        assert_eq!(
            issuer_url(" https://login.example.com/ ", false).as_deref(),
            Ok("https://login.example.com")
        );
        assert!(issuer_url("https://login.example.com/tenant/v2", false).is_ok());
        for bad in [
            "",
            "login.example.com",
            "http://login.example.com",
            "ftp://login.example.com",
            "https://localhost",
            "https://127.0.0.1:8443",
            "https://10.1.2.3",
            "https://169.254.169.254",
            "https://[::1]",
            "https://[fd00::1]",
            "https://[64:ff9b::a9fe:a9fe]",
            "https://[::ffff:127.0.0.1]",
            "https://0.1.2.3",
            "https://198.18.0.1",
            "https://user@login.example.com",
            "https://login.example.com?x=1",
            "https://",
        ] {
            assert!(issuer_url(bad, false).is_err(), "{bad}");
        }
        assert!(issuer_url("http://127.0.0.1:3101", true).is_ok());
        assert!(issuer_url("http://localhost:3101", true).is_ok());
        assert!(issuer_url("http://login.example.com", true).is_err());
    }
}
