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
    async fn a_new_account_is_created_signed_in_and_recorded(app) {
        let reply = app
            .call("sign_up", &[("name", "Ada Lovelace"), ("email", "  Ada@Example.COM "), ("password", STRONG_PASSWORD)], None)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.location(), Some("/settings/security"));
        let cookie = reply.session_cookie(app.cookie_name).expect("session cookie");
        assert!(app.is_signed_in(&cookie).await);
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email = 'ada@example.com'").await, 1);
        assert_eq!(app.event_kinds().await, ["sign_up", "sign_in"]);
        let page = app.get("/settings/security", Some(&cookie)).await;
        assert!(page.body.contains("Ada Lovelace"), "{} {}", page.status, page.body.chars().take(3000).collect::<String>());
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

    async fn a_duplicate_email_is_refused_whatever_its_case(app) {
        app.sign_up("First", "dup@example.com", STRONG_PASSWORD).await;
        let (field, message) = refused_field(&app, "Second", "DUP@example.com ", OTHER_STRONG_PASSWORD).await;
        assert_eq!(field, "email");
        assert!(message.contains("already exists"));
        assert_eq!(app.count("SELECT COUNT(*) FROM users").await, 1);
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
            assert_eq!(signup.error().is_none(), acceptable, "{password}");
        }
    }

    async fn the_strength_check_is_rate_limited(app) {
        // A second into a minute, and held there: the whole burst falls in one window.
        let minute = 60_000;
        app.clock.freeze_at((now() / minute + 1) * minute + 1_000);
        let mut limited = None;
        for attempt in 0..130 {
            let reply = app.call("password_strength", &[("password", "abc")], None).await;
            if let Some(AppError::RateLimited { retry_after }) = reply.error() {
                limited = Some((attempt, retry_after));
                break;
            }
        }
        let (attempt, retry_after) = limited.expect("limited within 130 checks");
        assert_eq!(attempt, 120);
        assert_eq!(retry_after, 59, "the rest of the minute");
    }
}
