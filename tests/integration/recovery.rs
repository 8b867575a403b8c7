//! Account recovery: forgot password and reset, change email, "This wasn't
//! me", the new-device notice and its preference; every link hostile-tested.

use crate::helpers::*;
use crate::mail::{FakeSmtp, spawn_with_smtp, spawn_with_smtp_and, unfolded};
use statusstack::error::AppError;

const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const NEW_PASSWORD: &str = "copper giraffes negotiate thunder quietly";

/// The first link in `message` that opens `path`.
fn link(message: &str, path: &str) -> String {
    let text = unfolded(message);
    let start = text
        .find(&format!("{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {text}"));
    let token: String = text[start + path.len() + 7..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(token.len(), 43, "{text}");
    token
}

fn messages_about<'a>(messages: &'a [String], needle: &str) -> Vec<&'a String> {
    messages
        .iter()
        .filter(|m| unfolded(m).contains(needle))
        .collect()
}

async fn sign_in_as(app: &TestApp, email: &str, password: &str, user_agent: &str) -> Reply {
    app.call_with_headers(
        "sign_in",
        &[("email", email), ("password", password)],
        None,
        &[("origin", app.base.as_str()), ("user-agent", user_agent)],
    )
    .await
}

async fn password_hash(app: &TestApp) -> String {
    sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

both_databases! {
    async fn forgot_password_answers_alike_and_the_link_resets_once(app) {
        let smtp = FakeSmtp::start().await;
        let app = spawn_with_smtp(app.db(), smtp.port).await;
        let cookie = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        let known = app.call("request_password_reset", &[("email", "Pat@Example.com")], None).await;
        let unknown = app.call("request_password_reset", &[("email", "nobody@example.com")], None).await;
        assert_eq!((known.status, &known.body), (unknown.status, &unknown.body), "enumeration-safe");
        assert_eq!(known.status, 200);
        let messages = smtp.wait_for(1).await;
        assert_eq!(messages.len(), 1, "only the account holder gets mail");
        assert!(unfolded(&messages[0]).contains("To: pat@example.com"));
        let token = link(&messages[0], "/reset-password");

        let page = app.get(&format!("/reset-password?token={token}"), None).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
        assert!(app.call("check_reset_link", &[("token", &token)], None).await.error().is_none());

        // A weak password is refused and leaves the link working.
        let weak = app.call("reset_password", &[("token", &token), ("new_password", "password1234")], None).await;
        assert!(matches!(weak.error(), Some(AppError::Validation { field, .. }) if field == "new_password"));
        let before = password_hash(&app).await;
        let reset = app.call("reset_password", &[("token", &token), ("new_password", NEW_PASSWORD), ("sign_out_everywhere", "on")], None).await;
        assert!(reset.error().is_none(), "{}", reset.body);
        assert!(reset.session_cookie(app.cookie_name).is_none(), "nobody is signed in by a reset");
        assert_ne!(password_hash(&app).await, before);
        assert!(!app.is_signed_in(&cookie).await, "every session ended");
        // The link works once.
        let again = app.call("reset_password", &[("token", &token), ("new_password", "another fine passphrase here")], None).await;
        assert!(matches!(again.error(), Some(AppError::Validation { field, message }) if field == "token" && message.contains("already used")));
        assert_eq!(app.sign_in("pat@example.com", STRONG_PASSWORD).await.error(), Some(AppError::InvalidCredentials));
        assert!(app.sign_in("pat@example.com", NEW_PASSWORD).await.error().is_none());
        let kinds = app.event_kinds().await;
        assert!(kinds.contains(&"password_reset_requested".to_string()) && kinds.contains(&"password_reset".to_string()));
        let messages = smtp.wait_for(2).await;
        let notice = messages_about(&messages, "Your password was reset");
        assert_eq!(notice.len(), 1);
        assert!(!unfolded(notice[0]).contains(NEW_PASSWORD));
    }

    async fn expired_malformed_and_unknown_reset_links_change_nothing(app) {
        let smtp = FakeSmtp::start().await;
        let app = spawn_with_smtp(app.db(), smtp.port).await;
        app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        app.call("request_password_reset", &[("email", "pat@example.com")], None).await;
        let token = link(&smtp.wait_for(1).await[0], "/reset-password");
        sqlx::query("UPDATE account_tokens SET expires_at = $1")
            .bind(statusstack::time::now_ms() - 1)
            .execute(&app.pool).await.unwrap();
        let before = password_hash(&app).await;
        let unknown = statusstack::server::crypto::RandomToken::generate().expose().to_string();
        let long = "a".repeat(10_000);
        for bad in [token.as_str(), unknown.as_str(), "", "abc", long.as_str(), "../../etc/passwd"] {
            let reply = app.call("reset_password", &[("token", bad), ("new_password", NEW_PASSWORD), ("sign_out_everywhere", "on")], None).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "token"), "{bad:.20}: {}", reply.body);
            let check = app.call("check_reset_link", &[("token", bad)], None).await;
            assert!(matches!(check.error(), Some(AppError::Validation { .. })));
        }
        assert_eq!(password_hash(&app).await, before);
        // Housekeeping deletes expired links.
        statusstack::server::maintenance::prune_once(&app.state).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM account_tokens").await, 0);
        // Bad addresses are refused before anything else.
        for bad in ["", "not-an-email", &format!("{}@example.com", "a".repeat(260))] {
            let reply = app.call("request_password_reset", &[("email", bad)], None).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { .. })), "{bad:.20}");
        }
    }

    async fn reset_requests_are_limited_per_address_alike_for_unknown_ones(app) {
        for email in ["pat@example.com", "nobody@example.com"] {
            for _ in 0..5 {
                assert_eq!(app.call("request_password_reset", &[("email", email)], None).await.status, 200);
            }
            let limited = app.call("request_password_reset", &[("email", email)], None).await;
            assert!(matches!(limited.error(), Some(AppError::RateLimited { .. })), "{email}");
            assert!(limited.headers.contains_key("retry-after"));
        }
    }

    async fn two_factor_is_still_asked_after_a_reset(app) {
        let smtp = FakeSmtp::start().await;
        let app = spawn_with_smtp(app.db(), smtp.port).await;
        app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        sqlx::query("UPDATE users SET two_factor_method = 'totp'").execute(&app.pool).await.unwrap();
        app.call("request_password_reset", &[("email", "pat@example.com")], None).await;
        let token = link(&smtp.wait_for(1).await[0], "/reset-password");
        let reset = app.call("reset_password", &[("token", &token), ("new_password", NEW_PASSWORD)], None).await;
        assert!(reset.error().is_none(), "{}", reset.body);
        let sign_in = app.sign_in("pat@example.com", NEW_PASSWORD).await;
        assert!(sign_in.error().is_none(), "{}", sign_in.body);
        assert!(sign_in.session_cookie(app.cookie_name).is_none(), "a session only after the second factor");
        assert!(sign_in.set_cookie_line("ss_challenge").is_some(), "the 2FA challenge starts");
    }

    async fn changing_the_email_needs_sudo_and_the_link_from_the_new_address(app) {
        let smtp = FakeSmtp::start().await;
        let app = spawn_with_smtp_and(app.db(), smtp.port, &[("SUDO_WINDOW_MINUTES", "0")]).await;
        let cookie = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        app.sign_up("Other", "taken@example.com", OTHER_STRONG_PASSWORD).await;
        let no_sudo = app.call("request_email_change", &[("new_email", "new@example.com")], Some(&cookie)).await;
        assert_eq!(no_sudo.error(), Some(AppError::ReauthRequired));
        for (bad, why) in [("not-an-email", "shape"), ("pat@example.com", "same")] {
            let reply = app.call("request_email_change", &[("new_email", bad), ("password", STRONG_PASSWORD)], Some(&cookie)).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "new_email"), "{why}");
        }
        let ok = app.call("request_email_change", &[("new_email", "New@Example.com"), ("password", STRONG_PASSWORD)], Some(&cookie)).await;
        assert!(ok.error().is_none(), "{}", ok.body);
        let messages = smtp.wait_for(2).await;
        let confirm = messages_about(&messages, "To: new@example.com");
        let warning = messages_about(&messages, "To: pat@example.com");
        assert_eq!((confirm.len(), warning.len()), (1, 1), "{messages:?}");
        assert!(unfolded(warning[0]).contains("cancel-email-change?token="), "the old address can cancel it");
        assert!(!unfolded(confirm[0]).contains("Pat"), "no text the requester chose goes to the new address");
        // Nothing changes until the link is followed.
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE name = 'Pat'").fetch_one(&app.pool).await.unwrap();
        assert_eq!(email, "pat@example.com");
        let token = link(confirm[0], "/confirm-email");
        let done = app.call("confirm_email_change", &[("token", &token)], None).await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(done.body, "\"new@example.com\"");
        let email: String = sqlx::query_scalar("SELECT email FROM users WHERE name = 'Pat'").fetch_one(&app.pool).await.unwrap();
        assert_eq!(email, "new@example.com");
        assert!(app.sign_in("new@example.com", STRONG_PASSWORD).await.error().is_none());
        let reused = app.call("confirm_email_change", &[("token", &token)], None).await;
        assert!(matches!(reused.error(), Some(AppError::Validation { ref field, .. }) if field == "token"));
        // Both addresses hear that it happened.
        let messages = smtp.wait_for(4).await;
        assert_eq!(messages_about(&messages, "email address was changed").len(), 2, "{messages:?}");
        // An address another account has cannot be confirmed.
        app.call("request_email_change", &[("new_email", "taken@example.com"), ("password", STRONG_PASSWORD)], Some(&app.sign_in("new@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap())).await;
        let messages = smtp.wait_for(6).await;
        let token = link(messages_about(&messages, "To: taken@example.com")[0], "/confirm-email");
        let clash = app.call("confirm_email_change", &[("token", &token)], None).await;
        assert!(matches!(clash.error(), Some(AppError::Validation { .. })));
        assert!(app.event_kinds().await.contains(&"email_changed".to_string()));
    }

    async fn this_wasnt_me_signs_the_new_device_out_and_forces_a_reset(app) {
        let smtp = FakeSmtp::start().await;
        let app = spawn_with_smtp(app.db(), smtp.port).await;
        let owner = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        // The same device again: no notice. A new one: a notice.
        assert!(app.sign_in("pat@example.com", STRONG_PASSWORD).await.error().is_none());
        let intruder = sign_in_as(&app, "pat@example.com", STRONG_PASSWORD, FIREFOX_LINUX).await.session_cookie(app.cookie_name).unwrap();
        let messages = smtp.wait_for(1).await;
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        assert_eq!(smtp.received().len(), 1, "{messages:?}");
        let notice = unfolded(&messages[0]);
        assert!(notice.contains("New sign-in") && notice.contains("Firefox on Linux"), "{notice}");
        let token = link(&messages[0], "/this-wasnt-me");
        let page = app.get(&format!("/this-wasnt-me?token={token}"), None).await;
        assert_eq!(page.headers["referrer-policy"], "no-referrer");

        let reported = app.call("report_not_me", &[("token", &token)], None).await;
        let report: serde_json::Value = serde_json::from_str(&reported.body).unwrap();
        assert_eq!(report["sessions_ended"], 1, "{}", reported.body);
        assert!(!app.is_signed_in(&intruder).await, "the new device is signed out");
        assert!(app.is_signed_in(&owner).await, "the owner's own session stays");
        // ASVS 5.0 6.3.8: the right password gets the same answer as a wrong
        // one, so the reply never confirms it; a reset link is mailed instead.
        let refused = app.sign_in("pat@example.com", STRONG_PASSWORD).await;
        assert_eq!(refused.error(), Some(AppError::InvalidCredentials));
        let flagged: String = sqlx::query_scalar("SELECT outcome FROM security_events WHERE kind = 'reported_not_me'").fetch_one(&app.pool).await.unwrap();
        assert_eq!(flagged, "failure");
        let again = app.call("report_not_me", &[("token", &token)], None).await;
        assert!(matches!(again.error(), Some(AppError::Validation { ref field, .. }) if field == "token"));
        // Recovery started by itself: reset links arrived (one for the report,
        // one for the refused sign-in); the newest unlocks sign-in.
        let messages = smtp.wait_for(3).await;
        let resets = messages_about(&messages, "/reset-password");
        assert_eq!(resets.len(), 2, "{messages:?}");
        let reset = link(resets[1], "/reset-password");
        let done = app.call("reset_password", &[("token", &reset), ("new_password", NEW_PASSWORD)], None).await;
        assert!(done.error().is_none(), "{}", done.body);
        assert!(app.sign_in("pat@example.com", NEW_PASSWORD).await.error().is_none());
        for bad in ["", "abc", &"z".repeat(5000)] {
            let reply = app.call("report_not_me", &[("token", bad)], None).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { .. })), "{bad:.10}");
            let reply = app.call("confirm_email_change", &[("token", bad)], None).await;
            assert!(matches!(reply.error(), Some(AppError::Validation { .. })), "{bad:.10}");
        }
    }

    async fn the_new_device_notice_can_be_turned_off(app) {
        let smtp = FakeSmtp::start().await;
        let app = spawn_with_smtp(app.db(), smtp.port).await;
        let cookie = app.sign_up("Pat", "pat@example.com", STRONG_PASSWORD).await;
        let settings = app.call("email_settings", &[], Some(&cookie)).await;
        assert!(settings.body.contains("\"new_sign_in_notices\":true"), "{}", settings.body);
        let off = app.call("set_new_sign_in_notices", &[], Some(&cookie)).await;
        assert!(off.error().is_none(), "{}", off.body);
        sign_in_as(&app, "pat@example.com", STRONG_PASSWORD, FIREFOX_LINUX).await;
        // A password change is still mailed; the new device is not.
        let reply = app.call("change_password", &[("current_password", STRONG_PASSWORD), ("new_password", NEW_PASSWORD)], Some(&cookie)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let messages = smtp.wait_for(1).await;
        tokio::time::sleep(std::time::Duration::from_millis(800)).await;
        let messages_later = smtp.received();
        assert_eq!(messages_later.len(), 1, "{messages:?}");
        assert!(unfolded(&messages_later[0]).contains("Your password was changed"));
    }
}
