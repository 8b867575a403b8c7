//! SMS delivery behind a trait: a development outbox (the default, nothing
//! leaves the machine) or a Twilio-compatible REST API.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow};
use sqlx::AnyPool;

use crate::server::db::{new_id, now_ms};
use crate::two_factor::phone::normalize_e164;

/// How long a Twilio request may take before it counts as failed.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Twilio's own API, used when `TWILIO_API_BASE` is unset.
const DEFAULT_API_BASE: &str = "https://api.twilio.com";
/// Longest provider error message copied into our error, in characters.
const MAX_PROVIDER_MESSAGE_CHARS: usize = 200;

/// The future [`SmsSender::send`] returns: resolves once the message is handed over.
pub type SmsFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Delivers a text message. Implementations must not log the body except the
/// outbox, which exists to show developers the (undelivered) message.
pub trait SmsSender: Send + Sync {
    /// Sends `body` to `to_e164`; resolves once the provider accepted it.
    fn send<'a>(&'a self, to_e164: &'a str, body: &'a str) -> SmsFuture<'a>;
    /// A short name for logs and the README ("outbox", "twilio").
    fn name(&self) -> &'static str;
}

/// Default: nothing leaves the machine. Writes each message to the
/// `sms_outbox` table and logs it with `tracing::warn!`, clearly labelled
/// "SMS NOT DELIVERED (outbox)", so a developer can read the code.
#[derive(Debug, Clone)]
pub struct OutboxSms {
    pool: AnyPool,
}

impl OutboxSms {
    /// Creates an outbox writing to `pool`'s `sms_outbox` table.
    pub fn new(pool: AnyPool) -> Self {
        OutboxSms { pool }
    }

    /// Stores the message and logs it, body included (the one place allowed to).
    #[tracing::instrument(skip_all, fields(provider = "outbox"))]
    async fn deliver(&self, to_e164: &str, body: &str) -> anyhow::Result<()> {
        sqlx::query(
            "INSERT INTO sms_outbox (id, to_number, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(new_id())
        .bind(to_e164)
        .bind(body)
        .bind(now_ms())
        .execute(&self.pool)
        .await
        .context("writing the SMS to sms_outbox failed")?;
        tracing::warn!(
            to = %to_e164,
            body = %body,
            "SMS NOT DELIVERED (outbox): set SMS_PROVIDER=twilio to send real text messages"
        );
        Ok(())
    }
}

impl SmsSender for OutboxSms {
    fn send<'a>(&'a self, to_e164: &'a str, body: &'a str) -> SmsFuture<'a> {
        Box::pin(self.deliver(to_e164, body))
    }

    fn name(&self) -> &'static str {
        "outbox"
    }
}

/// The Twilio auth token. Its `Debug` prints "SmsAuthToken(redacted)" and it
/// has no `Display`, so it cannot end up in logs by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsAuthToken(String);

impl SmsAuthToken {
    /// Wraps a token read from the configuration.
    pub fn new(token: impl Into<String>) -> Self {
        SmsAuthToken(token.into())
    }

    /// The token itself, for the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SmsAuthToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmsAuthToken(redacted)")
    }
}

/// Settings for the Twilio client; `auth_token` is a newtype with redacting Debug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwilioConfig {
    /// `scheme://host[/path]` without a trailing slash, e.g. "https://api.twilio.com".
    pub api_base: String,
    /// The account SID ("AC…"): part of the URL and the Basic auth user name.
    pub account_sid: String,
    /// The Basic auth password.
    pub auth_token: SmsAuthToken,
    /// An E.164 sender number, or a Messaging Service SID ("MG…").
    pub from: String,
}

/// A Twilio-compatible REST client: POST
/// `{api_base}/2010-04-01/Accounts/{account_sid}/Messages.json` with form
/// fields To, From (or MessagingServiceSid when `from` starts with "MG"), Body,
/// HTTP basic auth (account_sid, auth_token) and a 10 s timeout. A non-2xx
/// answer becomes an error carrying the status and Twilio's JSON "code" and
/// "message" if present (never the auth token or the body).
#[derive(Debug)]
pub struct TwilioSms {
    client: reqwest::Client,
    config: TwilioConfig,
    url: String,
    timeout: Duration,
}

