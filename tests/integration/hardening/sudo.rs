//! Sudo mode and session tokens: a password change opens no sudo window,
//! re-authenticating and turning 2FA on give the session a new token, and a
//! window opened with the password alone closes when 2FA comes on.

use super::*;

both_databases! {
    /// ASVS 5.0 7.5.1, 7.5.3: a password change asks for the password only,
    /// so it must not count as the re-authentication sensitive actions need
    /// when 2FA is on.
    async fn a_password_change_does_not_open_sudo_mode_without_the_second_factor(app) {
        let mut cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        enable_totp(&app, &mut cookie).await;
        age_sudo_windows(&app).await;
        let changed = app
            .call_rotating(
                "change_password",
                &[("current_password", STRONG_PASSWORD), ("new_password", OTHER_STRONG_PASSWORD)],
                &mut cookie,
            )
            .await;
        assert!(changed.error().is_none(), "{}", changed.body);
        for (name, args) in [
            ("disable_two_factor", vec![]),
            ("regenerate_backup_codes", vec![]),
            ("request_email_change", vec![("new_email", "mallory@example.com")]),
            ("create_api_key", vec![("name", "root"), ("permission", "admin"), ("expiry", "30")]),
            ("revoke_other_sessions", vec![("scope", "all")]),
        ] {
            let reply = app.call(name, &args, Some(&cookie)).await;
            assert_eq!(reply.error(), Some(AppError::ReauthRequired), "{name}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE two_factor_method IS NULL").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 0);
    }

    /// ASVS 5.0 7.2.4: re-authenticating for sudo mode gives the session a new
    /// token; a copy of the old one (a stolen cookie) is worthless after it.
    async fn re_authenticating_for_sudo_rotates_the_session_token(app) {
        let mut cookie = app.sign_up("Bea", "bea@example.com", STRONG_PASSWORD).await;
        age_sudo_windows(&app).await;
        let stolen = cookie.clone();
        let reply = app
            .call_rotating("revoke_other_sessions", &[("scope", "all"), ("password", STRONG_PASSWORD)], &mut cookie)
            .await;
        assert!(reply.error().is_none(), "{}", reply.body);
        assert_ne!(cookie, stolen);
        assert!(app.is_signed_in(&cookie).await);
        assert!(!app.is_signed_in(&stolen).await, "the old token is void");
    }

    /// ASVS 5.0 7.2.4, 7.5.1: turning 2FA on rotates the token, closes the sudo
    /// window every other (password-only) session still had, and mails the
    /// owner the sessions that signed in with the password alone.
    async fn turning_two_factor_on_rotates_the_token_and_names_password_only_sessions(app) {
        let mut cookie = app.sign_up("Cy", "cy@example.com", STRONG_PASSWORD).await;
        let intruder = app.sign_in("cy@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        let before = cookie.clone();
        enable_totp(&app, &mut cookie).await;
        assert!(!app.is_signed_in(&before).await, "the token from before 2FA is void");
        assert!(app.is_signed_in(&cookie).await);
        // The other session signed in a moment ago with the password only:
        // its sudo window must not let it turn 2FA off without a code.
        assert!(app.is_signed_in(&intruder).await);
        let reply = app.call("disable_two_factor", &[], Some(&intruder)).await;
        assert_eq!(reply.error(), Some(AppError::ReauthRequired), "{}", reply.body);
        let mail = app.mail_to("cy@example.com", "Two-factor authentication was turned on").await;
        assert!(mail.contains("signed in with only your password"), "{mail}");
        assert!(mail.contains("Local network (127.0.0.1)"), "names the session: {mail}");
    }

    /// ASVS 5.0 7.5.1: turning 2FA on the first time needs sudo mode
    /// too, or a weeks-old stolen session would enrol the thief's
    /// authenticator (and get the backup codes) and lock the owner out.
    async fn a_stale_session_cannot_enrol_a_second_factor(app) {
        let stolen = app.sign_up("Gil", "gil@example.com", STRONG_PASSWORD).await;
        age_sudo_windows(&app).await;
        for args in [vec![("method", "totp")], vec![("method", "sms"), ("phone", "+14155550123")]] {
            let reply = app.call("start_two_factor_enrolment", &args, Some(&stolen)).await;
            assert_eq!(reply.error(), Some(AppError::ReauthRequired), "{args:?}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_enrolments").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM sms_outbox").await, 0, "no text went out");
        let mut owner = stolen.clone();
        let reply = app
            .call_rotating("start_two_factor_enrolment", &[("method", "totp"), ("password", STRONG_PASSWORD)], &mut owner)
            .await;
        assert!(reply.error().is_none(), "{}", reply.body);
    }

    /// ASVS 5.0 7.5.1: a set-up in progress belongs to the session that
    /// started it: another session neither reads its secret nor finishes it,
    /// and after 15 minutes it is gone.
    async fn a_pending_enrolment_is_bound_to_its_session_and_expires(app) {
        let owner = app.sign_up("Hal", "hal@example.com", STRONG_PASSWORD).await;
        let other = app.sign_in("hal@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        let reply = app.call("start_two_factor_enrolment", &[("method", "totp")], Some(&owner)).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let mine: serde_json::Value = serde_json::from_str(&app.call("two_factor_status", &[], Some(&owner)).await.body).unwrap();
        let secret = mine["pending"]["manual_key"].as_str().expect("the owner sees the key").to_string();
        let theirs = app.call("two_factor_status", &[], Some(&other)).await;
        assert!(!theirs.body.contains(&secret), "another session never sees the secret");
        let theirs: serde_json::Value = serde_json::from_str(&theirs.body).unwrap();
        assert!(theirs["pending"].is_null());
        let secret = crate::two_factor::decode_base32(&secret);
        let code = statusstack::server::crypto::totp::code_at_step(&secret, (now() / 30_000) as u64, 6);
        let stolen = app.call("confirm_two_factor_enrolment", &[("code", &code)], Some(&other)).await;
        assert!(matches!(stolen.error(), Some(AppError::Validation { ref message, .. }) if message.contains("expired")), "{}", stolen.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE two_factor_method IS NOT NULL").await, 0);
        app.clock.advance(16 * 60 * 1000);
        let later: serde_json::Value = serde_json::from_str(&app.call("two_factor_status", &[], Some(&owner)).await.body).unwrap();
        assert!(later["pending"].is_null(), "15 minutes later the set-up is gone");
        let late = code_at(&secret, &app);
        let reply = app.call("confirm_two_factor_enrolment", &[("code", &late)], Some(&owner)).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { .. })), "{}", reply.body);
    }
}
