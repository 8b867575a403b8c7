//! Organization single sign-on against the real `oidc-provider` on
//! loopback, configured as the company's identity provider, with domains
//! proved through a DNS server on loopback: configure, test, verify, a
//! member made just in time, "Require SSO" (a password refused, the
//! break-glass Owner still in, API keys), and shorter session lifetimes.
//! The refusals are in attacks.rs.

use crate::api_keys::create_key_with;
use crate::helpers::dns::FakeDnsServer;
use crate::helpers::identity::{ProviderBrowser, RealOidc};
use crate::helpers::*;
use crate::two_factor::{challenge, enable_totp, verify};
use reqwest::Method;
use serde_json::Value;
use statusstack::error::AppError;

pub const OWNER: &str = "olivia@example.com";

/// An app whose TXT look-ups go to `dns`, and its first Owner (with 2FA,
/// of "Example Corp") signed in.
pub struct SsoWorld {
    pub app: TestApp,
    pub dns: FakeDnsServer,
    pub owner: String,
    /// The Owner's authenticator secret, for the break-glass sign-in.
    pub owner_secret: Vec<u8>,
}

impl SsoWorld {
    pub async fn spawn(db: Db) -> SsoWorld {
        Self::spawn_with(db, &[]).await
    }

    pub async fn spawn_with(db: Db, extra: &[(&str, &str)]) -> SsoWorld {
        let dns = FakeDnsServer::start().await;
        let mut settings = vec![("DNS_NAMESERVER".to_string(), dns.addr().to_string())];
        settings.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let app = TestApp::spawn_with_bound(db, |_| async move { settings }).await;
        let mut owner = app.sign_up("Olivia Owner", OWNER, STRONG_PASSWORD).await;
        let (owner_secret, _, _) = enable_totp(&app, &mut owner).await;
        ok(&app
            .call(
                "create_organization",
                &[("name", "Example Corp")],
                Some(&owner),
            )
            .await);
        SsoWorld {
            app,
            dns,
            owner,
            owner_secret,
        }
    }

    /// The Owner's card.
    pub async fn overview(&self) -> Value {
        overview(&self.app, &self.owner).await
    }

    /// Registers a client at the real provider for this app's callback;
    /// returns its id and secret.
    pub async fn register_client(&self) -> (String, String) {
        let redirect = self.overview().await["redirect_uri"]
            .as_str()
            .expect("a redirect URI")
            .to_string();
        RealOidc::shared().await.register_client(&redirect).await
    }

    /// Saves the real provider's settings (as pending).
    pub async fn save(&self, client_id: &str, secret: &str) -> Reply {
        let issuer = RealOidc::shared().await.issuer().to_string();
        self.app
            .call(
                "save_sso_settings",
                &[
                    ("display_name", "Example Corp"),
                    ("issuer", &issuer),
                    ("client_id", client_id),
                    ("client_secret", secret),
                ],
                Some(&self.owner),
            )
            .await
    }

    /// Runs "Test connection" through the provider's pages as `login`;
    /// returns where the app sent the browser.
    pub async fn test_connection(&self, login: &str) -> String {
        let trip = trip(press_test_connection(&self.app, &self.owner).await);
        let callback = ProviderBrowser::new()
            .sign_in(&trip.authorize_url, login)
            .await;
        let cookies = format!("{}; {}", self.owner, trip.flow);
        location(&come_back(&self.app, &callback, &cookies).await)
    }

    /// Configured and tested, with `example.com` verified.
    pub async fn ready(&self) {
        let (id, secret) = self.register_client().await;
        ok(&self.save(&id, &secret).await);
        assert!(
            self.test_connection(OWNER)
                .await
                .contains("sso_test=passed")
        );
        self.verify_domain("example.com").await;
    }

    /// Pat, who signed up with a password and joined through SSO, once
    /// "Require SSO" is on: the password session has ended.
    pub async fn pat_covered_by_required_sso(&self) {
        let app = &self.app;
        let pat = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        sso_sign_in(app, "pat@example.com", "pat@example.com").await;
        ok(&app
            .call(
                "set_sso_enforcement",
                &[("enforced", "on")],
                Some(&self.owner),
            )
            .await);
        assert!(!app.is_signed_in(&pat).await);
    }

    /// Adds `domain`, creates its TXT record and verifies it.
    pub async fn verify_domain(&self, domain: &str) {
        ok(&self
            .app
            .call("add_sso_domain", &[("domain", domain)], Some(&self.owner))
            .await);
        let row = domain_row(&self.overview().await, domain);
        self.dns.set_txt(
            row["record_name"].as_str().unwrap(),
            [row["record_value"].as_str().unwrap()],
        );
        ok(&self
            .app
            .call(
                "verify_sso_domain",
                &[("domain", domain)],
                Some(&self.owner),
            )
            .await);
    }
}

