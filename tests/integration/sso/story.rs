//! The whole story on both databases: configure, test, verify a domain,
//! a member made just in time, enforcement (a password refused, API keys,
//! the break-glass Owner) and a shorter idle lifetime.

use super::*;

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
    let changed = app.mail_to(OWNER, "single sign-on changed").await;
    assert!(changed.contains("Test connection"), "{changed}");
    // Its button opens the card the change is on, not the Team page.
    assert!(
        changed.contains("/settings/authentication#single-sign-on"),
        "{changed}"
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

    // A covered member's right password is answered as a wrong one would be
    // (the sign-in page offers SSO for the address); their history says why.
    let refused = app.sign_in("pat@example.com", STRONG_PASSWORD).await;
    assert!(
        matches!(refused.error(), Some(AppError::InvalidCredentials)),
        "{}",
        refused.body
    );
    assert!(refused.session_cookie(app.cookie_name).is_none());
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

both_sso_worlds! {
    async fn members_see_what_their_organizations_sso_means_for_them(world) {
        let app = &world.app;
        let outsider = app.sign_up("Zed", "zed@elsewhere.test", STRONG_PASSWORD).await;
        world.ready().await;
        let mia = sso_sign_in(app, "mia@example.com", "mia@example.com")
            .await
            .session_cookie(app.cookie_name)
            .expect("Mia signed in through SSO");
        let seen = |reply: Reply| -> Value {
            ok(&reply);
            serde_json::from_str(&reply.body).unwrap()
        };
        let offered = seen(app.call("get_member_sso", &[], Some(&mia)).await);
        assert_eq!(offered["organization"], "Example Corp", "{offered}");
        assert_eq!(offered["provider"], "Example Corp");
        assert_eq!((offered["required"].clone(), offered["covered"].clone()), (false.into(), false.into()));
        // Owners get the whole card instead; people outside see nothing.
        assert!(seen(app.call("get_member_sso", &[], Some(&world.owner)).await).is_null());
        assert!(seen(app.call("get_member_sso", &[], Some(&outsider)).await).is_null());

        ok(&app.call("set_sso_enforcement", &[("enforced", "on")], Some(&world.owner)).await);
        let required = seen(app.call("get_member_sso", &[], Some(&mia)).await);
        assert_eq!((required["required"].clone(), required["covered"].clone()), (true.into(), true.into()));
    }
}
