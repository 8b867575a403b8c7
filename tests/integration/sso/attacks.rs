//! Every bad input to single sign-on refused with a clear message and
//! nothing saved, linked or signed in: issuers that are not HTTPS, not
//! reachable or whose discovery is broken or names another issuer; a
//! client secret the identity provider refuses at "Test connection"; an ID
//! token for an address on an unverified domain; DNS records missing,
//! wrong or unanswerable; a second organization claiming a verified
//! domain; forged and replayed callbacks; and people who are not Owners.

use super::*;
use crate::helpers::identity::{FakeOidc, Misbehaviour};

async fn connections_saved(app: &TestApp) -> i64 {
    app.count("SELECT COUNT(*) FROM sso_connections").await
}

async fn save_issuer(world: &SsoWorld, issuer: &str) -> Reply {
    world
        .app
        .call(
            "save_sso_settings",
            &[
                ("display_name", "Example Corp"),
                ("issuer", issuer),
                ("client_id", "client"),
                ("client_secret", "secret"),
            ],
            Some(&world.owner),
        )
        .await
}

both_sso_worlds! {
    async fn issuers_that_cannot_serve_are_refused_and_nothing_is_saved(world) {
        let app = &world.app;
        for (issuer, expected) in [
            ("ftp://login.example.com", "must be an https:// URL"),
            ("http://login.example.com", "must be an https:// URL"),
            ("login.example.com", "must be an https:// URL"),
            ("https://login.example.com?tenant=1", "without a query"),
            ("https://user@login.example.com", "must name a host"),
            ("http://127.0.0.1:1", "could not reach"),
        ] {
            let reply = save_issuer(&world, issuer).await;
            assert!(refusal(&reply, "issuer").contains(expected), "{issuer}: {}", reply.body);
        }
        let fake = FakeOidc::start().await;
        fake.misbehave(Misbehaviour::DiscoveryMalformed);
        let malformed = save_issuer(&world, &fake.issuer()).await;
        assert!(refusal(&malformed, "issuer").contains("not a valid OpenID Connect discovery document"));
        fake.misbehave(Misbehaviour::DiscoveryNamesOtherIssuer);
        let other = save_issuer(&world, &fake.issuer()).await;
        assert!(refusal(&other, "issuer").contains("names another issuer"));
        for (field, value, expected) in [
            ("display_name", "Evil+Corp", "letters, digits"),
            ("display_name", "", "letters, digits"),
            ("client_id", "", "client id"),
        ] {
            let mut form = vec![
                ("display_name", "Example Corp"),
                ("issuer", "https://login.example.com"),
                ("client_id", "client"),
                ("client_secret", "secret"),
            ];
            for pair in form.iter_mut() {
                if pair.0 == field {
                    pair.1 = value;
                }
            }
            let reply = app.call("save_sso_settings", &form, Some(&world.owner)).await;
            assert!(refusal(&reply, field).contains(expected), "{field}={value}: {}", reply.body);
        }
        let no_secret = app
            .call("save_sso_settings", &[("display_name", "Example Corp"), ("issuer", &fake.issuer()), ("client_id", "c"), ("client_secret", "")], Some(&world.owner))
            .await;
        assert!(refusal(&no_secret, "client_secret").contains("Enter the client secret"));
        assert_eq!(connections_saved(app).await, 0, "nothing saved");
    }

    async fn a_client_secret_the_provider_refuses_fails_the_test_and_activates_nothing(world) {
        let app = &world.app;
        let (client_id, _) = world.register_client().await;
        ok(&world.save(&client_id, "not-the-secret").await);
        let landed = world.test_connection(OWNER).await;
        assert_eq!(landed, "/settings/authentication?sso_test=code_refused#single-sign-on");
        let card = world.overview().await;
        assert!(card["active"].is_null(), "nothing active: {card}");
        assert!(!card["pending"].is_null(), "the settings stay to be corrected");
        assert_eq!(
            crate::connections::last_detail(app, "sso_tested", "failure").await["reason"],
            "code_refused"
        );
        // Nobody can sign in through settings that never passed a test.
        let none = app.call("find_sso", &[("email", "mia@example.com")], None).await;
        assert_eq!(none.body, "null");
    }

    async fn a_test_proves_only_the_settings_saved_when_it_began(world) {
        let (client_id, secret) = world.register_client().await;
        ok(&world.save(&client_id, &secret).await);
        let trip = trip(press_test_connection(&world.app, &world.owner).await);
        let callback = ProviderBrowser::new().sign_in(&trip.authorize_url, OWNER).await;
        // Another Owner's change lands while the test is at the provider.
        world.app.clock.advance(1_000);
        ok(&world.save(&client_id, &secret).await);
        let cookies = format!("{}; {}", world.owner, trip.flow);
        let landed = location(&come_back(&world.app, &callback, &cookies).await);
        assert!(landed.contains("sso_test=expired"), "{landed}");
        assert!(world.overview().await["active"].is_null());
    }

    async fn another_site_cannot_start_an_owners_test_connection(world) {
        let (client_id, secret) = world.register_client().await;
        ok(&world.save(&client_id, &secret).await);
        let app = &world.app;
        // A link or an image on another site: a GET starts nothing.
        let linked = app.get("/api/test_sso_connection", Some(&world.owner)).await;
        assert!(linked.session_cookie("ss_oauth").is_none(), "a GET started a round trip: {}", linked.status);
        assert!(linked.location().is_none_or(|to| !to.contains("/auth")), "{:?}", linked.location());
        // Another site's form, posted with the Owner's cookie.
        let forged = app
            .call_with_headers("test_sso_connection", &[], Some(&world.owner), &[("origin", "https://evil.example"), ("accept", "text/html")])
            .await;
        assert!(forged.session_cookie("ss_oauth").is_none(), "a cross-site POST started a round trip: {}", forged.status);
        assert!(world.overview().await["active"].is_null(), "nothing became active");
        // The Owner's own press goes to the identity provider.
        let pressed = trip(press_test_connection(app, &world.owner).await);
        assert!(pressed.authorize_url.contains("/auth"), "{}", pressed.authorize_url);
    }

    async fn only_addresses_on_verified_domains_sign_in(world) {
        let app = &world.app;
        world.ready().await;
        // Started for an address on the domain, signed in at the provider as
        // someone on another.
        let reply = sso_sign_in(app, "mia@example.com", "eve@elsewhere.test").await;
        assert_eq!(sign_in_problem(&reply), "unverified_domain");
        assert!(reply.session_cookie(app.cookie_name).is_none());
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'eve@elsewhere.test'").await, 0);
        // An address the provider has not verified.
        let reply = sso_sign_in(app, "mia@example.com", "unverified-sam@example.com").await;
        assert_eq!(sign_in_problem(&reply), "unverified_email");
        // An address whose domain has no SSO cannot start one.
        let reply = app.get("/api/start_sso_sign_in?email=bob@nowhere.test", None).await;
        assert_eq!(location(&reply), "/login/sso?sso_error=not_configured");
        assert!(reply.session_cookie("ss_oauth").is_none());
        assert_eq!(app.count("SELECT COUNT(*) FROM sso_identities").await, 0);
    }

    async fn an_unconfirmed_account_with_the_address_is_not_taken_over(world) {
        let app = &world.app;
        world.ready().await;
        // Someone signed up with Mia's address and never confirmed it.
        let reply = app.try_sign_up("Squatter", "mia@example.com", OTHER_STRONG_PASSWORD).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let reply = sso_sign_in(app, "mia@example.com", "mia@example.com").await;
        assert_eq!(sign_in_problem(&reply), "unconfirmed_account");
        assert_eq!(role_of(app, "mia@example.com").await, None, "not joined");
        assert_eq!(app.count("SELECT COUNT(*) FROM sso_identities").await, 0);
    }

    async fn dns_that_cannot_answer_verifies_nothing(world) {
        let app = &world.app;
        ok(&app.call("add_sso_domain", &[("domain", "example.com")], Some(&world.owner)).await);
        world.dns.fail(true);
        let reply = app.call("verify_sso_domain", &[("domain", "example.com")], Some(&world.owner)).await;
        assert!(refusal(&reply, "domain").contains("could not look up"));
        assert!(domain_row(&world.overview().await, "example.com")["verified_at"].is_null());
        for bad in ["https://example.com", "bob@example.com", "example", "exa mple.com", "-x.com", ""] {
            let reply = app.call("add_sso_domain", &[("domain", bad)], Some(&world.owner)).await;
            assert!(refusal(&reply, "domain").contains("Enter a domain"), "{bad}");
        }
        let unknown = app.call("verify_sso_domain", &[("domain", "other.com")], Some(&world.owner)).await;
        assert!(refusal(&unknown, "domain").contains("not on the list"));
        assert_eq!(app.count("SELECT COUNT(*) FROM sso_domains").await, 1);
    }

    async fn a_domain_verified_by_one_organization_cannot_be_claimed_by_another(world) {
        let app = &world.app;
        // A second organization adds the domain first, and creates its record too.
        let mut rival = app.sign_up("Rita Rival", "rita@rival.test", STRONG_PASSWORD).await;
        enable_totp(app, &mut rival).await;
        ok(&app.call("create_organization", &[("name", "Rival Inc")], Some(&rival)).await);
        ok(&app.call("add_sso_domain", &[("domain", "example.com")], Some(&rival)).await);
        world.verify_domain("example.com").await;
        let row = domain_row(&overview(app, &rival).await, "example.com");
        world.dns.set_txt(row["record_name"].as_str().unwrap(), [row["record_value"].as_str().unwrap()]);
        let late = app.call("verify_sso_domain", &[("domain", "example.com")], Some(&rival)).await;
        assert!(refusal(&late, "domain").contains("already verified by another organization"));
        ok(&app.call("remove_sso_domain", &[("domain", "example.com")], Some(&rival)).await);
        let again = app.call("add_sso_domain", &[("domain", "example.com")], Some(&rival)).await;
        assert!(refusal(&again, "domain").contains("already verified by another organization"));
        assert_eq!(app.count("SELECT COUNT(*) FROM sso_domains WHERE verified_at IS NOT NULL").await, 1);
    }

    async fn forged_and_replayed_callbacks_sign_nobody_in(world) {
        let app = &world.app;
        world.ready().await;
        let trip = start_sign_in(app, "mia@example.com").await;
        let callback = ProviderBrowser::new().sign_in(&trip.authorize_url, "mia@example.com").await;
        // Without the browser's flow cookie (login CSRF): refused.
        assert_eq!(sign_in_problem(&come_back(app, &callback, "").await), "expired");
        // With another state: refused.
        let forged = callback.replace("state=", "state=x");
        assert_eq!(sign_in_problem(&come_back(app, &forged, &trip.flow).await), "expired");
        // The real answer: signed in; replayed: the provider refuses the code.
        let reply = come_back(app, &callback, &trip.flow).await;
        assert!(reply.session_cookie(app.cookie_name).is_some(), "{:?}", reply.location());
        assert_eq!(sign_in_problem(&come_back(app, &callback, &trip.flow).await), "code_refused");
        // A tampered flow cookie is no ticket.
        let tampered = trip.flow.replace("ss_oauth=v1.", "ss_oauth=v1.A");
        assert_eq!(sign_in_problem(&come_back(app, &callback, &tampered).await), "expired");
        assert_eq!(app.count("SELECT COUNT(*) FROM sso_identities").await, 1);
    }

    async fn only_owners_see_or_change_single_sign_on(world) {
        let app = &world.app;
        world.ready().await;
        let member = sso_sign_in(app, "mia@example.com", "mia@example.com").await
            .session_cookie(app.cookie_name)
            .expect("Mia signed in");
        assert_eq!(app.call("get_sso_overview", &[], Some(&member)).await.body, "null");
        for (name, form) in [
            ("add_sso_domain", vec![("domain", "example.org")]),
            ("verify_sso_domain", vec![("domain", "example.com")]),
            ("remove_sso_domain", vec![("domain", "example.com")]),
            ("set_sso_enforcement", vec![("enforced", "on")]),
            ("set_sso_session_lifetimes", vec![("idle_minutes", "5"), ("absolute_hours", "")]),
            ("save_sso_settings", vec![("display_name", "Mine"), ("issuer", "https://evil.example"), ("client_id", "x"), ("client_secret", "y")]),
        ] {
            let reply = app.call(name, &form, Some(&member)).await;
            assert_eq!(reply.error(), Some(AppError::Forbidden), "{name}: {}", reply.body);
        }
        let test = press_test_connection(app, &member).await;
        assert!(test.session_cookie("ss_oauth").is_none(), "no round trip for a member");
        assert_eq!(app.call("get_sso_overview", &[], None).await.error(), Some(AppError::Unauthenticated));
    }

    async fn enforcement_needs_a_tested_connection_a_domain_and_a_break_glass_owner(world) {
        let app = &world.app;
        let early = app.call("set_sso_enforcement", &[("enforced", "on")], Some(&world.owner)).await;
        assert!(refusal(&early, "enforced").contains("tested and active"));
        let (client_id, secret) = world.register_client().await;
        ok(&world.save(&client_id, &secret).await);
        assert!(world.test_connection(OWNER).await.contains("passed"));
        let no_domain = app.call("set_sso_enforcement", &[("enforced", "on")], Some(&world.owner)).await;
        assert!(refusal(&no_domain, "enforced").contains("Verify at least one domain"));
        assert_eq!(world.overview().await["enforced"], false);
        for (field, value) in [("idle_minutes", "4"), ("idle_minutes", "999999"), ("idle_minutes", "ten"), ("absolute_hours", "0"), ("absolute_hours", "1.5")] {
            let mut form = vec![("idle_minutes", ""), ("absolute_hours", "")];
            for pair in form.iter_mut() {
                if pair.0 == field {
                    pair.1 = value;
                }
            }
            let reply = app.call("set_sso_session_lifetimes", &form, Some(&world.owner)).await;
            refusal(&reply, field);
        }
        assert!(world.overview().await["idle_minutes"].is_null());
    }
}