impl TwilioSms {
    /// Builds the client; fails if the API base or account SID is unusable.
    pub fn new(config: TwilioConfig) -> anyhow::Result<Self> {
        let base = parse_api_base(&config.api_base)
            .ok_or_else(|| anyhow!("the Twilio API base must be an http(s):// URL"))?;
        if !is_sid(&config.account_sid) {
            return Err(anyhow!(
                "the Twilio account SID must be letters, digits and hyphens"
            ));
        }
        let url = format!(
            "{base}/2010-04-01/Accounts/{}/Messages.json",
            config.account_sid
        );
        let client = reqwest::Client::builder()
            // Credentials go with every request; never let a redirect carry them elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the HTTP client for Twilio failed")?;
        Ok(TwilioSms {
            client,
            config,
            url,
            timeout: DEFAULT_TIMEOUT,
        })
    }

    /// Replaces the request timeout; only tests need anything but the default.
    #[cfg(test)]
    pub(crate) fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Posts the message and turns a refusal into an error without secrets.
    #[tracing::instrument(skip_all, fields(provider = "twilio"))]
    async fn deliver(&self, to_e164: &str, body: &str) -> anyhow::Result<()> {
        let from = self.config.from.as_str();
        let from_field = if from.starts_with("MG") {
            "MessagingServiceSid"
        } else {
            "From"
        };
        let response = self
            .client
            .post(&self.url)
            .basic_auth(
                &self.config.account_sid,
                Some(self.config.auth_token.expose()),
            )
            .form(&[("To", to_e164), (from_field, from), ("Body", body)])
            .timeout(self.timeout)
            .send()
            .await
            .map_err(|error| self.request_error(error))?;
        let status = response.status();
        if status.is_success() {
            tracing::debug!(%status, "SMS accepted by Twilio");
            return Ok(());
        }
        // An unreadable or non-JSON error body still leaves the status to report.
        let reply = response.text().await.unwrap_or_default();
        let detail = serde_json::from_str(&reply).map(|v| twilio_error_detail(&v));
        Err(anyhow!(
            "Twilio refused the SMS: HTTP {status}{}",
            detail.unwrap_or_default()
        ))
    }

    /// Describes a transport failure; the body and token are never part of it.
    fn request_error(&self, error: reqwest::Error) -> anyhow::Error {
        if error.is_timeout() {
            anyhow!("Twilio request timed out after {:?}", self.timeout)
        } else {
            anyhow::Error::new(error.without_url()).context("Twilio request failed")
        }
    }
}

impl SmsSender for TwilioSms {
    fn send<'a>(&'a self, to_e164: &'a str, body: &'a str) -> SmsFuture<'a> {
        Box::pin(self.deliver(to_e164, body))
    }

    fn name(&self) -> &'static str {
        "twilio"
    }
}

/// " (error 21211: Invalid 'To' Phone Number)" from Twilio's error JSON, or "".
fn twilio_error_detail(reply: &serde_json::Value) -> String {
    let code = reply["code"].as_i64().map(|code| format!("error {code}"));
    let message = reply["message"].as_str().map(|message| {
        let printable = message.chars().filter(|c| !c.is_control());
        printable.take(MAX_PROVIDER_MESSAGE_CHARS).collect()
    });
    let parts: Vec<String> = code.into_iter().chain(message).collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(": "))
    }
}

/// Which SMS provider the config selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsSettings {
    /// Keep messages in the `sms_outbox` table and the log; send nothing.
    Outbox,
    /// Send through a Twilio-compatible API.
    Twilio(TwilioConfig),
}

