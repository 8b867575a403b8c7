//! Forms that work before the Wasm has loaded (or without it) lose nothing.

use super::*;

/// `Cookie` header value of several `name=value` pairs.
fn cookies(pairs: &[&str]) -> String {
    pairs.join("; ")
}

both_databases! {
    /// ASVS 5.0 6.5.2 (the one showing of recovery codes): confirming a 2FA
    /// set-up with a plain form post (JavaScript blocked) shows the backup
    /// codes on the page it leads to, once, and only to that session.
    async fn a_set_up_confirmed_without_javascript_shows_the_backup_codes_once(app) {
        let mut cookie = app.sign_up("Nia", "nia@example.com", STRONG_PASSWORD).await;
        let manual_key = start_totp_through_sudo(&app, &mut cookie).await;
        let page = format!("{}/settings/security", app.base);
        let posted = confirm_totp_without_script(&app, &cookie, &manual_key).await;
        assert_eq!(posted.status, 302, "{}", posted.body);
        assert!(posted.location().is_some_and(|to| to.starts_with(&page)), "back to the page: {:?}", posted.location());
        let session = posted.session_cookie(app.cookie_name).expect("turning 2FA on rotates the token");
        let reveal = posted.session_cookie("ss_reveal").expect("the codes wait for the page");
        assert!(posted.set_cookie_line("ss_reveal").unwrap().contains("HttpOnly"));
        let stored: String = sqlx::query_scalar("SELECT sealed FROM one_time_reveals").fetch_one(&app.pool).await.unwrap();
        assert!(stored.starts_with("v1."), "sealed at rest");

        // Another session with the cookie gets nothing.
        let other = app.sign_in("nia@example.com", STRONG_PASSWORD).await.session_cookie(crate::two_factor::CHALLENGE).unwrap();
        let elsewhere = app.get("/settings/security", Some(&cookies(&[&other, &reveal]))).await;
        assert!(!elsewhere.body.contains("data-testid=\"backup-code\""));

        let shown = app.get("/settings/security", Some(&cookies(&[&session, &reveal]))).await;
        assert_eq!(shown.status, 200);
        assert_eq!(shown.body.matches("data-testid=\"backup-code\"").count(), 10, "all ten codes on the page");
        let again = app.get("/settings/security", Some(&cookies(&[&session, &reveal]))).await;
        assert_eq!(again.body.matches("data-testid=\"backup-code\"").count(), 0, "shown once");
        assert_eq!(app.count("SELECT COUNT(*) FROM one_time_reveals").await, 0);

        // The page's own fetch gets the codes in the answer and no cookie.
        assert!(app.count("SELECT COUNT(*) FROM backup_codes WHERE used_at IS NULL").await == 10);
    }

    /// The codes wait one minute at most.
    async fn backup_codes_kept_for_a_page_expire_after_a_minute(app) {
        let mut cookie = app.sign_up("Oli", "oli@example.com", STRONG_PASSWORD).await;
        app.clock.freeze_at(now());
        let manual_key = start_totp_through_sudo(&app, &mut cookie).await;
        let posted = confirm_totp_without_script(&app, &cookie, &manual_key).await;
        let session = posted.session_cookie(app.cookie_name).unwrap();
        let reveal = posted.session_cookie("ss_reveal").unwrap();
        app.clock.advance(61 * 1000);
        let late = app.get("/settings/security", Some(&cookies(&[&session, &reveal]))).await;
        assert_eq!(late.body.matches("data-testid=\"backup-code\"").count(), 0);
    }

    /// The mailed-link pages send no referrer, so a plain form post on them
    /// goes on to a page that says what happened: a confirmed address to the
    /// sign-in page (keeping where to go next), a cancelled email change
    /// back to its page with the outcome.
    async fn link_pages_posted_without_javascript_land_on_a_page_that_says_what_happened(app) {
        app.try_sign_up("Lia", "lia@example.com", STRONG_PASSWORD).await;
        let token = link_token(&app.mail_to("lia@example.com", "Confirm your email address").await, "/verify-email");
        let plain_form = [("origin", app.base.as_str()), ("accept", "text/html")];
        let confirmed = app
            .call_with_headers("confirm_email_address", &[("token", &token), ("next", "/settings/api-keys")], None, &plain_form)
            .await;
        assert_eq!(confirmed.status, 302, "{}", confirmed.body);
        assert_eq!(confirmed.location(), Some("/login?verified=1&next=/settings/api-keys"));
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email_verified_at IS NOT NULL").await, 1);
        let page = app.get("/login?verified=1", None).await;
        assert!(page.body.contains("address-confirmed"), "the sign-in page says so");

        app.try_sign_up("Eve", "eve@example.com", STRONG_PASSWORD).await;
        let token = link_token(&app.mail_to("eve@example.com", "Confirm your email address").await, "/verify-email");
        let offsite = app
            .call_with_headers("confirm_email_address", &[("token", &token), ("next", "//evil.example/")], None, &plain_form)
            .await;
        assert_eq!(offsite.location(), Some("/login?verified=1"), "no redirect leaves the site");

        let mut owner = app.sign_in("lia@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        app.call_rotating("request_email_change", &[("new_email", "lia@new.test"), ("password", STRONG_PASSWORD)], &mut owner).await;
        let cancel = link_token(&app.mail_to("lia@example.com", "about to change").await, "/cancel-email-change");
        let cancelled = app.call_with_headers("cancel_email_change", &[("token", &cancel)], None, &plain_form).await;
        assert_eq!(cancelled.status, 302, "{}", cancelled.body);
        assert_eq!(cancelled.location(), Some("/cancel-email-change?cancelled=1"));
        let page = app.get("/cancel-email-change?cancelled=1", None).await;
        assert!(page.body.contains("email-change-cancelled"), "the page says it is cancelled");
        assert!(app.event_kinds().await.contains(&"email_change_cancelled".to_string()));
    }

    /// Before the Wasm loads, a mailed link's page is a plain form: the
    /// served HTML itself must carry the link's token (and where to go
    /// next), or the form posts nothing and the link cannot be used.
    async fn the_served_link_pages_carry_their_token_in_the_form(app) {
        app.try_sign_up("Kai", "kai@example.com", STRONG_PASSWORD).await;
        let token = link_token(&app.mail_to("kai@example.com", "Confirm your email address").await, "/verify-email");
        let page = app.get(&format!("/verify-email?token={token}&next=/settings/api-keys"), None).await;
        assert!(page.body.contains(&format!("name=\"token\" value=\"{token}\"")), "{}", page.body);
        assert!(page.body.contains("name=\"next\" value=\"/settings/api-keys\""));
        app.confirm_address("kai@example.com").await;
        app.call("request_password_reset", &[("email", "kai@example.com")], None).await;
        let reset = link_token(&app.mail_to("kai@example.com", "Reset your password").await, "/reset-password");
        let any = "A".repeat(43);
        for (path, token) in [("reset-password", reset.as_str()), ("confirm-email", &any), ("cancel-email-change", &any), ("this-wasnt-me", &any)] {
            let page = app.get(&format!("/{path}?token={token}"), None).await;
            assert!(page.body.contains(&format!("name=\"token\" value=\"{token}\"")), "/{path}: {}", page.body);
        }
        let login = app.get("/login?next=/settings/api-keys", None).await;
        assert!(login.body.contains("name=\"next\" value=\"/settings/api-keys\""));
    }

    /// Without JavaScript nothing moves a streamed section into place: every
    /// section must be in the HTML where it belongs, in order, not in
    /// `<template>`s appended after the page for a script to place.
    async fn pages_arrive_whole_for_a_browser_without_javascript(app) {
        let cookie = app.sign_up("Ola", "ola@example.com", STRONG_PASSWORD).await;
        let page = app.get("/settings/security", Some(&cookie)).await;
        assert!(!page.body.contains("<template"), "no out-of-order chunks");
        let badge = page.body.find("data-testid=\"two-factor-badge\"").expect("the 2FA section is rendered");
        let sessions = page.body.find("data-testid=\"session-row\"").expect("the sessions are rendered");
        let heading = page.body.find(">Active Sessions<").expect("the sessions card");
        assert!(badge < heading && heading < sessions, "each section sits in its card");
        for path in ["/settings/api-keys", "/settings/team", "/login", "/join?token=AAAA"] {
            let page = app.get(path, Some(&cookie)).await;
            assert!(!page.body.contains("<template"), "{path}: no out-of-order chunks");
        }
    }
}
