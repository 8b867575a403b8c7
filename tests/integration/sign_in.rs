//! Sign-in: success, uniform failures, back-off, token rotation, redirects.

use crate::helpers::*;
use statusstack::error::AppError;

both_databases! {
    async fn the_right_password_signs_in_and_goes_to_next(app) {
        app.sign_up("Lin", "lin@example.com", STRONG_PASSWORD).await;
        let reply = app.call("sign_in", &[("email", "LIN@example.com"), ("password", STRONG_PASSWORD), ("next", "/settings/team")], None).await;
        assert_eq!(reply.location(), Some("/settings/team"), "{}", reply.body);
        let cookie = reply.session_cookie(app.cookie_name).unwrap();
        assert!(app.is_signed_in(&cookie).await);
    }

    async fn an_offsite_next_is_replaced_by_the_security_page(app) {
        app.sign_up("Lin", "lin@example.com", STRONG_PASSWORD).await;
        for next in ["https://evil.example/", "//evil.example", "/\\evil.example"] {
            let reply = app.call("sign_in", &[("email", "lin@example.com"), ("password", STRONG_PASSWORD), ("next", next)], None).await;
            assert_eq!(reply.location(), Some("/settings/security"), "{next}");
        }
    }

    async fn wrong_password_and_unknown_email_get_the_same_answer(app) {
        app.sign_up("Kim", "kim@example.com", STRONG_PASSWORD).await;
        let wrong = app.sign_in("kim@example.com", "not the password at all").await;
        let unknown = app.sign_in("nobody@example.com", "not the password at all").await;
        assert_eq!(wrong.error(), Some(AppError::InvalidCredentials));
        assert_eq!(unknown.error(), Some(AppError::InvalidCredentials));
        assert_eq!(wrong.status, 401);
        assert_eq!(wrong.status, unknown.status);
        assert_eq!(wrong.body, unknown.body);
        assert!(wrong.session_cookie(app.cookie_name).is_none());
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'sign_in_failed' AND user_id IS NOT NULL").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'sign_in_failed' AND user_id IS NULL").await, 1);
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1, "only the sign-up session");
    }

    async fn repeated_failures_back_off_even_for_the_right_password(app) {
        app.sign_up("Sam", "sam@example.com", STRONG_PASSWORD).await;
        for _ in 0..5 {
            assert_eq!(app.sign_in("sam@example.com", "wrong password guess").await.error(), Some(AppError::InvalidCredentials));
        }
        let reply = app.sign_in("sam@example.com", STRONG_PASSWORD).await;
        assert_eq!(reply.status, 429);
        match reply.error() {
            Some(AppError::RateLimited { retry_after }) => {
                assert!((1..=30).contains(&retry_after), "{retry_after}");
                assert_eq!(reply.headers.get("retry-after").unwrap().to_str().unwrap(), retry_after.to_string());
            }
            other => panic!("expected back-off, got {other:?}"),
        }
        assert!(reply.session_cookie(app.cookie_name).is_none());
        // An unknown email backs off the same way, so back-off reveals nothing.
        for _ in 0..5 {
            app.sign_in("ghost@example.com", "wrong password guess").await;
        }
        assert!(matches!(app.sign_in("ghost@example.com", "x").await.error(), Some(AppError::RateLimited { .. })));
    }

    async fn signing_in_replaces_the_previous_session_token(app) {
        let old = app.sign_up("Rae", "rae@example.com", STRONG_PASSWORD).await;
        let reply = app.call("sign_in", &[("email", "rae@example.com"), ("password", STRONG_PASSWORD)], Some(&old)).await;
        let new = reply.session_cookie(app.cookie_name).unwrap();
        assert_ne!(old, new);
        assert!(!app.is_signed_in(&old).await, "the pre-sign-in token no longer works");
        assert!(app.is_signed_in(&new).await);
    }

    async fn oversized_credentials_are_refused_without_a_session(app) {
        let long = "p".repeat(129);
        let reply = app.sign_in("a@example.com", &long).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "password"));
        let reply = app.sign_in(&format!("{}@example.com", "e".repeat(300)), STRONG_PASSWORD).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "email"));
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 0);
    }

    async fn an_outdated_hash_is_upgraded_at_sign_in(app) {
        app.sign_up("Old", "old@example.com", STRONG_PASSWORD).await;
        // A hash of STRONG_PASSWORD made with weaker (pre-OWASP) parameters.
        let weak = {
            use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version, password_hash::SaltString};
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(4096, 1, 1, None).unwrap())
                .hash_password(STRONG_PASSWORD.as_bytes(), &salt).unwrap().to_string()
        };
        sqlx::query("UPDATE users SET password_hash = $1").bind(&weak).execute(&app.pool).await.unwrap();
        let reply = app.sign_in("old@example.com", STRONG_PASSWORD).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let stored: String = sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(&app.pool).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
    }
}