both_sso_worlds! {
    async fn a_guessed_password_of_a_covered_member_cannot_be_confirmed(world) {
        let app = &world.app;
        world.ready().await;
        world.pat_covered_by_required_sso().await;
        // The attacker tries a wrong password, then the right one: the two
        // answers are the same, and neither starts a session.
        let wrong = app.sign_in("pat@example.com", "not the password at all").await;
        let right = app.sign_in("pat@example.com", STRONG_PASSWORD).await;
        assert_eq!((wrong.status, &wrong.body), (right.status, &right.body));
        assert!(matches!(right.error(), Some(AppError::InvalidCredentials)), "{}", right.body);
        assert!(right.session_cookie(app.cookie_name).is_none());
        assert!(right.location().is_none(), "no way on to a 2FA step");
        // Nor does the right password clear the run of failures: the third
        // attempt is counted as the third.
        app.sign_in("pat@example.com", STRONG_PASSWORD).await;
        assert_eq!(
            crate::connections::last_detail(app, "sign_in_failed", "failure").await["consecutive_failures"],
            3
        );
    }

    async fn a_sign_in_begun_before_sso_was_required_cannot_finish_around_it(world) {
        let app = &world.app;
        world.ready().await;
        // Pat has a password and 2FA, and is a member through SSO.
        let mut pat = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        let (secret, step, _) = enable_totp(app, &mut pat).await;
        let joined = sso_sign_in(app, "pat@example.com", "pat@example.com").await;
        assert_eq!(location(&joined), "/login/two-factor", "our 2FA follows the identity provider");
        // A password sign-in reaches its 2FA step; then SSO becomes required.
        let waiting = challenge(app, "pat@example.com").await;
        ok(&app.call("set_sso_enforcement", &[("enforced", "on")], Some(&world.owner)).await);
        let code = statusstack::server::crypto::totp::code_at_step(&secret, step + 1, 6);
        let reply = verify(app, &waiting, &code).await;
        assert!(refusal(&reply, "form").contains("requires single sign-on"), "{}", reply.body);
        assert!(reply.session_cookie(app.cookie_name).is_none());
        assert!(!app.is_signed_in(&pat).await, "the password session ended with enforcement");
    }

    async fn a_member_session_ends_at_the_organizations_absolute_lifetime(world) {
        let app = &world.app;
        world.ready().await;
        app.clock.freeze_at(now());
        let mia = sso_sign_in(app, "mia@example.com", "mia@example.com").await
            .session_cookie(app.cookie_name)
            .expect("Mia signed in");
        ok(&app.call("set_sso_session_lifetimes", &[("idle_minutes", ""), ("absolute_hours", "2")], Some(&world.owner)).await);
        assert_eq!(world.overview().await["absolute_hours"], 2);
        for _ in 0..3 {
            app.clock.advance(39 * 60 * 1000);
            assert!(app.is_signed_in(&mia).await, "active, within two hours");
        }
        app.clock.advance(4 * 60 * 1000);
        assert!(!app.is_signed_in(&mia).await, "two hours after sign-in, however active");
    }
}

