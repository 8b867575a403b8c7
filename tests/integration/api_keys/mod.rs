//! API keys and the /api/v1 JSON API: creation and the one-time token, the
//! permission matrix, revoked / expired / rotated keys, isolation between
//! users, hostile headers and bodies, the rate limit, last use, and logs.

mod json_api;
mod lifecycle;
mod settings;

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
