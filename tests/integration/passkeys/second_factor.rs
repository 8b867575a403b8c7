//! A passkey after the password: the sign-in challenge's second step,
//! sudo mode instead of password and code, and 2FA that rests on passkeys
//! alone (with backup codes). Each ceremony belongs to the challenge or
//! session that started it.

use super::*;
use crate::two_factor::{CHALLENGE, challenge, enable_totp, verify};

/// Starts the passkey step of `challenge` (the challenge cookie); returns (handle, options).
async fn start_step(app: &TestApp, challenge: &str) -> (String, String) {
    let reply = app
        .call("start_passkey_second_factor", &[], Some(challenge))
        .await;
    assert!(reply.error().is_none(), "{}", reply.body);
    let ceremony = json(&reply);
    (
        ceremony["handle"].as_str().unwrap().to_string(),
        ceremony["options"].as_str().unwrap().to_string(),
    )
}

async fn finish_step(app: &TestApp, challenge: &str, handle: &str, answer: &str) -> Reply {
    app.call(
        "finish_passkey_second_factor",
        &[("handle", handle), ("credential", answer)],
        Some(challenge),
    )
    .await
}

/// Confirms sudo mode with the passkey; `cookie` follows the rotated token.
async fn sudo_by_passkey(
    app: &TestApp,
    cookie: &mut String,
    device: &mut Device,
    credential_id: &[u8],
    user: &str,
) -> Reply {
    let reply = app.call("start_passkey_sudo", &[], Some(cookie)).await;
    assert!(reply.error().is_none(), "{}", reply.body);
    let ceremony = json(&reply);
    let answer = device.get(ceremony["options"].as_str().unwrap(), credential_id, user);
    let handle = ceremony["handle"].as_str().unwrap();
    app.call_rotating(
        "finish_passkey_sudo",
        &[("handle", handle), ("credential", &answer)],
        cookie,
    )
    .await
}

