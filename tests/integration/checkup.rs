//! The security checkup over HTTP: every item appears when its condition
//! holds and disappears (passes) when it no longer does, driven through the
//! real server functions and the API, with time moved in the database where
//! it must pass.

use crate::helpers::*;
use crate::two_factor::{challenge, enable_totp, verify};
use reqwest::Method;
use sqlx::Row;
use statusstack::api_keys::IssuedKey;
use statusstack::checkup::{CheckStatus, CheckupItem, CheckupItemId as Id, Grade, SecurityCheckup};
use statusstack::error::AppError;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const NIL_UUID: &str = "0190f3a2-7b1c-7d4e-8f00-0123456789ab";

async fn checkup(app: &TestApp, cookie: &str) -> SecurityCheckup {
    let reply = app.call("security_checkup", &[], Some(cookie)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{e}: {}", reply.body))
}

/// The item, which must be in the checkup.
async fn item(app: &TestApp, cookie: &str, id: Id) -> CheckupItem {
    let checkup = checkup(app, cookie).await;
    checkup
        .item(id)
        .cloned()
        .unwrap_or_else(|| panic!("no {id:?} in {checkup:?}"))
}

/// Asserts the item needs attention (with a fix link) and returns it.
async fn flagged(app: &TestApp, cookie: &str, id: Id, status: CheckStatus) -> CheckupItem {
    let found = item(app, cookie, id).await;
    assert_eq!(found.status, status, "{found:?}");
    assert!(
        !found.fix_href.is_empty() && !found.fix_label.is_empty(),
        "{found:?}"
    );
    found
}

async fn passes(app: &TestApp, cookie: &str, id: Id) {
    let found = item(app, cookie, id).await;
    assert_eq!(found.status, CheckStatus::Pass, "{found:?}");
}

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.pool).await.unwrap();
}

