//! Connected accounts against providers on loopback: a fake OpenID Connect
//! provider ("Acme ID", which can be told to misbehave), a fake GitHub, and
//! the real `oidc-provider` (real_provider.rs). Signing in, signing up,
//! connecting and disconnecting, and every forged, replayed or broken
//! answer refused with a message, an event and nothing linked.

mod attacks;
mod password;
mod real_provider;
mod sudo;

use crate::helpers::identity::{FakeGitHub, FakeOidc, authorize, query_param};
use crate::helpers::*;
use serde_json::Value;
use statusstack::error::AppError;

/// The generic provider's name in these tests.
const ACME: &str = "acme";

/// An app that offers a fake OpenID Connect provider ("Acme ID") and a fake GitHub.
pub struct World {
    pub app: TestApp,
    pub oidc: FakeOidc,
    pub github: FakeGitHub,
}

impl World {
    pub async fn spawn(db: Db) -> World {
        Self::spawn_with(db, &[]).await
    }

    /// With extra settings, e.g. a short provider timeout.
    pub async fn spawn_with(db: Db, extra: &[(&str, &str)]) -> World {
        let oidc = FakeOidc::start().await;
        let github = FakeGitHub::start().await;
        let mut settings = oidc.generic_settings(ACME, Some("Acme ID"));
        settings.extend(github.settings());
        settings.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let app = TestApp::spawn_with_bound(db, |_| async move { settings }).await;
        World { app, oidc, github }
    }
}

/// Sets `password` through the emailed reset link, the only way an account
/// made from a provider gets one.
async fn set_password_by_link(app: &TestApp, email: &str, password: &str) {
    app.call("request_password_reset", &[("email", email)], None)
        .await;
    let mail = app.mail_to(email, "Reset your password").await;
    let token = link_token(&mail, "/reset-password");
    let reply = app
        .call(
            "reset_password",
            &[("token", &token), ("new_password", password)],
            None,
        )
        .await;
    assert!(reply.error().is_none(), "{}", reply.body);
}

/// Runs each test body once per database with a `World`.
macro_rules! with_providers {
    ($($(#[$meta:meta])* async fn $name:ident($world:ident) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                crate::helpers::bounded(async {
                    let $world = World::spawn(crate::helpers::Db::Sqlite).await;
                    $body
                }).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                crate::helpers::bounded(async {
                    let $world = World::spawn(crate::helpers::Db::Postgres).await;
                    $body
                }).await
            }
        }
    )*};
}
pub(crate) use with_providers;

fn json(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body).unwrap_or_else(|_| panic!("not JSON: {}", reply.body))
}

/// A round trip under way: the flow cookie and where the provider was asked.
pub struct Trip {
    /// `ss_oauth=…`
    pub flow: String,
    pub authorize_url: String,
}

/// The flow cookie pair a reply set.
fn flow_cookie(reply: &Reply) -> String {
    reply
        .session_cookie("ss_oauth")
        .unwrap_or_else(|| panic!("no flow cookie: {} {:?}", reply.body, reply.headers))
}

/// Starts signing in with `provider` from the sign-in page.
pub async fn start_sign_in(app: &TestApp, provider: &str) -> Trip {
    let reply = app
        .call(
            "start_provider_sign_in",
            &[("provider", provider), ("next", "/settings/team")],
            None,
        )
        .await;
    assert!(reply.error().is_none(), "{}", reply.body);
    Trip {
        flow: flow_cookie(&reply),
        authorize_url: reply
            .location()
            .expect("a redirect to the provider")
            .to_string(),
    }
}

/// Starts connecting `provider` to the signed-in account (sudo by password).
pub async fn start_connect(app: &TestApp, cookie: &mut String, provider: &str) -> Trip {
    let reply = app
        .call_rotating(
            "connect_provider",
            &[("provider", provider), ("password", STRONG_PASSWORD)],
            cookie,
        )
        .await;
    assert!(reply.error().is_none(), "{}", reply.body);
    Trip {
        flow: flow_cookie(&reply),
        authorize_url: reply
            .location()
            .expect("a redirect to the provider")
            .to_string(),
    }
}

