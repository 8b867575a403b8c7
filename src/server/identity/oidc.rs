//! OpenID Connect providers (Google, and any configured by discovery):
//! the authorization code flow with PKCE and a nonce, the ID token checked
//! for signature, issuer, audience, expiry and nonce by `openidconnect`.

use super::{Authorization, ProviderFailure, ProviderIdentity, http_failure};
use crate::server::identity::provider_http::ProviderHttp;
use crate::server::identity::settings::ProviderSettings;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    DiscoveryError, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RequestTokenError, Scope, SubjectIdentifier, TokenResponse, UserInfoError,
};

/// Fetches and checks the provider's discovery document and keys: the
/// document must name the configured issuer.
pub async fn discover(
    http: &ProviderHttp,
    issuer: &str,
) -> Result<CoreProviderMetadata, ProviderFailure> {
    let issuer_url = IssuerUrl::new(issuer.to_string())
        .map_err(|_| ProviderFailure::Unavailable("issuer_url"))?;
    CoreProviderMetadata::discover_async(issuer_url, http)
        .await
        .map_err(|error| {
            tracing::warn!(%error, issuer, "OpenID Connect discovery failed");
            match error {
                DiscoveryError::Request(_) => ProviderFailure::Unavailable("discovery_unreachable"),
                DiscoveryError::Response(..) => ProviderFailure::Unavailable("discovery_status"),
                DiscoveryError::Validation(_) => ProviderFailure::Unavailable("discovery_issuer"),
                _ => ProviderFailure::Unavailable("discovery_invalid"),
            }
        })
}

fn client(
    provider: &ProviderSettings,
    metadata: CoreProviderMetadata,
    redirect_uri: &str,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    ProviderFailure,
> {
    let redirect = RedirectUrl::new(redirect_uri.to_string())
        .map_err(|_| ProviderFailure::Unavailable("redirect_uri"))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(provider.client_id.clone()),
        provider
            .client_secret
            .as_ref()
            .map(|secret| ClientSecret::new(secret.expose().to_string())),
    )
    .set_redirect_uri(redirect))
}

/// Where to send the browser: the provider's authorization endpoint with
/// our client, scopes, a fresh `state`, `nonce` and PKCE challenge.
pub fn authorization(
    provider: &ProviderSettings,
    metadata: CoreProviderMetadata,
    redirect_uri: &str,
) -> Result<Authorization, ProviderFailure> {
    authorization_with_hint(provider, metadata, redirect_uri, None)
}

/// `authorization`, telling the provider who is expected (`login_hint`)
/// so its page can skip asking.
pub fn authorization_with_hint(
    provider: &ProviderSettings,
    metadata: CoreProviderMetadata,
    redirect_uri: &str,
    login_hint: Option<&str>,
) -> Result<Authorization, ProviderFailure> {
    let client = client(provider, metadata, redirect_uri)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge);
    if let Some(hint) = login_hint {
        request = request.add_extra_param("login_hint", hint);
    }
    let (url, state, nonce) = request.url();
    Ok(Authorization {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
    })
}

/// Redeems `code` and returns the person the verified ID token names,
/// with the email from the token or, failing that, from the userinfo
/// endpoint. The access token is dropped here: nothing keeps it.
pub async fn identify(
    http: &ProviderHttp,
    provider: &ProviderSettings,
    metadata: CoreProviderMetadata,
    redirect_uri: &str,
    code: &str,
    verifier: &str,
    nonce: &str,
) -> Result<ProviderIdentity, ProviderFailure> {
    let client = client(provider, metadata, redirect_uri)?;
    let token = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|_| ProviderFailure::Unavailable("no_token_endpoint"))?
        .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_string()))
        .request_async(http)
        .await
        .map_err(|error| {
            tracing::warn!(%error, provider = provider.key, "the token request failed");
            match error {
                RequestTokenError::ServerResponse(_) => ProviderFailure::CodeRefused,
                RequestTokenError::Request(error) => http_failure(&error),
                RequestTokenError::Parse(..) => ProviderFailure::Unavailable("token_garbage"),
                RequestTokenError::Other(_) => ProviderFailure::Unavailable("token_status"),
            }
        })?;
    let id_token = token
        .id_token()
        .ok_or(ProviderFailure::InvalidToken("id_token_missing"))?;
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new(nonce.to_string()))
        .map_err(|error| {
            tracing::warn!(%error, provider = provider.key, "an ID token was refused");
            ProviderFailure::InvalidToken(claims_problem(&error))
        })?;
    let subject = claims.subject().clone();
    let mut identity = ProviderIdentity {
        subject: subject.as_str().to_string(),
        email: claims.email().map(|email| email.as_str().to_string()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_string()),
        account_label: String::new(),
    };
    if identity.email.is_none() {
        let info = user_info(http, &client, token.access_token().clone(), subject).await?;
        identity.email = info.email().map(|email| email.as_str().to_string());
        identity.email_verified = info.email_verified().unwrap_or(false);
        if identity.name.is_none() {
            identity.name = info
                .name()
                .and_then(|name| name.get(None))
                .map(|name| name.as_str().to_string());
        }
    }
    identity.account_label = identity
        .email
        .clone()
        .unwrap_or_else(|| identity.subject.clone());
    Ok(identity)
}

async fn user_info(
    http: &ProviderHttp,
    client: &CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    access_token: AccessToken,
    subject: SubjectIdentifier,
) -> Result<CoreUserInfoClaims, ProviderFailure> {
    let request = client
        .user_info(access_token, Some(subject))
        .map_err(|_| ProviderFailure::InvalidToken("no_email"))?;
    request.request_async(http).await.map_err(|error| {
        tracing::warn!(%error, "the userinfo request failed");
        match error {
            UserInfoError::Request(error) => http_failure(&error),
            UserInfoError::ClaimsVerification(_) => {
                ProviderFailure::InvalidToken("userinfo_subject")
            }
            _ => ProviderFailure::Unavailable("userinfo_garbage"),
        }
    })
}

/// The event's reason for a refused ID token.
fn claims_problem(error: &ClaimsVerificationError) -> &'static str {
    match error {
        ClaimsVerificationError::Expired(_) => "id_token_expired",
        ClaimsVerificationError::InvalidAudience(_) => "id_token_wrong_audience",
        ClaimsVerificationError::InvalidIssuer(_) => "id_token_wrong_issuer",
        ClaimsVerificationError::InvalidNonce(_) => "id_token_wrong_nonce",
        ClaimsVerificationError::SignatureVerification(_) => "id_token_bad_signature",
        ClaimsVerificationError::Unsupported(_) => "id_token_unsupported",
        _ => "id_token_invalid",
    }
}
