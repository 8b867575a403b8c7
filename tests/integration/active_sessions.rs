//! Active sessions: the list, revoking one, all others, those without 2FA,
//! locations, the review reminder, and hostile ids.

use crate::helpers::*;
use statusstack::error::AppError;
use statusstack::sessions::SessionsOverview;

const FIREFOX_LINUX: &str =
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";

async fn sign_in_with(
    app: &TestApp,
    email: &str,
    user_agent: &str,
    forwarded_for: Option<&str>,
) -> String {
    let mut headers = vec![("origin", app.base.as_str()), ("user-agent", user_agent)];
    if let Some(ip) = forwarded_for {
        headers.push(("x-forwarded-for", ip));
    }
    let reply = app
        .call_with_headers(
            "sign_in",
            &[("email", email), ("password", STRONG_PASSWORD)],
            None,
            &headers,
        )
        .await;
    reply
        .session_cookie(app.cookie_name)
        .unwrap_or_else(|| panic!("sign-in failed: {}", reply.body))
}

async fn list(app: &TestApp, cookie: &str) -> SessionsOverview {
    let reply = app.call("list_sessions", &[], Some(cookie)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn live_ids(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT id FROM sessions WHERE revoked_at IS NULL ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

both_databases! {
    async fn the_list_shows_my_devices_newest_first_with_this_one_marked(app) {
        app.sign_up("Ida", "ida@example.com", STRONG_PASSWORD).await;
        let phone = sign_in_with(&app, "ida@example.com", SAFARI_IPHONE, None).await;
        let laptop = sign_in_with(&app, "ida@example.com", FIREFOX_LINUX, None).await;
        let other_user = app.sign_up("Other", "other@example.com", STRONG_PASSWORD).await;
        let overview = list(&app, &laptop).await;
        let devices: Vec<&str> = overview.sessions.iter().map(|s| s.device.as_str()).collect();
        assert_eq!(overview.sessions.len(), 3, "{devices:?}");
        assert_eq!(devices[0], "Firefox on Linux");
        assert!(devices.contains(&"Safari on iPhone"));
        let current: Vec<_> = overview.sessions.iter().filter(|s| s.current).collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0].device, "Firefox on Linux");
        assert!(overview.sessions.iter().all(|s| s.location == "Local network" && s.ip == "127.0.0.1"));
        assert!(overview.sessions.iter().all(|s| s.sign_in_method == "Password"));
        assert_eq!(list(&app, &other_user).await.sessions.len(), 1, "another user's list is their own");
        assert!(app.is_signed_in(&phone).await);
    }

    async fn revoking_one_session_signs_it_out_on_its_next_request(app) {
        let first = app.sign_up("Ola", "ola@example.com", STRONG_PASSWORD).await;
        let second = sign_in_with(&app, "ola@example.com", SAFARI_IPHONE, None).await;
        let target = list(&app, &first).await.sessions.into_iter().find(|s| !s.current).unwrap();
        let reply = app.call("revoke_session", &[("session_id", &target.id)], Some(&first)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(!app.is_signed_in(&second).await);
        assert!(app.is_signed_in(&first).await);
        let again = app.call("revoke_session", &[("session_id", &target.id)], Some(&first)).await;
        assert_eq!(again.error(), Some(AppError::NotFound));
        let detail: String = sqlx::query_scalar("SELECT detail FROM security_events WHERE kind = 'session_revoked'")
            .fetch_one(&app.pool).await.unwrap();
        assert!(detail.contains("Safari on iPhone") && detail.contains(&target.id), "{detail}");
    }

    async fn someone_elses_session_id_is_not_found_and_nothing_is_revoked(app) {
        let mine = app.sign_up("Mia", "mia@example.com", STRONG_PASSWORD).await;
        let theirs = app.sign_up("Tom", "tom@example.com", STRONG_PASSWORD).await;
        let their_id = list(&app, &theirs).await.sessions[0].id.clone();
        let before = live_ids(&app).await;
        let reply = app.call("revoke_session", &[("session_id", &their_id)], Some(&mine)).await;
        assert_eq!(reply.error(), Some(AppError::NotFound));
        assert_eq!(reply.status, 404);
        assert_eq!(live_ids(&app).await, before);
        assert!(app.is_signed_in(&theirs).await);
    }

    async fn malformed_oversized_and_own_ids_are_refused_clearly(app) {
        let mine = app.sign_up("Bad", "bad@example.com", STRONG_PASSWORD).await;
        let own_id = list(&app, &mine).await.sessions[0].id.clone();
        let long = "a".repeat(5_000);
        for bad in ["", "not-a-uuid", long.as_str(), "' OR 1=1 --", own_id.as_str()] {
            let reply = app.call("revoke_session", &[("session_id", bad)], Some(&mine)).await;
            match reply.error() {
                Some(AppError::Validation { field, .. }) => assert_eq!(field, "session_id"),
                other => panic!("{bad:.20}: {other:?}"),
            }
        }
        let missing = app.call("revoke_session", &[], Some(&mine)).await;
        assert!(matches!(missing.error(), Some(AppError::Validation { .. })));
        assert_eq!(live_ids(&app).await.len(), 1);
        assert!(app.is_signed_in(&mine).await);
    }

    async fn signing_out_all_others_keeps_the_current_session(app) {
        let here = app.sign_up("All", "all@example.com", STRONG_PASSWORD).await;
        let a = sign_in_with(&app, "all@example.com", SAFARI_IPHONE, None).await;
        let b = sign_in_with(&app, "all@example.com", FIREFOX_LINUX, None).await;
        let reply = app.call("revoke_other_sessions", &[("scope", "all")], Some(&here)).await;
        assert_eq!(reply.body, "2", "{}", reply.body);
        assert!(app.is_signed_in(&here).await);
        assert!(!app.is_signed_in(&a).await && !app.is_signed_in(&b).await);
    }

    async fn mass_sign_out_needs_a_recent_password(app) {
        let mut here = app.sign_up("Sudo", "sudo@example.com", STRONG_PASSWORD).await;
        let other = sign_in_with(&app, "sudo@example.com", SAFARI_IPHONE, None).await;
        sqlx::query("UPDATE sessions SET reauthenticated_at = 1").execute(&app.pool).await.unwrap();
        assert!(list(&app, &here).await.needs_password);
        let reply = app.call("revoke_other_sessions", &[("scope", "all")], Some(&here)).await;
        assert_eq!(reply.error(), Some(AppError::ReauthRequired));
        let wrong = app.call("revoke_other_sessions", &[("scope", "all"), ("password", "not my password")], Some(&here)).await;
        assert!(matches!(wrong.error(), Some(AppError::Validation { ref field, .. }) if field == "password"));
        let bad_scope = app.call("revoke_other_sessions", &[("scope", "everyone"), ("password", STRONG_PASSWORD)], Some(&here)).await;
        assert!(matches!(bad_scope.error(), Some(AppError::Validation { ref field, .. }) if field == "scope"));
        assert!(app.is_signed_in(&other).await, "nothing was revoked yet");
        let before = here.clone();
        let ok = app.call_rotating("revoke_other_sessions", &[("scope", "all"), ("password", STRONG_PASSWORD)], &mut here).await;
        assert_eq!(ok.body, "1");
        assert!(!app.is_signed_in(&other).await);
        assert_ne!(here, before, "re-authenticating gives the session a new token");
        assert!(!app.is_signed_in(&before).await, "the token from before re-authenticating is void");
        assert!(!list(&app, &here).await.needs_password, "sudo mode is open for 10 minutes");
    }

    async fn without_2fa_revokes_exactly_the_password_only_sessions(app) {
        let here = app.sign_up("Two", "two@example.com", STRONG_PASSWORD).await;
        let weak = sign_in_with(&app, "two@example.com", SAFARI_IPHONE, None).await;
        let strong = sign_in_with(&app, "two@example.com", FIREFOX_LINUX, None).await;
        let strong_id = list(&app, &strong).await.sessions.into_iter().find(|s| s.current).unwrap().id;
        sqlx::query("UPDATE sessions SET auth_method = 'password+totp' WHERE id = $1").bind(&strong_id).execute(&app.pool).await.unwrap();
        let reply = app.call("revoke_other_sessions", &[("scope", "without_2fa")], Some(&here)).await;
        assert_eq!(reply.body, "1", "{}", reply.body);
        assert!(!app.is_signed_in(&weak).await);
        assert!(app.is_signed_in(&strong).await);
        assert!(app.is_signed_in(&here).await, "the current session is never revoked by this");
        let listed = list(&app, &here).await;
        assert!(listed.sessions.iter().any(|s| s.sign_in_method == "Password + authenticator app"));
    }

    async fn marking_the_list_reviewed_is_remembered(app) {
        let cookie = app.sign_up("Rev", "rev@example.com", STRONG_PASSWORD).await;
        assert_eq!(list(&app, &cookie).await.reviewed_at, None);
        let thirty_one_days_ago = statusstack::time::now_ms() - 31 * 24 * 3600 * 1000;
        sqlx::query("UPDATE users SET created_at = $1").bind(thirty_one_days_ago).execute(&app.pool).await.unwrap();
        assert!(list(&app, &cookie).await.review_due);
        let overview = app.call("security_overview", &[], Some(&cookie)).await;
        assert!(overview.body.contains("\"sessions_review_due\":true"), "{}", overview.body);
        app.call("mark_sessions_reviewed", &[], Some(&cookie)).await;
        let after = list(&app, &cookie).await;
        assert!(after.reviewed_at.is_some());
        assert!(!after.review_due);
    }

    async fn listing_and_revoking_need_a_session(app) {
        assert_eq!(app.call("list_sessions", &[], None).await.error(), Some(AppError::Unauthenticated));
        let reply = app.call("revoke_session", &[("session_id", "0190f3a2-7b1c-7d4e-8f00-0123456789ab")], None).await;
        assert_eq!(reply.error(), Some(AppError::Unauthenticated));
    }
}

mod locations {
    use super::*;

    #[tokio::test]
    async fn locations_come_from_the_geoip_database_behind_a_trusted_proxy() {
        let fixture = geoip_fixture();
        for db in [Db::Sqlite, Db::Postgres] {
            let app = TestApp::spawn_with(
                db,
                &[("GEOIP_DB", &fixture), ("TRUST_PROXY_HEADERS", "true")],
            )
            .await;
            app.sign_up("Geo", "geo@example.com", STRONG_PASSWORD).await;
            let london = sign_in_with(
                &app,
                "geo@example.com",
                FIREFOX_LINUX,
                Some("6.6.6.6, 81.2.69.160"),
            )
            .await;
            sign_in_with(
                &app,
                "geo@example.com",
                SAFARI_IPHONE,
                Some("216.160.83.56"),
            )
            .await;
            sign_in_with(&app, "geo@example.com", SAFARI_IPHONE, Some("8.8.8.8")).await;
            let overview = list(&app, &london).await;
            let places: Vec<(&str, &str)> = overview
                .sessions
                .iter()
                .map(|s| (s.ip.as_str(), s.location.as_str()))
                .collect();
            assert!(
                places.contains(&("81.2.69.160", "London, ENG, GB")),
                "{places:?}"
            );
            assert!(
                places.contains(&("216.160.83.56", "Milton, WA, US")),
                "{places:?}"
            );
            assert!(
                places.contains(&("8.8.8.8", "Unknown location")),
                "{places:?}"
            );
            assert!(
                places.contains(&("127.0.0.1", "Local network")),
                "{places:?}"
            );
        }
    }

    #[tokio::test]
    async fn forwarded_headers_are_ignored_without_the_proxy_setting() {
        let fixture = geoip_fixture();
        let app = TestApp::spawn_with(Db::Sqlite, &[("GEOIP_DB", &fixture)]).await;
        app.sign_up("Spoof", "spoof@example.com", STRONG_PASSWORD)
            .await;
        let cookie = sign_in_with(
            &app,
            "spoof@example.com",
            FIREFOX_LINUX,
            Some("81.2.69.160"),
        )
        .await;
        let overview = list(&app, &cookie).await;
        assert!(
            overview
                .sessions
                .iter()
                .all(|s| s.ip == "127.0.0.1" && s.location == "Local network")
        );
    }
}
