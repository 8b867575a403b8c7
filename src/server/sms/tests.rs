//! The SMS senders against a local fake Twilio server and an in-memory outbox.

use super::*;
use axum::http::{HeaderMap, StatusCode, Uri};
use base64::Engine;
use std::collections::HashMap;
use std::sync::Mutex;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "tok_super_secret_9f8e7d";
const CODE_TEXT: &str = "Your code is 123456";

/// What the fake Twilio saw per request: path, decoded Basic credentials, form.
type Seen = Arc<Mutex<Vec<(String, String, HashMap<String, String>)>>>;
type FormMap = axum::Form<HashMap<String, String>>;

/// Starts a fake Twilio answering every POST with `status` and `reply`.
async fn fake_twilio(status: StatusCode, reply: &'static str) -> (String, Seen) {
    let seen = Seen::default();
    let log = seen.clone();
    let handler = move |uri: Uri, headers: HeaderMap, axum::Form(form): FormMap| {
        let log = log.clone();
        async move {
            let basic = headers["authorization"].to_str().unwrap();
            let encoded = basic.strip_prefix("Basic ").unwrap();
            let decoded = base64::engine::general_purpose::STANDARD.decode(encoded);
            let credentials = String::from_utf8(decoded.unwrap()).unwrap();
            log.lock()
                .unwrap()
                .push((uri.path().into(), credentials, form));
            (status, reply)
        }
    };
    let app = axum::Router::new().fallback(axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

fn twilio(api_base: &str, from: &str) -> TwilioSms {
    let auth_token = SmsAuthToken::new(TOKEN);
    let (api_base, account_sid, from) = (api_base.into(), SID.into(), from.into());
    TwilioSms::new(TwilioConfig {
        api_base,
        account_sid,
        auth_token,
        from,
    })
    .unwrap()
}

#[tokio::test]
async fn twilio_posts_the_form_with_basic_auth() {
    let (base, seen) = fake_twilio(StatusCode::CREATED, r#"{"sid":"SM1"}"#).await;
    let sms = twilio(&base, "+15005550006");
    assert_eq!(sms.name(), "twilio");
    sms.send("+14155550123", CODE_TEXT).await.unwrap();
    let (path, credentials, form) = seen.lock().unwrap()[0].clone();
    assert_eq!(path, format!("/2010-04-01/Accounts/{SID}/Messages.json"));
    assert_eq!(credentials, format!("{SID}:{TOKEN}"));
    assert_eq!(form["To"], "+14155550123");
    assert_eq!(form["From"], "+15005550006");
    assert_eq!(form["Body"], CODE_TEXT);
    assert!(!form.contains_key("MessagingServiceSid"));
}

#[tokio::test]
async fn twilio_uses_messaging_service_sid_for_mg_senders() {
    let (base, seen) = fake_twilio(StatusCode::CREATED, "{}").await;
    let sms = twilio(&base, "MG0123456789abcdef");
    sms.send("+447911123456", CODE_TEXT).await.unwrap();
    let form = seen.lock().unwrap()[0].2.clone();
    assert_eq!(form["MessagingServiceSid"], "MG0123456789abcdef");
    assert_eq!(form["To"], "+447911123456");
    assert!(!form.contains_key("From"));
}

#[tokio::test]
async fn twilio_refusal_carries_code_but_no_secrets() {
    let reply = r#"{"code":21211,"message":"Invalid 'To' Phone Number","status":400}"#;
    let (base, _seen) = fake_twilio(StatusCode::BAD_REQUEST, reply).await;
    let error = twilio(&base, "+15005550006")
        .send("+15005550001", CODE_TEXT)
        .await;
    let text = format!("{0:#} {0:?}", error.unwrap_err());
    assert!(text.contains("400") && text.contains("21211"), "{text}");
    assert!(text.contains("Invalid 'To' Phone Number"), "{text}");
    assert!(!text.contains(TOKEN) && !text.contains("123456"), "{text}");
}

#[tokio::test]
async fn twilio_request_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Accepts connections and holds them open without ever answering.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let sms = twilio(&base, "+15005550006").with_timeout(Duration::from_millis(300));
    // The server never answers, so only the client's own timeout can end the
    // call; the outer bound only keeps a missing timeout from hanging the suite.
    let error = tokio::time::timeout(Duration::from_secs(60), sms.send("+14155550123", CODE_TEXT))
        .await
        .expect("the client gave up on its own")
        .unwrap_err();
    let text = format!("{error:#}");
    assert!(text.contains("timed out"), "{text}");
    assert!(!text.contains(TOKEN) && !text.contains("123456"), "{text}");
}

const TWILIO: [(&str, &str); 4] = [
    ("SMS_PROVIDER", "twilio"),
    ("TWILIO_ACCOUNT_SID", SID),
    ("TWILIO_AUTH_TOKEN", TOKEN),
    ("TWILIO_FROM", "+1 500 555 0006"),
];

/// Parses `TWILIO` with `name` replaced by `value`, or removed when `None`.
fn settings_with(name: &str, value: Option<&str>) -> Result<SmsSettings, String> {
    let mut map: HashMap<&str, &str> = TWILIO.into_iter().collect();
    map.remove(name);
    map.extend(value.map(|value| (name, value)));
    sms_settings_from_lookup(&|key| map.get(key).map(|v| v.to_string()))
}

#[test]
fn settings_default_to_the_outbox() {
    assert_eq!(sms_settings_from_lookup(&|_| None), Ok(SmsSettings::Outbox));
    for provider in [None, Some(" "), Some("Outbox")] {
        assert_eq!(
            settings_with("SMS_PROVIDER", provider),
            Ok(SmsSettings::Outbox)
        );
    }
    let error = settings_with("SMS_PROVIDER", Some("pigeon")).unwrap_err();
    assert!(error.starts_with("SMS_PROVIDER"), "{error}");
}

#[test]
fn twilio_settings_are_read_and_defaulted() {
    let Ok(SmsSettings::Twilio(config)) = settings_with("", None) else {
        panic!()
    };
    assert_eq!(config.api_base, "https://api.twilio.com");
    assert_eq!(config.account_sid, SID);
    assert_eq!(config.auth_token.expose(), TOKEN);
    assert_eq!(config.from, "+15005550006");
    let base = settings_with("TWILIO_API_BASE", Some("http://127.0.0.1:4010/twilio//"));
    let Ok(SmsSettings::Twilio(config)) = base else {
        panic!()
    };
    assert_eq!(config.api_base, "http://127.0.0.1:4010/twilio");
    let Ok(SmsSettings::Twilio(config)) = settings_with("TWILIO_FROM", Some("MGab12")) else {
        panic!()
    };
    assert_eq!(config.from, "MGab12");
}

#[test]
fn missing_or_bad_twilio_settings_are_named() {
    for name in ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM"] {
        let error = settings_with(name, None).unwrap_err();
        assert_eq!(
            error,
            format!("{name} must be set when SMS_PROVIDER=twilio")
        );
    }
    for (name, value) in [
        ("TWILIO_API_BASE", "ftp://api.twilio.com"),
        ("TWILIO_API_BASE", "api.twilio.com"),
        ("TWILIO_API_BASE", "https://"),
        ("TWILIO_API_BASE", "https://user:pw@api.twilio.com"),
        ("TWILIO_FROM", "4155550123"),
        ("TWILIO_FROM", "MG"),
        ("TWILIO_ACCOUNT_SID", "AC123/../x"),
    ] {
        let error = settings_with(name, Some(value)).unwrap_err();
        assert!(
            error.starts_with(name) && !error.contains(TOKEN),
            "{value}: {error}"
        );
    }
}

#[test]
fn debug_output_never_shows_the_token() {
    let sms = twilio("https://api.twilio.com", "+15005550006");
    let text = format!("{:?} {sms:?}", SmsSettings::Twilio(sms.config.clone()));
    assert!(
        text.contains("SmsAuthToken(redacted)") && !text.contains(TOKEN),
        "{text}"
    );
}

#[tokio::test]
async fn outbox_stores_the_message() {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new().max_connections(1);
    let pool = pool.connect("sqlite::memory:").await.unwrap();
    let table = "CREATE TABLE sms_outbox (id TEXT PRIMARY KEY, to_number TEXT NOT NULL, \
                 body TEXT NOT NULL, created_at BIGINT NOT NULL)";
    sqlx::query(table).execute(&pool).await.unwrap();
    let sender = build_sender(SmsSettings::Outbox, pool.clone()).unwrap();
    assert_eq!(sender.name(), "outbox");
    let before = crate::time::now_ms();
    sender.send("+14155550123", CODE_TEXT).await.unwrap();
    let query = "SELECT id, to_number, body, created_at FROM sms_outbox";
    let rows: Vec<(String, String, String, i64)> =
        sqlx::query_as(query).fetch_all(&pool).await.unwrap();
    let [(id, to, body, created_at)] = rows.as_slice() else {
        panic!("{rows:?}")
    };
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!((to.as_str(), body.as_str()), ("+14155550123", CODE_TEXT));
    assert!((before..=crate::time::now_ms()).contains(created_at));
}
