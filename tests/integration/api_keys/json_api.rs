//! The /api/v1 JSON API with keys: permissions, isolation, hostile headers and bodies, quotas, last use, paging, the OpenAPI document.

use super::*;

both_databases! {
    async fn each_permission_reaches_exactly_its_endpoints(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let read = create_key(&app, &cookie, "read", "read").await.token;
        let write = create_key(&app, &cookie, "write", "write").await.token;
        let admin = create_key(&app, &cookie, "admin", "admin").await.token;
        let missing_session = format!("/api/v1/sessions/{NIL_UUID}");
        let missing_key = format!("/api/v1/api-keys/{NIL_UUID}");
        // (method, path, body, expected status for read, write, admin)
        let matrix: [(Method, &str, Option<&str>, [u16; 3]); 7] = [
            (Method::GET, "/api/v1/me", None, [200, 200, 200]),
            (Method::GET, "/api/v1/sessions", None, [200, 200, 200]),
            (Method::GET, "/api/v1/login-history", None, [200, 200, 200]),
            (Method::DELETE, &missing_session, None, [403, 404, 404]),
            (Method::GET, "/api/v1/api-keys", None, [403, 403, 200]),
            (Method::POST, "/api/v1/api-keys", Some(r#"{"name":"ci","permission":"read"}"#), [403, 403, 201]),
            (Method::DELETE, &missing_key, None, [403, 403, 404]),
        ];
        for (method, path, body, expected) in &matrix {
            for (token, status) in [&read, &write, &admin].into_iter().zip(expected) {
                let auth = format!("Bearer {token}");
                let reply = app.api_at(&app.base, method.clone(), path, &[("authorization", auth.as_bytes())], *body).await;
                assert_eq!(reply.status, *status, "{method} {path}: {}", reply.body);
                if *status == 403 {
                    assert_api_error(&reply, 403, "forbidden");
                }
            }
        }
        // Every refusal is in the owner's history.
        assert_eq!(
            app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'api_key_permission_denied'").await,
            4 + 3
        );
        // The one the admin key created is listed, with no token in the list.
        let keys = json(&app.api(Method::GET, "/api/v1/api-keys", &admin).await);
        assert_eq!(keys["keys"].as_array().unwrap().len(), 4);
        assert!(keys["keys"][0].get("token").is_none());
    }

    async fn a_write_key_signs_out_a_session_and_the_admin_api_manages_keys(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let write = create_key(&app, &cookie, "write", "write").await.token;
        let admin = create_key(&app, &cookie, "admin", "admin").await.token;
        let session = own_session_id(&app, "ada@example.com").await;
        let sessions = json(&app.api(Method::GET, "/api/v1/sessions", &write).await);
        assert_eq!(sessions["sessions"][0]["id"], session.as_str());
        let reply = app.api(Method::DELETE, &format!("/api/v1/sessions/{session}"), &write).await;
        assert_eq!(reply.status, 204, "{}", reply.body);
        assert!(!app.is_signed_in(&cookie).await);

        let auth = format!("Bearer {admin}");
        let created = app.api_at(&app.base, Method::POST, "/api/v1/api-keys",
            &[("authorization", auth.as_bytes())],
            Some(r#"{"name":"deploy bot","permission":"write","expires_in_days":30}"#)).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let created = json(&created);
        let new_token = created["token"].as_str().unwrap().to_string();
        assert_eq!(app.api(Method::GET, "/api/v1/me", &new_token).await.status, 200);
        let id = created["key"]["id"].as_str().unwrap();
        let revoked = app.api(Method::DELETE, &format!("/api/v1/api-keys/{id}"), &admin).await;
        assert_eq!(revoked.status, 204, "{}", revoked.body);
        assert_api_error(&app.api(Method::GET, "/api/v1/me", &new_token).await, 401, "unauthorized");
        // Revoking it again is "not found"; the admin key can revoke itself.
        assert_eq!(app.api(Method::DELETE, &format!("/api/v1/api-keys/{id}"), &admin).await.status, 404);
    }

    async fn a_key_never_reaches_another_users_data(app) {
        let ada = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let bob = app.sign_up("Bob", "bob@example.com", OTHER_STRONG_PASSWORD).await;
        let ada_admin = create_key(&app, &ada, "ada", "admin").await.token;
        let bob_key = create_key(&app, &bob, "bob", "read").await;
        let bob_session = own_session_id(&app, "bob@example.com").await;

        let reply = app.api(Method::DELETE, &format!("/api/v1/sessions/{bob_session}"), &ada_admin).await;
        assert_api_error(&reply, 404, "not_found");
        assert!(app.is_signed_in(&bob).await);
        let sessions = json(&app.api(Method::GET, "/api/v1/sessions", &ada_admin).await);
        assert!(!sessions.to_string().contains(&bob_session));
        let keys = json(&app.api(Method::GET, "/api/v1/api-keys", &ada_admin).await);
        assert!(!keys.to_string().contains(&bob_key.key.id));
        let reply = app.api(Method::DELETE, &format!("/api/v1/api-keys/{}", bob_key.key.id), &ada_admin).await;
        assert_api_error(&reply, 404, "not_found");
        let history = json(&app.api(Method::GET, "/api/v1/login-history?range=90d", &ada_admin).await);
        assert!(!history.to_string().contains("bob@example.com") && !history.to_string().contains(&bob_key.key.id));
        // Nor through the settings page's server functions.
        for (name, fields) in [
            ("revoke_api_key", vec![("key_id", bob_key.key.id.as_str())]),
            ("rotate_api_key", vec![("key_id", bob_key.key.id.as_str()), ("grace", "none")]),
        ] {
            let reply = app.call(name, &fields, Some(&ada)).await;
            assert_eq!(reply.error(), Some(AppError::NotFound), "{name}");
        }
        assert_eq!(app.api(Method::GET, "/api/v1/me", &bob_key.token).await.status, 200);
    }

    async fn malformed_authorization_headers_get_401_never_500(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let token = create_key(&app, &cookie, "ci", "read").await.token;
        let mut mangled = token.clone().into_bytes();
        mangled[20] = if mangled[20] == b'a' { b'b' } else { b'a' };
        let mangled = String::from_utf8(mangled).unwrap();
        // Well formed, right checksum, never issued.
        let unknown = statusstack::api_keys::server::token::ApiToken::generate().expose().to_string();
        let huge = format!("Bearer {}", "a".repeat(10 * 1024));
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("no scheme", token.clone().into_bytes()),
            ("wrong scheme", format!("Basic {token}").into_bytes()),
            ("empty bearer", b"Bearer ".to_vec()),
            ("bearer only", b"Bearer".to_vec()),
            ("not our key", b"Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789".to_vec()),
            ("truncated", format!("Bearer {}", &token[..40]).into_bytes()),
            ("mangled checksum", format!("Bearer {mangled}").into_bytes()),
            ("unknown key", format!("Bearer {unknown}").into_bytes()),
            ("10 KB", huge.into_bytes()),
            ("non-ASCII", [b"Bearer ssk_".as_slice(), "é".repeat(24).as_bytes()].concat()),
            ("cookie-like", b"ss_session=abc".to_vec()),
        ];
        for (name, value) in &cases {
            let reply = app.api_at(&app.base, Method::GET, "/api/v1/me", &[("authorization", value)], None).await;
            assert_eq!(reply.status, 401, "{name}: {}", reply.body);
            assert_api_error(&reply, 401, "unauthorized");
        }
        // No header at all: a plain challenge (RFC 6750), and a session cookie does not count.
        let cookie_only = app.api_at(&app.base, Method::GET, "/api/v1/me", &[("cookie", cookie.as_bytes())], None).await;
        assert_api_error(&cookie_only, 401, "unauthorized");
        assert_eq!(cookie_only.headers["www-authenticate"], "Bearer realm=\"StatusStack API\"");
        // Two headers are refused even when one is right.
        let auth = format!("Bearer {token}");
        let request = app.http.get(format!("{}/api/v1/me", app.base))
            .header("authorization", auth.as_str())
            .header("authorization", "Bearer x");
        assert_eq!(request.send().await.unwrap().status().as_u16(), 401);
        // Nothing was looked up or recorded for any of them.
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind LIKE 'api_key_%' AND kind <> 'api_key_created'").await, 0);
    }

    async fn bad_input_to_the_api_is_422_and_changes_nothing(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let admin = create_key(&app, &cookie, "admin", "admin").await.token;
        let auth = format!("Bearer {admin}");
        let bodies = [
            "",
            "not json",
            "[]",
            r#"{"name":"x"}"#,
            r#"{"name":"x","permission":"root"}"#,
            r#"{"name":"","permission":"read"}"#,
            r#"{"name":"   ","permission":"read"}"#,
            &format!(r#"{{"name":"{}","permission":"read"}}"#, "x".repeat(65)),
            r#"{"name":"x","permission":"read","expires_in_days":0}"#,
            r#"{"name":"x","permission":"read","expires_in_days":366}"#,
            r#"{"name":"x","permission":"read","expires_in_days":"soon"}"#,
            r#"{"name":"x","permission":"read","owner":"bob"}"#,
        ];
        for body in bodies {
            let reply = app.api_at(&app.base, Method::POST, "/api/v1/api-keys", &[("authorization", auth.as_bytes())], Some(body)).await;
            assert_api_error(&reply, 422, "invalid_input");
        }
        assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 1);
        for path in [
            "/api/v1/sessions/not-a-uuid",
            "/api/v1/sessions/%FF%FE",
            "/api/v1/api-keys/1%20OR%201=1",
        ] {
            let reply = app.api(Method::DELETE, path, &admin).await;
            assert_api_error(&reply, 422, "invalid_input");
        }
        for query in ["range=forever", "category=nope", "result=maybe", "before=junk", "range=custom&from=2026-02-30&to=2026-03-01"] {
            let reply = app.api(Method::GET, &format!("/api/v1/login-history?{query}"), &admin).await;
            assert_api_error(&reply, 422, "invalid_input");
        }
        assert_api_error(&app.api(Method::GET, "/api/v1/nothing-here", &admin).await, 404, "not_found");
        assert_api_error(&app.api(Method::PUT, "/api/v1/me", &admin).await, 405, "method_not_allowed");
    }

    async fn a_busy_key_gets_429_with_retry_after_across_instances(app) {
        let app = TestApp::spawn_with(app.db(), &[("API_RATE_LIMIT_PER_MINUTE", "4")]).await;
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let token = create_key(&app, &cookie, "busy", "read").await.token;
        let second = app.spawn_second_instance().await;
        let auth = format!("Bearer {token}");
        let header = [("authorization", auth.as_bytes())];
        // One instant a second into the next minute, so all five requests fall in the same window.
        app.clock.freeze_at((statusstack::time::now_ms() / 60_000 + 1) * 60_000 + 1_000);
        // Two requests here and two on the other instance use up the minute's four.
        for base in [&app.base, &second, &app.base, &second] {
            let reply = app.api_at(base, Method::GET, "/api/v1/me", &header, None).await;
            assert_eq!(reply.status, 200, "{}", reply.body);
        }
        let refused = app.api_at(&app.base, Method::GET, "/api/v1/me", &header, None).await;
        assert_api_error(&refused, 429, "rate_limited");
        let retry: u64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "{retry}");
        // Another key of the same user is not affected.
        let other = create_key(&app, &cookie, "calm", "read").await.token;
        assert_eq!(app.api(Method::GET, "/api/v1/me", &other).await.status, 200);
    }

    async fn every_use_updates_last_used_at_most_once_a_minute(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let issued = create_key(&app, &cookie, "ci", "read").await;
        let (overview, _) = list(&app, &cookie).await;
        assert_eq!(overview.keys[0].last_used_at, None);
        assert!(!overview.keys[0].rotation_due && !overview.keys[0].unused);
        assert_eq!(app.api(Method::GET, "/api/v1/me", &issued.token).await.status, 200);
        let (overview, _) = list(&app, &cookie).await;
        let first = overview.keys[0].last_used_at.expect("recorded");
        assert_eq!(overview.keys[0].last_used_ip, "127.0.0.1");
        assert!(!overview.keys[0].last_used_device.is_empty());
        for _ in 0..3 {
            assert_eq!(app.api(Method::GET, "/api/v1/sessions", &issued.token).await.status, 200);
        }
        let (overview, _) = list(&app, &cookie).await;
        assert_eq!(overview.keys[0].last_used_at, Some(first), "throttled to one write a minute");
        // A minute later the next use is written again.
        sqlx::query("UPDATE api_keys SET last_used_at = last_used_at - 61000")
            .execute(&app.pool).await.unwrap();
        assert_eq!(app.api(Method::GET, "/api/v1/me", &issued.token).await.status, 200);
        let (overview, _) = list(&app, &cookie).await;
        assert!(overview.keys[0].last_used_at.unwrap() > first - 61000);
        // Badges: idle for 31 days and 91 days old.
        let day = 24 * 60 * 60 * 1000i64;
        sqlx::query("UPDATE api_keys SET last_used_at = last_used_at - $1, created_at = created_at - $2")
            .bind(31 * day).bind(91 * day)
            .execute(&app.pool).await.unwrap();
        let (overview, _) = list(&app, &cookie).await;
        assert!(overview.keys[0].unused && overview.keys[0].rotation_due);
    }

    async fn the_login_history_api_pages_with_the_ui_filters(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let token = create_key(&app, &cookie, "reader", "read").await.token;
        // 60 failed sign-ins: more than one page of 50.
        let user: String = sqlx::query("SELECT id FROM users").fetch_one(&app.pool).await.unwrap().try_get(0).unwrap();
        for _ in 0..60 {
            statusstack::login_history::server::record::record_event(&app.state,
                    Some(&user),
                    statusstack::login_history::EventKind::SignInFailed,
                    statusstack::login_history::Outcome::Failure,
                    &statusstack::server::client::ClientMeta::default(),
                    serde_json::json!({"reason": "wrong_password"}),
                )
                .await
                .unwrap();
        }
        let first = json(&app.api(Method::GET, "/api/v1/login-history?category=failed&result=failure", &token).await);
        let events = first["events"].as_array().unwrap();
        assert_eq!(events.len(), 50);
        assert!(events.iter().all(|e| e["kind"] == "sign_in_failed"));
        let older = first["older"].as_str().expect("a second page");
        assert!(older.starts_with("/api/v1/login-history?"), "{older}");
        let second = json(&app.api(Method::GET, older, &token).await);
        assert_eq!(second["events"].as_array().unwrap().len(), 10);
        assert!(second["older"].is_null());
        assert!(second["newer"].as_str().is_some());
        let keys = json(&app.api(Method::GET, "/api/v1/login-history?category=api_keys", &token).await);
        assert!(keys["events"].as_array().unwrap().iter().any(|e| e["kind"] == "api_key_created"));
    }

    async fn the_openapi_document_describes_every_endpoint(app) {
        let reply = app.get("/api/v1/openapi.json", None).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.headers["content-type"], "application/json");
        let doc: Value = serde_json::from_str(&reply.body).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
        for path in ["/api/v1/me", "/api/v1/sessions", "/api/v1/sessions/{id}", "/api/v1/login-history", "/api/v1/api-keys", "/api/v1/api-keys/{id}"] {
            assert!(doc["paths"].get(path).is_some(), "{path} missing");
        }
        assert_eq!(doc["components"]["securitySchemes"]["api_key"]["scheme"], "bearer");
    }
}
