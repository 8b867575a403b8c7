//! What a copy of the database gives away: no working link, and backup
//! codes that must be cracked one account at a time.

use super::*;
use sqlx::Row;

both_databases! {
    /// ASVS 5.0 14.2.4, 14.2.7: the queue holds a link only sealed with the
    /// server key while it waits, and nothing once it is delivered, so a copy
    /// of the database holds no working reset link.
    async fn queued_mail_is_sealed_and_erased_once_delivered(app) {
        app.sign_up("Ed", "ed@example.com", STRONG_PASSWORD).await;
        app.call("request_password_reset", &[("email", "ed@example.com")], None).await;
        let message = app.mail_to("ed@example.com", "Reset your password").await;
        let token = link_token(&message, "/reset-password");
        let rows = sqlx::query("SELECT text_body, html_body, sealed, sent_at FROM mail_queue WHERE subject LIKE '%Reset%'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        assert_eq!(row.get::<i64, _>("sealed"), 1);
        assert!(row.get::<Option<i64>, _>("sent_at").is_some());
        assert_eq!((row.get::<String, _>("text_body"), row.get::<String, _>("html_body")), (String::new(), String::new()), "erased once delivered");

        // Held back (the SMTP server is down), a message waits sealed.
        let down = TestApp::spawn_with(app.db(), &[("MAIL_PROVIDER", "smtp"), ("SMTP_HOST", "127.0.0.1"), ("SMTP_PORT", "9"), ("SMTP_SECURITY", "none")]).await;
        down.sign_up("Ed", "ed@example.com", STRONG_PASSWORD).await;
        down.call("request_password_reset", &[("email", "ed@example.com")], None).await;
        let mut waiting = String::new();
        for _ in 0..200 {
            let body: Option<String> = sqlx::query_scalar("SELECT text_body FROM mail_queue WHERE subject LIKE '%Reset%'")
                .fetch_optional(&down.pool)
                .await
                .unwrap();
            if let Some(body) = body {
                waiting = body;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(waiting.starts_with("v1."), "sealed: {waiting}");
        assert!(!waiting.contains("reset-password") && !waiting.contains(&token[..10]), "{waiting}");
    }

    /// ASVS 5.0 6.5.2: a backup code's MAC is bound to its user, so one
    /// cracking pass serves one account only: the same MAC moved into another
    /// account verifies nothing there.
    async fn a_backup_code_hash_only_works_for_its_own_account(app) {
        let mut ann = app.sign_up("Ann", "ann@example.com", STRONG_PASSWORD).await;
        let (_, _, ann_codes) = enable_totp(&app, &mut ann).await;
        let mut bob = app.sign_up("Bob", "bob@example.com", STRONG_PASSWORD).await;
        enable_totp(&app, &mut bob).await;
        let (ann_id, bob_id) = (user_id(&app, "ann@example.com").await, user_id(&app, "bob@example.com").await);
        let unbound = app.state.key.mac_hex("backup-code", ann_codes[0].replace('-', "").as_bytes());
        let stored = app.count(&format!("SELECT COUNT(*) FROM backup_codes WHERE code_mac = '{unbound}'")).await;
        assert_eq!(stored, 0, "no MAC of the bare code is stored");

        // The attacker plants Ann's MACs in Bob's account: Ann's code still
        // does not get past Bob's challenge.
        sqlx::query("UPDATE backup_codes SET user_id = $1 WHERE user_id = $2")
            .bind(&bob_id)
            .bind(&ann_id)
            .execute(&app.pool)
            .await
            .unwrap();
        let half = challenge(&app, "bob@example.com").await;
        assert_eq!(verify(&app, &half, &ann_codes[0]).await.error(), Some(AppError::InvalidCode));
    }

    /// Codes stored before the binding (one unsalted MAC) keep working once
    /// each, so nobody is locked out by the upgrade.
    async fn backup_codes_stored_before_the_binding_still_work_once(app) {
        let mut cookie = app.sign_up("Cal", "cal@example.com", STRONG_PASSWORD).await;
        enable_totp(&app, &mut cookie).await;
        let legacy = app.state.key.mac_hex("backup-code", b"2345678abc");
        sqlx::query("UPDATE backup_codes SET code_mac = $1, bound = 0 WHERE id = (SELECT MIN(id) FROM backup_codes)")
            .bind(&legacy)
            .execute(&app.pool)
            .await
            .unwrap();
        let half = challenge(&app, "cal@example.com").await;
        let reply = verify(&app, &half, "23456-78abc").await;
        assert!(reply.error().is_none(), "{}", reply.body);
        let half = challenge(&app, "cal@example.com").await;
        assert_eq!(verify(&app, &half, "23456-78abc").await.error(), Some(AppError::InvalidCode));
        let bound: Vec<i64> = sqlx::query("SELECT bound FROM backup_codes WHERE used_at IS NULL")
            .fetch_all(&app.pool)
            .await
            .unwrap()
            .iter()
            .map(|row| row.get("bound"))
            .collect();
        assert!(bound.iter().all(|b| *b == 1) && bound.len() == 9, "{bound:?}");
    }
}