/// The browser arriving at our callback (`callback`, as the provider
/// redirected) with `cookies`, as a page load.
pub async fn come_back(app: &TestApp, callback: &str, cookies: &str) -> Reply {
    let path = callback
        .find("/auth/oauth/")
        .map(|at| &callback[at..])
        .unwrap_or_else(|| panic!("not our callback: {callback}"));
    let request = app
        .http
        .get(format!("{}{path}", app.base))
        .header("accept", "text/html");
    let cookies = (!cookies.is_empty()).then_some(cookies);
    crate::helpers::wire_send(request, cookies).await
}

/// Where a refused round trip sent the browser: the problem code.
pub fn problem(reply: &Reply) -> String {
    let location = reply
        .location()
        .unwrap_or_else(|| panic!("no redirect: {}", reply.body));
    query_param(&format!("http://x{location}"), "oauth_error")
        .unwrap_or_else(|| panic!("no problem in {location}"))
}

/// A whole sign-in through the fake provider: returns the callback's reply.
pub async fn sign_in_through(app: &TestApp, provider: &str) -> Reply {
    let trip = start_sign_in(app, provider).await;
    let callback = authorize(&app.http, &trip.authorize_url).await;
    come_back(app, &callback, &trip.flow).await
}

/// The session cookie a successful sign-in set.
pub fn signed_in(app: &TestApp, reply: &Reply) -> String {
    reply
        .session_cookie(app.cookie_name)
        .unwrap_or_else(|| panic!("not signed in: {:?} {}", reply.location(), reply.body))
}

/// The connections list of the signed-in account.
pub async fn connections(app: &TestApp, cookie: &str) -> Value {
    json(&app.call("list_connections", &[], Some(cookie)).await)
}

/// The details of the newest event of `kind`.
pub async fn last_detail(app: &TestApp, kind: &str, outcome: &str) -> Value {
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM security_events WHERE kind = $1 AND outcome = $2
         ORDER BY occurred_at DESC, id DESC LIMIT 1",
    )
    .bind(kind)
    .bind(outcome)
    .fetch_one(&app.pool)
    .await
    .unwrap_or_else(|e| panic!("no {kind} {outcome} event: {e}"));
    serde_json::from_str(&detail).unwrap()
}