both_databases! {
    async fn a_passkey_passes_the_sign_in_challenge_instead_of_a_code(app) {
        let mut cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let id = user_id(&app, "ada@example.com").await;
        let (secret, step, _) = enable_totp(&app, &mut cookie).await;
        let half = challenge(&app, "ada@example.com").await;
        let info = json(&app.call("sign_in_challenge", &[], Some(&half)).await);
        assert_eq!(info["passkey"], false, "no passkey yet: {info}");
        let reply = app.call("start_passkey_second_factor", &[], Some(&half)).await;
        assert!(is_credential_error(&reply), "no passkey to ask for: {}", reply.body);

        let code = statusstack::server::crypto::totp::code_at_step(&secret, step + 1, 6);
        let started = app.call_rotating("start_passkey_registration", &[("password", STRONG_PASSWORD), ("code", &code)], &mut cookie).await;
        assert!(started.error().is_none(), "sudo mode with password and code: {}", started.body);
        let started = json(&started);
        let mut device = Device::for_app(&app);
        let created = device.create(started["options"].as_str().unwrap());
        let added = app.call("finish_passkey_registration", &[("handle", started["handle"].as_str().unwrap()), ("credential", &created)], Some(&cookie)).await;
        assert!(added.error().is_none(), "{}", added.body);
        let credential_id = base64_url(serde_json::from_str::<Value>(&created).unwrap()["rawId"].as_str().unwrap());
        let half = challenge(&app, "ada@example.com").await;
        let info = json(&app.call("sign_in_challenge", &[], Some(&half)).await);
        assert_eq!(info["passkey"], true, "offered once there is one: {info}");
        let (handle, options) = start_step(&app, &half).await;
        let requested: Value = serde_json::from_str(&options).unwrap();
        assert_eq!(requested["userVerification"], "required");
        assert_eq!(base64_url(requested["allowCredentials"][0]["id"].as_str().unwrap()), credential_id, "only the account's passkeys are asked for");
        let answer = device.get(&options, &credential_id, &id);
        let reply = finish_step(&app, &half, &handle, &answer).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        assert_eq!(json(&reply), Value::from("/settings/security"));
        let session = reply.session_cookie(app.cookie_name).expect("a session after the passkey");
        assert!(app.is_signed_in(&session).await);
        let method: String = sqlx::query("SELECT auth_method FROM sessions ORDER BY created_at DESC LIMIT 1")
            .fetch_one(&app.pool).await.unwrap().get(0);
        assert_eq!(method, "password+passkey");
        let detail: String = sqlx::query("SELECT detail FROM security_events WHERE kind = 'two_factor_passed'")
            .fetch_one(&app.pool).await.unwrap().get(0);
        assert!(detail.contains("\"factor\":\"passkey\""), "{detail}");
        assert!(finish_step(&app, &half, &handle, &answer).await.error().is_some(), "a passed challenge is gone, and the answer with it");
    }

    async fn the_passkey_step_belongs_to_its_challenge_and_to_the_account(app) {
        let mut cookie = app.sign_up("Bea", "bea@example.com", STRONG_PASSWORD).await;
        let mut other = app.sign_up("Cal", "cal@example.com", STRONG_PASSWORD).await;
        let (bea, cal) = (user_id(&app, "bea@example.com").await, user_id(&app, "cal@example.com").await);
        let mut device = Device::for_app(&app);
        let credential_id = add_passkey(&app, &mut cookie, &mut device, "Phone").await;
        enable_totp(&app, &mut cookie).await;
        let mut cal_device = Device::for_app(&app);
        let cal_credential = add_passkey(&app, &mut other, &mut cal_device, "Cal's").await;
        let sessions_before = app.count("SELECT COUNT(*) FROM sessions").await;

        assert_eq!(app.call("start_passkey_second_factor", &[], None).await.error(), Some(AppError::Unauthenticated), "no challenge, no ceremony");
        let first = challenge(&app, "bea@example.com").await;
        let second = challenge(&app, "bea@example.com").await;
        let (handle, options) = start_step(&app, &first).await;
        let answer = device.get(&options, &credential_id, &bea);
        assert!(is_credential_error(&finish_step(&app, &second, &handle, &answer).await), "another browser's challenge cannot finish it");
        assert_eq!(finish_step(&app, "", &handle, &answer).await.error(), Some(AppError::Unauthenticated));

        let (handle, options) = start_step(&app, &first).await;
        let foreign = cal_device.get(&options, &cal_credential, &cal);
        assert!(is_credential_error(&finish_step(&app, &first, &handle, &foreign).await), "Cal's passkey is not Bea's second factor");
        let (handle, options) = start_step(&app, &first).await;
        for bad in ["", "{", "[]", &"x".repeat(20_000)] {
            assert!(is_credential_error(&finish_step(&app, &first, &handle, bad).await), "{}", &bad[..bad.len().min(10)]);
        }
        let answer = device.get(&options, &credential_id, &bea);
        let sudo_handle = json(&app.call("start_passkey_sudo", &[], Some(&cookie)).await)["handle"].as_str().unwrap().to_string();
        assert!(is_credential_error(&finish_step(&app, &first, &sudo_handle, &answer).await), "a sudo ceremony is no sign-in step");
        app.clock.advance(5 * 60 * 1000 + 1);
        assert!(finish_step(&app, &first, &handle, &answer).await.error().is_some(), "expired");

        assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, sessions_before, "no session was made");
        let reasons: Vec<String> = sqlx::query("SELECT detail FROM security_events WHERE kind = 'passkey_failed'")
            .fetch_all(&app.pool).await.unwrap().iter().map(|row| row.get::<String, _>(0)).collect();
        assert!(reasons.join(" ").contains("unknown_credential"), "{reasons:?}");
    }

    async fn sudo_mode_accepts_a_passkey_instead_of_password_and_code(app) {
        let mut cookie = app.sign_up("Dee", "dee@example.com", STRONG_PASSWORD).await;
        let id = user_id(&app, "dee@example.com").await;
        let mut device = Device::for_app(&app);
        let credential_id = add_passkey(&app, &mut cookie, &mut device, "Laptop").await;
        enable_totp(&app, &mut cookie).await;
        let mut second_session = app.sign_in("dee@example.com", STRONG_PASSWORD).await.session_cookie(CHALLENGE).unwrap();
        app.clock.advance(2 * 60 * 60 * 1000);
        let refused = app.call("regenerate_backup_codes", &[], Some(&cookie)).await;
        assert_eq!(refused.error(), Some(AppError::ReauthRequired));
        let status: Value = json(&app.call("list_passkeys", &[], Some(&cookie)).await);
        assert_eq!(status["sudo_factor"], serde_json::json!({"method": "Totp", "passkey": true, "passwordless": false}));

        // A sudo ceremony is this session's: another cannot finish it.
        let started = json(&app.call("start_passkey_sudo", &[], Some(&cookie)).await);
        let answer = device.get(started["options"].as_str().unwrap(), &credential_id, &id);
        let mut other = app.sign_up("Eve", "eve@example.com", STRONG_PASSWORD).await;
        let stolen = app.call_rotating("finish_passkey_sudo", &[("handle", started["handle"].as_str().unwrap()), ("credential", &answer)], &mut other).await;
        assert!(is_credential_error(&stolen), "{}", stolen.body);
        assert_eq!(app.call("start_passkey_sudo", &[], Some(&second_session)).await.error(), Some(AppError::Unauthenticated), "half signed in is not signed in");
        second_session.clear();

        let reply = sudo_by_passkey(&app, &mut cookie, &mut device, &credential_id, &id).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let regenerated = app.call("regenerate_backup_codes", &[], Some(&cookie)).await;
        assert!(regenerated.error().is_none(), "the passkey opened sudo mode: {}", regenerated.body);
        let last_used: Option<i64> = sqlx::query_scalar("SELECT last_used_at FROM passkeys").fetch_one(&app.pool).await.unwrap();
        assert!(last_used.is_some(), "the confirmation counts as a use");
    }

    async fn two_factor_can_rest_on_passkeys_alone_with_backup_codes(app) {
        let mut cookie = app.sign_up("Fay", "fay@example.com", STRONG_PASSWORD).await;
        let id = user_id(&app, "fay@example.com").await;
        let reply = app.call("use_passkeys_for_two_factor", &[("password", STRONG_PASSWORD)], Some(&cookie)).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "method"), "no passkey yet: {}", reply.body);
        let reply = app.call("start_two_factor_enrolment", &[("method", "passkey"), ("password", STRONG_PASSWORD)], Some(&cookie)).await;
        assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "method"), "{}", reply.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE two_factor_method IS NOT NULL").await, 0);

        let mut device = Device::for_app(&app);
        let credential_id = add_passkey(&app, &mut cookie, &mut device, "Laptop").await;
        let reply = app.call_rotating("use_passkeys_for_two_factor", &[("password", STRONG_PASSWORD)], &mut cookie).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let codes: Vec<String> = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(codes.len(), 10, "backup codes, as for the other methods");
        let status = json(&app.call("two_factor_status", &[], Some(&cookie)).await);
        assert_eq!(status["enabled"]["method"], "Passkey", "{status}");
        assert_eq!(status["enabled"]["backup_codes_left"], 10);
        let again = app.call("use_passkeys_for_two_factor", &[], Some(&cookie)).await;
        assert!(matches!(again.error(), Some(AppError::Validation { .. })), "{}", again.body);
        assert!(app.event_kinds().await.contains(&"two_factor_enabled".to_string()));

        let half = challenge(&app, "fay@example.com").await;
        assert!(matches!(verify(&app, &half, "123456").await.error(), Some(AppError::Validation { .. } | AppError::InvalidCode)), "no six digits stand in for a passkey");
        let (handle, options) = start_step(&app, &half).await;
        let reply = finish_step(&app, &half, &handle, &device.get(&options, &credential_id, &id)).await;
        assert!(reply.session_cookie(app.cookie_name).is_some(), "{}", reply.body);
        let half = challenge(&app, "fay@example.com").await;
        let reply = verify(&app, &half, &codes[0]).await;
        assert!(reply.session_cookie(app.cookie_name).is_some(), "a backup code when the passkeys are lost: {}", reply.body);

        let passkey_id = passkeys(&app, &cookie).await[0]["id"].as_str().unwrap().to_string();
        let reply = app.call("remove_passkey", &[("passkey_id", &passkey_id), ("password", STRONG_PASSWORD)], Some(&cookie)).await;
        assert!(is_credential_error(&reply), "the last passkey of passkey-only 2FA stays: {}", reply.body);
        assert_eq!(passkeys(&app, &cookie).await.len(), 1);
        // With 2FA on passkeys, a passkey opens sudo mode for adding another.
        app.clock.advance(2 * 60 * 60 * 1000);
        assert!(sudo_by_passkey(&app, &mut cookie, &mut device, &credential_id, &id).await.error().is_none());
        let started = json(&app.call("start_passkey_registration", &[], Some(&cookie)).await);
        let mut spare = Device::for_app(&app);
        let created = spare.create(started["options"].as_str().unwrap());
        let added = app.call("finish_passkey_registration", &[("handle", started["handle"].as_str().unwrap()), ("credential", &created)], Some(&cookie)).await;
        assert!(added.error().is_none(), "{}", added.body);
        let reply = app.call_rotating("remove_passkey", &[("passkey_id", &passkey_id)], &mut cookie).await;
        assert!(reply.error().is_none(), "with another passkey left it may go: {}", reply.body);
    }

    async fn this_wasnt_me_turns_off_2fa_that_rested_on_the_intruders_passkey(app) {
        app.sign_up("Gil", "gil@example.com", STRONG_PASSWORD).await;
        let mut intruder = app.sign_in("gil@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        let mut device = Device::for_app(&app);
        add_passkey(&app, &mut intruder, &mut device, "Backdoor").await;
        let reply = app.call_rotating("use_passkeys_for_two_factor", &[("password", STRONG_PASSWORD)], &mut intruder).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let mail = app.mail_to("gil@example.com", "A passkey was added to your account").await;
        let token = link_token(&mail, "/this-wasnt-me");
        let reported = app.call("report_not_me", &[("token", &token)], None).await;
        assert!(reported.error().is_none(), "{}", reported.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM passkeys").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE two_factor_method IS NOT NULL").await, 0, "no 2FA left that only the intruder could pass");
        assert_eq!(app.count("SELECT COUNT(*) FROM backup_codes").await, 0);
    }
}
