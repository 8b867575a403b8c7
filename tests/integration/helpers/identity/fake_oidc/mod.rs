//! A fake OpenID Connect provider (what Google or a company's own provider
//! look like to the app): discovery, JWKS, authorize, token and userinfo.
//!
//! `/authorize` signs in the current user at once and redirects back with
//! a code. It is stricter than some real providers on purpose: it requires
//! `response_type=code`, the `openid` scope and a PKCE S256 challenge, and
//! answers anything else with an `error` redirect.

mod endpoints;

use super::serve;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Who the fake provider signs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OidcUser {
    /// The `sub` claim.
    pub sub: String,
    /// The `email` claim.
    pub email: String,
    /// The `email_verified` claim.
    pub email_verified: bool,
    /// The `name` claim.
    pub name: String,
}

/// One way for [`FakeOidc`] to go wrong (set with [`FakeOidc::misbehave`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Misbehaviour {
    /// The ID token's `iss` is another issuer.
    WrongIssuer,
    /// The ID token's `aud` is another client.
    WrongAudience,
    /// The ID token's RS256 signature has a flipped bit.
    BadSignature,
    /// The ID token is unsigned: header `{"alg":"none"}`, empty signature.
    AlgNone,
    /// The ID token expired an hour ago.
    Expired,
    /// The ID token's `nonce` is not the one the app sent.
    WrongNonce,
    /// The address is not verified (`email_verified: false`), in the ID
    /// token and at userinfo.
    UnverifiedEmail,
    /// The token endpoint answers 500.
    TokenEndpoint500,
    /// The token endpoint answers 200 with an HTML page.
    TokenEndpointHtml,
    /// The token endpoint answers only after 30 seconds.
    TokenEndpointHangs,
    /// Discovery answers 200 with broken JSON.
    DiscoveryMalformed,
    /// Discovery names an issuer other than the one it was fetched from.
    DiscoveryNamesOtherIssuer,
    /// Not a fault: the ID token carries no `email`/`email_verified`/`name`;
    /// only userinfo has them.
    IdTokenWithoutEmail,
    /// The ID token carries no email, and userinfo answers for a different
    /// `sub` than the ID token's (the app must refuse it).
    UserinfoOtherSubject,
}

/// An authorization code waiting to be exchanged.
struct PendingCode {
    client_id: String,
    redirect_uri: String,
    nonce: Option<String>,
    code_challenge: String,
    user: OidcUser,
}

struct Inner {
    issuer: String,
    client_id: String,
    client_secret: String,
    user: OidcUser,
    misbehaviour: Option<Misbehaviour>,
    codes: HashMap<String, PendingCode>,
    access_tokens: HashMap<String, OidcUser>,
    authorize_requests: Vec<HashMap<String, String>>,
    token_requests: usize,
}

type Shared = Arc<Mutex<Inner>>;

/// A fake OpenID Connect provider on 127.0.0.1:<free port>, stopped on drop.
pub struct FakeOidc {
    inner: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl FakeOidc {
    /// The client id [`FakeOidc::start`] accepts.
    pub const CLIENT_ID: &'static str = "fake-oidc-client";
    /// The client secret [`FakeOidc::start`] accepts.
    pub const CLIENT_SECRET: &'static str = "fake-oidc-secret";

    /// Starts a provider for client [`Self::CLIENT_ID`] signing in
    /// `ada@example.test` (verified, sub `fake-sub-ada`).
    pub async fn start() -> FakeOidc {
        Self::start_for(Self::CLIENT_ID, Self::CLIENT_SECRET).await
    }

    /// Starts a provider that knows one client, with these credentials.
    pub async fn start_for(client_id: &str, client_secret: &str) -> FakeOidc {
        let inner = Arc::new(Mutex::new(Inner {
            issuer: String::new(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            user: OidcUser {
                sub: "fake-sub-ada".into(),
                email: "ada@example.test".into(),
                email_verified: true,
                name: "Ada".into(),
            },
            misbehaviour: None,
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            authorize_requests: Vec::new(),
            token_requests: 0,
        }));
        let (base, task) = serve(endpoints::router(inner.clone())).await;
        inner.lock().unwrap().issuer = base;
        FakeOidc { inner, task }
    }

    /// The issuer URL (`http://127.0.0.1:<port>`, no trailing slash).
    pub fn issuer(&self) -> String {
        self.inner.lock().unwrap().issuer.clone()
    }

    /// The client id this provider accepts.
    pub fn client_id(&self) -> String {
        self.inner.lock().unwrap().client_id.clone()
    }

    /// The client secret this provider accepts.
    pub fn client_secret(&self) -> String {
        self.inner.lock().unwrap().client_secret.clone()
    }

    /// Signs in this identity from the next authorization on.
    pub fn set_user(&self, sub: &str, email: &str, email_verified: bool, name: &str) {
        self.inner.lock().unwrap().user = OidcUser {
            sub: sub.into(),
            email: email.into(),
            email_verified,
            name: name.into(),
        };
    }

    /// Misbehaves this way from now on (replacing any earlier misbehaviour).
    pub fn misbehave(&self, misbehaviour: Misbehaviour) {
        self.inner.lock().unwrap().misbehaviour = Some(misbehaviour);
    }

    /// Behaves again.
    pub fn behave(&self) {
        self.inner.lock().unwrap().misbehaviour = None;
    }

    /// The query parameters of the last `/authorize` request, if any.
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

    /// Settings that make this provider the app's Google:
    /// `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET`, `GOOGLE_ISSUER`.
    pub fn google_settings(&self) -> Vec<(String, String)> {
        vec![
            ("GOOGLE_CLIENT_ID".into(), self.client_id()),
            ("GOOGLE_CLIENT_SECRET".into(), self.client_secret()),
            ("GOOGLE_ISSUER".into(), self.issuer()),
        ]
    }

    /// Settings that make this provider the app's generic provider `name`
    /// (`OIDC_PROVIDERS`, `OIDC_<NAME>_CLIENT_SECRET`, `OIDC_<NAME>_LABEL`).
    pub fn generic_settings(&self, name: &str, label: Option<&str>) -> Vec<(String, String)> {
        super::generic_oidc_settings(
            name,
            &self.issuer(),
            &self.client_id(),
            &self.client_secret(),
            label,
        )
    }
}

impl Drop for FakeOidc {
    fn drop(&mut self) {
        self.task.abort();
    }
}
