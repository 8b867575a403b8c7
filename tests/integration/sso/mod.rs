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
        let trip = start(&self.app, "/api/test_sso_connection", Some(&self.owner)).await;
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

/// Opens a link that starts a round trip (`/api/start_sso_sign_in?…` or
/// `/api/test_sso_connection`).
pub async fn start(app: &TestApp, path: &str, cookie: Option<&str>) -> Trip {
    let reply = app.get(path, cookie).await;
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

async fn the_whole_story(db: Db) {
    let world = SsoWorld::spawn(db).await;
    let app = &world.app;

    // Configure: saved as pending, the discovery document shown.
    let (client_id, secret) = world.register_client().await;
    ok(&world.save(&client_id, &secret).await);
    let card = world.overview().await;
    let issuer = RealOidc::shared().await.issuer().to_string();
    assert_eq!(card["pending"]["issuer"], issuer.as_str());
    assert!(card["active"].is_null(), "nothing active before a test");
    assert_eq!(card["discovery"]["issuer"], issuer.as_str());
    assert!(
        card["discovery"]["signing_algorithms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "RS256")
    );
    let sealed: String =
        sqlx::query_scalar("SELECT pending_client_secret_sealed FROM sso_connections")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(
        !sealed.contains(&secret),
        "the client secret is sealed at rest"
    );
    assert!(
        !app.call("get_sso_overview", &[], Some(&world.owner))
            .await
            .body
            .contains(&secret)
    );

    // Test connection: a real round trip through the provider's pages.
    assert_eq!(
        world.test_connection(OWNER).await,
        "/settings/authentication?sso_test=passed#single-sign-on"
    );
    let card = world.overview().await;
    assert_eq!(card["active"]["issuer"], issuer.as_str());
    assert!(card["pending"].is_null());
    assert!(
        app.mail_to(OWNER, "single sign-on changed")
            .await
            .contains("Test connection")
    );

    // Verify a domain through DNS: missing, wrong, then right.
    ok(&app
        .call(
            "add_sso_domain",
            &[("domain", "Example.COM")],
            Some(&world.owner),
        )
        .await);
    let row = domain_row(&world.overview().await, "example.com");
    let name = row["record_name"].as_str().unwrap().to_string();
    let value = row["record_value"].as_str().unwrap().to_string();
    assert_eq!(name, "_statusstack-verification.example.com");
    let missing = app
        .call(
            "verify_sso_domain",
            &[("domain", "example.com")],
            Some(&world.owner),
        )
        .await;
    assert!(refusal(&missing, "domain").contains("found no TXT record"));
    world
        .dns
        .set_txt(&name, ["statusstack-verification=somebody-else"]);
    let wrong = app
        .call(
            "verify_sso_domain",
            &[("domain", "example.com")],
            Some(&world.owner),
        )
        .await;
    assert!(refusal(&wrong, "domain").contains("holds another value"));
    assert!(domain_row(&world.overview().await, "example.com")["verified_at"].is_null());
    world.dns.set_txt(&name, ["v=spf1 -all", value.as_str()]);
    ok(&app
        .call(
            "verify_sso_domain",
            &[("domain", "example.com")],
            Some(&world.owner),
        )
        .await);
    assert!(domain_row(&world.overview().await, "example.com")["verified_at"].is_i64());

    // The SSO sign-in page finds the organization by address.
    let choice: Value = serde_json::from_str(
        &app.call("find_sso", &[("email", "Mia@Example.com")], None)
            .await
            .body,
    )
    .unwrap();
    assert_eq!(choice["display_name"], "Example Corp");
    assert_eq!(choice["required"], false);
    let none = app
        .call("find_sso", &[("email", "mia@elsewhere.test")], None)
        .await;
    assert_eq!(none.body, "null");

    // A new person: account made just in time, joined as Member, on the Team page.
    let reply = sso_sign_in(app, "mia@example.com", "mia@example.com").await;
    assert_eq!(location(&reply), "/settings/team");
    let mia = reply.session_cookie(app.cookie_name).expect("signed in");
    assert_eq!(
        role_of(app, "mia@example.com").await.as_deref(),
        Some("member")
    );
    let (verified, password_set): (Option<i64>, i64) = sqlx::query_as(
        "SELECT email_verified_at, password_set FROM users WHERE email = 'mia@example.com'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(verified.is_some() && password_set == 0);
    let method: String = sqlx::query_scalar(
        "SELECT s.auth_method FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'mia@example.com'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(method, "sso:Example Corp");
    // Signing in again is the same account, not a new one.
    let again = sso_sign_in(app, "mia@example.com", "mia@example.com").await;
    assert!(again.session_cookie(app.cookie_name).is_some());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'mia@example.com'")
            .await,
        1
    );

    // Pat signed up with a password before, then joins through SSO too.
    let pat_password_session = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
    let pat_key = create_key_with(
        app,
        &pat_password_session,
        &[("name", "ci"), ("permission", "read"), ("expiry", "never")],
    )
    .await
    .unwrap();
    let reply = sso_sign_in(app, "pat@example.com", "pat@example.com").await;
    let pat_sso_session = reply
        .session_cookie(app.cookie_name)
        .expect("Pat signed in through SSO");
    assert_eq!(
        role_of(app, "pat@example.com").await.as_deref(),
        Some("member")
    );

    // Enforcement: the card says how many sessions end; then they do.
    let card = world.overview().await;
    assert_eq!(card["sessions_to_end"], 1, "{card}");
    assert_eq!(card["members_to_sign_out"], 1);
    let reply = app
        .call(
            "set_sso_enforcement",
            &[("enforced", "on")],
            Some(&world.owner),
        )
        .await;
    ok(&reply);
    assert_eq!(reply.body, "1");
    assert!(
        !app.is_signed_in(&pat_password_session).await,
        "the password session ended"
    );
    assert!(
        app.is_signed_in(&pat_sso_session).await,
        "the SSO session stays"
    );
    assert!(app.is_signed_in(&mia).await);
    assert!(
        app.is_signed_in(&world.owner).await,
        "the break-glass Owner stays"
    );
    let card = world.overview().await;
    assert_eq!(card["enforced"], true);
    assert!(card["break_glass"].as_str().unwrap().contains(OWNER));

    // A password is refused for a covered member, with the way in named.
    let refused = app.sign_in("pat@example.com", STRONG_PASSWORD).await;
    assert!(refusal(&refused, "form").contains("requires single sign-on"));
    assert_eq!(
        crate::connections::last_detail(app, "sign_in_failed", "failure").await["reason"],
        "sso_required"
    );
    // Their API keys stop working unless the Owner allows them.
    let key_refused = app.api(Method::GET, "/api/v1/me", &pat_key.token).await;
    assert_eq!(key_refused.status, 403, "{}", key_refused.body);
    assert!(key_refused.body.contains("sso_required"));
    ok(&app
        .call(
            "set_sso_enforcement",
            &[("enforced", "on"), ("allow_api_keys", "on")],
            Some(&world.owner),
        )
        .await);
    assert_eq!(
        app.api(Method::GET, "/api/v1/me", &pat_key.token)
            .await
            .status,
        200
    );

    // The break-glass Owner still signs in with password + 2FA.
    let waiting = challenge(app, OWNER).await;
    let step = {
        use statusstack::server::clock::Clock;
        (app.clock.now_ms() / 1000 / 30) as u64 + 1
    };
    let code = statusstack::server::crypto::totp::code_at_step(&world.owner_secret, step, 6);
    let reply = verify(app, &waiting, &code).await;
    assert!(
        reply.session_cookie(app.cookie_name).is_some(),
        "{}",
        reply.body
    );

    // Shorter lifetimes for members end an idle SSO session.
    ok(&app
        .call(
            "set_sso_session_lifetimes",
            &[("idle_minutes", "30"), ("absolute_hours", "")],
            Some(&world.owner),
        )
        .await);
    app.clock.freeze_at(now());
    assert!(app.is_signed_in(&mia).await);
    app.clock.advance(31 * 60 * 1000);
    assert!(
        !app.is_signed_in(&mia).await,
        "idle past the organization's 30 minutes"
    );

    // Every change is in the organization's history.
    let kinds = app.event_kinds().await;
    for kind in [
        "sso_configured",
        "sso_tested",
        "sso_domain_added",
        "sso_domain_verified",
        "sso_enforcement_changed",
        "sso_session_policy_changed",
        "sso_sign_in",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_sqlite() {
    bounded(the_whole_story(Db::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_story_postgres() {
    bounded(the_whole_story(Db::Postgres)).await
}
