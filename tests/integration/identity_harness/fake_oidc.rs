//! `FakeOidc`: a sign-in `openidconnect` accepts, and each misbehaviour.

use super::{RelyingParty, email_of, harness_test, http};
use crate::helpers::identity::{FakeOidc, Misbehaviour, authorize, decode_jwt, query_param};
use openidconnect::PkceCodeChallenge;
use serde_json::Value;
use std::time::Duration;

const REDIRECT: &str = "http://localhost:1/auth/oauth/acme/callback";

async fn relying_party(fake: &FakeOidc) -> Result<RelyingParty, String> {
    RelyingParty::discover(
        &fake.issuer(),
        FakeOidc::CLIENT_ID,
        FakeOidc::CLIENT_SECRET,
        REDIRECT,
    )
    .await
}

/// An authorization by hand; returns the code and the PKCE verifier.
async fn authorize_code(fake: &FakeOidc) -> (String, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut url = reqwest::Url::parse(&format!("{}/authorize", fake.issuer())).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", FakeOidc::CLIENT_ID)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "openid email profile")
        .append_pair("state", "st")
        .append_pair("nonce", "the-nonce")
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256");
    let callback = authorize(&http(), url.as_str()).await;
    assert!(callback.starts_with(REDIRECT), "{callback}");
    assert_eq!(query_param(&callback, "state").as_deref(), Some("st"));
    let code = query_param(&callback, "code").expect("a code");
    (code, verifier.secret().clone())
}

