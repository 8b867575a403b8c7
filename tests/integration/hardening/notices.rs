//! What is mailed: changes that happened, never failed attempts (but for the
//! alarms), and never a secret.

use super::*;

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
}
