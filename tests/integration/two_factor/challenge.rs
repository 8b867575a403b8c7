//! The sign-in challenge: the second factor, backup codes, replays and races, the lockout, and nothing else reachable half signed in.

use super::*;

both_databases! {
    async fn sign_in_asks_for_the_second_factor_and_refuses_a_replayed_code(app) {
        app.sign_up("Vic", "vic@example.com", STRONG_PASSWORD).await;
        let mut cookie = app.sign_in("vic@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        let (secret, step, _) = enable_totp(&app, &mut cookie).await;
        let first = challenge(&app, "vic@example.com").await;
        let reused = code_at_step(&secret, step, 6);
        let reply = verify(&app, &first, &reused).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "code"), "{}", reply.body);
        let next = code_at_step(&secret, step + 1, 6);
        let reply = verify(&app, &first, &next).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let session = reply.session_cookie(app.cookie_name).expect("a session after the second factor");
        assert!(app.is_signed_in(&session).await);
        let method: String = sqlx::query("SELECT auth_method FROM sessions ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&app.pool).await.unwrap().get(0);
        assert_eq!(method, "password+totp");
        let second = challenge(&app, "vic@example.com").await;
        let reply = verify(&app, &second, &next).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { .. })), "the same code twice: {}", reply.body);
        let kinds = app.event_kinds().await;
        assert!(kinds.iter().filter(|k| *k == "totp_reuse_refused").count() >= 2);
        assert!(kinds.contains(&"two_factor_passed".to_string()));
        assert!(verify(&app, &first, &next).await.error().is_some(), "a used challenge is gone");
    }

    async fn a_backup_code_signs_in_once(app) {
        let mut cookie = app.sign_up("Wes", "wes@example.com", STRONG_PASSWORD).await;
        let (_, _, codes) = enable_totp(&app, &mut cookie).await;
        let first = challenge(&app, "wes@example.com").await;
        let reply = verify(&app, &first, &codes[0].to_uppercase()).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        assert!(reply.session_cookie(app.cookie_name).is_some());
        let second = challenge(&app, "wes@example.com").await;
        assert_eq!(verify(&app, &second, &codes[0]).await.error(), Some(AppError::InvalidCode));
        assert_eq!(status(&app, &cookie).await["enabled"]["backup_codes_left"], 9);
        let detail: String = sqlx::query("SELECT detail FROM security_events WHERE kind = 'backup_code_used'")
            .fetch_one(&app.pool).await.unwrap().get(0);
        assert!(detail.contains("\"remaining\":9"), "{detail}");
    }

    async fn the_half_signed_in_state_reaches_nothing_else(app) {
        let mut cookie = app.sign_up("Xia", "xia@example.com", STRONG_PASSWORD).await;
        enable_totp(&app, &mut cookie).await;
        let half = challenge(&app, "xia@example.com").await;
        for name in ["list_sessions", "two_factor_status", "security_overview", "mark_sessions_reviewed", "regenerate_backup_codes", "disable_two_factor"] {
            assert_eq!(app.call(name, &[], Some(&half)).await.error(), Some(AppError::Unauthenticated), "{name}");
        }
        let reply = app.call("change_password", &[("current_password", STRONG_PASSWORD), ("new_password", OTHER_STRONG_PASSWORD)], Some(&half)).await;
        assert_eq!(reply.error(), Some(AppError::Unauthenticated));
        assert!(!app.is_signed_in(&half).await);
        assert_eq!(app.get("/login/two-factor", Some(&half)).await.status, 200);
        let info = app.call("sign_in_challenge", &[], Some(&half)).await;
        assert!(info.body.contains("\"method\":\"Totp\""), "{}", info.body);
        let expired = app.get("/login/two-factor", None).await;
        assert_eq!(expired.location(), Some("/login?challenge=expired"));
        sqlx::query("UPDATE sign_in_challenges SET expires_at = 1").execute(&app.pool).await.unwrap();
        assert_eq!(app.call("sign_in_challenge", &[], Some(&half)).await.error(), Some(AppError::Unauthenticated), "5 minutes at most");
    }

    async fn five_wrong_codes_lock_the_challenge_for_fifteen_minutes(app) {
        let mut cookie = app.sign_up("Yan", "yan@example.com", STRONG_PASSWORD).await;
        let (secret, step, _) = enable_totp(&app, &mut cookie).await;
        let half = challenge(&app, "yan@example.com").await;
        let good = code_at_step(&secret, step + 1, 6);
        let bad = if good == "111111" { "222222" } else { "111111" };
        for attempt in 1..=4 {
            assert_eq!(verify(&app, &half, bad).await.error(), Some(AppError::InvalidCode), "attempt {attempt}");
        }
        assert_eq!(verify(&app, &half, bad).await.error(), Some(AppError::RateLimited { retry_after: 900 }));
        match verify(&app, &half, &good).await.error() {
            Some(AppError::RateLimited { retry_after }) => assert!(retry_after > 890 && retry_after <= 900),
            other => panic!("the right code is refused while locked, got {other:?}"),
        }
        assert!(app.event_kinds().await.contains(&"two_factor_lockout".to_string()));
        sqlx::query("UPDATE rate_limits SET updated_at = updated_at - 900000 WHERE bucket LIKE '2fa-attempts:%'")
            .execute(&app.pool).await.unwrap();
        let reply = verify(&app, &half, &good).await;
        assert!(reply.error().is_none(), "released after the window: {}", reply.body);
    }

    async fn racing_one_totp_code_signs_in_exactly_once(app) {
        let mut cookie = app.sign_up("Ray", "ray@example.com", STRONG_PASSWORD).await;
        let (secret, _, _) = enable_totp(&app, &mut cookie).await;
        for round in 0..50 {
            // Each round reuses the current code on a fresh counter, so only the race decides.
            sqlx::query("UPDATE users SET totp_last_step = 0").execute(&app.pool).await.unwrap();
            let code = code_at_step(&secret, now_step(), 6);
            let (a, b) = (challenge(&app, "ray@example.com").await, challenge(&app, "ray@example.com").await);
            let (ra, rb) = tokio::join!(verify(&app, &a, &code), verify(&app, &b, &code));
            let wins = [&ra, &rb].iter().filter(|r| r.session_cookie(app.cookie_name).is_some()).count();
            assert_eq!(wins, 1, "round {round}: {} / {}", ra.body, rb.body);
        }
    }

    async fn racing_one_backup_code_signs_in_exactly_once(app) {
        let mut cookie = app.sign_up("Rue", "rue@example.com", STRONG_PASSWORD).await;
        let (_, _, mut codes) = enable_totp(&app, &mut cookie).await;
        for round in 0..50 {
            if codes.is_empty() {
                let reply = app.call("regenerate_backup_codes", &[], Some(&cookie)).await;
                codes = serde_json::from_str(&reply.body).expect("new codes");
            }
            let code = codes.pop().unwrap();
            let (a, b) = (challenge(&app, "rue@example.com").await, challenge(&app, "rue@example.com").await);
            let (ra, rb) = tokio::join!(verify(&app, &a, &code), verify(&app, &b, &code));
            let wins = [&ra, &rb].iter().filter(|r| r.session_cookie(app.cookie_name).is_some()).count();
            assert_eq!(wins, 1, "round {round}: {} / {}", ra.body, rb.body);
        }
    }
}
