//! `FakeGitHub`: the web flow, GitHub's error shapes, and misbehaviours.

use super::{harness_test, http};
use crate::helpers::identity::{
    FakeGitHub, GitHubEmail, GitHubMisbehaviour, GitHubUser, authorize, query_param,
};
use openidconnect::PkceCodeChallenge;
use serde_json::Value;
use std::time::Duration;

const REDIRECT: &str = "http://localhost:1/auth/oauth/github/callback";

/// Authorizes as the app would; returns the code and the PKCE verifier.
async fn authorize_code(github: &FakeGitHub) -> (String, String) {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut url = reqwest::Url::parse(&format!("{}/login/oauth/authorize", github.base())).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", FakeGitHub::CLIENT_ID)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", "read:user user:email")
        .append_pair("state", "st")
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", "S256");
    let callback = authorize(&http(), url.as_str()).await;
    assert!(callback.starts_with(REDIRECT), "{callback}");
    assert_eq!(query_param(&callback, "state").as_deref(), Some("st"));
    let code = query_param(&callback, "code").expect("a code");
    (code, verifier.secret().clone())
}

/// Exchanges a code with the credentials in the body, asking for JSON.
async fn exchange(github: &FakeGitHub, code: &str, verifier: &str) -> reqwest::Response {
    let form = [
        ("client_id", FakeGitHub::CLIENT_ID),
        ("client_secret", FakeGitHub::CLIENT_SECRET),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
        ("grant_type", "authorization_code"),
    ];
    http()
        .post(format!("{}/login/oauth/access_token", github.base()))
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn api(github: &FakeGitHub, path: &str, token: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", github.base()))
        .bearer_auth(token)
        .header("user-agent", "statusstack-tests")
        .send()
        .await
        .unwrap()
}

harness_test! {
    async fn fake_github_signs_in_and_codes_are_single_use() {
        let github = FakeGitHub::start().await;
        github.set_user(GitHubUser {
            id: 42,
            login: "hopper".into(),
            name: Some("Grace Hopper".into()),
            public_email: None,
            emails: vec![
                GitHubEmail { email: "grace@example.test".into(), primary: true, verified: true },
                GitHubEmail { email: "old@example.test".into(), primary: false, verified: false },
            ],
        });
        let (code, verifier) = authorize_code(&github).await;
        let reply: Value = exchange(&github, &code, &verifier).await.json().await.unwrap();
        assert_eq!(reply["token_type"], "bearer");
        assert_eq!(reply["scope"], "read:user,user:email");
        let token = reply["access_token"].as_str().unwrap().to_owned();

        // The same code again: GitHub's answer is a 200 with an error field.
        let again = exchange(&github, &code, &verifier).await;
        assert_eq!(again.status(), 200);
        let again: Value = again.json().await.unwrap();
        assert_eq!(again["error"], "bad_verification_code");
        assert!(again.get("access_token").is_none());

        let user: Value = api(&github, "/user", &token).await.json().await.unwrap();
        assert_eq!(user["id"], 42);
        assert_eq!(user["login"], "hopper");
        assert_eq!(user["name"], "Grace Hopper");
        assert_eq!(user["email"], Value::Null);
        let emails: Value = api(&github, "/user/emails", &token).await.json().await.unwrap();
        assert_eq!(emails[0]["email"], "grace@example.test");
        assert_eq!(emails[0]["primary"], true);
        assert_eq!(emails[0]["verified"], true);
        assert_eq!(emails[1]["verified"], false);

        assert_eq!(api(&github, "/user", "not-a-token").await.status(), 401);
        let no_agent = http()
            .get(format!("{}/user", github.base()))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(no_agent.status(), 403);
        assert_eq!(github.token_requests(), 2);
    }

    async fn fake_github_checks_client_and_pkce_and_speaks_forms() {
        let github = FakeGitHub::start().await;
        let (code, _) = authorize_code(&github).await;
        let token_url = format!("{}/login/oauth/access_token", github.base());
        let wrong_verifier = [
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", "not-the-verifier"),
        ];
        let reply: Value = http()
            .post(&token_url)
            .basic_auth(FakeGitHub::CLIENT_ID, Some(FakeGitHub::CLIENT_SECRET))
            .header("accept", "application/json")
            .form(&wrong_verifier)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(reply["error"], "bad_verification_code");

        let (code, verifier_2) = authorize_code(&github).await;
        let form = [("code", code.as_str()), ("code_verifier", verifier_2.as_str())];
        let wrong_secret: Value = http()
            .post(&token_url)
            .basic_auth(FakeGitHub::CLIENT_ID, Some("wrong"))
            .header("accept", "application/json")
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(wrong_secret["error"], "incorrect_client_credentials");

        // HTTP Basic credentials, and no Accept header: a form-encoded answer.
        let reply = http()
            .post(&token_url)
            .basic_auth(FakeGitHub::CLIENT_ID, Some(FakeGitHub::CLIENT_SECRET))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(reply.headers()["content-type"].to_str().unwrap().contains("x-www-form-urlencoded"));
        let body = reply.text().await.unwrap();
        assert!(body.starts_with("access_token=gho_"), "{body}");
        assert!(body.contains("token_type=bearer"), "{body}");
    }

    async fn fake_github_misbehaves_on_request() {
        let github = FakeGitHub::start().await;
        github.misbehave(GitHubMisbehaviour::TokenEndpoint500);
        let (code_1, verifier_1) = authorize_code(&github).await;
        assert_eq!(exchange(&github, &code_1, &verifier_1).await.status(), 500);

        github.misbehave(GitHubMisbehaviour::UserHtml);
        let (code_2, verifier_2) = authorize_code(&github).await;
        let reply: Value = exchange(&github, &code_2, &verifier_2).await.json().await.unwrap();
        let token = reply["access_token"].as_str().unwrap().to_owned();
        let user = api(&github, "/user", &token).await;
        assert_eq!(user.status(), 200);
        assert!(user.headers()["content-type"].to_str().unwrap().starts_with("text/html"));

        github.misbehave(GitHubMisbehaviour::TokenEndpointHangs);
        let (code_3, verifier_3) = authorize_code(&github).await;
        let waited = tokio::time::timeout(Duration::from_secs(2), exchange(&github, &code_3, &verifier_3));
        assert!(waited.await.is_err(), "the token endpoint answered within 2 s");

        github.behave();
        let (code_4, verifier_4) = authorize_code(&github).await;
        let reply: Value = exchange(&github, &code_4, &verifier_4).await.json().await.unwrap();
        assert!(reply["access_token"].is_string(), "{reply}");
    }
}