with_providers! {
    async fn a_new_person_with_a_verified_address_gets_an_account_and_is_signed_in(world) {
        let app = &world.app;
        world.oidc.set_user("acme-1", "Nia@Example.com", true, "Nia Nakamura");
        let reply = sign_in_through(app, ACME).await;
        assert_eq!(reply.status, 302, "{}", reply.body);
        assert_eq!(reply.location(), Some("/settings/team"));
        let cookie = signed_in(app, &reply);
        assert!(app.is_signed_in(&cookie).await);
        let (name, verified, password_set): (String, Option<i64>, i64) = sqlx::query_as(
            "SELECT name, email_verified_at, password_set FROM users WHERE email = 'nia@example.com'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(name, "Nia Nakamura");
        assert!(verified.is_some(), "the provider verified the address");
        assert_eq!(password_set, 0, "no password until one is set");
        let method: String = sqlx::query_scalar("SELECT auth_method FROM sessions").fetch_one(&app.pool).await.unwrap();
        assert_eq!(method, "provider:Acme ID");
        let list = connections(app, &cookie).await;
        assert_eq!(list["connections"][0]["provider"]["label"], "Acme ID");
        assert_eq!(list["connections"][0]["account"], "Nia@Example.com");
        assert_eq!(list["has_password"], false);
        assert!(!list["connections"][0]["last_used_at"].is_null(), "it signed in just now");
        let kinds = app.event_kinds().await;
        for kind in ["sign_up", "oauth_connected", "sign_in"] {
            assert!(kinds.contains(&kind.to_string()), "{kind} missing from {kinds:?}");
        }
        // Its only way in cannot be disconnected.
        let reply = app.call("disconnect_provider", &[("provider", ACME)], Some(&cookie)).await;
        match reply.error() {
            Some(AppError::Validation { field, message }) => {
                assert_eq!(field, "provider");
                assert!(message.contains("only way to sign in"), "{message}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM connected_accounts").await, 1);
        // No password: the sign-in form never accepts one for this account,
        // and the password form says how to set one.
        assert_eq!(app.sign_in("nia@example.com", STRONG_PASSWORD).await.error(), Some(AppError::InvalidCredentials));
        let reply = app.call("change_password", &[("current_password", "anything at all"), ("new_password", OTHER_STRONG_PASSWORD)], Some(&cookie)).await;
        match reply.error() {
            Some(AppError::Validation { field, message }) => {
                assert_eq!(field, "current_password");
                assert!(message.contains("no password yet"), "{message}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // The reset link sets one; then it signs in and the provider can go.
        set_password_by_link(app, "nia@example.com", OTHER_STRONG_PASSWORD).await;
        let reply = app.sign_in("nia@example.com", OTHER_STRONG_PASSWORD).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let mut cookie = signed_in(app, &reply);
        assert_eq!(connections(app, &cookie).await["has_password"], true);
        let reply = app.call_rotating("disconnect_provider", &[("provider", ACME), ("password", OTHER_STRONG_PASSWORD)], &mut cookie).await;
        assert!(reply.error().is_none(), "{}", reply.body);
    }

    async fn a_connected_identity_signs_in_to_its_account_and_disconnecting_ends_that(world) {
        let app = &world.app;
        let mut cookie = app.sign_up("Omar", "omar@example.com", STRONG_PASSWORD).await;
        world.oidc.set_user("acme-omar", "omar@work.example", true, "Omar");
        let trip = start_connect(app, &mut cookie, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        let reply = come_back(app, &callback, &format!("{cookie}; {}", trip.flow)).await;
        assert_eq!(reply.location(), Some("/settings/authentication?connected=acme#connections"), "{}", reply.body);
        app.mail_to("omar@example.com", "Acme ID was connected to your account").await;
        let list = connections(app, &cookie).await;
        assert_eq!(list["connections"][0]["account"], "omar@work.example");
        assert!(list["connections"][0]["last_used_at"].is_null());

        // Signed out, the provider signs in to the same account.
        let reply = sign_in_through(app, ACME).await;
        let again = signed_in(app, &reply);
        let who = json(&app.call("current_user", &[], Some(&again)).await);
        assert_eq!(who["email"], "omar@example.com");
        assert!(!connections(app, &again).await["connections"][0]["last_used_at"].is_null());
        assert_eq!(last_detail(app, "oauth_sign_in", "success").await["provider"], ACME);
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1, "no second account");

        // Disconnected (the password remains), it signs in no more; the
        // address it gives belongs to no account, so a new one would be
        // made — but the account's own address never joins it.
        let reply = app.call_rotating("disconnect_provider", &[("provider", ACME), ("password", STRONG_PASSWORD)], &mut cookie).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        app.mail_to("omar@example.com", "Acme ID was disconnected from your account").await;
        assert_eq!(app.count("SELECT COUNT(*) FROM connected_accounts").await, 0);
        world.oidc.set_user("acme-omar", "omar@example.com", true, "Omar");
        let reply = sign_in_through(app, ACME).await;
        assert_eq!(problem(&reply), "known_email");
        assert!(reply.session_cookie(app.cookie_name).is_none());
        assert_eq!(app.count("SELECT COUNT(*) FROM connected_accounts").await, 0);
    }

    async fn two_factor_authentication_follows_a_provider_sign_in(world) {
        let app = &world.app;
        let mut cookie = app.sign_up("Tess", "tess@example.com", STRONG_PASSWORD).await;
        world.oidc.set_user("acme-tess", "tess@example.com", true, "Tess");
        let trip = start_connect(app, &mut cookie, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        come_back(app, &callback, &format!("{cookie}; {}", trip.flow)).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM connected_accounts").await, 1);
        let (secret, _, _) = crate::two_factor::enable_totp(app, &mut cookie).await;

        let reply = sign_in_through(app, ACME).await;
        assert_eq!(reply.location(), Some("/login/two-factor"), "a challenge, not a session: {:?}", reply.headers);
        assert!(reply.session_cookie(app.cookie_name).is_none(), "no session before the second factor");
        let half = reply.session_cookie("ss_challenge").expect("a challenge cookie");
        // The step after the one enrolment used (a code is good once).
        app.clock.advance(30_000);
        let step = {
            use statusstack::server::clock::Clock;
            (app.clock.now_ms() / 1000 / 30) as u64
        };
        let code = statusstack::server::crypto::totp::code_at_step(&secret, step, 6);
        let reply = crate::two_factor::verify(app, &half, &code).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        signed_in(app, &reply);
        let method: String = sqlx::query_scalar("SELECT auth_method FROM sessions ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&app.pool).await.unwrap();
        assert_eq!(method, "provider:Acme ID+totp");
    }

    async fn github_signs_up_with_the_verified_primary_address_and_shows_the_login(world) {
        let app = &world.app;
        let reply = sign_in_through(app, "github").await;
        let cookie = signed_in(app, &reply);
        let who = json(&app.call("current_user", &[], Some(&cookie)).await);
        assert_eq!(who["email"], "octocat@example.test");
        let list = connections(app, &cookie).await;
        assert_eq!(list["connections"][0]["provider"]["label"], "GitHub");
        assert_eq!(list["connections"][0]["account"], "octocat");
        let subject: String = sqlx::query_scalar("SELECT subject FROM connected_accounts").fetch_one(&app.pool).await.unwrap();
        assert_eq!(subject, "583231", "GitHub's numeric id, which a rename keeps");
        let method: String = sqlx::query_scalar("SELECT auth_method FROM sessions").fetch_one(&app.pool).await.unwrap();
        assert_eq!(method, "provider:GitHub");
        // A form posted before the Wasm loads may be redirected to the
        // providers, and nowhere else.
        let page = app.get("/login", None).await;
        let csp = page.headers.get("content-security-policy").unwrap().to_str().unwrap().to_string();
        let form_action = csp.split(';').find(|d| d.trim().starts_with("form-action")).unwrap().trim().to_string();
        let oidc_origin = world.oidc.issuer();
        assert_eq!(form_action, format!("form-action 'self' {} {}", world.github.base(), oidc_origin.trim_end_matches('/')));
        // The sign-in page lists both providers, in order.
        let providers = json(&app.call("sign_in_providers", &[], None).await);
        assert_eq!(providers, serde_json::json!([{"key": "github", "label": "GitHub"}, {"key": "acme", "label": "Acme ID"}]));
    }

    async fn this_wasnt_me_disconnects_the_provider_an_intruder_connected(world) {
        let app = &world.app;
        app.sign_up("Una", "una@example.com", STRONG_PASSWORD).await;
        // The intruder knows the password and connects their own account to come back with.
        let mut intruder = signed_in(app, &app.sign_in("una@example.com", STRONG_PASSWORD).await);
        world.oidc.set_user("intruder", "mallory@evil.example", true, "Mallory");
        let trip = start_connect(app, &mut intruder, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        come_back(app, &callback, &format!("{intruder}; {}", trip.flow)).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM connected_accounts").await, 1);
        let mail = app.mail_to("una@example.com", "Acme ID was connected to your account").await;
        let token = link_token(&mail, "/this-wasnt-me");
        let reported = app.call("report_not_me", &[("token", &token)], None).await;
        assert!(reported.error().is_none(), "{}", reported.body);
        assert_eq!(json(&reported)["connections_removed"], serde_json::json!(["Acme ID (mallory@evil.example)"]));
        assert_eq!(app.count("SELECT COUNT(*) FROM connected_accounts").await, 0);
        // The intruder's identity now signs in nowhere: it would make a new,
        // separate account at most, never reach Una's.
        let reply = sign_in_through(app, ACME).await;
        let cookie = signed_in(app, &reply);
        let who = json(&app.call("current_user", &[], Some(&cookie)).await);
        assert_eq!(who["email"], "mallory@evil.example");
    }
}
