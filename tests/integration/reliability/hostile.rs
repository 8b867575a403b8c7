//! Hostile input to every registered server function, signed in and signed
//! out. Malformed bodies (missing fields, invalid UTF-8, 1 MB and 60 KB
//! strings, control characters, JSON instead of a form) are refused and
//! write nothing (a dump of the database before and after, less the
//! counters and the audit log that every attempt feeds). Readable text of
//! the wrong shape (duplicated fields, huge numbers, wrong types) and SQL
//! and HTML metacharacters may be stored where free text is allowed; none
//! of it answers 5xx or drops the connection.

use crate::helpers::*;
use sqlx::{AnyPool, Column, Row};

/// Every field name any server function takes.
const FIELDS: [&str; 27] = [
    "name",
    "email",
    "password",
    "current_password",
    "new_password",
    "code",
    "token",
    "key_id",
    "session_id",
    "user_id",
    "invitation_id",
    "role",
    "permission",
    "expiry",
    "query",
    "enabled",
    "method",
    "phone",
    "confirm",
    "policy",
    "grace_days",
    "organization",
    "next",
    "scope",
    "handle",
    "credential",
    "passkey_id",
];

/// Functions without input that act on the caller's own account: no body
/// can be hostile to them, and calling them signs out, sends mail or
/// changes state by design.
const NO_INPUT_ACTIONS: [&str; 10] = [
    "sign_out",
    "dismiss_passkey_offer",
    "leave_organization",
    "resend_email_verification",
    "mark_sessions_reviewed",
    "cancel_sign_in_challenge",
    "cancel_two_factor_enrolment",
    "send_sign_in_sms",
    "resend_two_factor_enrolment_sms",
    "send_sudo_sms",
];

/// Functions that begin a passkey ceremony and need no input (the sudo
/// password is optional while the session's sudo window is open): each call
/// stores the ceremony's short-lived state (five minutes) by design.
const CEREMONY_STARTS: [&str; 2] = ["start_passkey_registration", "start_passkey_sign_in"];

/// Checkbox forms: an empty form is a valid answer (the box unticked), so
/// every body without the field is one too.
const CHECKBOX_FORMS: [&str; 1] = ["set_new_sign_in_notices"];

/// Tables every attempt may write to by design: counters and the audit log.
const AUDIT_TABLES: [&str; 5] = [
    "rate_limits",
    "security_events",
    "security_event_day_origins",
    "mail_queue",
    "_sqlx_migrations",
];

fn every_field(value: &str) -> String {
    FIELDS
        .iter()
        .map(|field| format!("{field}={value}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Malformed bodies: each must be refused and change nothing.
fn malformed_bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", Vec::new()),
        ("unknown fields only", b"zzz=1&__proto__=x".to_vec()),
        ("invalid UTF-8", every_field("%FF%FE%80").into_bytes()),
        (
            "raw invalid UTF-8",
            [b"name=".as_slice(), &[0xff, 0xfe, 0x80], b"&email=\xc3"].concat(),
        ),
        (
            "1 MB string",
            format!("name={}", "a".repeat(1 << 20)).into_bytes(),
        ),
        (
            "60 KB strings",
            FIELDS
                .iter()
                .map(|f| format!("{f}={}", "b".repeat(2_500)))
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes(),
        ),
        (
            "control characters",
            every_field("a%00b%07c%1B%5B31m%0D%0A").into_bytes(),
        ),
        (
            "not a form",
            b"{\"name\": [1, 2, {\"$gt\": null}]}".to_vec(),
        ),
    ]
}

/// Readable text of the wrong shape or with metacharacters: free-text
/// fields (a name) may store it verbatim, but nothing breaks.
fn odd_text_bodies() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "duplicated fields",
            format!("{}&{}", every_field("first"), every_field("second")).into_bytes(),
        ),
        (
            "huge numbers",
            every_field("99999999999999999999999999999999").into_bytes(),
        ),
        ("wrong types", every_field("%5B%5D%7B%7D").into_bytes()),
        (
            "SQL",
            every_field("x%27%3B%20DROP%20TABLE%20users%3B%20--%20%22%20OR%201%3D1").into_bytes(),
        ),
        (
            "HTML",
            every_field(
                "%3Cscript%3Ealert(1)%3C%2Fscript%3E%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E",
            )
            .into_bytes(),
        ),
    ]
}

async fn table_names(pool: &AnyPool, db: Db) -> Vec<String> {
    let sql = match db {
        Db::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Db::Postgres => {
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        }
    };
    sqlx::query_scalar(sql).fetch_all(pool).await.unwrap()
}