/// Runs each test body once per database with an `SsoWorld`.
macro_rules! both_sso_worlds {
    ($($(#[$meta:meta])* async fn $name:ident($world:ident) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                crate::helpers::bounded(async {
                    let $world = SsoWorld::spawn(crate::helpers::Db::Sqlite).await;
                    $body
                }).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                crate::helpers::bounded(async {
                    let $world = SsoWorld::spawn(crate::helpers::Db::Postgres).await;
                    $body
                }).await
            }
        }
    )*};
}

mod attacks;
mod recheck;
mod story;

pub fn ok(reply: &Reply) {
    assert!(reply.error().is_none(), "{} {}", reply.status, reply.body);
}

/// The message of a validation error for `field`.
pub fn refusal(reply: &Reply, field: &str) -> String {
    match reply.error() {
        Some(AppError::Validation { field: f, message }) if f == field => message,
        other => panic!(
            "expected a refusal of {field}, got {other:?}: {}",
            reply.body
        ),
    }
}

pub async fn overview(app: &TestApp, cookie: &str) -> Value {
    let reply = app.call("get_sso_overview", &[], Some(cookie)).await;
    ok(&reply);
    serde_json::from_str(&reply.body).unwrap()
}

pub fn domain_row(overview: &Value, domain: &str) -> Value {
    overview["domains"]
        .as_array()
        .and_then(|rows| rows.iter().find(|row| row["domain"] == domain))
        .cloned()
        .unwrap_or_else(|| panic!("no {domain} in {overview}"))
}

/// A round trip under way.
pub struct Trip {
    pub flow: String,
    pub authorize_url: String,
}

/// Opens a link that starts a round trip (`/api/start_sso_sign_in?…`).
pub async fn start(app: &TestApp, path: &str, cookie: Option<&str>) -> Trip {
    trip(app.get(path, cookie).await)
}

/// Presses "Test connection" as `cookie`'s Owner: the plain form's POST
/// from a page of this site.
pub async fn press_test_connection(app: &TestApp, cookie: &str) -> Reply {
    app.call_with_headers(
        "test_sso_connection",
        &[],
        Some(cookie),
        &[("origin", &app.base), ("accept", "text/html")],
    )
    .await
}

/// The round trip a reply started: its flow cookie and where it sends the browser.
pub fn trip(reply: Reply) -> Trip {
    Trip {
        flow: reply
            .session_cookie("ss_oauth")
            .unwrap_or_else(|| panic!("no flow cookie: {:?} {}", reply.location(), reply.body)),
        authorize_url: reply.location().expect("a redirect").to_string(),
    }
}

/// Starts an SSO sign-in for `email`, as the "Continue" link does.
pub async fn start_sign_in(app: &TestApp, email: &str) -> Trip {
    start(app, &format!("/api/start_sso_sign_in?email={email}"), None).await
}

/// The browser arriving at our callback with `cookies`.
pub async fn come_back(app: &TestApp, callback: &str, cookies: &str) -> Reply {
    let path = callback
        .find("/auth/sso/callback")
        .map(|at| &callback[at..])
        .unwrap_or_else(|| panic!("not our callback: {callback}"));
    let request = app
        .http
        .get(format!("{}{path}", app.base))
        .header("accept", "text/html");
    let cookies = (!cookies.is_empty()).then_some(cookies);
    wire_send(request, cookies).await
}

pub fn location(reply: &Reply) -> String {
    reply
        .location()
        .unwrap_or_else(|| panic!("no redirect: {} {}", reply.status, reply.body))
        .to_string()
}

/// A whole SSO sign-in as `login` at the provider, started for `email`.
pub async fn sso_sign_in(app: &TestApp, email: &str, login: &str) -> Reply {
    let trip = start_sign_in(app, email).await;
    let callback = ProviderBrowser::new()
        .sign_in(&trip.authorize_url, login)
        .await;
    come_back(app, &callback, &trip.flow).await
}

/// The problem code a refused SSO sign-in landed with.
pub fn sign_in_problem(reply: &Reply) -> String {
    let location = location(reply);
    location
        .split_once("sso_error=")
        .map(|(_, code)| code.to_string())
        .unwrap_or_else(|| panic!("no problem in {location}"))
}

pub async fn role_of(app: &TestApp, email: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
}
