//! GitHub: OAuth 2 (authorization code with PKCE and `state`) through the
//! `oauth2` crate, then who the token belongs to from `/user` and which
//! addresses GitHub has verified from `/user/emails`. GitHub is not OpenID
//! Connect: there is no ID token, the API answer is the identity.

use super::{Authorization, ProviderFailure, ProviderIdentity, http_failure};
use crate::server::identity::settings::ProviderSettings;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use serde::Deserialize;

/// The account `/user` describes.
#[derive(Deserialize)]
struct GitHubUser {
    id: u64,
    login: String,
    name: Option<String>,
}

/// One entry of `/user/emails`.
#[derive(Deserialize)]
struct GitHubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

type GitHubClient = BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn client(
    provider: &ProviderSettings,
    web_url: &str,
    redirect_uri: &str,
) -> Result<GitHubClient, ProviderFailure> {
    let misconfigured = |_| ProviderFailure::Unavailable("github_urls");
    let mut client = BasicClient::new(ClientId::new(provider.client_id.clone()))
        .set_auth_uri(
            AuthUrl::new(format!("{web_url}/login/oauth/authorize")).map_err(misconfigured)?,
        )
        .set_token_uri(
            TokenUrl::new(format!("{web_url}/login/oauth/access_token")).map_err(misconfigured)?,
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(misconfigured)?)
        // GitHub documents the secret as a form field.
        .set_auth_type(AuthType::RequestBody);
    if let Some(secret) = &provider.client_secret {
        client = client.set_client_secret(ClientSecret::new(secret.expose().to_string()));
    }
    Ok(client)
}

/// Where to send the browser: GitHub's authorization page for our app.
pub fn authorization(
    provider: &ProviderSettings,
    web_url: &str,
    redirect_uri: &str,
) -> Result<Authorization, ProviderFailure> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client(provider, web_url, redirect_uri)?
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("read:user".into()))
        .add_scope(Scope::new("user:email".into()))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: String::new(),
        verifier: verifier.secret().clone(),
    })
}

/// Redeems `code` and asks GitHub whose token it is and which of their
/// addresses are verified; the primary verified address is the email. The
/// token is dropped here.
pub async fn identify(
    http: &reqwest::Client,
    provider: &ProviderSettings,
    urls: (&str, &str),
    redirect_uri: &str,
    code: &str,
    verifier: &str,
) -> Result<ProviderIdentity, ProviderFailure> {
    let (web_url, api_url) = urls;
    let token = client(provider, web_url, redirect_uri)?
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
        .request_async(http)
        .await
        .map_err(|error| {
            tracing::warn!(%error, "the GitHub token request failed");
            match error {
                RequestTokenError::ServerResponse(_) => ProviderFailure::CodeRefused,
                RequestTokenError::Request(error) => http_failure(&error),
                // GitHub answers a bad or used code with 200 and an error
                // object, which is no token response.
                RequestTokenError::Parse(..) => ProviderFailure::CodeRefused,
                RequestTokenError::Other(_) => ProviderFailure::Unavailable("token_status"),
            }
        })?;
    let access_token = token.access_token().secret();
    let user: GitHubUser = api_get(http, &format!("{api_url}/user"), access_token).await?;
    let emails: Vec<GitHubEmail> =
        api_get(http, &format!("{api_url}/user/emails"), access_token).await?;
    let verified = emails
        .iter()
        .filter(|entry| entry.verified)
        .max_by_key(|entry| entry.primary);
    let (email, email_verified) = match verified {
        Some(entry) => (Some(entry.email.clone()), true),
        None => (
            emails
                .iter()
                .find(|entry| entry.primary)
                .map(|entry| entry.email.clone()),
            false,
        ),
    };
    Ok(ProviderIdentity {
        subject: user.id.to_string(),
        account_label: user.login,
        email,
        email_verified,
        name: user.name.filter(|name| !name.trim().is_empty()),
    })
}

async fn api_get<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
    token: &str,
) -> Result<T, ProviderFailure> {
    let response = http
        .get(url)
        .bearer_auth(token)
        .header(http::header::ACCEPT, "application/vnd.github+json")
        .header(http::header::USER_AGENT, "StatusStack-Security")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .send()
        .await
        .map_err(|error| {
            tracing::warn!(%error, url, "the GitHub API request failed");
            http_failure(&error)
        })?;
    if !response.status().is_success() {
        tracing::warn!(status = %response.status(), url, "the GitHub API refused");
        return Err(ProviderFailure::Unavailable("api_status"));
    }
    response.json().await.map_err(|error| {
        tracing::warn!(%error, url, "the GitHub API answered garbage");
        ProviderFailure::Unavailable("api_garbage")
    })
}
