//! Verified domains are looked up again every day. The attack: a domain
//! changes hands, and the organization that once proved it signs its new
//! holder's addresses in through its own identity provider. Three daily
//! misses in a row end the verification; DNS that gives no answer, a
//! second instance checking at the same moment and "Check now" by hand can
//! neither end one early nor keep a dead one alive.

use super::*;
use statusstack::sso::RECHECK_INTERVAL_MS;
use statusstack::sso::server::recheck::{Round, recheck_due};

const DOMAIN: &str = "example.com";

/// A day later on the servers' clock, the daily round.
async fn next_day(world: &SsoWorld) -> Round {
    world.app.clock.advance(RECHECK_INTERVAL_MS);
    recheck_due(&world.app.state).await.unwrap()
}

fn round(kept: usize, missed: usize, lapsed: usize, unanswered: usize) -> Round {
    Round {
        kept,
        missed,
        lapsed,
        unanswered,
        failed: 0,
        postponed: 0,
    }
}

/// The domain's row on the Owner's card.
async fn row(world: &SsoWorld) -> Value {
    domain_row(&world.overview().await, DOMAIN)
}

/// Takes the verification record out of DNS.
async fn drop_record(world: &SsoWorld) -> (String, String) {
    let row = row(world).await;
    let name = row["record_name"].as_str().unwrap().to_string();
    let value = row["record_value"].as_str().unwrap().to_string();
    world.dns.remove(&name);
    (name, value)
}

