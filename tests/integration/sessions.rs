//! Server-side sessions: cookie flags, expiry, tampering, sign-out.

use crate::helpers::*;

both_databases! {
    async fn the_session_cookie_is_http_only_lax_and_host_wide(app) {
        app.sign_up("Flag", "flag@example.com", STRONG_PASSWORD).await;
        let reply = app.sign_in("flag@example.com", STRONG_PASSWORD).await;
        let line = reply.set_cookie_line("ss_session").unwrap();
        assert!(line.contains("HttpOnly"), "{line}");
        assert!(line.contains("SameSite=Lax"), "{line}");
        assert!(line.contains("Path=/"), "{line}");
        assert!(!line.contains("Domain"), "{line}");
        assert!(!line.contains("Secure"), "plain http in development: {line}");
        let token = line.split(';').next().unwrap().split_once('=').unwrap().1;
        assert_eq!(token.len(), 43, "256-bit token");
    }

    async fn protected_pages_send_signed_out_visitors_to_sign_in(app) {
        let reply = app.get("/settings/security", None).await;
        assert_eq!(reply.status, 303);
        assert_eq!(reply.location(), Some("/login?next=/settings/security"));
        let reply = app.get("/settings/team?tab=members", None).await;
        assert_eq!(reply.location(), Some("/login?next=/settings/team%3Ftab%3Dmembers"));
    }

    async fn tampered_and_unknown_cookies_are_rejected(app) {
        let cookie = app.sign_up("Tam", "tam@example.com", STRONG_PASSWORD).await;
        let (name, token) = cookie.split_once('=').unwrap();
        let mut bytes: Vec<char> = token.chars().collect();
        bytes[10] = if bytes[10] == 'A' { 'B' } else { 'A' };
        let tampered = format!("{name}={}", bytes.into_iter().collect::<String>());
        assert!(!app.is_signed_in(&tampered).await);
        assert!(!app.is_signed_in(&format!("{name}=garbage")).await);
        assert!(!app.is_signed_in(&format!("{name}={}", "A".repeat(43))).await);
        assert!(app.is_signed_in(&cookie).await);
    }

    async fn expired_and_idle_sessions_are_rejected(app) {
        let absolute = app.sign_up("Exp", "exp@example.com", STRONG_PASSWORD).await;
        sqlx::query("UPDATE sessions SET expires_at = 1").execute(&app.pool).await.unwrap();
        assert!(!app.is_signed_in(&absolute).await, "past absolute expiry");
        let idle = app.sign_in("exp@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        assert!(app.is_signed_in(&idle).await);
        let fifteen_days_ago = statusstack::time::now_ms() - 15 * 24 * 3600 * 1000;
        sqlx::query("UPDATE sessions SET last_seen_at = $1").bind(fifteen_days_ago).execute(&app.pool).await.unwrap();
        assert!(!app.is_signed_in(&idle).await, "idle for longer than 14 days");
    }

    async fn signing_out_ends_the_session_on_the_server(app) {
        let cookie = app.sign_up("Out", "out@example.com", STRONG_PASSWORD).await;
        let reply = app.call("sign_out", &[], Some(&cookie)).await;
        assert_eq!(reply.location(), Some("/login"));
        assert!(reply.set_cookie_line("ss_session").unwrap().contains("Max-Age=0"));
        assert!(!app.is_signed_in(&cookie).await, "the old cookie must not work again");
        assert_eq!(app.count("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NOT NULL").await, 1);
        assert!(app.event_kinds().await.contains(&"sign_out".to_string()));
    }

    async fn last_seen_is_written_at_most_once_a_minute(app) {
        let cookie = app.sign_up("Seen", "seen@example.com", STRONG_PASSWORD).await;
        let two_minutes_ago = statusstack::time::now_ms() - 120_000;
        sqlx::query("UPDATE sessions SET last_seen_at = $1").bind(two_minutes_ago).execute(&app.pool).await.unwrap();
        assert!(app.is_signed_in(&cookie).await);
        let first: i64 = sqlx::query_scalar("SELECT last_seen_at FROM sessions").fetch_one(&app.pool).await.unwrap();
        assert!(first > two_minutes_ago);
        assert!(app.is_signed_in(&cookie).await);
        let second: i64 = sqlx::query_scalar("SELECT last_seen_at FROM sessions").fetch_one(&app.pool).await.unwrap();
        assert_eq!(first, second, "throttled");
    }

    async fn housekeeping_prunes_revoked_and_expired_sessions(app) {
        let cookie = app.sign_up("Prune", "prune@example.com", STRONG_PASSWORD).await;
        app.call("sign_out", &[], Some(&cookie)).await;
        app.sign_in("prune@example.com", STRONG_PASSWORD).await;
        let live = app.sign_in("prune@example.com", STRONG_PASSWORD).await.session_cookie(app.cookie_name).unwrap();
        sqlx::query("UPDATE sessions SET expires_at = 1 WHERE revoked_at IS NULL AND created_at = (SELECT MIN(created_at) FROM sessions WHERE revoked_at IS NULL)")
            .execute(&app.pool).await.unwrap();
        let state_pool = app.pool.clone();
        let deleted = statusstack::server::auth::store::sessions::prune(&state_pool, statusstack::time::now_ms(), 14 * 24 * 3600 * 1000).await.unwrap();
        assert_eq!(deleted, 2);
        assert!(app.is_signed_in(&live).await);
    }
}

mod over_https {
    use crate::helpers::*;

    #[tokio::test]
    async fn cookies_get_the_host_prefix_and_secure_and_hsts_is_sent() {
        for db in [Db::Sqlite, Db::Postgres] {
            let app =
                TestApp::spawn_with(db, &[("PUBLIC_URL", "https://status.example.com")]).await;
            let sign_up = app
                .call_with_headers(
                    "sign_up",
                    &[
                        ("name", "Sec"),
                        ("email", "sec@example.com"),
                        ("password", STRONG_PASSWORD),
                    ],
                    None,
                    &[("origin", "https://status.example.com")],
                )
                .await;
            assert!(sign_up.error().is_none(), "{}", sign_up.body);
            app.confirm_address("sec@example.com").await;
            let reply = app
                .call_with_headers(
                    "sign_in",
                    &[("email", "sec@example.com"), ("password", STRONG_PASSWORD)],
                    None,
                    &[("origin", "https://status.example.com")],
                )
                .await;
            let line = reply
                .set_cookie_line("__Host-ss_session")
                .expect("prefixed cookie");
            assert!(line.contains("; Secure"), "{line}");
            assert!(
                line.contains("Path=/") && !line.contains("Domain"),
                "{line}"
            );
            let hsts = reply
                .headers
                .get("strict-transport-security")
                .unwrap()
                .to_str()
                .unwrap();
            assert!(hsts.contains("max-age=31536000"), "{hsts}");
            let cookie = reply.session_cookie("__Host-ss_session").unwrap();
            assert!(app.is_signed_in(&cookie).await);
        }
    }
}