/// Every row of every table but the audit ones, as text, in a stable order.
async fn dump(app: &TestApp) -> Vec<String> {
    let mut lines = Vec::new();
    for table in table_names(&app.pool, app.db()).await {
        if AUDIT_TABLES.contains(&table.as_str()) {
            continue;
        }
        for row in sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(&app.pool)
            .await
            .unwrap()
        {
            let cells: Vec<String> = (0..row.len())
                // How recently a session was used is not a change of its own.
                .filter(|&i| row.column(i).name() != "last_seen_at")
                .map(|i| cell(&row, i))
                .collect();
            lines.push(format!("{table}: {}", cells.join(" | ")));
        }
    }
    lines.sort();
    lines
}

fn cell(row: &sqlx::any::AnyRow, i: usize) -> String {
    if let Ok(value) = row.try_get::<Option<i64>, _>(i) {
        return format!("{value:?}");
    }
    if let Ok(value) = row.try_get::<Option<String>, _>(i) {
        return format!("{value:?}");
    }
    if let Ok(value) = row.try_get::<Option<f64>, _>(i) {
        return format!("{value:?}");
    }
    if let Ok(value) = row.try_get::<Option<Vec<u8>>, _>(i) {
        return format!("{value:?}");
    }
    "<unreadable>".into()
}

/// Posts a body; `None` when the server refused it before reading it all
/// and closed the connection (a 413 while a 1 MB body is still uploading).
async fn post(app: &TestApp, path: &str, body: Vec<u8>, cookie: Option<&str>) -> Option<Reply> {
    let body_len = body.len();
    let mut request = app
        .http
        .post(format!("{}{path}", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("origin", &app.base)
        .body(body);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    if body_len > 64 * 1024 {
        // The server answers 413 and closes mid-upload: this connection
        // must not be reused for the next request.
        request = request.header("connection", "close");
    }
    let response = request.send().await.ok()?;
    let (status, headers) = (response.status().as_u16(), response.headers().clone());
    let body = response.text().await.unwrap_or_default();
    Some(Reply {
        status,
        headers,
        body,
    })
}

both_databases! {
    async fn hostile_bodies_to_every_server_function_are_refused_and_change_nothing(app) {
        let cookie = app.sign_up("Hostile", "hostile@example.com", STRONG_PASSWORD).await;
        let mut paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
        paths.sort_unstable();
        paths.dedup();
        assert!(paths.len() > 40, "only {} server functions registered", paths.len());
        for action in NO_INPUT_ACTIONS.iter().chain(CHECKBOX_FORMS.iter()).chain(CEREMONY_STARTS.iter()) {
            assert!(paths.contains(&format!("/api/{action}").as_str()), "no server function {action}");
        }
        for session in [None, Some(cookie.as_str())] {
            let mut before = dump(&app).await;
            for path in &paths {
                let name = path.trim_start_matches("/api/");
                if session.is_some() && NO_INPUT_ACTIONS.contains(&name) {
                    continue;
                }
                for (kind, body) in malformed_bodies() {
                    let oversized = body.len() > 64 * 1024;
                    let Some(reply) = post(&app, path, body, session).await else {
                        assert!(oversized, "{name} ({kind}): the connection failed");
                        continue;
                    };
                    assert!(!oversized || reply.status == 413, "{name}: {} for 1 MB", reply.status);
                    assert!(reply.status < 500, "{name} ({kind}, signed in: {}): {} {}", session.is_some(), reply.status, reply.body);
                }
                if CHECKBOX_FORMS.contains(&name) || CEREMONY_STARTS.contains(&name) {
                    before = dump(&app).await;
                    continue;
                }
                let after = dump(&app).await;
                let changed: Vec<_> = after.iter().filter(|line| !before.contains(line)).collect();
                assert!(changed.is_empty(), "{name} wrote on malformed input: {changed:#?}");
            }
            for path in &paths {
                let name = path.trim_start_matches("/api/");
                if session.is_some() && NO_INPUT_ACTIONS.contains(&name) {
                    continue;
                }
                for (kind, body) in odd_text_bodies() {
                    let reply = post(&app, path, body, session).await.unwrap_or_else(|| panic!("{name} ({kind}): the connection failed"));
                    assert!(reply.status < 500, "{name} ({kind}, signed in: {}): {} {}", session.is_some(), reply.status, reply.body);
                }
            }
        }
        // Still signed in (a team made from odd text may now hold the owner
        // at the 2FA set-up, so ask the session, not a settings page).
        let user = app.call("current_user", &[], Some(&cookie)).await;
        assert!(user.body.contains("hostile@example.com"), "the session still works: {}", user.body);
    }
}
