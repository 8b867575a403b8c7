//! SMS delivery behind a trait: a development outbox (the default, nothing
//! leaves the machine) or a Twilio-compatible REST API.

use crate::server::db::new_id;
use crate::two_factor::phone::normalize_e164;
use anyhow::{Context, anyhow};
use sqlx::AnyPool;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

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
        .bind(crate::time::now_ms())
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
mod tests;