async fn create_key(
    app: &TestApp,
    cookie: &str,
    name: &str,
    permission: &str,
    expiry: &str,
) -> IssuedKey {
    let reply = app
        .call(
            "create_api_key",
            &[
                ("name", name),
                ("permission", permission),
                ("expiry", expiry),
            ],
            Some(cookie),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

/// Moves a key's creation (and so its secret's age) `days` into the past.
async fn age_key(app: &TestApp, key_id: &str, days: i64) {
    sqlx::query("UPDATE api_keys SET created_at = created_at - $1 WHERE id = $2")
        .bind(days * DAY_MS)
        .bind(key_id)
        .execute(&app.pool)
        .await
        .unwrap();
}

async fn key_times(app: &TestApp, key_id: &str) -> (Option<i64>, Option<i64>) {
    let row = sqlx::query("SELECT write_used_at, admin_used_at FROM api_keys WHERE id = $1")
        .bind(key_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    (row.get(0), row.get(1))
}

both_databases! {
    async fn the_checkup_refuses_signed_out_callers(app) {
        for cookie in [None, Some("ss_session=not-a-real-session-token")] {
            let reply = app.call("security_checkup", &[], cookie).await;
            assert_eq!(reply.error(), Some(AppError::Unauthenticated), "{}", reply.body);
        }
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        app.call("sign_out", &[], Some(&cookie)).await;
        assert_eq!(app.call("security_checkup", &[], Some(&cookie)).await.error(), Some(AppError::Unauthenticated));
    }

    async fn a_new_account_is_asked_only_for_two_factor_and_a_passkey(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let checkup = checkup(&app, &cookie).await;
        let to_fix: Vec<Id> = checkup.to_fix().map(|i| i.id).collect();
        assert_eq!(to_fix, [Id::TwoFactor, Id::Passkey], "the failure first, then the warning: {checkup:?}");
        assert_eq!(checkup.items[0].fix_href, "#two-factor");
        assert_eq!(checkup.items[1].fix_href, "/settings/authentication");
        assert!(checkup.item(Id::BackupCodes).is_none() && checkup.item(Id::SessionsWithoutTwoFactor).is_none());
        for id in [Id::ApiKeyRotation, Id::ApiKeysUnused, Id::ApiKeysWithoutExpiry, Id::ApiKeysOverPrivileged] {
            assert_eq!(checkup.item(id).map(|i| i.title.as_str()), Some("No API keys"));
        }
        assert!(checkup.score < 100);
        assert_eq!(checkup.grade(), Grade::NeedsAttention);
        let page = app.get("/settings/security", Some(&cookie)).await;
        assert!(page.body.contains("data-testid=\"security-checkup\""), "the checkup is on the page");
    }

    async fn password_strength_appears_when_weak_or_unknown_and_clears_when_the_password_is_seen(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        passes(&app, &cookie, Id::PasswordStrength).await;
        exec(&app, "UPDATE users SET password_score = 1").await;
        flagged(&app, &cookie, Id::PasswordStrength, CheckStatus::Fail).await;
        // Change password records the new one's score.
        let reply = app.call("change_password", &[("current_password", STRONG_PASSWORD), ("new_password", OTHER_STRONG_PASSWORD)], Some(&cookie)).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let cookie = reply.session_cookie(app.cookie_name).expect("a new session token");
        passes(&app, &cookie, Id::PasswordStrength).await;
        // Unknown asks for a sign-in; signing in records it.
        exec(&app, "UPDATE users SET password_score = NULL").await;
        let unknown = flagged(&app, &cookie, Id::PasswordStrength, CheckStatus::Warn).await;
        assert!(unknown.detail.contains("Sign in again"), "{unknown:?}");
        let signed_in = app.sign_in("ada@example.com", OTHER_STRONG_PASSWORD).await;
        let cookie = signed_in.session_cookie(app.cookie_name).expect("signed in");
        passes(&app, &cookie, Id::PasswordStrength).await;
        // A reset records it too.
        exec(&app, "UPDATE users SET password_score = 0").await;
        flagged(&app, &cookie, Id::PasswordStrength, CheckStatus::Fail).await;
        let user_id: String = sqlx::query_scalar("SELECT id FROM users").fetch_one(&app.pool).await.unwrap();
        use statusstack::recovery::server::{links::{LinkRequest, issue_link}, store::Purpose};
        let link = LinkRequest { purpose: Purpose::PasswordReset, user_id: &user_id, subject: "", sent_to: "ada@example.com", session_id: None, ttl_ms: 60_000 };
        let url = issue_link(&app.state, &link).await.unwrap();
        let token = url.split("token=").nth(1).unwrap();
        let reply = app.call("reset_password", &[("token", token), ("new_password", STRONG_PASSWORD)], None).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let score: Option<i64> = sqlx::query_scalar("SELECT password_score FROM users").fetch_one(&app.pool).await.unwrap();
        assert!(score.is_some_and(|s| s >= 3), "{score:?}");
    }

    async fn password_age_appears_after_a_year_and_clears_when_changed(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        passes(&app, &cookie, Id::PasswordAge).await;
        exec(&app, &format!("UPDATE users SET password_changed_at = {}", now() - 366 * DAY_MS)).await;
        let old = flagged(&app, &cookie, Id::PasswordAge, CheckStatus::Warn).await;
        assert_eq!(old.fix_href, "#password");
        let reply = app.call("change_password", &[("current_password", STRONG_PASSWORD), ("new_password", OTHER_STRONG_PASSWORD)], Some(&cookie)).await;
        let cookie = reply.session_cookie(app.cookie_name).expect("a new session token");
        passes(&app, &cookie, Id::PasswordAge).await;
    }

    async fn two_factor_fails_when_off_warns_for_sms_and_passes_with_an_app(app) {
        let mut cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        flagged(&app, &cookie, Id::TwoFactor, CheckStatus::Fail).await;
        let before = checkup(&app, &cookie).await.score;
        enable_totp(&app, &mut cookie).await;
        passes(&app, &cookie, Id::TwoFactor).await;
        // Switching to SMS earns less.
        let reply = app.call("start_two_factor_enrolment", &[("method", "sms"), ("phone", "+14155550123")], Some(&cookie)).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let code = app.last_sms_code().await;
        let reply = app.call_rotating("confirm_two_factor_enrolment", &[("code", &code)], &mut cookie).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let sms = flagged(&app, &cookie, Id::TwoFactor, CheckStatus::Warn).await;
        assert!(sms.detail.contains("SMS counts less than an authenticator app"), "{sms:?}");
        let with_sms = checkup(&app, &cookie).await.score;
        assert!(with_sms > before, "{with_sms} > {before}");
        let reply = app.call("disable_two_factor", &[], Some(&cookie)).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        flagged(&app, &cookie, Id::TwoFactor, CheckStatus::Fail).await;
    }

    async fn backup_codes_warn_when_low_fail_when_gone_and_clear_when_regenerated(app) {
        let mut cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let (_, _, codes) = enable_totp(&app, &mut cookie).await;
        passes(&app, &cookie, Id::BackupCodes).await;
        for code in &codes[..7] {
            let half = challenge(&app, "ada@example.com").await;
            assert!(verify(&app, &half, code).await.error().is_none());
        }
        let low = flagged(&app, &cookie, Id::BackupCodes, CheckStatus::Warn).await;
        assert_eq!(low.title, "Only 3 backup codes left");
        for code in &codes[7..] {
            let half = challenge(&app, "ada@example.com").await;
            assert!(verify(&app, &half, code).await.error().is_none());
        }
        flagged(&app, &cookie, Id::BackupCodes, CheckStatus::Fail).await;
        let reply = app.call("regenerate_backup_codes", &[], Some(&cookie)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        passes(&app, &cookie, Id::BackupCodes).await;
    }

    async fn sessions_review_appears_after_thirty_days_and_clears_when_reviewed(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        passes(&app, &cookie, Id::SessionsReview).await;
        exec(&app, &format!("UPDATE users SET created_at = {}", now() - 31 * DAY_MS)).await;
        flagged(&app, &cookie, Id::SessionsReview, CheckStatus::Warn).await;
        assert!(app.call("mark_sessions_reviewed", &[], Some(&cookie)).await.error().is_none());
        passes(&app, &cookie, Id::SessionsReview).await;
        exec(&app, &format!("UPDATE users SET sessions_reviewed_at = {}", now() - 31 * DAY_MS)).await;
        let due = flagged(&app, &cookie, Id::SessionsReview, CheckStatus::Warn).await;
        assert_eq!(due.fix_href, "#sessions");
    }

    async fn password_only_sessions_appear_once_two_factor_is_on_and_clear_when_signed_out(app) {
        let mut cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let other = app.sign_in("ada@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        assert!(checkup(&app, &cookie).await.item(Id::SessionsWithoutTwoFactor).is_none(), "only with 2FA on");
        let (secret, step, _) = enable_totp(&app, &mut cookie).await;
        let found = flagged(&app, &cookie, Id::SessionsWithoutTwoFactor, CheckStatus::Warn).await;
        assert_eq!(found.affected.len(), 1, "the caller's own session is not listed: {found:?}");
        assert!(found.affected[0].contains(" · active "), "{found:?}");
        assert_eq!(found.fix_label, "Sign out sessions without 2FA");
        // A sign-in with the second factor is not listed.
        let half = challenge(&app, "ada@example.com").await;
        let code = statusstack::server::crypto::totp::code_at_step(&secret, step + 1, 6);
        let with_2fa = verify(&app, &half, &code).await.session_cookie(app.cookie_name).expect("signed in with 2FA");
        assert_eq!(item(&app, &with_2fa, Id::SessionsWithoutTwoFactor).await.affected.len(), 2);
        let reply = app.call("revoke_other_sessions", &[("scope", "without_2fa")], Some(&with_2fa)).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        assert!(!app.is_signed_in(&other).await && !app.is_signed_in(&cookie).await);
        passes(&app, &with_2fa, Id::SessionsWithoutTwoFactor).await;
    }

    async fn rotation_appears_at_ninety_days_and_clears_when_rotated_or_expired(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let key = create_key(&app, &cookie, "ci-deploy", "read", "90").await.key;
        let backup = create_key(&app, &cookie, "backup", "read", "90").await.key;
        passes(&app, &cookie, Id::ApiKeyRotation).await;
        age_key(&app, &key.id, 91).await;
        age_key(&app, &backup.id, 120).await;
        let due = flagged(&app, &cookie, Id::ApiKeyRotation, CheckStatus::Warn).await;
        assert_eq!(due.title, "2 API keys are due for rotation");
        assert!(due.detail.contains("ci-deploy") && due.detail.contains("backup"), "{due:?}");
        assert_eq!(due.fix_href, "/settings/api-keys#keys");
        let reply = app.call("rotate_api_key", &[("key_id", &key.id), ("grace", "none")], Some(&cookie)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let due = flagged(&app, &cookie, Id::ApiKeyRotation, CheckStatus::Warn).await;
        assert_eq!(due.title, "1 API key is due for rotation");
        // An expired key is no longer checked.
        exec(&app, &format!("UPDATE api_keys SET expires_at = {} WHERE name = 'backup'", now() - 1000)).await;
        passes(&app, &cookie, Id::ApiKeyRotation).await;
    }

    async fn unused_keys_appear_after_thirty_days_and_clear_when_used_or_revoked(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let issued = create_key(&app, &cookie, "grafana", "read", "90").await;
        passes(&app, &cookie, Id::ApiKeysUnused).await;
        age_key(&app, &issued.key.id, 31).await;
        let idle = flagged(&app, &cookie, Id::ApiKeysUnused, CheckStatus::Warn).await;
        assert_eq!(idle.affected, ["grafana: never used"]);
        assert_eq!(app.api(Method::GET, "/api/v1/me", &issued.token).await.status, 200);
        passes(&app, &cookie, Id::ApiKeysUnused).await;
        exec(&app, &format!("UPDATE api_keys SET last_used_at = {}", now() - 31 * DAY_MS)).await;
        flagged(&app, &cookie, Id::ApiKeysUnused, CheckStatus::Warn).await;
        let reply = app.call("revoke_api_key", &[("key_id", &issued.key.id)], Some(&cookie)).await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let gone = item(&app, &cookie, Id::ApiKeysUnused).await;
        assert_eq!((gone.status, gone.title.as_str()), (CheckStatus::Pass, "No API keys"));
    }

    async fn keys_without_expiry_appear_and_clear_when_revoked(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        create_key(&app, &cookie, "expiring", "read", "30").await;
        passes(&app, &cookie, Id::ApiKeysWithoutExpiry).await;
        let forever = create_key(&app, &cookie, "forever", "read", "never").await.key;
        let found = flagged(&app, &cookie, Id::ApiKeysWithoutExpiry, CheckStatus::Warn).await;
        assert_eq!(found.affected, ["forever: never expires"]);
        app.call("revoke_api_key", &[("key_id", &forever.id)], Some(&cookie)).await;
        passes(&app, &cookie, Id::ApiKeysWithoutExpiry).await;
    }

    async fn over_privileged_keys_appear_after_thirty_days_and_clear_when_the_level_is_used(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let write = create_key(&app, &cookie, "deploy-bot", "write", "90").await;
        let read = create_key(&app, &cookie, "grafana", "read", "90").await;
        age_key(&app, &write.key.id, 31).await;
        age_key(&app, &read.key.id, 31).await;
        let loose = flagged(&app, &cookie, Id::ApiKeysOverPrivileged, CheckStatus::Warn).await;
        assert_eq!(loose.affected, ["deploy-bot: Read/Write, needed only Read-only"]);
        // Reading is not writing; a request that needs Write is recorded (and throttled).
        assert_eq!(app.api(Method::GET, "/api/v1/sessions", &write.token).await.status, 200);
        assert_eq!(key_times(&app, &write.key.id).await, (None, None));
        let path = format!("/api/v1/sessions/{NIL_UUID}");
        assert_eq!(app.api(Method::DELETE, &path, &write.token).await.status, 404);
        let (first, _) = key_times(&app, &write.key.id).await;
        assert!(first.is_some());
        app.api(Method::DELETE, &path, &write.token).await;
        assert_eq!(key_times(&app, &write.key.id).await, (first, None), "one write a minute");
        passes(&app, &cookie, Id::ApiKeysOverPrivileged).await;
        exec(&app, &format!("UPDATE api_keys SET write_used_at = {}", now() - 91 * DAY_MS)).await;
        flagged(&app, &cookie, Id::ApiKeysOverPrivileged, CheckStatus::Warn).await;
        // An Admin key that needed only Write is flagged until it needs Admin.
        app.call("revoke_api_key", &[("key_id", &write.key.id)], Some(&cookie)).await;
        let admin = create_key(&app, &cookie, "ops", "admin", "90").await;
        age_key(&app, &admin.key.id, 31).await;
        app.api(Method::DELETE, &path, &admin.token).await;
        let loose = flagged(&app, &cookie, Id::ApiKeysOverPrivileged, CheckStatus::Warn).await;
        assert_eq!(loose.affected, ["ops: Admin, needed only Read/Write"]);
        assert_eq!(app.api(Method::GET, "/api/v1/api-keys", &admin.token).await.status, 200);
        assert!(key_times(&app, &admin.key.id).await.1.is_some());
        passes(&app, &cookie, Id::ApiKeysOverPrivileged).await;
    }
}
