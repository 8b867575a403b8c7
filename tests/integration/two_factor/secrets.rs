//! Two-factor secrets at rest and in mail: no plaintext, and one notice per change.

use super::*;

both_databases! {
    async fn the_database_holds_no_plaintext_secret_or_code(app) {
        let mut cookie = app.sign_up("Dee", "dee@example.com", STRONG_PASSWORD).await;
        let (secret, _, codes) = enable_totp(&app, &mut cookie).await;
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

    async fn every_two_factor_change_is_mailed_once_without_a_code_in_it(app) {
        let smtp = crate::mail::FakeSmtp::start().await;
        let app = crate::mail::spawn_with_smtp(app.db(), smtp.port).await;
        let mut cookie = app.sign_up("Wes", "wes@example.com", STRONG_PASSWORD).await;
        let (secret, step, _) = enable_totp(&app, &mut cookie).await;
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