/// Starts a round on `state` with DNS holding its answers back, and returns
/// once DNS has heard the question for each of the three domains (example.com,
/// .org, .net); the caller lets DNS answer with `world.dns.hold(false)`.
async fn round_with_every_question_out(
    world: &SsoWorld,
    state: statusstack::server::state::AppState,
) -> tokio::task::JoinHandle<Round> {
    world.dns.hold(true);
    let names =
        [DOMAIN, "example.org", "example.net"].map(statusstack::sso::server::recheck::record_name);
    let before = names.clone().map(|name| world.dns.queries_for(&name));
    let running = tokio::spawn(async move { recheck_due(&state).await.unwrap() });
    while names
        .iter()
        .zip(before)
        .any(|(name, before)| world.dns.queries_for(name) == before)
    {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    running
}

async fn check_now(world: &SsoWorld) -> Reply {
    world
        .app
        .call(
            "verify_sso_domain",
            &[("domain", DOMAIN)],
            Some(&world.owner),
        )
        .await
}

both_sso_worlds! {
    async fn a_domain_that_changed_hands_stops_answering_to_the_old_provider(world) {
        let world = &world;
        let app = &world.app;
        world.ready().await;
        let queries = world.dns.queries();
        assert_eq!(recheck_due(&app.state).await.unwrap(), round(0, 0, 0, 0), "not due for a day");
        assert_eq!(world.dns.queries(), queries, "nothing looked up early");
        assert_eq!(next_day(world).await, round(1, 0, 0, 0));

        // The domain is sold; its new holder's DNS has no record of ours.
        drop_record(world).await;
        assert_eq!(next_day(world).await, round(0, 1, 0, 0));
        let row1 = row(world).await;
        assert!(!row1["verified_at"].is_null(), "one miss is not the end: {row1}");
        assert_eq!(row1["missed_checks"], 1);
        let warning = app.mail_to(OWNER, "The DNS record that proves example.com is missing").await;
        assert!(warning.contains("_statusstack-verification.example.com"), "{warning}");
        assert!(warning.contains("/settings/authentication#single-sign-on"), "{warning}");
        // Still verified for the grace days: members sign in as before.
        let pat = sso_sign_in(app, "pat@example.com", "pat@example.com").await;
        assert!(pat.session_cookie(app.cookie_name).is_some(), "{:?}", pat.location());
        assert_eq!(next_day(world).await, round(0, 1, 0, 0));

        // The old organization's provider begins a sign-in as the new
        // holder's address while the domain is still verified...
        world.app.clock.advance(RECHECK_INTERVAL_MS);
        let trip = start_sign_in(app, "mia@example.com").await;
        assert_eq!(recheck_due(&app.state).await.unwrap(), round(0, 0, 1, 0));
        let lapsed = row(world).await;
        assert!(lapsed["verified_at"].is_null(), "{lapsed}");
        assert_eq!(lapsed["missed_checks"], 0);
        let notice = app.mail_to(OWNER, "example.com is no longer verified").await;
        assert!(notice.contains("3 days in a row"), "{notice}");
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'sso_domain_lapsed'").await, 1);

        // ...and cannot finish it once the verification has ended.
        let callback = ProviderBrowser::new().sign_in(&trip.authorize_url, "mia@example.com").await;
        let reply = come_back(app, &callback, &trip.flow).await;
        assert_eq!(sign_in_problem(&reply), "unverified_domain");
        assert!(reply.session_cookie(app.cookie_name).is_none());
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'mia@example.com'").await, 0);
        let fresh = app.get("/api/start_sso_sign_in?email=pat@example.com", None).await;
        assert_eq!(location(&fresh), "/login/sso?sso_error=not_configured");
        // A lapsed domain is looked up no more.
        let queries = world.dns.queries();
        assert_eq!(next_day(world).await, round(0, 0, 0, 0));
        assert_eq!(world.dns.queries(), queries);

        // Whoever holds the domain now can prove it for their organization.
        let mut holder = app.sign_up("Hana Holder", "hana@holder.test", STRONG_PASSWORD).await;
        enable_totp(app, &mut holder).await;
        ok(&app.call("create_organization", &[("name", "Holder Ltd")], Some(&holder)).await);
        ok(&app.call("add_sso_domain", &[("domain", DOMAIN)], Some(&holder)).await);
        let theirs = domain_row(&overview(app, &holder).await, DOMAIN);
        world.dns.set_txt(theirs["record_name"].as_str().unwrap(), [theirs["record_value"].as_str().unwrap()]);
        ok(&app.call("verify_sso_domain", &[("domain", DOMAIN)], Some(&holder)).await);
        assert!(!domain_row(&overview(app, &holder).await, DOMAIN)["verified_at"].is_null());
    }

    async fn a_record_put_back_in_time_keeps_the_domain(world) {
        let world = &world;
        let app = &world.app;
        world.ready().await;
        let (name, value) = drop_record(world).await;
        assert_eq!(next_day(world).await, round(0, 1, 0, 0));
        // "Check now" while the record is still gone says so, and checking
        // by hand again and again never counts as a daily miss.
        for _ in 0..4 {
            let reply = check_now(world).await;
            assert!(refusal(&reply, "domain").contains("still does not hold"), "{}", reply.body);
        }
        let still = row(world).await;
        assert!(!still["verified_at"].is_null());
        assert_eq!(still["missed_checks"], 1);
        // The card says so, shows the record again and offers "Check now".
        let page = app.get("/settings/authentication", Some(&world.owner)).await;
        assert!(page.body.contains("data-testid=\"sso-domain-record-missing\""), "{}", page.body);
        assert!(page.body.contains("1 of 3 days in a row"), "{}", page.body);
        assert!(page.body.contains(&value) && page.body.contains("Check now"));
        // A wrong value is no better than none.
        world.dns.set_txt(&name, ["statusstack-verification=not-ours"]);
        assert!(refusal(&check_now(world).await, "domain").contains("still does not hold"));
        world.dns.set_txt(&name, [value.as_str()]);
        ok(&check_now(world).await);
        assert_eq!(row(world).await["missed_checks"], 0);
        let back = app.mail_to(OWNER, "single sign-on changed").await;
        assert!(back.contains("example.com is back"), "{back}");
        assert_eq!(
            app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'sso_domain_verified' AND outcome = 'success' AND detail LIKE '%record_back%'").await,
            1
        );
        assert_eq!(next_day(world).await, round(1, 0, 0, 0));
        // Two more misses after that are two, not three.
        world.dns.remove(&name);
        assert_eq!(next_day(world).await, round(0, 1, 0, 0));
        assert_eq!(next_day(world).await, round(0, 1, 0, 0));
        assert!(!row(world).await["verified_at"].is_null());
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'sso_domain_lapsed'").await, 0);
    }

    async fn dns_that_cannot_answer_never_ends_a_verification(world) {
        let world = &world;
        let app = &world.app;
        world.ready().await;
        world.dns.fail(true);
        for _ in 0..5 {
            assert_eq!(next_day(world).await, round(0, 0, 0, 1));
        }
        let kept = row(world).await;
        assert!(!kept["verified_at"].is_null(), "{kept}");
        assert_eq!(kept["missed_checks"], 0);
        assert!(app.try_mail_to(OWNER, "is missing").await.is_none());
        world.dns.fail(false);
        assert_eq!(next_day(world).await, round(1, 0, 0, 0));
    }

    async fn two_instances_checking_at_once_count_one_miss(world) {
        let world = &world;
        let app = &world.app;
        world.ready().await;
        drop_record(world).await;
        app.clock.advance(RECHECK_INTERVAL_MS);
        // Both rounds have read the row and asked DNS before either hears back.
        world.dns.hold(true);
        let asked = world.dns.queries();
        let rounds = [app.state.clone(), app.state.clone()]
            .map(|state| tokio::spawn(async move { recheck_due(&state).await.unwrap() }));
        while world.dns.queries() < asked + 2 {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        world.dns.hold(false);
        let [first, second] = rounds;
        let (first, second) = (first.await.unwrap(), second.await.unwrap());
        assert_eq!(first.missed + second.missed, 1, "{first:?} {second:?}");
        assert_eq!(row(world).await["missed_checks"], 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM mail_queue WHERE subject LIKE '%is missing%'").await, 1);
    }

    async fn a_quiet_dns_server_holds_a_round_up_once_not_once_per_domain(world) {
        let world = &world;
        let app = &world.app;
        world.ready().await;
        world.verify_domain("example.org").await;
        world.verify_domain("example.net").await;
        let org = domain_row(&world.overview().await, "example.org");
        world.dns.remove(org["record_name"].as_str().unwrap());
        app.clock.advance(RECHECK_INTERVAL_MS);
        // DNS hears every domain's question before it answers any: the
        // round asks them all at once rather than one after another.
        let running = round_with_every_question_out(world, app.state.clone()).await;
        world.dns.hold(false);
        assert_eq!(running.await.unwrap(), round(2, 1, 0, 0));
        assert_eq!(domain_row(&world.overview().await, "example.org")["missed_checks"], 1);
        assert_eq!(domain_row(&world.overview().await, "example.net")["missed_checks"], 0);
    }

    async fn a_database_gone_mid_round_postpones_the_rest_instead_of_failing_each(world) {
        let world = &world;
        let app = &world.app;
        world.ready().await;
        world.verify_domain("example.org").await;
        world.verify_domain("example.net").await;
        app.clock.advance(RECHECK_INTERVAL_MS);
        // This round has a pool of its own, closed (as an unreachable
        // database would refuse) once it has read what is due and asked DNS.
        let url = app.pool.connect_options().database_url.to_string();
        let pool = statusstack::server::db::connect_and_migrate(&url, 2).await.unwrap();
        let mut state = app.state.clone();
        state.pool = pool.clone();
        let running = round_with_every_question_out(world, state).await;
        pool.close().await;
        world.dns.hold(false);
        // One check finds the database gone; the other two are not tried.
        let cut_short = running.await.unwrap();
        assert_eq!(cut_short, Round { failed: 1, postponed: 2, ..Round::default() });
        // Nothing was stored: the next round takes all three.
        assert_eq!(recheck_due(&app.state).await.unwrap(), round(3, 0, 0, 0));
    }

    async fn a_check_the_database_refuses_is_kept_whole_or_not_at_all(world) {
        let world = &world;
        let app = &world.app;
        world.ready().await;
        world.verify_domain("example.org").await;
        for domain in [DOMAIN, "example.org"] {
            let row = domain_row(&world.overview().await, domain);
            world.dns.remove(row["record_name"].as_str().unwrap());
        }
        // The history refuses example.org's event, as a full disk or a
        // dropped connection would in the middle of its check.
        let sqlite = statusstack::server::db::is_sqlite(&app.pool);
        let refuse = if sqlite {
            vec!["CREATE TRIGGER refuse_event BEFORE INSERT ON security_events
                  WHEN NEW.detail LIKE '%example.org%' BEGIN SELECT RAISE(ABORT, 'refused'); END"]
        } else {
            vec!["CREATE FUNCTION refuse_event() RETURNS trigger AS $$ BEGIN
                    IF NEW.detail LIKE '%example.org%' THEN RAISE EXCEPTION 'refused'; END IF;
                    RETURN NEW; END $$ LANGUAGE plpgsql",
                 "CREATE TRIGGER refuse_event BEFORE INSERT ON security_events
                  FOR EACH ROW EXECUTE FUNCTION refuse_event()"]
        };
        for sql in refuse {
            sqlx::query(sql).execute(&app.pool).await.unwrap();
        }
        let mut refused = next_day(world).await;
        assert_eq!(refused.failed, 1, "{refused:?}");
        refused.failed = 0;
        assert_eq!(refused, round(0, 1, 0, 0), "the other domain's check stands");
        assert_eq!(row(world).await["missed_checks"], 1);
        app.mail_to(OWNER, "The DNS record that proves example.com is missing").await;
        // Nothing of example.org's check was kept: no miss, no mail, and
        // it is still due.
        assert_eq!(domain_row(&world.overview().await, "example.org")["missed_checks"], 0);
        let org_mails = "SELECT COUNT(*) FROM mail_queue WHERE subject LIKE '%proves example.org%'";
        assert_eq!(app.count(org_mails).await, 0);

        let drop = if sqlite { "DROP TRIGGER refuse_event" } else { "DROP TRIGGER refuse_event ON security_events" };
        sqlx::query(drop).execute(&app.pool).await.unwrap();
        assert_eq!(recheck_due(&app.state).await.unwrap(), round(0, 1, 0, 0));
        assert_eq!(domain_row(&world.overview().await, "example.org")["missed_checks"], 1);
        app.mail_to(OWNER, "The DNS record that proves example.org is missing").await;
    }
}
