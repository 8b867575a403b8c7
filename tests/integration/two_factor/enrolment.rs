//! Two-factor set-up: on only with a valid code, abandoned cleanly, malformed codes, and sudo mode for every change.

use super::*;

both_databases! {
    async fn enrolment_turns_on_only_with_a_valid_code(app) {
        let mut cookie = app.sign_up("Tia", "tia@example.com", STRONG_PASSWORD).await;
        let secret = start_totp(&app, &cookie).await;
        let wrong = app.call("confirm_two_factor_enrolment", &[("code", "000000")], Some(&cookie)).await;
        let right_now = code_at_step(&secret, now_step(), 6);
        if right_now != "000000" {
            assert_eq!(wrong.error(), Some(AppError::InvalidCode));
        }
        assert!(status(&app, &cookie).await["enabled"].is_null(), "still off");
        let far = code_at_step(&secret, now_step() + 3, 6);
        let reply = app.call_rotating("confirm_two_factor_enrolment", &[("code", &far)], &mut cookie).await;
        assert_eq!(reply.error(), Some(AppError::InvalidCode), "three steps ahead is outside the window");
        let ok = app.call_rotating("confirm_two_factor_enrolment", &[("code", &right_now)], &mut cookie).await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        let on = status(&app, &cookie).await;
        assert_eq!(on["enabled"]["method"], "Totp");
        assert_eq!(on["enabled"]["backup_codes_left"], 10);
        assert!(on["pending"].is_null());
        assert!(app.event_kinds().await.contains(&"two_factor_enabled".to_string()));
    }

    async fn leaving_the_flow_halfway_leaves_nothing_behind(app) {
        let cookie = app.sign_up("Ula", "ula@example.com", STRONG_PASSWORD).await;
        start_totp(&app, &cookie).await;
        app.call("cancel_two_factor_enrolment", &[], Some(&cookie)).await;
        let after = status(&app, &cookie).await;
        assert!(after["enabled"].is_null() && after["pending"].is_null());
        assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_enrolments").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE two_factor_method IS NOT NULL").await, 0);
        let reply = app.sign_in("ula@example.com", STRONG_PASSWORD).await;
        assert!(reply.session_cookie(app.cookie_name).is_some(), "sign-in needs no second factor");
    }

    async fn malformed_codes_are_refused_and_change_nothing(app) {
        let mut cookie = app.sign_up("Zed", "zed@example.com", STRONG_PASSWORD).await;
        let secret = start_totp(&app, &cookie).await;
        let huge = "1".repeat(10 * 1024);
        let bad = ["abcdef", "12345", "1234567", "١٢٣٤٥٦", "１２３４５６", "12 34 5", "", huge.as_str()];
        for code in bad {
            let reply = app.call_rotating("confirm_two_factor_enrolment", &[("code", code)], &mut cookie).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "code"), "{code:.20}: {}", reply.body);
        }
        assert!(status(&app, &cookie).await["enabled"].is_null());
        assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_enrolments").await, 1);
        let code = code_at_step(&secret, now_step(), 6);
        assert_eq!(app.call_rotating("confirm_two_factor_enrolment", &[("code", &code)], &mut cookie).await.status, 200);
        let half = challenge(&app, "zed@example.com").await;
        for code in bad.iter().chain(["abcde-fghj1", "0bcdefghjk"].iter()) {
            let reply = verify(&app, &half, code).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "code"), "{code:.20}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM rate_limits WHERE bucket LIKE '2fa-attempts:%'").await, 0, "malformed input costs no attempt");
        assert_eq!(app.call("start_two_factor_enrolment", &[("method", "email")], Some(&cookie)).await.error(),
            Some(AppError::validation("method", "Choose an authenticator app or SMS.")));
    }

    async fn sudo_mode_guards_every_sensitive_two_factor_action(app) {
        let mut cookie = app.sign_up("Sue", "sue@example.com", STRONG_PASSWORD).await;
        let (secret, _, _) = enable_totp(&app, &mut cookie).await;
        let expire_sudo = || async { sqlx::query("UPDATE sessions SET reauthenticated_at = 1").execute(&app.pool).await.unwrap(); };
        let actions: [(&str, Vec<(&str, &str)>); 4] = [
            ("regenerate_backup_codes", vec![]),
            ("start_two_factor_enrolment", vec![("method", "totp")]),
            ("start_two_factor_enrolment", vec![("method", "sms"), ("phone", "+14155550123")]),
            ("disable_two_factor", vec![]),
        ];
        for (name, args) in &actions {
            expire_sudo().await;
            assert_eq!(app.call(name, args, Some(&cookie)).await.error(), Some(AppError::ReauthRequired), "{name}");
            let mut with_password = args.clone();
            with_password.push(("password", STRONG_PASSWORD));
            let reply = app.call(name, &with_password, Some(&cookie)).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "code"), "{name} needs a code: {}", reply.body);
            let mut wrong_password = args.clone();
            wrong_password.extend([("password", "not the password"), ("code", "123456")]);
            let reply = app.call(name, &wrong_password, Some(&cookie)).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "password"), "{name}: {}", reply.body);
            let code = code_at_step(&secret, now_step(), 6);
            sqlx::query("UPDATE users SET totp_last_step = 0").execute(&app.pool).await.unwrap();
            let mut full = args.clone();
            full.extend([("password", STRONG_PASSWORD), ("code", code.as_str())]);
            let reply = app.call_rotating(name, &full, &mut cookie).await;
            assert!(reply.error().is_none(), "{name} with password and code: {}", reply.body);
        }
        let after = status(&app, &cookie).await;
        assert!(after["enabled"].is_null(), "turned off at last");
        assert_eq!(app.count("SELECT COUNT(*) FROM backup_codes").await, 0);
        let kinds = app.event_kinds().await;
        for kind in ["backup_codes_regenerated", "two_factor_disabled"] {
            assert!(kinds.contains(&kind.to_string()), "{kind}");
        }
    }
}
