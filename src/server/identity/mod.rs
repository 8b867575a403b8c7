//! Outside identity providers: the configured GitHub, Google and OpenID
//! Connect clients, what they say about a person, and the sealed cookie
//! that binds a round trip to the browser that started it.

pub mod account;
pub mod flow;
mod github;
mod oidc;
pub mod provider_http;
pub mod settings;

use openidconnect::core::CoreProviderMetadata;
use provider_http::ProviderHttp;
use settings::{IdentitySettings, ProviderKind, ProviderSettings};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A provider's discovery document is fetched again after this long.
const DISCOVERY_TTL: Duration = Duration::from_secs(60 * 60);

/// Who the provider says signed in. The subject is its stable id for the
/// person; the email counts only when `email_verified`.
#[derive(Clone, Debug)]
pub struct ProviderIdentity {
    pub subject: String,
    /// What the connection list shows: the GitHub login, or the email.
    pub account_label: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

impl ProviderIdentity {
    /// The provider's name for the person, or the address's local part,
    /// as an account name.
    pub fn display_name(&self, email: &str) -> String {
        let name = self
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty() && !name.chars().any(char::is_control))
            .unwrap_or_else(|| email.split('@').next().unwrap_or(email));
        name.chars().take(crate::account::NAME_MAX_CHARS).collect()
    }
}

/// The start of a round trip: where the browser goes, and what the
/// callback must match (kept in the sealed flow cookie).
pub struct Authorization {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
}

/// Why a provider gave no identity. The reason goes into the event; the
/// person reads one of a few plain messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProviderFailure {
    /// Down, too slow, or answering something that is not its protocol.
    Unavailable(&'static str),
    /// The provider refused the code: used before, expired or not ours.
    CodeRefused,
    /// The ID token failed a check (signature, issuer, audience, expiry, nonce).
    InvalidToken(&'static str),
}

impl ProviderFailure {
    /// The event's `reason`.
    pub fn reason(self) -> &'static str {
        match self {
            ProviderFailure::Unavailable(reason) | ProviderFailure::InvalidToken(reason) => reason,
            ProviderFailure::CodeRefused => "code_refused",
        }
    }
}

/// A failed HTTP exchange: a timeout or an unreachable host.
fn http_failure(error: &(dyn std::error::Error + 'static)) -> ProviderFailure {
    let mut source = Some(error);
    while let Some(current) = source {
        // oauth2 and openidconnect box reqwest's error inside their own.
        let reqwest_error = current.downcast_ref::<reqwest::Error>().or_else(|| {
            current
                .downcast_ref::<Box<reqwest::Error>>()
                .map(|boxed| &**boxed)
        });
        if reqwest_error.is_some_and(reqwest::Error::is_timeout) {
            return ProviderFailure::Unavailable("timeout");
        }
        source = current.source();
    }
    ProviderFailure::Unavailable("unreachable")
}

/// `scheme://host[:port]` of an absolute URL that `provider_url` accepted.
/// (An OpenID Connect provider's authorization page is on its issuer's
/// origin: Google's, Okta's, Keycloak's and oidc-provider's are.)
fn origin_of(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
            format!("{scheme}://{host}")
        }
        None => url.to_string(),
    }
}

/// The configured providers and the HTTP client that talks to them.
pub struct IdentityProviders {
    settings: IdentitySettings,
    /// For the configured providers: follows no redirects (a provider's
    /// answer is taken as given) and gives up after the configured timeout.
    http: ProviderHttp,
    /// For organizations' SSO providers, which an Owner names: the same,
    /// and on an HTTPS deployment public addresses only.
    sso_http: ProviderHttp,
    /// `PUBLIC_URL`'s origin: callbacks are `{origin}/auth/oauth/{key}/callback`.
    origin: String,
    /// " https://github.com http://127.0.0.1:4000": the origins of the
    /// providers' authorization pages, for CSP's `form-action`.
    form_action_sources: String,
    /// Discovery documents by provider key, with when they were fetched.
    discovered: Mutex<HashMap<String, (Instant, CoreProviderMetadata)>>,
    /// The authorization endpoints of organizations' SSO providers this
    /// instance has sent a browser to (their settings live in the database).
    sso_endpoints: Mutex<std::collections::HashSet<String>>,
}

impl IdentityProviders {
    /// `public_only_sso`: organizations' SSO providers may not be reached
    /// at internal addresses (off only while the app runs on plain HTTP, as
    /// in development and tests, where they are on loopback).
    pub fn new(
        settings: IdentitySettings,
        origin: &str,
        public_only_sso: bool,
    ) -> anyhow::Result<IdentityProviders> {
        let timeout = Duration::from_secs(settings.timeout_secs.max(1));
        let http = ProviderHttp::new(timeout, false)?;
        let sso_http = ProviderHttp::new(timeout, public_only_sso)?;
        let mut origins: Vec<String> = settings
            .providers
            .iter()
            .map(|provider| match &provider.kind {
                ProviderKind::GitHub { web_url, .. } => origin_of(web_url),
                ProviderKind::Oidc { issuer } => origin_of(issuer),
            })
            .collect();
        origins.dedup();
        let form_action_sources = origins.iter().map(|origin| format!(" {origin}")).collect();
        Ok(IdentityProviders {
            form_action_sources,
            settings,
            http,
            sso_http,
            origin: origin.to_string(),
            discovered: Mutex::default(),
            sso_endpoints: Mutex::default(),
        })
    }

    /// The providers' origins for CSP's `form-action`, each after a space.
    pub fn form_action_sources(&self) -> &str {
        &self.form_action_sources
    }

    /// Every configured provider, in the order the pages list them.
    pub fn all(&self) -> &[ProviderSettings] {
        &self.settings.providers
    }

