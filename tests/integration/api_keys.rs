//! API keys and the /api/v1 JSON API: creation and the one-time token, the
//! permission matrix, revoked / expired / rotated keys, isolation between
//! users, hostile headers and bodies, the rate limit, last use, and logs.

use crate::helpers::*;
use reqwest::Method;
use serde_json::Value;
use sqlx::Row;
use statusstack::api_keys::{ApiKeysOverview, IssuedKey};
use statusstack::error::AppError;

const NIL_UUID: &str = "0190f3a2-7b1c-7d4e-8f00-0123456789ab";

pub async fn create_key_with(
    app: &TestApp,
    cookie: &str,
    fields: &[(&str, &str)],
) -> Result<IssuedKey, AppError> {
    let reply = app.call("create_api_key", fields, Some(cookie)).await;
    match reply.error() {
        Some(error) => Err(error),
        None => {
            assert_eq!(reply.status, 200, "{}", reply.body);
            Ok(serde_json::from_str(&reply.body).unwrap())
        }
    }
}

async fn create_key(app: &TestApp, cookie: &str, name: &str, permission: &str) -> IssuedKey {
    create_key_with(
        app,
        cookie,
        &[("name", name), ("permission", permission), ("expiry", "90")],
    )
    .await
    .unwrap_or_else(|e| panic!("creating a {permission} key failed: {e:?}"))
}

