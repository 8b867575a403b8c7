//! Against the real `oidc-provider` (OpenID Certified) on loopback: its
//! discovery, keys, login and consent pages, code exchange and ID tokens.

use super::{come_back, connections, json, problem, signed_in, start_sign_in};
use crate::helpers::identity::{ProviderBrowser, RealOidc, callback_url, sign_in_at_provider};
use crate::helpers::*;

/// An app offering the real provider as "Acme ID", with a client of its own.
async fn spawn(db: Db) -> TestApp {
    TestApp::spawn_with_bound(db, |addr| async move {
        let provider = RealOidc::shared().await;
        let (id, secret) = provider.register_client(&callback_url(addr, "acme")).await;
        provider.generic_settings("acme", &id, &secret, Some("Acme ID"))
    })
    .await
}

async fn signs_up_then_signs_in_again_through_the_real_provider(db: Db) {
    let app = spawn(db).await;
    let mut browser = ProviderBrowser::new();
    let login = format!("rhea-{}@example.test", uuid::Uuid::now_v7().simple());
    let trip = start_sign_in(&app, "acme").await;
    let callback = browser.sign_in(&trip.authorize_url, &login).await;
    let reply = come_back(&app, &callback, &trip.flow).await;
    let cookie = signed_in(&app, &reply);
    let who = json(&app.call("current_user", &[], Some(&cookie)).await);
    assert_eq!(who["email"], login.as_str());
    assert_eq!(who["email_verified"], true);
    let list = connections(&app, &cookie).await;
    assert_eq!(list["connections"][0]["account"], login.as_str());

    // Again, with the provider's session: the same account, no new one.
    let trip = start_sign_in(&app, "acme").await;
    let callback = browser.sign_in(&trip.authorize_url, &login).await;
    signed_in(&app, &come_back(&app, &callback, &trip.flow).await);
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 2);

    // The real provider refuses its code a second time.
    let replay = come_back(&app, &callback, &trip.flow).await;
    assert_eq!(problem(&replay), "code_refused");

    // An answer naming another issuer (RFC 9207's `iss`) is refused
    // before its code is redeemed: a mix-up of providers.
    let trip = start_sign_in(&app, "acme").await;
    let callback = browser.sign_in(&trip.authorize_url, &login).await;
    assert!(
        callback.contains("iss="),
        "oidc-provider names itself: {callback}"
    );
    let mixed = super::attacks::with_param(&callback, "iss", Some("https%3A%2F%2Fevil.example"));
    assert_eq!(
        problem(&come_back(&app, &mixed, &trip.flow).await),
        "unverifiable"
    );
    assert_eq!(
        super::last_detail(&app, "oauth_sign_in", "failure").await["reason"],
        "issuer_mismatch"
    );

    // An address the provider has not verified makes no account.
    let trip = start_sign_in(&app, "acme").await;
    let callback = sign_in_at_provider(&trip.authorize_url, "unverified-sam@example.test").await;
    let reply = come_back(&app, &callback, &trip.flow).await;
    assert_eq!(problem(&reply), "unverified_email");
    assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    bounded(signs_up_then_signs_in_again_through_the_real_provider(
        Db::Sqlite,
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    bounded(signs_up_then_signs_in_again_through_the_real_provider(
        Db::Postgres,
    ))
    .await
}