    /// The provider with this key, if configured.
    pub fn find(&self, key: &str) -> Option<&ProviderSettings> {
        self.settings.providers.iter().find(|p| p.key == key)
    }

    /// Where the provider sends the browser back to.
    pub fn redirect_uri(&self, provider: &ProviderSettings) -> String {
        format!("{}/auth/oauth/{}/callback", self.origin, provider.key)
    }

    /// Starts a round trip with `provider`.
    pub async fn authorization(
        &self,
        provider: &ProviderSettings,
    ) -> Result<Authorization, ProviderFailure> {
        let redirect_uri = self.redirect_uri(provider);
        match &provider.kind {
            ProviderKind::GitHub { web_url, .. } => {
                github::authorization(provider, web_url, &redirect_uri)
            }
            ProviderKind::Oidc { issuer } => {
                let metadata = self.metadata(&self.http, &provider.key, issuer).await?;
                oidc::authorization(provider, metadata, &redirect_uri)
            }
        }
    }

    /// Ends a round trip: redeems `code` (with the PKCE `verifier` and,
    /// for OpenID Connect, the `nonce` the flow began with) and returns
    /// the identity the provider vouches for.
    pub async fn identify(
        &self,
        provider: &ProviderSettings,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<ProviderIdentity, ProviderFailure> {
        let redirect_uri = self.redirect_uri(provider);
        match &provider.kind {
            ProviderKind::GitHub { web_url, api_url } => {
                github::identify(
                    self.http.reqwest(),
                    provider,
                    (web_url, api_url),
                    &redirect_uri,
                    code,
                    verifier,
                )
                .await
            }
            ProviderKind::Oidc { issuer } => {
                let metadata = self.metadata(&self.http, &provider.key, issuer).await?;
                oidc::identify(
                    &self.http,
                    provider,
                    metadata,
                    &redirect_uri,
                    code,
                    verifier,
                    nonce,
                )
                .await
            }
        }
    }

    /// Fetches `issuer`'s discovery document now (no cache): what an Owner
    /// sees when saving an organization's SSO settings.
    pub async fn discover_now(
        &self,
        issuer: &str,
    ) -> Result<CoreProviderMetadata, ProviderFailure> {
        oidc::discover(&self.sso_http, issuer).await
    }

    /// Starts a round trip with an organization's SSO provider, back to
    /// `redirect_uri`; its authorization page becomes a place our
    /// redirects may go.
    pub async fn sso_authorization(
        &self,
        provider: &ProviderSettings,
        redirect_uri: &str,
        login_hint: Option<&str>,
    ) -> Result<Authorization, ProviderFailure> {
        let ProviderKind::Oidc { issuer } = &provider.kind else {
            return Err(ProviderFailure::Unavailable("not_oidc"));
        };
        let metadata = self.metadata(&self.sso_http, &provider.key, issuer).await?;
        let endpoint = metadata.authorization_endpoint().url().to_string();
        let authorization =
            oidc::authorization_with_hint(provider, metadata, redirect_uri, login_hint)?;
        if let Ok(mut endpoints) = self.sso_endpoints.lock() {
            endpoints.insert(endpoint);
        }
        Ok(authorization)
    }

    /// Ends a round trip with an organization's SSO provider.
    pub async fn sso_identify(
        &self,
        provider: &ProviderSettings,
        redirect_uri: &str,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<ProviderIdentity, ProviderFailure> {
        let ProviderKind::Oidc { issuer } = &provider.kind else {
            return Err(ProviderFailure::Unavailable("not_oidc"));
        };
        let metadata = self.metadata(&self.sso_http, &provider.key, issuer).await?;
        oidc::identify(
            &self.sso_http,
            provider,
            metadata,
            redirect_uri,
            code,
            verifier,
            nonce,
        )
        .await
    }

    /// Whether `location` is a configured provider's authorization page:
    /// the only other site our redirects may send a browser to.
    pub fn is_authorization_page(&self, location: &str) -> bool {
        let at_endpoint = |endpoint: &str| {
            location
                .strip_prefix(endpoint)
                .is_some_and(|rest| rest.starts_with('?'))
        };
        if self
            .sso_endpoints
            .lock()
            .is_ok_and(|endpoints| endpoints.iter().any(|endpoint| at_endpoint(endpoint)))
        {
            return true;
        }
        let Ok(discovered) = self.discovered.lock() else {
            return false;
        };
        self.settings.providers.iter().any(|provider| {
            let endpoint = match &provider.kind {
                ProviderKind::GitHub { web_url, .. } => format!("{web_url}/login/oauth/authorize"),
                ProviderKind::Oidc { .. } => match discovered.get(&provider.key) {
                    Some((_, metadata)) => metadata.authorization_endpoint().url().to_string(),
                    None => return false,
                },
            };
            location
                .strip_prefix(endpoint.as_str())
                .is_some_and(|rest| rest.starts_with('?'))
        })
    }

    /// The provider's discovery document, fetched at most hourly.
    async fn metadata(
        &self,
        http: &ProviderHttp,
        key: &str,
        issuer: &str,
    ) -> Result<CoreProviderMetadata, ProviderFailure> {
        if let Ok(discovered) = self.discovered.lock()
            && let Some((fetched_at, metadata)) = discovered.get(key)
            && fetched_at.elapsed() < DISCOVERY_TTL
        {
            return Ok(metadata.clone());
        }
        let metadata = oidc::discover(http, issuer).await?;
        if let Ok(mut discovered) = self.discovered.lock() {
            discovered.insert(key.to_string(), (Instant::now(), metadata.clone()));
        }
        Ok(metadata)
    }
}