/// With "Acme ID" (a fake OpenID Connect provider) offered for connected
/// accounts beside the organization's SSO.
async fn with_connected_provider(db: Db) {
    let acme = FakeOidc::start().await;
    let settings = acme.generic_settings("acme", Some("Acme ID"));
    let extra: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let world = SsoWorld::spawn_with(db, &extra).await;
    let app = &world.app;
    world.ready().await;
    // Pat's account came from Acme ID; then Pat joined through SSO.
    acme.set_user("acme-pat", "pat@example.com", true, "Pat");
    let first = crate::connections::sign_in_through(app, "acme").await;
    assert!(
        first.session_cookie(app.cookie_name).is_some(),
        "{:?}",
        first.location()
    );
    let joined = sso_sign_in(app, "pat@example.com", "pat@example.com").await;
    assert!(
        joined.session_cookie(app.cookie_name).is_some(),
        "{:?}",
        joined.location()
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM users WHERE email = 'pat@example.com'")
            .await,
        1
    );
    ok(&app
        .call(
            "set_sso_enforcement",
            &[("enforced", "on")],
            Some(&world.owner),
        )
        .await);
    // Now the connected account cannot sign Pat in.
    let refused = crate::connections::sign_in_through(app, "acme").await;
    assert_eq!(crate::connections::problem(&refused), "sso_required");
    assert!(refused.session_cookie(app.cookie_name).is_none());
    // Someone on the domain who belongs to another organization is not
    // moved into this one.
    let mut rita = app
        .sign_up("Rita", "rita@example.com", STRONG_PASSWORD)
        .await;
    enable_totp(app, &mut rita).await;
    ok(&app
        .call("create_organization", &[("name", "Rival Inc")], Some(&rita))
        .await);
    let reply = sso_sign_in(app, "rita@example.com", "rita@example.com").await;
    assert_eq!(sign_in_problem(&reply), "other_organization");
    assert_eq!(
        role_of(app, "rita@example.com").await.as_deref(),
        Some("owner")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_account_is_refused_once_sso_is_required_sqlite() {
    bounded(with_connected_provider(Db::Sqlite)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connected_account_is_refused_once_sso_is_required_postgres() {
    bounded(with_connected_provider(Db::Postgres)).await
}

both_sso_worlds! {
    async fn removing_sso_ends_the_requirement_and_the_sign_in(world) {
        let app = &world.app;
        world.ready().await;
        world.pat_covered_by_required_sso().await;
        let refused = app.sign_in("pat@example.com", STRONG_PASSWORD).await;
        assert!(matches!(refused.error(), Some(AppError::InvalidCredentials)), "{}", refused.body);
        ok(&app.call("remove_sso", &[], Some(&world.owner)).await);
        let card = world.overview().await;
        assert!(card["active"].is_null() && card["pending"].is_null(), "{card}");
        assert_eq!(card["enforced"], false);
        assert_eq!(app.call("find_sso", &[("email", "pat@example.com")], None).await.body, "null");
        assert_eq!(app.count("SELECT COUNT(*) FROM sso_identities").await, 0);
        let back = app.sign_in("pat@example.com", STRONG_PASSWORD).await;
        assert!(back.session_cookie(app.cookie_name).is_some(), "a password works again: {}", back.body);
        assert!(app.event_kinds().await.iter().any(|kind| kind == "sso_removed"));
        let again = app.call("remove_sso", &[], Some(&world.owner)).await;
        assert!(refusal(&again, "form").contains("nothing to remove"));
    }

    async fn listing_which_domains_use_sso_is_limited_per_address(world) {
        let app = &world.app;
        world.ready().await;
        app.clock.freeze_at(now());
        let limit = statusstack::server::rate_limit::SSO_LOOKUPS_PER_IP.limit;
        for n in 0..limit {
            let probe = format!("someone@company{n}.test");
            assert_eq!(app.call("find_sso", &[("email", probe.as_str())], None).await.body, "null");
        }
        // The next guess is refused, even for a domain that has SSO.
        let limited = app.call("find_sso", &[("email", "mia@example.com")], None).await;
        assert!(matches!(limited.error(), Some(AppError::RateLimited { .. })), "{}", limited.body);
        app.clock.advance(60 * 1000);
        let found: Value =
            serde_json::from_str(&app.call("find_sso", &[("email", "mia@example.com")], None).await.body).unwrap();
        assert_eq!(found["domain"], "example.com");
    }
}
