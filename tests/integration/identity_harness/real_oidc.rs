//! `RealOidc`: register a client, walk the provider's own login and consent
//! pages, and let `openidconnect` verify what comes back.

use super::{RelyingParty, email_of, harness_test};
use crate::helpers::identity::{ProviderBrowser, RealOidc, query_param, sign_in_at_provider};

harness_test! {
    async fn real_oidc_signs_in_alice_through_login_and_consent() {
        let provider = RealOidc::shared().await;
        let redirect = "http://localhost:1/auth/oauth/acme/callback";
        let (client_id, secret) = provider.register_client(redirect).await;
        let rp = RelyingParty::discover(provider.issuer(), &client_id, &secret, redirect)
            .await
            .unwrap();
        let started = rp.start();
        let callback = sign_in_at_provider(&started.url, "alice@example.test").await;
        assert!(callback.starts_with(redirect), "{callback}");
        assert_eq!(query_param(&callback, "iss").as_deref(), Some(provider.issuer()));
        let finished = rp.finish(started, &callback).await.unwrap();
        let claims = &finished.claims;
        assert_eq!(claims.subject().as_str(), "alice@example.test");
        let (email, verified) = email_of(claims);
        assert_eq!(email.as_deref(), Some("alice@example.test"));
        assert_eq!(verified, Some(true));
        let name = claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_owned());
        assert_eq!(name.as_deref(), Some("alice"));

        // Userinfo has the same claims.
        let info: serde_json::Value = super::http()
            .get(format!("{}/me", provider.issuer()))
            .bearer_auth(&finished.access_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["email"], "alice@example.test");
        assert_eq!(info["email_verified"], true);
    }

    async fn real_oidc_unverified_logins_and_a_kept_session() {
        let provider = RealOidc::shared().await;
        let redirect = "http://localhost:2/auth/oauth/corp/callback";
        let (client_id, secret) = provider
            .register_client_with(redirect, "client_secret_post")
            .await;
        let rp = RelyingParty::discover(provider.issuer(), &client_id, &secret, redirect)
            .await
            .unwrap();
        let mut browser = ProviderBrowser::new();
        let started = rp.start();
        let callback = browser.sign_in(&started.url, "unverified-bob").await;
        // The relying party authenticates with HTTP Basic although the
        // client registered client_secret_post: oidc-provider takes either
        // secret method from any client with a secret.
        let finished = rp.finish(started, &callback).await.unwrap();
        assert_eq!(finished.claims.subject().as_str(), "unverified-bob");

        let (client_id, secret) = provider.register_client(redirect).await;
        let rp = RelyingParty::discover(provider.issuer(), &client_id, &secret, redirect)
            .await
            .unwrap();
        // The provider remembers bob's session: this browser is not asked
        // to log in again (only to consent for the new client), whatever
        // login it would type.
        let started = rp.start();
        let callback = browser.sign_in(&started.url, "someone-else").await;
        let finished = rp.finish(started, &callback).await.unwrap();
        assert_eq!(finished.claims.subject().as_str(), "unverified-bob");
        let (email, verified) = email_of(&finished.claims);
        assert_eq!(email.as_deref(), Some("unverified-bob@example.test"));
        assert_eq!(verified, Some(false));
    }

    async fn real_oidc_is_one_process_per_test_binary() {
        let first = RealOidc::shared().await;
        let second = RealOidc::shared().await;
        assert!(std::ptr::eq(first, second));
        let discovery: serde_json::Value = super::http()
            .get(format!("{}/.well-known/openid-configuration", first.issuer()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], first.issuer());
        assert!(discovery["registration_endpoint"].is_string());
        assert!(!first.stderr().contains("server_error"), "{}", first.stderr());
    }
}
