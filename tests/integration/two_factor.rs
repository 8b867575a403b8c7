//! Two-factor authentication over HTTP: enrolment, the sign-in challenge,
//! replay and race protection, lockout, SMS limits, sudo mode, and what the
//! database holds.

use crate::helpers::*;
use serde_json::Value;
use sqlx::Row;
use statusstack::error::AppError;
use statusstack::server::crypto::totp::code_at_step;

const CHALLENGE: &str = "ss_challenge";

fn now_step() -> u64 {
    (statusstack::time::now_ms() / 1000 / 30) as u64
}

fn decode_base32(text: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u32, Vec::new());
    for c in text.bytes().filter(|c| *c != b' ') {
        let index = alphabet.iter().position(|a| *a == c).expect("base32 digit") as u32;
        value = (value << 5) | index;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    out
}

async fn status(app: &TestApp, cookie: &str) -> Value {
    let reply = app.call("two_factor_status", &[], Some(cookie)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

/// Starts authenticator enrolment and returns the secret read off the page data.
async fn start_totp(app: &TestApp, cookie: &str) -> Vec<u8> {
    let reply = app
        .call(
            "start_two_factor_enrolment",
            &[("method", "totp")],
            Some(cookie),
        )
        .await;
    assert!(reply.error().is_none(), "{}", reply.body);
    let status = status(app, cookie).await;
    let key = status["pending"]["manual_key"]
        .as_str()
        .expect("manual key")
        .to_string();
    assert!(
        status["pending"]["qr_svg"]
            .as_str()
            .unwrap()
            .starts_with("<svg")
    );
    let secret = decode_base32(&key);
    assert_eq!(secret.len(), 20, "a 160-bit secret");
    secret
}

/// Turns on the authenticator app; returns the secret, the step used and the backup codes.
pub async fn enable_totp(app: &TestApp, cookie: &str) -> (Vec<u8>, u64, Vec<String>) {
    let secret = start_totp(app, cookie).await;
    let step = now_step();
    let code = code_at_step(&secret, step, 6);
    let reply = app
        .call(
            "confirm_two_factor_enrolment",
            &[("code", &code)],
            Some(cookie),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let codes: Option<Vec<String>> = serde_json::from_str(&reply.body).unwrap();
    let codes = codes.expect("backup codes on first enable");
    assert_eq!(codes.len(), 10);
    (secret, step, codes)
}

/// Signs in with the password; returns the challenge cookie pair.
pub(crate) async fn challenge(app: &TestApp, email: &str) -> String {
    let reply = app.sign_in(email, STRONG_PASSWORD).await;
    assert!(reply.error().is_none(), "{}", reply.body);
    assert!(
        reply.session_cookie(app.cookie_name).is_none(),
        "no session before the second factor"
    );
    assert_eq!(reply.location(), Some("/login/two-factor"));
    reply.session_cookie(CHALLENGE).expect("challenge cookie")
}

pub(crate) async fn verify(app: &TestApp, challenge: &str, code: &str) -> Reply {
    app.call("verify_sign_in_code", &[("code", code)], Some(challenge))
        .await
}

async fn users_row_text(app: &TestApp) -> String {
    let rows = sqlx::query(
        "SELECT COALESCE(totp_secret_sealed, '') AS s, COALESCE(sms_phone, '') AS p FROM users",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    rows.iter()
        .map(|r| format!("{} {}", r.get::<String, _>("s"), r.get::<String, _>("p")))
        .collect()
}

both_databases! {
    async fn enrolment_turns_on_only_with_a_valid_code(app) {
        let cookie = app.sign_up("Tia", "tia@example.com", STRONG_PASSWORD).await;
        let secret = start_totp(&app, &cookie).await;
        let wrong = app.call("confirm_two_factor_enrolment", &[("code", "000000")], Some(&cookie)).await;
        let right_now = code_at_step(&secret, now_step(), 6);
        if right_now != "000000" {
            assert_eq!(wrong.error(), Some(AppError::InvalidCode));
        }
        assert!(status(&app, &cookie).await["enabled"].is_null(), "still off");
        let far = code_at_step(&secret, now_step() + 3, 6);
        let reply = app.call("confirm_two_factor_enrolment", &[("code", &far)], Some(&cookie)).await;
        assert_eq!(reply.error(), Some(AppError::InvalidCode), "three steps ahead is outside the window");
        let ok = app.call("confirm_two_factor_enrolment", &[("code", &right_now)], Some(&cookie)).await;
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

    async fn sign_in_asks_for_the_second_factor_and_refuses_a_replayed_code(app) {
        app.sign_up("Vic", "vic@example.com", STRONG_PASSWORD).await;
        let cookie = app.sign_in("vic@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        let (secret, step, _) = enable_totp(&app, &cookie).await;
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
        let cookie = app.sign_up("Wes", "wes@example.com", STRONG_PASSWORD).await;
        let (_, _, codes) = enable_totp(&app, &cookie).await;
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
        let cookie = app.sign_up("Xia", "xia@example.com", STRONG_PASSWORD).await;
        enable_totp(&app, &cookie).await;
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
        let cookie = app.sign_up("Yan", "yan@example.com", STRONG_PASSWORD).await;
        let (secret, step, _) = enable_totp(&app, &cookie).await;
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

    async fn malformed_codes_are_refused_and_change_nothing(app) {
        let cookie = app.sign_up("Zed", "zed@example.com", STRONG_PASSWORD).await;
        let secret = start_totp(&app, &cookie).await;
        let huge = "1".repeat(10 * 1024);
        let bad = ["abcdef", "12345", "1234567", "١٢٣٤٥٦", "１２３４５６", "12 34 5", "", huge.as_str()];
        for code in bad {
            let reply = app.call("confirm_two_factor_enrolment", &[("code", code)], Some(&cookie)).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "code"), "{code:.20}: {}", reply.body);
        }
        assert!(status(&app, &cookie).await["enabled"].is_null());
        assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_enrolments").await, 1);
        let code = code_at_step(&secret, now_step(), 6);
        assert_eq!(app.call("confirm_two_factor_enrolment", &[("code", &code)], Some(&cookie)).await.status, 200);
        let half = challenge(&app, "zed@example.com").await;
        for code in bad.iter().chain(["abcde-fghj1", "0bcdefghjk"].iter()) {
            let reply = verify(&app, &half, code).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "code"), "{code:.20}: {}", reply.body);
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM rate_limits WHERE bucket LIKE '2fa-attempts:%'").await, 0, "malformed input costs no attempt");
        assert_eq!(app.call("start_two_factor_enrolment", &[("method", "email")], Some(&cookie)).await.error(),
            Some(AppError::validation("method", "Choose an authenticator app or SMS.")));
    }

    async fn racing_one_totp_code_signs_in_exactly_once(app) {
        let cookie = app.sign_up("Ray", "ray@example.com", STRONG_PASSWORD).await;
        let (secret, _, _) = enable_totp(&app, &cookie).await;
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
        let cookie = app.sign_up("Rue", "rue@example.com", STRONG_PASSWORD).await;
        let (_, _, mut codes) = enable_totp(&app, &cookie).await;
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

    async fn sudo_mode_guards_every_sensitive_two_factor_action(app) {
        let cookie = app.sign_up("Sue", "sue@example.com", STRONG_PASSWORD).await;
        let (secret, _, _) = enable_totp(&app, &cookie).await;
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
            let reply = app.call(name, &full, Some(&cookie)).await;
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

    async fn the_database_holds_no_plaintext_secret_or_code(app) {
        let cookie = app.sign_up("Dee", "dee@example.com", STRONG_PASSWORD).await;
        let (secret, _, codes) = enable_totp(&app, &cookie).await;
        let base32_key = {
            let status = app.call("two_factor_status", &[], Some(&cookie)).await;
            assert!(!status.body.contains("manual_key\":\""), "the key is never sent again: {}", status.body);
            secret.iter().map(|b| format!("{b:02x}")).collect::<String>()
        };
        let users = users_row_text(&app).await;
        assert!(!users.contains(&base32_key));
        let codes_table: Vec<String> = sqlx::query("SELECT code_mac FROM backup_codes").fetch_all(&app.pool).await.unwrap()
            .iter().map(|r| r.get::<String, _>(0)).collect();
        assert_eq!(codes_table.len(), 10);
        for code in &codes {
            let plain = code.replace('-', "");
            assert!(codes_table.iter().all(|mac| !mac.contains(&plain) && mac.len() == 64));
        }
        let page = app.get("/settings/security", Some(&cookie)).await;
        for code in &codes {
            assert!(!page.body.contains(code.as_str()), "backup codes are never rendered again");
        }
    }
}

mod sms {
    use super::*;

    async fn outbox_code(app: &TestApp) -> String {
        let body: String =
            sqlx::query("SELECT body FROM sms_outbox ORDER BY created_at DESC, id DESC LIMIT 1")
                .fetch_one(&app.pool)
                .await
                .unwrap()
                .get(0);
        body.split(|c: char| !c.is_ascii_digit())
            .find(|part| part.len() == 6)
            .expect("a 6-digit code")
            .to_string()
    }

    async fn allow_resend(app: &TestApp) {
        sqlx::query("UPDATE sms_codes SET sent_at = sent_at - 61000")
            .execute(&app.pool)
            .await
            .unwrap();
    }

    both_databases! {
        async fn sms_enrolment_and_sign_in_use_codes_bound_to_their_purpose(app) {
            let cookie = app.sign_up("Sam", "sam@example.com", STRONG_PASSWORD).await;
            let reply = app.call("start_two_factor_enrolment", &[("method", "sms"), ("phone", "+1 (415) 555-0123")], Some(&cookie)).await;
            assert!(reply.error().is_none(), "{}", reply.body);
            let pending = status(&app, &cookie).await;
            assert_eq!(pending["pending"]["phone"].as_str().map(|p| p.ends_with("0123")), Some(true));
            let code = outbox_code(&app).await;
            let sms_codes = sqlx::query("SELECT code_mac, phone FROM sms_codes").fetch_one(&app.pool).await.unwrap();
            assert!(!sms_codes.get::<String, _>(0).contains(&code), "stored as a MAC");
            assert_eq!(sms_codes.get::<String, _>(1), "+14155550123");
            let ok = app.call("confirm_two_factor_enrolment", &[("code", &code)], Some(&cookie)).await;
            assert_eq!(ok.status, 200, "{}", ok.body);
            assert_eq!(status(&app, &cookie).await["enabled"]["method"], "Sms");
            let half = challenge(&app, "sam@example.com").await;
            assert_eq!(verify(&app, &half, &code).await.error(), Some(AppError::InvalidCode), "the enrolment code is not a sign-in code");
            assert!(app.call("send_sign_in_sms", &[], Some(&half)).await.error().is_none());
            let first = outbox_code(&app).await;
            allow_resend(&app).await;
            assert!(app.call("send_sign_in_sms", &[], Some(&half)).await.error().is_none());
            let second = outbox_code(&app).await;
            if first != second {
                assert_eq!(verify(&app, &half, &first).await.error(), Some(AppError::InvalidCode), "a resend replaces the code");
            }
            let reply = verify(&app, &half, &second).await;
            assert!(reply.error().is_none(), "{}", reply.body);
            let method: String = sqlx::query("SELECT auth_method FROM sessions ORDER BY created_at DESC LIMIT 1")
                .fetch_one(&app.pool).await.unwrap().get(0);
            assert_eq!(method, "password+sms");
        }

        async fn sms_sends_are_limited_per_user_per_number_and_by_countdown(app) {
            let cookie = app.sign_up("Lim", "lim@example.com", STRONG_PASSWORD).await;
            let start = |cookie: String| {
                let app = &app;
                async move { app.call("start_two_factor_enrolment", &[("method", "sms"), ("phone", "+447911123456")], Some(&cookie)).await }
            };
            assert!(start(cookie.clone()).await.error().is_none());
            match app.call("resend_two_factor_enrolment_sms", &[], Some(&cookie)).await.error() {
                Some(AppError::RateLimited { retry_after }) => assert!(retry_after > 55 && retry_after <= 60),
                other => panic!("resend inside the countdown: {other:?}"),
            }
            for _ in 0..4 {
                allow_resend(&app).await;
                assert!(app.call("resend_two_factor_enrolment_sms", &[], Some(&cookie)).await.error().is_none());
            }
            allow_resend(&app).await;
            assert!(matches!(app.call("resend_two_factor_enrolment_sms", &[], Some(&cookie)).await.error(), Some(AppError::RateLimited { .. })), "6th send in an hour");
            assert_eq!(app.count("SELECT COUNT(*) FROM sms_outbox").await, 5);
            let other = app.sign_up("Two", "two@example.com", STRONG_PASSWORD).await;
            for _ in 0..5 {
                allow_resend(&app).await;
                assert!(start(other.clone()).await.error().is_none());
            }
            let third = app.sign_up("Three", "three@example.com", STRONG_PASSWORD).await;
            assert!(matches!(start(third).await.error(), Some(AppError::RateLimited { .. })), "11th send to one number in a day");
            assert_eq!(app.count("SELECT COUNT(*) FROM sms_outbox").await, 10);
        }

        async fn malformed_phone_numbers_are_refused_and_nothing_is_sent(app) {
            let cookie = app.sign_up("Pho", "pho@example.com", STRONG_PASSWORD).await;
            let huge = "+1".repeat(5000);
            for phone in ["", "4155550123", "+1 415 CALL NOW", "+0123456789", "+123", "+1234567890123456", "00441234567890", "+١٢٣٤٥٦٧٨٩", huge.as_str()] {
                let reply = app.call("start_two_factor_enrolment", &[("method", "sms"), ("phone", phone)], Some(&cookie)).await;
                assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "phone"), "{phone:.20}: {}", reply.body);
            }
            assert_eq!(app.count("SELECT COUNT(*) FROM two_factor_enrolments").await, 0);
            assert_eq!(app.count("SELECT COUNT(*) FROM sms_outbox").await, 0);
            assert_eq!(app.count("SELECT COUNT(*) FROM sms_codes").await, 0);
        }
    }
}

both_databases! {
    async fn every_two_factor_change_is_mailed_once_without_a_code_in_it(app) {
        let smtp = crate::mail::FakeSmtp::start().await;
        let app = crate::mail::spawn_with_smtp(app.db(), smtp.port).await;
        let cookie = app.sign_up("Wes", "wes@example.com", STRONG_PASSWORD).await;
        let (secret, step, _) = enable_totp(&app, &cookie).await;
        // A replayed code at sign-in is refused, and the owner hears of it.
        let first = challenge(&app, "wes@example.com").await;
        let replayed = code_at_step(&secret, step, 6);
        assert!(verify(&app, &first, &replayed).await.error().is_some());
        let reply = app.call("regenerate_backup_codes", &[], Some(&cookie)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let codes: Vec<String> = serde_json::from_str(&reply.body).unwrap();
        // Seven sign-ins with backup codes leave three: that is worth a warning, once.
        for code in &codes[..7] {
            let attempt = challenge(&app, "wes@example.com").await;
            let reply = verify(&app, &attempt, code).await;
            assert!(reply.error().is_none(), "{}", reply.body);
        }
        let off_code = code_at_step(&secret, step + 1, 6);
        let reply = app.call("disable_two_factor", &[("password", STRONG_PASSWORD), ("code", &off_code)], Some(&cookie)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let subjects = [
            "Two-factor authentication was turned on",
            "A reused authenticator code was refused",
            "New backup codes were generated",
            "Only 3 backup codes left",
            "Two-factor authentication was turned off",
        ];
        smtp.wait_for(subjects.len()).await;
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        let messages = smtp.received();
        assert_eq!(messages.len(), subjects.len(), "{messages:?}");
        for subject in subjects {
            let matching: Vec<_> = messages.iter().filter(|m| crate::mail::unfolded(m).contains(&format!("Subject: [StatusStack] {subject}"))).collect();
            assert_eq!(matching.len(), 1, "{subject}");
        }
        for message in &messages {
            let message = crate::mail::unfolded(message);
            for secret in codes.iter().map(String::as_str).chain([replayed.as_str(), off_code.as_str(), STRONG_PASSWORD]) {
                assert!(!message.contains(&format!(" {secret}")) && !message.contains(&format!("{secret}\n")), "a code in {message}");
            }
        }
    }
}