/// Reads SMS settings through `lookup` (as the app's config loader does):
/// `SMS_PROVIDER` = "outbox" (default when unset) or "twilio"; for twilio also
/// `TWILIO_ACCOUNT_SID`, `TWILIO_AUTH_TOKEN`, `TWILIO_FROM` (E.164 number or
/// "MG…" Messaging Service SID) and `TWILIO_API_BASE` (default
/// "https://api.twilio.com", must be http(s)://…, trailing slash trimmed).
/// Blank values count as unset. A missing or bad value gives a one-line
/// message naming the setting.
pub fn sms_settings_from_lookup(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<SmsSettings, String> {
    let get = |name: &str| {
        lookup(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let required = |name: &str| {
        get(name).ok_or_else(|| format!("{name} must be set when SMS_PROVIDER=twilio"))
    };
    match get("SMS_PROVIDER")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("outbox") => return Ok(SmsSettings::Outbox),
        Some("twilio") => {}
        Some(_) => return Err(r#"SMS_PROVIDER must be "outbox" or "twilio""#.into()),
    }
    let account_sid = required("TWILIO_ACCOUNT_SID")?;
    if !is_sid(&account_sid) {
        return Err("TWILIO_ACCOUNT_SID must be only letters, digits and hyphens (AC…)".into());
    }
    let auth_token = SmsAuthToken::new(required("TWILIO_AUTH_TOKEN")?);
    let from = required("TWILIO_FROM")?;
    let from = match from.strip_prefix("MG") {
        Some(rest) if is_sid(rest) => Some(from),
        Some(_) => None,
        None => normalize_e164(&from).ok(),
    }
    .ok_or(
        "TWILIO_FROM must be an E.164 number like +14155550123 or a Messaging Service SID (MG…)",
    )?;
    let api_base = match get("TWILIO_API_BASE") {
        None => DEFAULT_API_BASE.to_string(),
        Some(value) => parse_api_base(&value).ok_or(
            "TWILIO_API_BASE must be an http:// or https:// URL like https://api.twilio.com",
        )?,
    };
    Ok(SmsSettings::Twilio(TwilioConfig {
        api_base,
        account_sid,
        auth_token,
        from,
    }))
}

/// Builds the sender for the settings.
pub fn build_sender(settings: SmsSettings, pool: AnyPool) -> anyhow::Result<Arc<dyn SmsSender>> {
    let sender: Arc<dyn SmsSender> = match settings {
        SmsSettings::Outbox => Arc::new(OutboxSms::new(pool)),
        SmsSettings::Twilio(config) => Arc::new(TwilioSms::new(config)?),
    };
    tracing::info!(provider = sender.name(), "SMS delivery configured");
    Ok(sender)
}

/// The API base without trailing slashes, if it is an http(s) URL with a host
/// and no credentials, query or fragment.
fn parse_api_base(value: &str) -> Option<String> {
    let value = value.trim().trim_end_matches('/');
    let (scheme, rest) = value.split_once("://")?;
    let http = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    let bad_char = |c: char| c.is_whitespace() || "@?#".contains(c);
    let host = rest.split('/').next().unwrap_or_default();
    (http && !host.is_empty() && !value.contains(bad_char)).then(|| value.to_string())
}

/// Whether `value` can go into the URL path as a SID: non-empty ASCII letters,
/// digits and hyphens (Twilio-compatible services may use UUIDs).
fn is_sid(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
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
        let started = std::time::Instant::now();
        let error = sms.send("+14155550123", CODE_TEXT).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
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
        let before = now_ms();
        sender.send("+14155550123", CODE_TEXT).await.unwrap();
        let query = "SELECT id, to_number, body, created_at FROM sms_outbox";
        let rows: Vec<(String, String, String, i64)> =
            sqlx::query_as(query).fetch_all(&pool).await.unwrap();
        let [(id, to, body, created_at)] = rows.as_slice() else {
            panic!("{rows:?}")
        };
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        assert_eq!((to.as_str(), body.as_str()), ("+14155550123", CODE_TEXT));
        assert!((before..=now_ms()).contains(created_at));
    }
}
