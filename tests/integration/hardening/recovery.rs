//! Recovery that hands the account back: "This wasn't me" and a reset
//! through the emailed link undo what an intruder's session set up, and an
//! email change can neither outlive a recovery nor escape the old address.

use super::*;
use crate::api_keys::create_key_with;
use reqwest::Method;

const INTRUDER_UA: &str =
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

/// Signs in from the intruder's browser; returns its session cookie.
async fn intruder_signs_in(app: &TestApp, email: &str) -> String {
    let reply = app
        .call_with_headers(
            "sign_in",
            &[("email", email), ("password", STRONG_PASSWORD)],
            None,
            &[("origin", app.base.as_str()), ("user-agent", INTRUDER_UA)],
        )
        .await;
    reply
        .session_cookie(app.cookie_name)
        .unwrap_or_else(|| panic!("the intruder gets in: {}", reply.body))
}

/// A read key made by `cookie`'s session; returns its token.
async fn key_of(app: &TestApp, cookie: &str, name: &str) -> String {
    create_key_with(
        app,
        cookie,
        &[("name", name), ("permission", "read"), ("expiry", "30")],
    )
    .await
    .unwrap()
    .token
}

async fn email_of_account(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT email FROM users WHERE name = 'Pat'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

both_databases! {
    /// ASVS 5.0 7.4.3, 6.5.6: "This wasn't me" on the new-device notice ends
    /// that session and takes back what it set up: its API keys (and the
    /// keys those keys made), its pending email change (the link to the
    /// intruder's address stops working) and its team invitations; the
    /// owner's own key keeps working and the page lists what was undone.
    async fn this_wasnt_me_takes_back_what_the_intruders_session_made(app) {
        let owner = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        let owners_key = key_of(&app, &owner, "owner's deploy").await;
        let mut intruder = intruder_signs_in(&app, "pat@example.com").await;
        let planted = key_of(&app, &intruder, "backdoor").await;
        let admin = app.call_rotating("create_api_key", &[("name", "admin backdoor"), ("permission", "admin"), ("expiry", "never"), ("password", STRONG_PASSWORD)], &mut intruder).await;
        let admin: serde_json::Value = serde_json::from_str(&admin.body).unwrap_or_else(|_| panic!("{}", admin.body));
        let admin = admin["token"].as_str().unwrap().to_string();
        let grandchild = app
            .api_at(&app.base, Method::POST, "/api/v1/api-keys", &[("authorization", format!("Bearer {admin}").as_bytes()), ("content-type", b"application/json")], Some(r#"{"name": "made by a key", "permission": "read"}"#))
            .await;
        assert_eq!(grandchild.status, 201, "{}", grandchild.body);
        let grandchild: serde_json::Value = serde_json::from_str(&grandchild.body).unwrap();
        let grandchild = grandchild["token"].as_str().unwrap().to_string();
        let change = app.call_rotating("request_email_change", &[("new_email", "thief@evil.test"), ("password", STRONG_PASSWORD)], &mut intruder).await;
        assert!(change.error().is_none(), "{}", change.body);
        let thiefs_link = link_token(&app.mail_to("thief@evil.test", "Confirm your new email").await, "/confirm-email");

        let notice = app.mail_to("pat@example.com", "New sign-in").await;
        let report = app.call("report_not_me", &[("token", &link_token(&notice, "/this-wasnt-me"))], None).await;
        let report: serde_json::Value = serde_json::from_str(&report.body).unwrap_or_else(|_| panic!("{}", report.body));
        assert_eq!(report["sessions_ended"], 1);
        assert_eq!(report["keys_revoked"].as_array().map(Vec::len), Some(3), "{report}");
        assert!(report["links_retired"].as_u64().unwrap() >= 2, "the confirmation and its cancel link: {report}");

        for token in [&planted, &admin, &grandchild] {
            assert_eq!(app.api(Method::GET, "/api/v1/me", token).await.status, 401, "the intruder's keys are revoked");
        }
        assert_eq!(app.api(Method::GET, "/api/v1/me", &owners_key).await.status, 200, "the owner's key stays");
        let confirm = app.call("confirm_email_change", &[("token", &thiefs_link)], None).await;
        assert!(matches!(confirm.error(), Some(AppError::Validation { ref field, .. }) if field == "token"), "{}", confirm.body);
        assert_eq!(email_of_account(&app).await, "pat@example.com");
        assert!(!app.is_signed_in(&intruder).await);
        let mail = app.mail_to("pat@example.com", "Reset your password").await;
        assert!(mail.contains("backdoor") && mail.contains("Signed out 1 session"), "the mail lists what was undone: {mail}");
    }

    /// ASVS 5.0 6.5.6, 7.5.1: an email change confirmed by an intruder is
    /// undone by "This wasn't me" in the notice the old address got: the
    /// account's address is restored and told, so the recovery links reach
    /// the owner again, not the intruder.
    async fn this_wasnt_me_from_the_old_address_moves_the_account_back(app) {
        app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        let mut intruder = intruder_signs_in(&app, "pat@example.com").await;
        app.call_rotating("request_email_change", &[("new_email", "thief@evil.test"), ("password", STRONG_PASSWORD)], &mut intruder).await;
        let confirm = link_token(&app.mail_to("thief@evil.test", "Confirm your new email").await, "/confirm-email");
        assert!(app.call("confirm_email_change", &[("token", &confirm)], None).await.error().is_none());
        assert_eq!(email_of_account(&app).await, "thief@evil.test");

        let changed = app.mail_to("pat@example.com", "Your email address was changed").await;
        let report = app.call("report_not_me", &[("token", &link_token(&changed, "/this-wasnt-me"))], None).await;
        assert!(report.error().is_none(), "{}", report.body);
        assert_eq!(email_of_account(&app).await, "pat@example.com", "restored");
        assert!(report.body.contains("\"email_restored\":\"pat@example.com\""), "{}", report.body);
        let restored = app.mail_to("pat@example.com", "Your email address was restored").await;
        assert!(restored.contains("thief@evil.test"), "{restored}");
        // The reset link now goes to the owner; the intruder's address gets nothing.
        app.call("request_password_reset", &[("email", "thief@evil.test")], None).await;
        app.mail_to("pat@example.com", "Reset your password").await;
        assert!(app.try_mail_to("thief@evil.test", "Reset your password").await.is_none());
        assert!(!app.is_signed_in(&intruder).await);
    }

    /// ASVS 5.0 6.3.7, 6.5.6: for 72 hours after an email change, "Forgot
    /// password" at the previous address reaches the account, and the reset
    /// moves it back there; after 72 hours it does not.
    async fn a_reset_from_the_previous_address_restores_it_within_72_hours(app) {
        app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        let mut intruder = intruder_signs_in(&app, "pat@example.com").await;
        app.call_rotating("request_email_change", &[("new_email", "thief@evil.test"), ("password", STRONG_PASSWORD)], &mut intruder).await;
        let confirm = link_token(&app.mail_to("thief@evil.test", "Confirm your new email").await, "/confirm-email");
        app.call("confirm_email_change", &[("token", &confirm)], None).await;
        let planted = key_of(&app, &intruder, "backdoor").await;

        app.call("request_password_reset", &[("email", "pat@example.com")], None).await;
        let token = link_token(&app.mail_to("pat@example.com", "Reset your password").await, "/reset-password");
        let reset = app.call("reset_password", &[("token", &token), ("new_password", OTHER_STRONG_PASSWORD), ("sign_out_everywhere", "on")], None).await;
        assert!(reset.error().is_none(), "{}", reset.body);
        assert!(reset.body.contains("\"email_restored\":\"pat@example.com\""), "{}", reset.body);
        assert_eq!(email_of_account(&app).await, "pat@example.com");
        assert_eq!(app.api(Method::GET, "/api/v1/me", &planted).await.status, 401, "the ended session's key is revoked");
        assert!(!app.is_signed_in(&intruder).await);

        // Seventy-three hours after a change, the old address is just an address.
        let mut again = app.sign_in("pat@example.com", OTHER_STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        app.call_rotating("request_email_change", &[("new_email", "pat@new.test"), ("password", OTHER_STRONG_PASSWORD)], &mut again).await;
        let confirm = link_token(&app.mail_to("pat@new.test", "Confirm your new email").await, "/confirm-email");
        app.call("confirm_email_change", &[("token", &confirm)], None).await;
        app.clock.advance(73 * 60 * 60 * 1000);
        let resets = app.count("SELECT COUNT(*) FROM mail_queue WHERE subject LIKE '%Reset your password'").await;
        app.call("request_password_reset", &[("email", "pat@example.com")], None).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(app.count("SELECT COUNT(*) FROM mail_queue WHERE subject LIKE '%Reset your password'").await, resets);
    }

    /// ASVS 5.0 7.5.1: the old address can cancel a requested change in one
    /// click until it is confirmed: the confirmation link dies and the
    /// session that asked is signed out. After confirmation the cancel link
    /// says what to do instead.
    async fn the_old_address_cancels_a_requested_change_in_one_click(app) {
        let owner = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        let mut intruder = intruder_signs_in(&app, "pat@example.com").await;
        app.call_rotating("request_email_change", &[("new_email", "thief@evil.test"), ("password", STRONG_PASSWORD)], &mut intruder).await;
        let confirm = link_token(&app.mail_to("thief@evil.test", "Confirm your new email").await, "/confirm-email");
        let warning = app.mail_to("pat@example.com", "about to change").await;
        assert!(warning.contains("thief@evil.test") && warning.contains("127.0.0.1"), "says what and from where: {warning}");
        let cancel = link_token(&warning, "/cancel-email-change");
        let page = app.get(&format!("/cancel-email-change?token={cancel}"), None).await;
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
        let cancelled = app.call("cancel_email_change", &[("token", &cancel)], None).await;
        assert!(cancelled.body.contains("\"session_ended\":true"), "{}", cancelled.body);
        assert!(!app.is_signed_in(&intruder).await && app.is_signed_in(&owner).await);
        let late = app.call("confirm_email_change", &[("token", &confirm)], None).await;
        assert!(matches!(late.error(), Some(AppError::Validation { .. })), "{}", late.body);
        assert_eq!(email_of_account(&app).await, "pat@example.com");
        assert!(app.event_kinds().await.contains(&"email_change_cancelled".to_string()));

        // Once confirmed, the cancel link no longer works and says why.
        let mut owner = owner;
        let again = app.call_rotating("request_email_change", &[("new_email", "pat@new.test"), ("password", STRONG_PASSWORD)], &mut owner).await;
        assert!(again.error().is_none(), "{}", again.body);
        let cancel = link_token(&app.mail_to("pat@example.com", "about to change").await, "/cancel-email-change");
        let confirm = link_token(&app.mail_to("pat@new.test", "Confirm your new email").await, "/confirm-email");
        assert!(app.call("confirm_email_change", &[("token", &confirm)], None).await.error().is_none());
        let too_late = app.call("cancel_email_change", &[("token", &cancel)], None).await;
        assert!(matches!(too_late.error(), Some(AppError::Validation { ref message, .. }) if message.contains("This wasn't me")), "{}", too_late.body);
    }

    /// ASVS 5.0 6.3.8, 6.4.1 (pre-hijacking): whoever registers someone else's address
    /// first gets an unconfirmed account that can make no keys or teams, and
    /// when the address's owner resets by the emailed link, every session,
    /// factor and link the pre-hijacker left is gone.
    async fn a_pre_hijacked_account_is_cleared_when_its_owner_resets_by_email(app) {
        assert!(app.try_sign_up("Mallory", "victim@corp.test", STRONG_PASSWORD).await.error().is_none());
        let mut squatter = app.sign_in("victim@corp.test", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        let key = app.call("create_api_key", &[("name", "keep"), ("permission", "read"), ("expiry", "never")], Some(&squatter)).await;
        assert_eq!(key.error(), Some(AppError::EmailUnverified));
        enable_totp(&app, &mut squatter).await;

        // The real owner signs up: the same answer, and a take-over link.
        let theirs = app.try_sign_up("Victor", "victim@corp.test", OTHER_STRONG_PASSWORD).await;
        assert_eq!(theirs.location(), Some("/login?signup=sent"));
        let mail = app.mail_to("victim@corp.test", "Reset your password").await;
        assert!(mail.contains("never confirmed") && !mail.contains("Mallory"), "{mail}");
        let token = link_token(&mail, "/reset-password");
        let reset = app.call("reset_password", &[("token", &token), ("new_password", OTHER_STRONG_PASSWORD)], None).await;
        assert!(reset.body.contains("\"unconfirmed_account_cleared\":true"), "{}", reset.body);

        assert!(!app.is_signed_in(&squatter).await, "the squatter's session ends even unasked");
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE two_factor_method IS NOT NULL").await, 0, "the squatter's 2FA is gone");
        assert_eq!(app.count("SELECT COUNT(*) FROM backup_codes").await, 0);
        assert_eq!(app.count("SELECT COUNT(*) FROM users WHERE email_verified_at IS NOT NULL").await, 1, "the link confirmed the address");
        assert_eq!(app.sign_in("victim@corp.test", STRONG_PASSWORD).await.error(), Some(AppError::InvalidCredentials));
        let owner = app.sign_in("victim@corp.test", OTHER_STRONG_PASSWORD).await;
        assert!(owner.session_cookie(app.cookie_name).is_some(), "straight in, no squatter's second factor: {}", owner.body);
    }
}
