//! Self-tests of the identity-provider harness (`helpers::identity`): the
//! fakes and the real provider behave as documented, judged by
//! `openidconnect`'s own relying-party code and by raw HTTP. No app runs.

mod fake_github;
mod fake_oidc;
mod real_oidc;

use crate::helpers::identity::query_param;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use reqwest::redirect::Policy;
use std::time::Duration;

/// Runs a self-test on its own multi-threaded runtime, under the time limit.
macro_rules! harness_test {
    ($(async fn $name:ident() $body:block)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            crate::helpers::bounded(async $body).await
        }
    )*};
}
pub(crate) use harness_test;

type DiscoveredClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// An HTTP client that follows no redirects, as OAuth clients must.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

/// A relying party built on `openidconnect`'s `CoreClient`, standing in for
/// the app: discovery, authorization URL with PKCE and nonce, code exchange
/// and ID token verification.
pub struct RelyingParty {
    client: DiscoveredClient,
    http: reqwest::Client,
}

/// One authorization in flight: the URL to send the browser to, and what
/// the relying party remembers to finish it.
pub struct Started {
    pub url: String,
    state: CsrfToken,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
}

/// What a finished sign-in yields.
pub struct Finished {
    pub claims: CoreIdTokenClaims,
    pub access_token: String,
}

impl RelyingParty {
    /// Discovers `issuer` and configures the client, or says why not.
    pub async fn discover(
        issuer: &str,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
    ) -> Result<RelyingParty, String> {
        let http = http();
        let issuer = IssuerUrl::new(issuer.into()).map_err(|e| e.to_string())?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| format!("discovery: {e:?}"))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(client_id.into()),
            Some(ClientSecret::new(client_secret.into())),
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri.into()).map_err(|e| e.to_string())?);
        Ok(RelyingParty { client, http })
    }

    /// An authorization URL asking for `openid email profile`, with PKCE
    /// S256, a state and a nonce.
    pub fn start(&self) -> Started {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Started {
            url: url.to_string(),
            state,
            nonce,
            verifier,
        }
    }

    /// Checks the callback's state, exchanges its code and verifies the ID
    /// token (issuer, audience, signature, expiry, nonce), or says why not.
    pub async fn finish(&self, started: Started, callback: &str) -> Result<Finished, String> {
        if let Some(error) = query_param(callback, "error") {
            return Err(format!("the provider answered error={error}: {callback}"));
        }
        let state = query_param(callback, "state").ok_or("no state in the callback")?;
        if state != *started.state.secret() {
            return Err(format!("state mismatch in {callback}"));
        }
        let code = query_param(callback, "code").ok_or("no code in the callback")?;
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| e.to_string())?
            .set_pkce_verifier(started.verifier)
            .request_async(&self.http)
            .await
            .map_err(|e| format!("token exchange: {e:?}"))?;
        let id_token = response.id_token().ok_or("no id_token")?;
        let claims = id_token
            .claims(&self.client.id_token_verifier(), &started.nonce)
            .map_err(|e| format!("ID token: {e:?}"))?;
        Ok(Finished {
            claims: claims.clone(),
            access_token: response.access_token().secret().clone(),
        })
    }
}

/// The email claims of verified ID token claims, as plain values.
pub fn email_of(claims: &CoreIdTokenClaims) -> (Option<String>, Option<bool>) {
    (
        claims.email().map(|e| e.as_str().to_owned()),
        claims.email_verified(),
    )
}

harness_test! {
    async fn spawn_with_bound_computes_settings_from_the_bound_address() {
        let seen = std::sync::Mutex::new(None);
        let app = crate::helpers::TestApp::spawn_with_bound(crate::helpers::Db::Sqlite, |addr| {
            *seen.lock().unwrap() = Some(addr);
            let public_url = format!("http://localhost:{}", addr.port());
            async move { vec![("PUBLIC_URL".to_owned(), public_url)] }
        })
        .await;
        let addr = seen.lock().unwrap().expect("the settings closure ran");
        assert_eq!(app.base, format!("http://{addr}"));
        let callback = crate::helpers::identity::callback_url(addr, "github");
        assert_eq!(
            callback,
            format!("http://localhost:{}/auth/oauth/github/callback", addr.port())
        );
        assert_eq!(app.get("/healthz", None).await.status, 200);
    }
}
