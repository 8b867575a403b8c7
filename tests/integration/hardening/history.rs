//! The Login History never works on more days than it keeps: a range past
//! the retention period is refused with a clear message everywhere.

use super::*;
use reqwest::Method;

const HUGE: &str = "range=custom&from=1970-01-01&to=9999-12-31";

both_databases! {
    /// ASVS 5.0 2.2.1, 15.2.2: a custom range is capped at the retention
    /// period on the page, the server function, the export and the API, with
    /// a clear message, so no request's work or memory grows with the dates
    /// asked for.
    async fn a_range_past_the_retention_period_is_refused_everywhere(app) {
        let cookie = app.sign_up("Eve", "eve@example.com", STRONG_PASSWORD).await;
        let message = "The Login History keeps 400 days";
        let page = app.get(&format!("/settings/security?{HUGE}"), Some(&cookie)).await;
        assert_eq!(page.status, 200);
        assert!(page.body.len() < 400_000, "the page stays small: {} bytes", page.body.len());
        assert!(page.body.contains(message), "the page says why");
        let call = app.call("login_history", &[("query", HUGE)], Some(&cookie)).await;
        assert!(matches!(call.error(), Some(AppError::Validation { ref message, .. }) if message.contains("keeps 400 days")), "{}", call.body);
        let export = app.export(&format!("format=csv&{HUGE}"), Some(&cookie)).await;
        assert_eq!(export.status, 422);
        assert!(export.body.contains(message), "{}", export.body);
        let key = crate::api_keys::create_key_with(&app, &cookie, &[("name", "reader"), ("permission", "read"), ("expiry", "30")])
            .await
            .unwrap();
        let api = app.api(Method::GET, &format!("/api/v1/login-history?{HUGE}"), &key.token).await;
        assert_eq!(api.status, 422, "{}", api.body);
        assert!(api.body.contains(message), "{}", api.body);
        // Ranges inside the period still work.
        let today = statusstack::time::iso_date(now());
        let recent = app.call("login_history", &[("query", &format!("range=custom&from={today}&to={today}"))], Some(&cookie)).await;
        assert!(recent.error().is_none(), "{}", recent.body);
    }

    /// ASVS 5.0 15.2.2: with a short retention period even a preset range never
    /// reaches before it: the chart has no more days than the history keeps.
    async fn presets_never_reach_before_the_retention_period(app) {
        let app = TestApp::spawn_with(app.db(), &[("EVENT_RETENTION_DAYS", "30")]).await;
        let cookie = app.sign_up("Fay", "fay@example.com", STRONG_PASSWORD).await;
        let reply = app.call("login_history", &[("query", "range=90d")], Some(&cookie)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let page: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        let days = page["chart"].as_array().unwrap().len();
        assert!(days <= 31, "{days} days in the chart");
    }
}
