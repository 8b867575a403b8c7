//! Changing the password: checks, other sessions end, token rotates.

use crate::helpers::*;
use statusstack::error::AppError;

both_databases! {
    async fn changing_the_password_ends_other_sessions_and_rotates_this_one(app) {
        let here = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        let elsewhere = app.sign_in("pat@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        let reply = app
            .call("change_password", &[("current_password", STRONG_PASSWORD), ("new_password", OTHER_STRONG_PASSWORD)], Some(&here))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let rotated = reply.session_cookie(app.cookie_name).expect("a new token");
        assert_ne!(rotated, here);
        assert!(app.is_signed_in(&rotated).await);
        assert!(!app.is_signed_in(&here).await, "the old token of this session is retired");
        assert!(!app.is_signed_in(&elsewhere).await, "other sessions end");
        assert_eq!(app.sign_in("pat@example.com", STRONG_PASSWORD).await.error(), Some(AppError::InvalidCredentials));
        assert!(app.sign_in("pat@example.com", OTHER_STRONG_PASSWORD).await.error().is_none());
        assert!(app.event_kinds().await.contains(&"password_changed".to_string()));
    }

    async fn a_wrong_current_password_or_weak_new_one_changes_nothing(app) {
        let cookie = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        let before: String = sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(&app.pool).await.unwrap();
        let cases: [(&str, &str, &str); 4] = [
            ("wrong current password", OTHER_STRONG_PASSWORD, "current_password"),
            (STRONG_PASSWORD, "tooshort", "new_password"),
            (STRONG_PASSWORD, "patpatpatpatpat", "new_password"),
            (STRONG_PASSWORD, STRONG_PASSWORD, "new_password"),
        ];
        for (current, new, field) in cases {
            let reply = app.call("change_password", &[("current_password", current), ("new_password", new)], Some(&cookie)).await;
            match reply.error() {
                Some(AppError::Validation { field: f, .. }) => assert_eq!(f, field, "{new}"),
                other => panic!("{new}: {other:?}"),
            }
        }
        let after: String = sqlx::query_scalar("SELECT password_hash FROM users").fetch_one(&app.pool).await.unwrap();
        assert_eq!(before, after);
        assert!(app.is_signed_in(&cookie).await);
    }

    async fn changing_the_password_needs_a_session(app) {
        let reply = app.call("change_password", &[("current_password", "x"), ("new_password", OTHER_STRONG_PASSWORD)], None).await;
        assert_eq!(reply.error(), Some(AppError::Unauthenticated));
    }
}
