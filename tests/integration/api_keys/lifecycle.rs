//! API keys over time: revoked, expired and rotated-out secrets, and the rotation grace window.

use super::*;

both_databases! {
    async fn revoked_expired_and_rotated_out_keys_are_refused(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let revoked = create_key(&app, &cookie, "revoked", "read").await;
        let reply = app.call("revoke_api_key", &[("key_id", &revoked.key.id)], Some(&cookie)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_api_error(&app.api(Method::GET, "/api/v1/me", &revoked.token).await, 401, "unauthorized");
        let again = app.call("revoke_api_key", &[("key_id", &revoked.key.id)], Some(&cookie)).await;
        assert_eq!(again.error(), Some(AppError::NotFound));

        let expired = create_key(&app, &cookie, "expired", "read").await;
        assert_eq!(app.api(Method::GET, "/api/v1/me", &expired.token).await.status, 200);
        sqlx::query("UPDATE api_keys SET expires_at = $1 WHERE id = $2")
            .bind(statusstack::time::now_ms() - 1)
            .bind(&expired.key.id)
            .execute(&app.pool).await.unwrap();
        let reply = app.api(Method::GET, "/api/v1/me", &expired.token).await;
        assert_api_error(&reply, 401, "unauthorized");
        assert!(json(&reply)["error"]["message"].as_str().unwrap().contains("expired"));
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'api_key_expired_use'").await, 1);
        let (overview, _) = list(&app, &cookie).await;
        assert!(overview.keys.iter().any(|k| k.id == expired.key.id && k.expired));

        let rotated = create_key(&app, &cookie, "rotated", "read").await;
        let fresh = rotate(&app, &cookie, &rotated.key.id, "none").await;
        assert_ne!(fresh.token, rotated.token);
        assert_eq!(fresh.key.id, rotated.key.id);
        assert_api_error(&app.api(Method::GET, "/api/v1/me", &rotated.token).await, 401, "unauthorized");
        assert_eq!(app.api(Method::GET, "/api/v1/me", &fresh.token).await.status, 200);
        assert!(app.event_kinds().await.contains(&"api_key_rotated".to_string()));
    }

    async fn the_old_secret_works_inside_the_grace_window_and_not_after(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let old = create_key(&app, &cookie, "ci", "read").await;
        let new = rotate(&app, &cookie, &old.key.id, "1h").await;
        assert_eq!(app.api(Method::GET, "/api/v1/me", &old.token).await.status, 200);
        assert_eq!(app.api(Method::GET, "/api/v1/me", &new.token).await.status, 200);
        // Both states are visible in the list.
        let (overview, _) = list(&app, &cookie).await;
        let listed = &overview.keys[0];
        assert_eq!(listed.prefix, new.key.prefix);
        assert_eq!(listed.previous_prefix.as_deref(), Some(old.key.prefix.as_str()));
        let until = listed.previous_valid_until.unwrap();
        let hour = 60 * 60 * 1000;
        assert!((until - statusstack::time::now_ms() - hour).abs() < 60_000, "{until}");

        // The grace period ends.
        sqlx::query("UPDATE api_key_secrets SET valid_until = $1 WHERE valid_until IS NOT NULL")
            .bind(statusstack::time::now_ms() - 1)
            .execute(&app.pool).await.unwrap();
        let reply = app.api(Method::GET, "/api/v1/me", &old.token).await;
        assert_api_error(&reply, 401, "unauthorized");
        assert!(json(&reply)["error"]["message"].as_str().unwrap().contains("rotated"));
        assert_eq!(app.api(Method::GET, "/api/v1/me", &new.token).await.status, 200);
        let (overview, _) = list(&app, &cookie).await;
        assert_eq!(overview.keys[0].previous_prefix, None);
        // Housekeeping keeps a retired secret for 30 days, then deletes it.
        statusstack::server::maintenance::prune_once(&app.state).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM api_key_secrets").await, 2);
        sqlx::query("UPDATE api_key_secrets SET valid_until = $1 WHERE valid_until IS NOT NULL")
            .bind(statusstack::time::now_ms() - 31 * 24 * 60 * 60 * 1000)
            .execute(&app.pool).await.unwrap();
        statusstack::server::maintenance::prune_once(&app.state).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM api_key_secrets").await, 1);
        let reply = app.api(Method::GET, "/api/v1/me", &old.token).await;
        assert_eq!(json(&reply)["error"]["message"], "Unknown API key.");
        assert_eq!(app.api(Method::GET, "/api/v1/me", &new.token).await.status, 200);
    }
}
