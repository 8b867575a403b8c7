//! Mail and text messages as a weapon: every sender is limited per account,
//! per address and on the whole service, and nothing a user typed reaches
//! an inbox that never asked for our mail.

use super::*;
use crate::team::owner_of;

/// Holds the servers' clock a second into the next hour, so a fixed
/// window never turns over in the middle of a test.
fn hold_inside_one_window(app: &TestApp) {
    let hour = 60 * 60 * 1000;
    app.clock.freeze_at((now() / hour + 1) * hour + 1000);
}

/// Text an attacker would like to deliver to strangers.
const SPAM: &str = "Cheap pills at spam-example.test";

both_databases! {
    /// ASVS 5.0 2.4.1: email changes (each mails an address that has not
    /// opted in) are limited per account and per address.
    async fn email_change_requests_are_limited_per_account_and_per_address(app) {
        hold_inside_one_window(&app);
        let mut accounts = Vec::new();
        for n in 0..4 {
            let email = format!("u{n}@example.com");
            accounts.push(app.sign_up("User", &email, STRONG_PASSWORD).await);
        }
        let mut sent = 0;
        for (n, cookie) in accounts.iter_mut().enumerate() {
            for attempt in 0..4 {
                let to = format!("new{n}-{attempt}@example.com");
                let reply = app.call_rotating("request_email_change", &[("new_email", &to), ("password", STRONG_PASSWORD)], cookie).await;
                match reply.error() {
                    None => sent += 1,
                    Some(AppError::RateLimited { .. }) => assert!(attempt == 3 || sent == 10, "account {n}, attempt {attempt}"),
                    Some(other) => panic!("{other:?}"),
                }
            }
        }
        assert_eq!(sent, 10, "three per account, ten per address");
        assert_eq!(app.count("SELECT COUNT(*) FROM mail_queue WHERE subject LIKE '%Confirm your new email%'").await, 10);
    }

    /// ASVS 5.0 2.4.1: invitations are limited per inviting account (a new
    /// organization gives no fresh budget), so teams cannot relay mail.
    async fn invitations_are_limited_per_account(app) {
        hold_inside_one_window(&app);
        let owner = owner_of(&app, "Acme", "owner@acme.test").await;
        for n in 0..20 {
            let email = format!("guest{n}@example.com");
            let reply = app.call("invite_member", &[("email", &email), ("role", "viewer")], Some(&owner)).await;
            assert!(reply.error().is_none(), "{n}: {}", reply.body);
        }
        let reply = app.call("invite_member", &[("email", "one-more@example.com"), ("role", "viewer")], Some(&owner)).await;
        assert!(matches!(reply.error(), Some(AppError::RateLimited { .. })), "{}", reply.body);
        assert_eq!(app.count("SELECT COUNT(*) FROM invitations").await, 20);
    }

    /// ASVS 5.0 2.4.1: no name, organization name or other text a user chose
    /// goes to an address that has not opted in: the invitation, the
    /// sign-up's confirmation and an email change's confirmation.
    async fn mail_to_strangers_carries_no_text_a_user_chose(app) {
        let mut owner = app.sign_up(SPAM, "spammer@example.com", STRONG_PASSWORD).await;
        enable_totp(&app, &mut owner).await;
        let org = app.call("create_organization", &[("name", SPAM)], Some(&owner)).await;
        assert!(org.error().is_none(), "{}", org.body);
        app.call("invite_member", &[("email", "stranger1@example.com"), ("role", "viewer")], Some(&owner)).await;
        app.try_sign_up(SPAM, "stranger2@example.com", STRONG_PASSWORD).await;
        let mut other = app.sign_up(SPAM, "spammer2@example.com", STRONG_PASSWORD).await;
        app.call_rotating("request_email_change", &[("new_email", "stranger3@example.com"), ("password", STRONG_PASSWORD)], &mut other).await;
        for (to, subject) in [
            ("stranger1@example.com", "invited to join"),
            ("stranger2@example.com", "Confirm your email address"),
            ("stranger3@example.com", "Confirm your new email"),
        ] {
            let mail = app.mail_to(to, subject).await;
            assert!(!mail.contains("Cheap pills") && !mail.contains("spam-example"), "{to}: {mail}");
        }
        // The invitation page, which the invitee chooses to open, names the organization.
        let token = crate::team::invitation_token(&app, "stranger1@example.com").await;
        let preview = app.call("preview_invitation", &[("token", &token)], None).await;
        assert!(preview.body.contains(SPAM), "{}", preview.body);
    }
}

/// ASVS 5.0 2.4.1: a daily cap on text messages for the whole service: past
/// it nothing is sent, the user is told to use another factor, and the log
/// carries an alert.
#[tokio::test]
async fn the_daily_sms_cap_stops_sending_and_raises_an_alert() {
    bounded(async {
        for db in [Db::Sqlite, Db::Postgres] {
            let app = TestApp::spawn_with(db, &[("SMS_DAILY_LIMIT", "2")]).await;
            // Noon UTC of the next day: the daily window cannot turn over.
            let day = 24 * 60 * 60 * 1000;
            app.clock.freeze_at((now() / day + 1) * day + day / 2);
            let mut replies = Vec::new();
            for n in 0..3 {
                let email = format!("sms{n}@example.com");
                let mut cookie = app.sign_up("Sam", &email, STRONG_PASSWORD).await;
                let phone = format!("+1415555012{n}");
                let reply = app
                    .call_rotating("start_two_factor_enrolment", &[("method", "sms"), ("phone", &phone), ("password", STRONG_PASSWORD)], &mut cookie)
                    .await;
                replies.push(reply.error());
            }
            assert_eq!(&replies[..2], [None, None]);
            assert!(matches!(&replies[2], Some(AppError::Validation { field, message }) if field == "phone" && message.contains("paused")), "{replies:?}");
            assert_eq!(app.count("SELECT COUNT(*) FROM sms_outbox").await, 2);
            assert!(captured_logs().contains("the daily SMS limit is reached"));
        }
    })
    .await;
}