/// POSTs the token request (HTTP Basic client auth); status and body.
async fn exchange(fake: &FakeOidc, code: &str, verifier: &str) -> (u16, String, String) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    let response = http()
        .post(format!("{}/token", fake.issuer()))
        .basic_auth(FakeOidc::CLIENT_ID, Some(FakeOidc::CLIENT_SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// A whole raw sign-in: the token response and the ID token's claims.
async fn raw_id_token(fake: &FakeOidc) -> (Value, Value, Vec<u8>) {
    let (code, verifier) = authorize_code(fake).await;
    let (status, _, body) = exchange(fake, &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    decode_jwt(body["id_token"].as_str().unwrap())
}

async fn userinfo(fake: &FakeOidc, token: &str) -> Value {
    let response = http()
        .get(format!("{}/userinfo", fake.issuer()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

harness_test! {
    async fn fake_oidc_signs_in_a_user_openidconnect_verifies() {
        let fake = FakeOidc::start().await;
        fake.set_user("sub-grace", "grace@example.test", true, "Grace");
        let rp = relying_party(&fake).await.unwrap();
        let started = rp.start();
        let callback = authorize(&http(), &started.url).await;
        let request = fake.last_authorize_request().unwrap();
        assert_eq!(request["code_challenge_method"], "S256");
        assert_eq!(request["scope"], "openid email profile");
        let finished = rp.finish(started, &callback).await.unwrap();
        assert_eq!(finished.claims.subject().as_str(), "sub-grace");
        let (email, verified) = email_of(&finished.claims);
        assert_eq!(email.as_deref(), Some("grace@example.test"));
        assert_eq!(verified, Some(true));
        let info = userinfo(&fake, &finished.access_token).await;
        assert_eq!(info["sub"], "sub-grace");
        assert_eq!(info["email"], "grace@example.test");
        assert_eq!(info["name"], "Grace");
    }

    async fn fake_oidc_codes_are_single_use_and_bound_to_pkce_and_client() {
        let fake = FakeOidc::start().await;
        let (first, verifier) = authorize_code(&fake).await;
        assert_eq!(exchange(&fake, &first, &verifier).await.0, 200);
        let (status, _, body) = exchange(&fake, &first, &verifier).await;
        assert_eq!(status, 400);
        assert!(body.contains("invalid_grant"), "{body}");

        let (second, _) = authorize_code(&fake).await;
        let (status, _, body) = exchange(&fake, &second, "not-the-verifier").await;
        assert_eq!(status, 400);
        assert!(body.contains("invalid_grant"), "{body}");

        // Credentials in the body are accepted too; wrong ones are not.
        let (third, verifier) = authorize_code(&fake).await;
        let token_url = format!("{}/token", fake.issuer());
        let form = |secret: &'static str| {
            vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", third.clone()),
                ("redirect_uri", REDIRECT.to_owned()),
                ("code_verifier", verifier.clone()),
                ("client_id", FakeOidc::CLIENT_ID.to_owned()),
                ("client_secret", secret.to_owned()),
            ]
        };
        let wrong = http().post(&token_url).form(&form("wrong")).send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        let right = http()
            .post(&token_url)
            .form(&form(FakeOidc::CLIENT_SECRET))
            .send()
            .await
            .unwrap();
        assert_eq!(right.status(), 200);
        assert_eq!(fake.token_requests(), 5);
    }

    async fn fake_oidc_id_token_misbehaviours_fail_verification() {
        let fake = FakeOidc::start().await;
        let rp = relying_party(&fake).await.unwrap();
        // Each is refused by openidconnect's ID token verifier, for its own reason.
        for (misbehaviour, reason) in [
            (Misbehaviour::WrongIssuer, "InvalidIssuer"),
            (Misbehaviour::WrongAudience, "InvalidAudience"),
            (Misbehaviour::BadSignature, "SignatureVerification(CryptoError"),
            (Misbehaviour::AlgNone, "SignatureVerification(NoSignature)"),
            (Misbehaviour::Expired, "Expired"),
            (Misbehaviour::WrongNonce, "InvalidNonce"),
        ] {
            fake.misbehave(misbehaviour);
            let started = rp.start();
            let callback = authorize(&http(), &started.url).await;
            let refused = rp.finish(started, &callback).await.err();
            let refused = refused.unwrap_or_else(|| panic!("{misbehaviour:?} was accepted"));
            assert!(refused.contains(reason), "{misbehaviour:?}: {refused}");

            let (header, claims, signature) = raw_id_token(&fake).await;
            let now = crate::helpers::now() / 1000;
            match misbehaviour {
                Misbehaviour::WrongIssuer => assert_ne!(claims["iss"], fake.issuer()),
                Misbehaviour::WrongAudience => assert_ne!(claims["aud"], FakeOidc::CLIENT_ID),
                Misbehaviour::BadSignature => {
                    assert_eq!(header["alg"], "RS256");
                    assert_eq!(signature.len(), 256);
                }
                Misbehaviour::AlgNone => {
                    assert_eq!(header, serde_json::json!({"alg": "none"}));
                    assert!(signature.is_empty());
                }
                Misbehaviour::Expired => assert!(claims["exp"].as_i64().unwrap() < now - 3000),
                Misbehaviour::WrongNonce => assert_ne!(claims["nonce"], "the-nonce"),
                _ => unreachable!(),
            }
        }
        fake.behave();
        let started = rp.start();
        let callback = authorize(&http(), &started.url).await;
        rp.finish(started, &callback).await.unwrap();
    }

    async fn fake_oidc_unverified_email_is_verified_false_everywhere() {
        let fake = FakeOidc::start().await;
        fake.misbehave(Misbehaviour::UnverifiedEmail);
        let rp = relying_party(&fake).await.unwrap();
        let started = rp.start();
        let callback = authorize(&http(), &started.url).await;
        let finished = rp.finish(started, &callback).await.unwrap();
        assert_eq!(email_of(&finished.claims).1, Some(false));
        let info = userinfo(&fake, &finished.access_token).await;
        assert_eq!(info["email_verified"], false);
    }

    async fn fake_oidc_email_can_be_left_to_userinfo() {
        let fake = FakeOidc::start().await;
        let rp = relying_party(&fake).await.unwrap();
        fake.misbehave(Misbehaviour::IdTokenWithoutEmail);
        let started = rp.start();
        let callback = authorize(&http(), &started.url).await;
        let finished = rp.finish(started, &callback).await.unwrap();
        assert_eq!(email_of(&finished.claims), (None, None));
        let info = userinfo(&fake, &finished.access_token).await;
        assert_eq!(info["sub"], finished.claims.subject().as_str());
        assert_eq!(info["email"], "ada@example.test");

        fake.misbehave(Misbehaviour::UserinfoOtherSubject);
        let started = rp.start();
        let callback = authorize(&http(), &started.url).await;
        let finished = rp.finish(started, &callback).await.unwrap();
        assert_eq!(email_of(&finished.claims), (None, None));
        let info = userinfo(&fake, &finished.access_token).await;
        assert_ne!(info["sub"], finished.claims.subject().as_str());
    }

    async fn fake_oidc_token_endpoint_failures() {
        let fake = FakeOidc::start().await;
        let rp = relying_party(&fake).await.unwrap();
        for (misbehaviour, status, content_type) in [
            (Misbehaviour::TokenEndpoint500, 500, "text/plain"),
            (Misbehaviour::TokenEndpointHtml, 200, "text/html"),
        ] {
            fake.misbehave(misbehaviour);
            let started = rp.start();
            let callback = authorize(&http(), &started.url).await;
            assert!(rp.finish(started, &callback).await.is_err(), "{misbehaviour:?}");
            let (code, verifier) = authorize_code(&fake).await;
            let (got, got_type, _) = exchange(&fake, &code, &verifier).await;
            assert_eq!(got, status, "{misbehaviour:?}");
            assert!(got_type.starts_with(content_type), "{misbehaviour:?}: {got_type}");
        }

        fake.misbehave(Misbehaviour::TokenEndpointHangs);
        let (code, verifier) = authorize_code(&fake).await;
        let waited = tokio::time::timeout(Duration::from_secs(2), exchange(&fake, &code, &verifier));
        assert!(waited.await.is_err(), "the token endpoint answered within 2 s");
    }

    async fn fake_oidc_discovery_failures() {
        let fake = FakeOidc::start().await;
        let discovery = format!("{}/.well-known/openid-configuration", fake.issuer());

        fake.misbehave(Misbehaviour::DiscoveryMalformed);
        assert!(relying_party(&fake).await.is_err());
        let body = http().get(&discovery).send().await.unwrap().text().await.unwrap();
        assert!(serde_json::from_str::<Value>(&body).is_err(), "{body}");

        fake.misbehave(Misbehaviour::DiscoveryNamesOtherIssuer);
        let refused = relying_party(&fake).await.err().expect("another issuer is refused");
        assert!(refused.contains("ssuer"), "{refused}");
        let document: Value = http().get(&discovery).send().await.unwrap().json().await.unwrap();
        assert_ne!(document["issuer"], fake.issuer());

        fake.behave();
        assert!(relying_party(&fake).await.is_ok());
    }
}
