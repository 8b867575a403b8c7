//! API keys on the settings page: the one-time token, what is stored, bad input, sudo for Admin keys.

use super::*;

both_databases! {
    async fn a_new_key_is_shown_once_and_stored_only_as_its_hash(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let issued = create_key(&app, &cookie, "Grafana", "read").await;
        let token = issued.token.clone();
        assert!(token.starts_with("ssk_") && token.len() == 53, "{token}");
        assert_eq!(issued.key.prefix, &token[4..12]);
        assert_eq!(issued.key.name, "Grafana");
        assert!(issued.key.expires_at.is_some());

        // The list, the settings pages and the database never hold the token.
        let (overview, body) = list(&app, &cookie).await;
        assert_eq!(overview.keys.len(), 1);
        assert_eq!(overview.keys[0].prefix, issued.key.prefix);
        assert!(!body.contains(&token[4..]));
        for page in ["/settings/api-keys", "/settings/security"] {
            let reply = app.get(page, Some(&cookie)).await;
            assert_eq!(reply.status, 200);
            assert!(!reply.body.contains(&token[4..]), "{page} shows the token");
        }
        let dump: Vec<String> = sqlx::query(
            "SELECT k.name || k.permission || s.secret_hash || s.prefix FROM api_keys k
             JOIN api_key_secrets s ON s.key_id = k.id",
        )
        .fetch_all(&app.pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String, _>(0).unwrap())
        .collect();
        assert_eq!(dump.len(), 1);
        assert!(!dump[0].contains(&token[4..]));
        let hash: String = sqlx::query("SELECT secret_hash FROM api_key_secrets")
            .fetch_one(&app.pool).await.unwrap().try_get(0).unwrap();
        assert_eq!(hash, statusstack::server::crypto::sha256_hex(token.as_bytes()));
        let details: String = sqlx::query("SELECT detail FROM security_events WHERE kind = 'api_key_created'")
            .fetch_one(&app.pool).await.unwrap().try_get(0).unwrap();
        assert!(details.contains("Grafana") && !details.contains(&token[4..]), "{details}");

        let me = app.api(Method::GET, "/api/v1/me", &token).await;
        assert_eq!(me.status, 200, "{}", me.body);
        let me = json(&me);
        assert_eq!(me["email"], "ada@example.com");
        assert_eq!(me["key"]["permission"], "read");
        assert!(!me.to_string().contains(&token[4..]));
    }

    async fn bad_input_to_the_create_form_is_refused_and_stores_nothing(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let far = statusstack::time::iso_date(statusstack::time::now_ms() + 400 * 24 * 60 * 60 * 1000);
        let long_name = "x".repeat(65);
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("name", ""), ("permission", "read"), ("expiry", "90")], "name"),
            (vec![("name", &long_name), ("permission", "read"), ("expiry", "90")], "name"),
            (vec![("name", "a\u{7}b"), ("permission", "read"), ("expiry", "90")], "name"),
            (vec![("name", "ok"), ("permission", "owner"), ("expiry", "90")], "permission"),
            (vec![("name", "ok"), ("permission", "read"), ("expiry", "45")], "expiry"),
            (vec![("name", "ok"), ("permission", "read"), ("expiry", "custom")], "expiry"),
            (vec![("name", "ok"), ("permission", "read"), ("expiry", "custom"), ("expires_on", "2020-01-01")], "expiry"),
            (vec![("name", "ok"), ("permission", "read"), ("expiry", "custom"), ("expires_on", &far)], "expiry"),
            (vec![("name", "ok"), ("permission", "read"), ("expiry", "custom"), ("expires_on", "tomorrow")], "expiry"),
        ];
        for (fields, field) in cases {
            match create_key_with(&app, &cookie, &fields).await {
                Err(AppError::Validation { field: f, .. }) => assert_eq!(f, field, "{fields:?}"),
                other => panic!("{fields:?} gave {:?}", other.map(|k| k.key)),
            }
        }
        let missing = app.call("create_api_key", &[("name", "ok")], Some(&cookie)).await;
        assert_eq!(missing.status, 422, "{}", missing.body);
        let bad_id = app.call("revoke_api_key", &[("key_id", "../../etc")], Some(&cookie)).await;
        assert!(matches!(bad_id.error(), Some(AppError::Validation { .. })));
        let bad_grace = app.call("rotate_api_key", &[("key_id", NIL_UUID), ("grace", "forever")], Some(&cookie)).await;
        assert!(matches!(bad_grace.error(), Some(AppError::Validation { .. })));
        assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 0);
        // A custom date and "never" work.
        let tomorrow = statusstack::time::iso_date(statusstack::time::now_ms() + 24 * 60 * 60 * 1000);
        let dated = create_key_with(&app, &cookie, &[("name", "dated"), ("permission", "read"), ("expiry", "custom"), ("expires_on", &tomorrow)]).await.unwrap();
        assert!(dated.key.expires_at.unwrap() > statusstack::time::now_ms());
        let forever = create_key_with(&app, &cookie, &[("name", "forever"), ("permission", "read"), ("expiry", "never")]).await.unwrap();
        assert_eq!(forever.key.expires_at, None);
    }

    async fn an_admin_key_needs_sudo_mode_from_the_settings_page(app) {
        let app = TestApp::spawn_with(app.db(), &[("SUDO_WINDOW_MINUTES", "0")]).await;
        let mut cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let admin = [("name", "root"), ("permission", "admin"), ("expiry", "30")];
        assert_eq!(create_key_with(&app, &cookie, &admin).await.err(), Some(AppError::ReauthRequired));
        let wrong = [("name", "root"), ("permission", "admin"), ("expiry", "30"), ("password", "not my password at all")];
        assert!(matches!(create_key_with(&app, &cookie, &wrong).await, Err(AppError::Validation { .. })));
        assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 0);
        let right = [("name", "root"), ("permission", "admin"), ("expiry", "30"), ("password", STRONG_PASSWORD)];
        let created = app.call_rotating("create_api_key", &right, &mut cookie).await;
        assert_eq!(created.status, 200, "{}", created.body);
        let issued: IssuedKey = serde_json::from_str(&created.body).unwrap();
        // Read-only keys need no password; rotating the admin key does.
        create_key(&app, &cookie, "reader", "read").await;
        let reply = app.call("rotate_api_key", &[("key_id", &issued.key.id), ("grace", "none")], Some(&cookie)).await;
        assert_eq!(reply.error(), Some(AppError::ReauthRequired));
    }

    async fn the_token_is_in_no_response_but_its_own_and_in_no_log_line(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let issued = create_key(&app, &cookie, "ci", "admin").await;
        let rotated = rotate(&app, &cookie, &issued.key.id, "1h").await;
        let mut tokens = vec![issued.token.clone(), rotated.token.clone()];
        let auth = format!("Bearer {}", rotated.token);
        let created = app.api_at(&app.base, Method::POST, "/api/v1/api-keys", &[("authorization", auth.as_bytes())], Some(r#"{"name":"made by api","permission":"read"}"#)).await;
        tokens.push(json(&created)["token"].as_str().unwrap().to_string());
        // Failures log too: an expired key, a denied permission, a bad body.
        let reader = tokens[2].clone();
        app.api(Method::DELETE, &format!("/api/v1/sessions/{NIL_UUID}"), &reader).await;
        app.api_at(&app.base, Method::POST, "/api/v1/api-keys", &[("authorization", auth.as_bytes())], Some("{")).await;
        let mut responses = Vec::new();
        for path in ["/api/v1/me", "/api/v1/sessions", "/api/v1/login-history?range=90d", "/api/v1/api-keys"] {
            for token in &tokens {
                responses.push(app.api(Method::GET, path, token).await.body);
            }
        }
        responses.push(list(&app, &cookie).await.1);
        responses.push(app.call("login_history", &[("query", "range=90d")], Some(&cookie)).await.body);
        responses.push(app.get("/settings/api-keys", Some(&cookie)).await.body);
        responses.push(app.get("/settings/security", Some(&cookie)).await.body);
        responses.push(app.export("format=json&range=90d", Some(&cookie)).await.body);
        let logs = captured_logs();
        assert!(logs.len() < LOG_CAPTURE_LIMIT, "the log capture filled up");
        for token in &tokens {
            let secret = &token[4..];
            for body in &responses {
                assert!(!body.contains(secret), "a response holds a token: {body}");
            }
            assert!(!logs.contains(secret), "a log line holds a token");
        }
        let dump: String = sqlx::query("SELECT detail FROM security_events")
            .fetch_all(&app.pool).await.unwrap()
            .iter().map(|row| row.try_get::<String, _>(0).unwrap()).collect();
        for token in &tokens {
            assert!(!dump.contains(&token[4..]));
        }
    }
}