async fn list(app: &TestApp, cookie: &str) -> (ApiKeysOverview, String) {
    let reply = app.call("list_api_keys", &[], Some(cookie)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    (serde_json::from_str(&reply.body).unwrap(), reply.body)
}

fn json(reply: &Reply) -> Value {
    serde_json::from_str(&reply.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", reply.status, reply.body))
}

/// Asserts a JSON API error: status, error code, and a challenge on 401.
fn assert_api_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    let body = json(reply);
    assert_eq!(body["error"]["code"], code, "{}", reply.body);
    assert!(
        !body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .is_empty(),
        "{}",
        reply.body
    );
    if status == 401 {
        let challenge = reply
            .headers
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(challenge.starts_with("Bearer realm="), "{challenge:?}");
    }
}

async fn rotate(app: &TestApp, cookie: &str, key_id: &str, grace: &str) -> IssuedKey {
    let reply = app
        .call(
            "rotate_api_key",
            &[("key_id", key_id), ("grace", grace)],
            Some(cookie),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    serde_json::from_str(&reply.body).unwrap()
}

async fn own_session_id(app: &TestApp, email: &str) -> String {
    sqlx::query(
        "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE u.email = $1 AND s.revoked_at IS NULL",
    )
    .bind(email)
    .fetch_one(&app.pool)
    .await
    .unwrap()
    .try_get(0)
    .unwrap()
}

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

    async fn revoked_expired_and_rotated_out_keys_are_refused(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let revoked = create_key(&app, &cookie, "revoked", "read").await;
        let reply = app.call("revoke_api_key", &[("key_id", &revoked.key.id)], Some(&cookie)).await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_api_error(&app.api(Method::GET, "/api/v1/me", &revoked.token).await, 401, "unauthorized");
        let again = app.call("revoke_api_key", &[("key_id", &revoked.key.id)], Some(&cookie)).await;
        assert_eq!(again.error(), Some(AppError::NotFound));

        let expired = create_key(&app, &cookie, "expired", "read").await;
        assert_eq!(app.api(Method::GET, "/api/v1/me", &expired.token).await.status, 200);
        sqlx::query("UPDATE api_keys SET expires_at = $1 WHERE id = $2")
            .bind(statusstack::time::now_ms() - 1)
            .bind(&expired.key.id)
            .execute(&app.pool).await.unwrap();
        let reply = app.api(Method::GET, "/api/v1/me", &expired.token).await;
        assert_api_error(&reply, 401, "unauthorized");
        assert!(json(&reply)["error"]["message"].as_str().unwrap().contains("expired"));
        assert_eq!(app.count("SELECT COUNT(*) FROM security_events WHERE kind = 'api_key_expired_use'").await, 1);
        let (overview, _) = list(&app, &cookie).await;
        assert!(overview.keys.iter().any(|k| k.id == expired.key.id && k.expired));

        let rotated = create_key(&app, &cookie, "rotated", "read").await;
        let fresh = rotate(&app, &cookie, &rotated.key.id, "none").await;
        assert_ne!(fresh.token, rotated.token);
        assert_eq!(fresh.key.id, rotated.key.id);
        assert_api_error(&app.api(Method::GET, "/api/v1/me", &rotated.token).await, 401, "unauthorized");
        assert_eq!(app.api(Method::GET, "/api/v1/me", &fresh.token).await.status, 200);
        assert!(app.event_kinds().await.contains(&"api_key_rotated".to_string()));
    }

    async fn the_old_secret_works_inside_the_grace_window_and_not_after(app) {
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let old = create_key(&app, &cookie, "ci", "read").await;
        let new = rotate(&app, &cookie, &old.key.id, "1h").await;
        assert_eq!(app.api(Method::GET, "/api/v1/me", &old.token).await.status, 200);
        assert_eq!(app.api(Method::GET, "/api/v1/me", &new.token).await.status, 200);
        // Both states are visible in the list.
        let (overview, _) = list(&app, &cookie).await;
        let listed = &overview.keys[0];
        assert_eq!(listed.prefix, new.key.prefix);
        assert_eq!(listed.previous_prefix.as_deref(), Some(old.key.prefix.as_str()));
        let until = listed.previous_valid_until.unwrap();
        let hour = 60 * 60 * 1000;
        assert!((until - statusstack::time::now_ms() - hour).abs() < 60_000, "{until}");

        // The grace period ends.
        sqlx::query("UPDATE api_key_secrets SET valid_until = $1 WHERE valid_until IS NOT NULL")
            .bind(statusstack::time::now_ms() - 1)
            .execute(&app.pool).await.unwrap();
        let reply = app.api(Method::GET, "/api/v1/me", &old.token).await;
        assert_api_error(&reply, 401, "unauthorized");
        assert!(json(&reply)["error"]["message"].as_str().unwrap().contains("rotated"));
        assert_eq!(app.api(Method::GET, "/api/v1/me", &new.token).await.status, 200);
        let (overview, _) = list(&app, &cookie).await;
        assert_eq!(overview.keys[0].previous_prefix, None);
        // Housekeeping keeps a retired secret for 30 days, then deletes it.
        statusstack::server::maintenance::prune_once(&app.state).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM api_key_secrets").await, 2);
        sqlx::query("UPDATE api_key_secrets SET valid_until = $1 WHERE valid_until IS NOT NULL")
            .bind(statusstack::time::now_ms() - 31 * 24 * 60 * 60 * 1000)
            .execute(&app.pool).await.unwrap();
        statusstack::server::maintenance::prune_once(&app.state).await.unwrap();
        assert_eq!(app.count("SELECT COUNT(*) FROM api_key_secrets").await, 1);
        let reply = app.api(Method::GET, "/api/v1/me", &old.token).await;
        assert_eq!(json(&reply)["error"]["message"], "Unknown API key.");
        assert_eq!(app.api(Method::GET, "/api/v1/me", &new.token).await.status, 200);
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

    async fn a_busy_key_gets_429_with_retry_after_across_instances(app) {
        let app = TestApp::spawn_with(app.db(), &[("API_RATE_LIMIT_PER_MINUTE", "4")]).await;
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let token = create_key(&app, &cookie, "busy", "read").await.token;
        let second = app.spawn_second_instance().await;
        let auth = format!("Bearer {token}");
        let header = [("authorization", auth.as_bytes())];
        // Start well inside a window, so all five requests fall in the same one.
        let into_window = statusstack::time::now_ms() % 60_000;
        if into_window > 55_000 {
            tokio::time::sleep(std::time::Duration::from_millis((60_000 - into_window + 100) as u64)).await;
        }
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

    async fn an_admin_key_needs_sudo_mode_from_the_settings_page(app) {
        let app = TestApp::spawn_with(app.db(), &[("SUDO_WINDOW_MINUTES", "0")]).await;
        let cookie = app.sign_up("Ada", "ada@example.com", STRONG_PASSWORD).await;
        let admin = [("name", "root"), ("permission", "admin"), ("expiry", "30")];
        assert_eq!(create_key_with(&app, &cookie, &admin).await.err(), Some(AppError::ReauthRequired));
        let wrong = [("name", "root"), ("permission", "admin"), ("expiry", "30"), ("password", "not my password at all")];
        assert!(matches!(create_key_with(&app, &cookie, &wrong).await, Err(AppError::Validation { .. })));
        assert_eq!(app.count("SELECT COUNT(*) FROM api_keys").await, 0);
        let right = [("name", "root"), ("permission", "admin"), ("expiry", "30"), ("password", STRONG_PASSWORD)];
        let issued = create_key_with(&app, &cookie, &right).await.unwrap();
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
        responses.push(app.get(&format!("{}?format=json&range=90d", "/settings/security/history/export"), Some(&cookie)).await.body);
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
