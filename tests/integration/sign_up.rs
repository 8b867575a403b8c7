//! Sign-up: validation of every field, duplicates, and what gets stored.

use crate::helpers::*;
use statusstack::error::AppError;

async fn refused_field(app: &TestApp, name: &str, email: &str, password: &str) -> (String, String) {
    let reply = app.try_sign_up(name, email, password).await;
    assert!(
        reply.session_cookie(app.cookie_name).is_none(),
        "no session for a refused sign-up"
    );
    assert_eq!(reply.status, 422, "{}", reply.body);
    match reply.error() {
        Some(AppError::Validation { field, message }) => (field, message),
        other => panic!(
            "expected a validation error, got {other:?} ({})",
            reply.body
        ),
    }
}

both_databases! {
    async fn a_new_account_is_created_confirmed_by_mail_and_recorded(app) {
        let reply = app
            .call("sign_up", &[("name", "Ada Lovelace"), ("email", "  Ada@Example.COM "), ("password", STRONG_PASSWORD)], None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.location(), Some("/login?signup=sent"));
        assert!(reply.session_cookie(app.cookie_name).is_none(), "no session before the address is confirmed");
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'ada@example.com' AND email_verified_at IS NULL").await, 1);
        let mail = app.mail_to("ada@example.com", "Confirm your email address").await;
        assert!(!mail.contains("Ada Lovelace"), "no text the sign-up chose goes to an address that has not opted in: {mail}");
        let page = app.get("/login?signup=sent", None).await;
        assert!(page.body.contains("Check your inbox"), "{}", page.body.chars().take(2000).collect::<String>());

        // Signed in before confirming: the banner, and nothing that needs a confirmed address.
        let early = app.sign_in("ada@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).expect("sign-in works");
        let page = app.get("/settings/security", Some(&early)).await;
        assert!(page.body.contains("verify-email-banner"), "the banner shows");
        let key = app.call("create_api_key", &[("name", "ci"), ("permission", "read"), ("expiry", "30")], Some(&early)).await;
        assert_eq!(key.error(), Some(AppError::EmailUnverified));
        let org = app.call("create_organization", &[("name", "Analytical Engines")], Some(&early)).await;
        assert_eq!(org.error(), Some(AppError::EmailUnverified));
        let sms = app.call("start_two_factor_enrolment", &[("method", "sms"), ("phone", "+14155550123"), ("password", STRONG_PASSWORD)], Some(&early)).await;
        assert_eq!(sms.error(), Some(AppError::EmailUnverified));
        assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await + app.count("SELECT COUNT(*) FROM organizations").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_outbox").await, 0, "no text message to an unconfirmed account");

        app.confirm_address("ada@example.com").await;
        let page = app.get("/settings/security", Some(&early)).await;
        assert!(page.body.contains("Ada Lovelace"), "{} {}", page.status, page.body.chars().take(3000).collect::<String>());
        assert!(!page.body.contains("verify-email-banner"), "the banner is gone");
        assert_eq!(app.event_kinds().await, ["sign_up", "sign_in", "email_verified"]);
        let key = app.call("create_api_key", &[("name", "ci"), ("permission", "read"), ("expiry", "30")], Some(&early)).await;
        assert!(key.error().is_none(), "{}", key.body);
    }

    /// ASVS 5.0 6.3.8: the confirmation link works once, and only for the
    /// address it was sent to; malformed and unknown tokens change nothing.
    async fn confirmation_links_work_once_and_bad_ones_change_nothing(app) {
        app.try_sign_up("Bea", "bea@example.com", STRONG_PASSWORD).await;
        let token = link_token(&app.mail_to("bea@example.com", "Confirm your email address").await, "/verify-email");
        for bad in ["", "short", &"A".repeat(43), &format!("{token}x")] {
            let reply = app.call("confirm_email_address", &[("token", bad)], None).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "token"), "{bad}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email_verified_at IS NOT NULL").await, 0);
        let reply = app.call("confirm_email_address", &[("token", &token)], None).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let again = app.call("confirm_email_address", &[("token", &token)], None).await;
        assert!(matches!(again.error(), Some(AppError::Validation { .. })), "single use: {}", again.body);
        let page = app.get(&format!("/verify-email?token={token}"), None).await;
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
    }

    async fn each_password_rule_is_refused_with_its_reason_and_nothing_stored(app) {
        let cases = [
            ("Xk9#mQ2$vb", "at least 12"),
            (&"Zq7!".repeat(33) as &str, "at most 128"),
            ("1qaz2wsx3edc", "breached"),
            ("grace.hopper-owl-2024", "email"),
            ("hopperamazing!!77", "name"),
            ("MyStatusStack#2024", "product"),
            ("aaaaaaaaaaaaaaaa", "too easy"),
            ("", "Enter a password"),
        ];
        for (password, reason) in cases {
            let (field, message) = refused_field(&app, "Grace Hopper", "grace.hopper@example.com", password).await;
            assert_eq!(field, "password");
            assert!(message.contains(reason), "{password:?}: {message}");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    }

    /// ASVS 5.0 6.3.8: a sign-up with a taken address answers exactly as a
    /// new one does (no enumeration), creates nothing and mails the address's
    /// owner instead.
    async fn a_taken_address_answers_like_a_new_one_and_mails_its_owner(app) {
        app.sign_up("First", "dup@example.com", STRONG_PASSWORD).await;
        let fresh = app.try_sign_up("Second", "new@example.com", OTHER_STRONG_PASSWORD).await;
        let taken = app.try_sign_up("Second", "DUP@example.com ", OTHER_STRONG_PASSWORD).await;
        assert_eq!((taken.status, &taken.body, taken.location()), (fresh.status, &fresh.body, fresh.location()));
        assert!(taken.session_cookie(app.cookie_name).is_none());
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'dup@example.com'").await, 1);
        let mail = app.mail_to("dup@example.com", "Someone tried to sign up with your address").await;
        assert!(!mail.contains("Second"), "the attempt's name is not repeated: {mail}");
        assert!(mail.contains("/forgot-password"), "{mail}");
        assert!(app.sign_in("dup@example.com", OTHER_STRONG_PASSWORD).await.error().is_some(), "the second password is no key");
    }

    async fn malformed_and_oversized_fields_are_refused(app) {
        for email in ["not-an-email", "a@b", "two@@example.com", "sp ace@example.com"] {
            let (field, _) = refused_field(&app, "Name", email, STRONG_PASSWORD).await;
            assert_eq!(field, "email", "{email}");
        }
        let long_email = format!("{}@example.com", "a".repeat(250));
        assert_eq!(refused_field(&app, "Name", &long_email, STRONG_PASSWORD).await.0, "email");
        let long_name = "N".repeat(101);
        assert_eq!(refused_field(&app, &long_name, "ok@example.com", STRONG_PASSWORD).await.0, "name");
        assert_eq!(refused_field(&app, "   ", "ok@example.com", STRONG_PASSWORD).await.0, "name");
        assert_eq!(refused_field(&app, "Bell\u{7}", "ok@example.com", STRONG_PASSWORD).await.0, "name");
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
    }

    async fn missing_arguments_and_huge_bodies_are_refused(app) {
        let reply = app.call("sign_up", &[("name", "Only a name")], None).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { .. })), "{}", reply.body);
        let huge = "x".repeat(200_000);
        let reply = app.call("sign_up", &[("name", &huge), ("email", "big@example.com"), ("password", STRONG_PASSWORD)], None).await;
        assert_eq!(reply.status, 413);
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 0);
    }

    async fn the_strength_check_agrees_with_sign_up(app) {
        for (password, acceptable) in [(STRONG_PASSWORD, true), ("password1234", false), ("short", false)] {
            let reply = app.call("password_strength", &[("password", password), ("email", "m@example.com"), ("name", "M")], None).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
            let report: statusstack::account::StrengthReport = serde_json::from_str(&reply.body).unwrap();
            assert_eq!(report.acceptable, acceptable, "{password}: {report:?}");
            let signup = app.call("sign_up", &[("name", "M"), ("email", "m@example.com"), ("password", password)], None).await;
            assert_eq!(signup.error().is_none(), acceptable, "{password}: {}", signup.body);
        }
    }

    async fn the_strength_check_is_rate_limited(app) {
        // Held still: the test sets the time instead of racing it.
        app.clock.freeze_at(now());
        let check = || app.call("password_strength", &[("password", "abc")], None);
        let mut limited = None;
        for attempt in 0..130 {
            if let Some(AppError::RateLimited { retry_after }) = check().await.error() {
                limited = Some((attempt, retry_after));
                break;
            }
        }
        let (attempt, retry_after) = limited.expect("limited within 130 checks");
        assert_eq!(attempt, 120);
        assert_eq!(retry_after, 1, "one check comes back every half second");
        // The limit refills smoothly: half a second later one check, not 120.
        app.clock.advance(500);
        assert!(check().await.error().is_none());
        assert!(matches!(check().await.error(), Some(AppError::RateLimited { .. })));
    }

    async fn a_burst_across_a_minute_boundary_gets_the_limit_once(app) {
        // Half a second before a minute turns, then half a second after:
        // clock-aligned windows would allow 120 checks on each side.
        let minute = 60_000;
        let boundary = (now() / minute + 1) * minute;
        let check = || app.call("password_strength", &[("password", "abc")], None);
        let mut allowed = 0;
        for at in [boundary - 500, boundary + 500] {
            app.clock.freeze_at(at);
            for _ in 0..120 {
                if check().await.error().is_none() {
                    allowed += 1;
                }
            }
        }
        assert_eq!(allowed, 122, "the limit, plus the two checks one second refills");
    }
}
