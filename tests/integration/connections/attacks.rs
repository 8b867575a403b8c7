//! Every forged, replayed, foreign or broken answer: a plain message on the
//! page, a failure event with its reason, and nothing linked or signed in.

use super::*;
use crate::helpers::identity::{GitHubEmail, GitHubMisbehaviour, GitHubUser, Misbehaviour};

/// Nothing was linked and nobody signed in.
async fn nothing_linked(app: &TestApp, reply: &Reply) {
    assert!(
        reply.session_cookie(app.cookie_name).is_none(),
        "signed in after a refusal: {:?}",
        reply.location()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM connected_accounts").await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL")
            .await,
        0
    );
}

/// `callback` with its `name` parameter replaced by `value` (or removed).
pub fn with_param(callback: &str, name: &str, value: Option<&str>) -> String {
    let (base, query) = callback.split_once('?').unwrap();
    let mut pairs: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.starts_with(&format!("{name}=")))
        .map(str::to_string)
        .collect();
    if let Some(value) = value {
        pairs.push(format!("{name}={value}"));
    }
    format!("{base}?{}", pairs.join("&"))
}

with_providers! {
    async fn a_callback_in_a_browser_that_did_not_start_it_is_refused(world) {
        let app = &world.app;
        // Login CSRF: the attacker starts a sign-in, stops at the callback
        // and gets the victim's browser to open it.
        let trip = start_sign_in(app, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        let reply = come_back(app, &callback, "").await;
        assert_eq!(problem(&reply), "expired");
        assert!(reply.location().unwrap().starts_with("/login?"), "{:?}", reply.location());
        nothing_linked(app, &reply).await;
        assert_eq!(last_detail(app, "oauth_sign_in", "failure").await["reason"], "no_flow");
        assert_eq!(world.oidc.token_requests(), 0, "the code was never redeemed");
        // The page says what happened.
        let page = app.get(reply.location().unwrap(), None).await;
        assert!(page.body.contains("expired or was started in another browser"), "{}", page.body);
    }

    async fn a_wrong_or_missing_state_is_refused(world) {
        let app = &world.app;
        for (value, reason) in [(Some("forged-state"), "state_mismatch"), (None, "state_missing")] {
            let trip = start_sign_in(app, ACME).await;
            let callback = authorize(&app.http, &trip.authorize_url).await;
            let reply = come_back(app, &with_param(&callback, "state", value), &trip.flow).await;
            assert_eq!(problem(&reply), "expired");
            nothing_linked(app, &reply).await;
            assert_eq!(last_detail(app, "oauth_sign_in", "failure").await["reason"], reason);
            // The flow cookie is cleared: it serves one callback only.
            let cleared = reply.set_cookie_line("ss_oauth").expect("the flow cookie is cleared");
            assert!(cleared.contains("Max-Age=0"), "{cleared}");
        }
        // A missing code likewise.
        let trip = start_sign_in(app, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        let reply = come_back(app, &with_param(&callback, "code", None), &trip.flow).await;
        assert_eq!(problem(&reply), "expired");
        nothing_linked(app, &reply).await;
        assert_eq!(world.oidc.token_requests(), 0);
    }

    async fn a_copied_ticket_cannot_make_the_server_call_the_provider_without_end(world) {
        let app = &world.app;
        let trip = start_sign_in(app, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        signed_in(app, &come_back(app, &callback, &trip.flow).await);
        for _ in 1..30 {
            assert_eq!(problem(&come_back(app, &callback, &trip.flow).await), "code_refused");
        }
        assert_eq!(world.oidc.token_requests(), 30);
        let reply = come_back(app, &callback, &trip.flow).await;
        assert_eq!(problem(&reply), "too_many_attempts");
        assert_eq!(world.oidc.token_requests(), 30, "the 31st never reached the provider");
        assert_eq!(last_detail(app, "oauth_sign_in", "failure").await["reason"], "callback_limit");
    }

    async fn a_replayed_authorization_code_is_refused(world) {
        let app = &world.app;
        let trip = start_sign_in(app, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        let first = come_back(app, &callback, &trip.flow).await;
        signed_in(app, &first);
        // The same callback with the same (copied) flow cookie: the provider
        // refuses a code it has redeemed.
        let replay = come_back(app, &callback, &trip.flow).await;
        assert_eq!(problem(&replay), "code_refused");
        assert!(replay.session_cookie(app.cookie_name).is_none());
        assert_eq!(last_detail(app, "oauth_sign_in", "failure").await["reason"], "code_refused");
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1, "one sign-in, one session");
    }

    async fn a_tampered_or_foreign_flow_cookie_is_refused(world) {
        let app = &world.app;
        let trip = start_sign_in(app, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        let mut tampered = trip.flow.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        let reply = come_back(app, &callback, &tampered).await;
        assert_eq!(problem(&reply), "expired");
        nothing_linked(app, &reply).await;
        // GitHub's ticket at Acme's callback: sealed for another provider.
        let github = start_sign_in(app, "github").await;
        let trip = start_sign_in(app, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        let reply = come_back(app, &callback, &github.flow).await;
        assert_eq!(problem(&reply), "expired");
        nothing_linked(app, &reply).await;
        // An expired ticket (ten minutes).
        let trip = start_sign_in(app, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        app.clock.advance(10 * 60 * 1000 + 1);
        let reply = come_back(app, &callback, &trip.flow).await;
        assert_eq!(problem(&reply), "expired");
        nothing_linked(app, &reply).await;
    }

    async fn every_bad_id_token_is_refused_and_links_nothing(world) {
        let app = &world.app;
        for (misbehaviour, reason) in [
            (Misbehaviour::WrongIssuer, "id_token_wrong_issuer"),
            (Misbehaviour::WrongAudience, "id_token_wrong_audience"),
            (Misbehaviour::BadSignature, "id_token_bad_signature"),
            // An unsigned token is a signature that does not verify.
            (Misbehaviour::AlgNone, "id_token_bad_signature"),
            (Misbehaviour::Expired, "id_token_expired"),
            (Misbehaviour::WrongNonce, "id_token_wrong_nonce"),
            (Misbehaviour::UserinfoOtherSubject, "userinfo_subject"),
        ] {
            world.oidc.misbehave(misbehaviour);
            let reply = sign_in_through(app, ACME).await;
            assert_eq!(problem(&reply), "unverifiable", "{misbehaviour:?}");
            nothing_linked(app, &reply).await;
            assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0, "{misbehaviour:?}");
            let detail = last_detail(app, "oauth_sign_in", "failure").await;
            assert_eq!(detail["reason"], reason, "{misbehaviour:?}");
            assert_eq!(detail["provider"], ACME);
        }
        // The same provider behaving signs in: the refusals were the tokens'.
        world.oidc.behave();
        signed_in(app, &sign_in_through(app, ACME).await);
    }

    async fn an_unverified_address_makes_no_account(world) {
        let app = &world.app;
        world.oidc.misbehave(Misbehaviour::UnverifiedEmail);
        let reply = sign_in_through(app, ACME).await;
        assert_eq!(problem(&reply), "unverified_email");
        nothing_linked(app, &reply).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
        world.github.set_user(GitHubUser {
            id: 42,
            login: "hubber".into(),
            name: None,
            public_email: Some("hubber@example.com".into()),
            emails: vec![GitHubEmail { email: "hubber@example.com".into(), primary: true, verified: false }],
        });
        let reply = sign_in_through(app, "github").await;
        assert_eq!(problem(&reply), "unverified_email");
        nothing_linked(app, &reply).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
    }

    async fn a_known_address_never_joins_its_account(world) {
        let app = &world.app;
        app.sign_up("Vic", "vic@example.com", STRONG_PASSWORD).await;
        let vic = user_id(app, "vic@example.com").await;
        // Whoever controls a provider account with Vic's address (made
        // there before Vic's, or with Vic's address unconfirmed) gets nothing.
        world.oidc.set_user("squatter", "vic@example.com", true, "Not Vic");
        let reply = sign_in_through(app, ACME).await;
        assert_eq!(problem(&reply), "known_email");
        assert!(reply.session_cookie(app.cookie_name).is_none());
        assert_eq!(app.count("SELECT COUNT(*) FROM connected_accounts").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
        // Vic's own history shows the attempt.
        let owner: Option<String> = sqlx::query_scalar(
            "SELECT user_id FROM security_events WHERE kind = 'oauth_sign_in' AND outcome = 'failure'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(owner.as_deref(), Some(vic.as_str()));
        let page = app.get(reply.location().unwrap(), None).await;
        assert!(page.body.contains("Sign in with your password, then connect Acme ID"), "{}", page.body);
    }

    async fn a_provider_that_is_down_or_answers_garbage_is_refused(world) {
        let app = &world.app;
        for misbehaviour in [Misbehaviour::TokenEndpoint500, Misbehaviour::TokenEndpointHtml] {
            world.oidc.misbehave(misbehaviour);
            let reply = sign_in_through(app, ACME).await;
            assert_eq!(problem(&reply), "unavailable", "{misbehaviour:?}");
            nothing_linked(app, &reply).await;
        }
        world.github.misbehave(GitHubMisbehaviour::TokenEndpoint500);
        let reply = sign_in_through(app, "github").await;
        assert!(matches!(problem(&reply).as_str(), "unavailable" | "code_refused"), "{:?}", reply.location());
        nothing_linked(app, &reply).await;
        world.github.misbehave(GitHubMisbehaviour::UserHtml);
        let reply = sign_in_through(app, "github").await;
        assert_eq!(problem(&reply), "unavailable");
        nothing_linked(app, &reply).await;
        assert_eq!(last_detail(app, "oauth_sign_in", "failure").await["reason"], "api_garbage");
    }

    async fn a_provider_whose_discovery_is_broken_cannot_start(world) {
        let app = &world.app;
        for misbehaviour in [Misbehaviour::DiscoveryMalformed, Misbehaviour::DiscoveryNamesOtherIssuer] {
            world.oidc.misbehave(misbehaviour);
            let reply = app.call("start_provider_sign_in", &[("provider", ACME)], None).await;
            match reply.error() {
                Some(AppError::Validation { field, message }) => {
                    assert_eq!(field, "provider");
                    assert!(message.contains("Acme ID is not answering"), "{message}");
                }
                other => panic!("{misbehaviour:?}: expected a refusal, got {other:?}"),
            }
            assert!(reply.session_cookie("ss_oauth").is_none());
        }
    }

    async fn a_callback_for_a_provider_that_is_not_configured_is_refused(world) {
        let app = &world.app;
        for path in [
            "/auth/oauth/okta/callback?code=abc&state=def",
            "/auth/oauth/GitHub/callback?code=abc&state=def",
            "/auth/oauth/%2e%2e%2fadmin/callback?code=abc",
        ] {
            let reply = come_back(app, &format!("http://localhost{path}"), "").await;
            assert_eq!(problem(&reply), "unknown_provider", "{path}");
            nothing_linked(app, &reply).await;
        }
        // The path names the provider: a `provider` added to the query does
        // not send Acme's answer to GitHub's ticket.
        let github = start_sign_in(app, "github").await;
        let trip = start_sign_in(app, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        let smuggled = callback.replace("?", "?provider=github&");
        let reply = come_back(app, &smuggled, &github.flow).await;
        assert_eq!(problem(&reply), "expired");
        nothing_linked(app, &reply).await;
        assert_eq!(world.github.token_requests(), 0);
        for provider in ["", "okta", "GitHub", "../x", "a b"] {
            let reply = app.call("start_provider_sign_in", &[("provider", provider)], None).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "provider"), "{provider:?}: {}", reply.body);
            assert!(reply.session_cookie("ss_oauth").is_none());
        }
        // And a `next` that leaves the site is not followed.
        let reply = app.call("start_provider_sign_in", &[("provider", ACME), ("next", "https://evil.example/")], None).await;
        let callback = authorize(&app.http, reply.location().unwrap()).await;
        let done = come_back(app, &callback, &flow_cookie(&reply)).await;
        assert_eq!(done.location(), Some("/settings/security"));
    }

    async fn the_provider_saying_no_changes_nothing(world) {
        let app = &world.app;
        let trip = start_sign_in(app, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        let state = query_param(&callback, "state").unwrap();
        let denied = format!(
            "http://localhost/auth/oauth/acme/callback?error=access_denied&error_description=%3Cscript%3E&state={state}"
        );
        let reply = come_back(app, &denied, &trip.flow).await;
        assert_eq!(problem(&reply), "denied");
        nothing_linked(app, &reply).await;
        let page = app.get(reply.location().unwrap(), None).await;
        assert!(!page.body.contains("<script>"), "the provider's text is never shown");
    }

    async fn an_identity_connected_to_another_account_stays_there(world) {
        let app = &world.app;
        let mut ann = app.sign_up("Ann", "ann@example.com", STRONG_PASSWORD).await;
        let mut bob = app.sign_up("Bob", "bob@example.com", STRONG_PASSWORD).await;
        world.oidc.set_user("shared", "shared@example.com", true, "Shared");
        let trip = start_connect(app, &mut ann, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        come_back(app, &callback, &format!("{ann}; {}", trip.flow)).await;
        let trip = start_connect(app, &mut bob, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        let reply = come_back(app, &callback, &format!("{bob}; {}", trip.flow)).await;
        assert_eq!(problem(&reply), "connected_elsewhere");
        assert!(reply.location().unwrap().starts_with("/settings/authentication?"));
        let owner: String = sqlx::query_scalar("SELECT u.email FROM connected_accounts c JOIN users u ON u.id = c.user_id")
            .fetch_one(&app.pool).await.unwrap();
        assert_eq!(owner, "ann@example.com");
        assert!(connections(app, &bob).await["connections"].as_array().unwrap().is_empty());
        assert_eq!(last_detail(app, "oauth_connected", "failure").await["reason"], "connected_elsewhere");
        // Ann connecting a second account at the same provider is refused too.
        world.oidc.set_user("ann-second", "ann2@example.com", true, "Ann");
        let trip = start_connect(app, &mut ann, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        let reply = come_back(app, &callback, &format!("{ann}; {}", trip.flow)).await;
        assert_eq!(problem(&reply), "already_connected");
        assert_eq!(app.count("SELECT COUNT(*) FROM connected_accounts").await, 1);
    }

    async fn a_connection_finishes_only_in_the_session_that_started_it(world) {
        let app = &world.app;
        let mut ann = app.sign_up("Ann", "ann@example.com", STRONG_PASSWORD).await;
        let bob = app.sign_up("Bob", "bob@example.com", STRONG_PASSWORD).await;
        let trip = start_connect(app, &mut ann, ACME).await;
        let callback = authorize(&app.http, &trip.authorize_url).await;
        // Ann's flow cookie in Bob's browser, and in a signed-out one.
        for cookies in [format!("{bob}; {}", trip.flow), trip.flow.clone()] {
            let reply = come_back(app, &callback, &cookies).await;
            assert_eq!(problem(&reply), "expired");
            assert_eq!(app.count("SELECT COUNT(*) FROM connected_accounts").await, 0);
        }
        assert_eq!(last_detail(app, "oauth_connected", "failure").await["reason"], "session_changed");
    }

    async fn connecting_and_disconnecting_need_sudo_mode_and_valid_input(world) {
        let app = &world.app;
        let cookie = app.sign_up("Ivy", "ivy@example.com", STRONG_PASSWORD).await;
        app.clock.advance(11 * 60 * 1000);
        let reply = app.call("connect_provider", &[("provider", ACME)], Some(&cookie)).await;
        assert_eq!(reply.error(), Some(AppError::ReauthRequired));
        assert!(reply.session_cookie("ss_oauth").is_none());
        let reply = app.call("connect_provider", &[("provider", ACME), ("password", "wrong password here")], Some(&cookie)).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "password"));
        assert!(reply.session_cookie("ss_oauth").is_none());
        let reply = app.call("connect_provider", &[("provider", "nope"), ("password", STRONG_PASSWORD)], Some(&cookie)).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "provider"), "{}", reply.body);
        let mut cookie = cookie;
        let reply = app.call_rotating("disconnect_provider", &[("provider", ACME), ("password", STRONG_PASSWORD)], &mut cookie).await;
        assert_eq!(reply.error(), Some(AppError::NotFound));
        let reply = app.call("disconnect_provider", &[("provider", "<b>")], Some(&cookie)).await;
        assert_eq!(reply.error(), Some(AppError::NotFound));
        // Signed out, none of it is reachable.
        let reply = app.call("connect_provider", &[("provider", ACME)], None).await;
        assert_eq!(reply.error(), Some(AppError::Unauthenticated));
        assert!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'oauth_connected' AND outcome = 'success'").await == 0);
    }
}

/// A provider that never answers: the sign-in gives up after the timeout.
mod a_provider_that_hangs_times_out {
    use super::*;

    async fn run(db: Db) {
        let world = World::spawn_with(db, &[("IDENTITY_PROVIDER_TIMEOUT_SECONDS", "1")]).await;
        let app = &world.app;
        world.oidc.misbehave(Misbehaviour::TokenEndpointHangs);
        let reply = sign_in_through(app, ACME).await;
        assert_eq!(problem(&reply), "unavailable");
        nothing_linked(app, &reply).await;
        assert_eq!(
            last_detail(app, "oauth_sign_in", "failure").await["reason"],
            "timeout"
        );
        world.github.misbehave(GitHubMisbehaviour::UserHangs);
        let reply = sign_in_through(app, "github").await;
        assert_eq!(problem(&reply), "unavailable");
        nothing_linked(app, &reply).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        crate::helpers::bounded(run(Db::Sqlite)).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        crate::helpers::bounded(run(Db::Postgres)).await
    }
}
