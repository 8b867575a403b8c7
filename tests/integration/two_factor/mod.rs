//! Two-factor authentication over HTTP: enrolment, the sign-in challenge,
//! replay and race protection, lockout, SMS limits, sudo mode, and what the
//! database holds.

mod challenge;
mod enrolment;
mod secrets;

use crate::helpers::*;
use serde_json::Value;
use sqlx::Row;
use statusstack::error::AppError;
use statusstack::server::crypto::totp::code_at_step;

pub(crate) const CHALLENGE: &str = "ss_challenge";

fn now_step() -> u64 {
    (statusstack::time::now_ms() / 1000 / 30) as u64
}

pub fn decode_base32(text: &str) -> Vec<u8> {
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

/// Turns on the authenticator app; returns the secret, the step used and the
/// backup codes. `cookie` becomes the session's new token, as turning 2FA on
/// rotates it.
pub async fn enable_totp(app: &TestApp, cookie: &mut String) -> (Vec<u8>, u64, Vec<String>) {
    let secret = start_totp(app, cookie).await;
    // The servers' clock, which a test may have set.
    let step = {
        use statusstack::server::clock::Clock;
        (app.clock.now_ms() / 1000 / 30) as u64
    };
    let code = code_at_step(&secret, step, 6);
    let reply = app
        .call_rotating("confirm_two_factor_enrolment", &[("code", &code)], cookie)
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

mod sms {
    use super::*;

    async fn allow_resend(app: &TestApp) {
        sqlx::query("UPDATE sms_codes SET sent_at = sent_at - 61000")
            .execute(&app.pool)
            .await
            .unwrap();
    }

    both_databases! {
        async fn sms_enrolment_and_sign_in_use_codes_bound_to_their_purpose(app) {
            let mut cookie = app.sign_up("Sam", "sam@example.com", STRONG_PASSWORD).await;
            let reply = app.call("start_two_factor_enrolment", &[("method", "sms"), ("phone", "+1 (415) 555-0123")], Some(&cookie)).await;
            assert!(reply.error().is_none(), "{}", reply.body);
            let pending = status(&app, &cookie).await;
            assert_eq!(pending["pending"]["phone"].as_str().map(|p| p.ends_with("0123")), Some(true));
            let code = app.last_sms_code().await;
            let sms_codes = sqlx::query("SELECT code_mac, phone FROM sms_codes").fetch_one(&app.pool).await.unwrap();
            assert!(!sms_codes.get::<String, _>(0).contains(&code), "stored as a MAC");
            assert_eq!(sms_codes.get::<String, _>(1), "+14155550123");
            let ok = app.call_rotating("confirm_two_factor_enrolment", &[("code", &code)], &mut cookie).await;
            assert_eq!(ok.status, 200, "{}", ok.body);
            assert_eq!(status(&app, &cookie).await["enabled"]["method"], "Sms");
            let half = challenge(&app, "sam@example.com").await;
            assert_eq!(verify(&app, &half, &code).await.error(), Some(AppError::InvalidCode), "the enrolment code is not a sign-in code");
            assert!(app.call("send_sign_in_sms", &[], Some(&half)).await.error().is_none());
            let first = app.last_sms_code().await;
            allow_resend(&app).await;
            assert!(app.call("send_sign_in_sms", &[], Some(&half)).await.error().is_none());
            let second = app.last_sms_code().await;
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
