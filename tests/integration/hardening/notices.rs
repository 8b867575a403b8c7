//! What is mailed: changes that happened, never failed attempts (but for the
//! alarms), and never a secret.

use super::*;
use sqlx::Row;

both_databases! {
    /// ASVS 5.0 6.3.7: a failed password change changed nothing, so the owner
    /// is not told it happened; it is only in the Login History.
    async fn a_failed_password_change_is_recorded_but_not_mailed(app) {
        let cookie = app.sign_up("Di", "di@example.com", STRONG_PASSWORD).await;
        let reply = app
            .call("change_password", &[("current_password", "not my password"), ("new_password", OTHER_STRONG_PASSWORD)], Some(&cookie))
            .await;
        assert!(matches!(reply.error(), Some(AppError::Validation { ref field, .. }) if field == "current_password"));
        let failed = app
            .count("SELECT COUNT(*) FROM security_events WHERE kind = 'password_changed' AND outcome = 'failure'")
            .await;
        assert_eq!(failed, 1);
        assert!(app.try_mail_to("di@example.com", "password was changed").await.is_none());
        let ok = app
            .call("change_password", &[("current_password", STRONG_PASSWORD), ("new_password", OTHER_STRONG_PASSWORD)], Some(&cookie))
            .await;
        assert!(ok.error().is_none(), "{}", ok.body);
        assert!(app.try_mail_to("di@example.com", "password was changed").await.is_some());
    }

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
}
