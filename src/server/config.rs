//! Start-up configuration from the environment (and an optional `.env`).

use crate::server::db::default_max_connections;
use crate::server::dns::nameserver_from_lookup;
use crate::server::identity::settings::{IdentitySettings, identity_settings_from_lookup};
use crate::server::mail::mail_settings_from_lookup;
use crate::server::sms::sms_settings_from_lookup;
use crate::time::{DAY_MS, MINUTE_MS};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The settings the server reads, with their defaults, as `--help` prints them.
pub const HELP: &str = "\
StatusStack Security server

USAGE: statusstack [--help]

All settings come from environment variables (a `.env` file in the working
directory is read first, if present):

  DATABASE_URL           sqlite://data/statusstack.db?mode=rwc (default: a SQLite
                         file under DATA_DIR) or postgres://user@host:5432/db
  DATABASE_MAX_CONNECTIONS  pool size, 1-200 (default 8 for SQLite, 16 for PostgreSQL)
  BIND_ADDR              address to listen on (default 127.0.0.1:3000)
  PUBLIC_URL             the URL users reach the app at (default http://localhost:PORT
                         for a loopback BIND_ADDR, else http://BIND_ADDR); https://
                         turns on Secure __Host- cookies and HSTS; passkeys need a
                         domain name here, not an IP address
  DATA_DIR               where the SQLite file and generated key live (default ./data)
  SECRET_KEY_FILE        file holding the 32-byte server key as hex; generated with
                         mode 0600 on first run (default DATA_DIR/secret.key)
  SECRET_KEY             the server key as 64 hex characters (overrides the file)
  SITE_ROOT              the built static site from cargo-leptos (default target/site)
  LOG_LEVEL              tracing filter, e.g. info or statusstack=debug (default info)
  SESSION_IDLE_DAYS      sign out after this many idle days (default 14)
  SESSION_ABSOLUTE_DAYS  sign out this many days after sign-in regardless (default 30)
  GEOIP_DB               a MaxMind GeoLite2/GeoIP2 City .mmdb file for session locations
                         (default: none; locations then read \"Unknown location\")
  DNS_NAMESERVER         ip:port of the one DNS server asked for TXT records (verified
                         domains); default: the servers in /etc/resolv.conf
  TRUST_PROXY_HEADERS    true behind a reverse proxy that sets X-Forwarded-For; the
                         header is ignored otherwise (default false)
  SUDO_WINDOW_MINUTES    how long re-entering the password (and a 2FA code) unlocks
                         sensitive actions, 0-60 (default 10)
  EVENT_RETENTION_DAYS   security events (Login History) older than this are deleted
                         (default 400)
  API_RATE_LIMIT_PER_MINUTE  requests each API key may make per minute, shared by all
                         instances, 1-10000000 (default 600)
  PASSWORD_HASH_THREADS  password hashes (argon2id) computed at once, 1-64 (default:
                         one less than the CPUs, at least 1)
  PASSWORD_HASH_QUEUE    hashes that may wait for a slot before requests get 503,
                         0-1000 (default 8 per thread)
  MAIL_PROVIDER          outbox (default: messages are written as .eml files under
                         DATA_DIR/outbox and logged, never delivered) or smtp
  MAIL_FROM              sender, e.g. \"StatusStack <security@example.com>\"
  MAIL_RETRY_SECONDS     first retry after a failed delivery, doubling to 1 h (default 30)
  SMTP_HOST, SMTP_PORT   with MAIL_PROVIDER=smtp: the server (port default 587/465/25)
  SMTP_SECURITY          starttls (default), tls, or none (local relay only)
  SMTP_USERNAME, SMTP_PASSWORD  credentials (both or neither)
  SMTP_TIMEOUT_SECONDS   per delivery attempt (default 10)
  SMS_PROVIDER           outbox (default: codes are logged and stored in the sms_outbox
                         table, never delivered) or twilio
  TWILIO_ACCOUNT_SID     with SMS_PROVIDER=twilio: the account SID
  TWILIO_AUTH_TOKEN      with SMS_PROVIDER=twilio: the auth token
  TWILIO_FROM            with SMS_PROVIDER=twilio: sender number (E.164) or MG... service SID
  TWILIO_API_BASE        Twilio-compatible API base URL (default https://api.twilio.com)
  SMS_DAILY_LIMIT        text messages the whole service sends per UTC day (default 1000);
                         past it SMS sends stop and the log shows an ERROR alert
  GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET  an OAuth app's credentials: offers \"Sign in with
                         GitHub\" (callback PUBLIC_URL/auth/oauth/github/callback)
  GITHUB_URL, GITHUB_API_URL  GitHub Enterprise hosts (default https://github.com and
                         https://api.github.com)
  GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET  an OAuth client's credentials: offers \"Sign in
                         with Google\" (callback PUBLIC_URL/auth/oauth/google/callback)
  OIDC_PROVIDERS         more OpenID Connect providers, comma-separated
                         name:issuer-url:client-id (found by discovery; callback
                         PUBLIC_URL/auth/oauth/NAME/callback)
  OIDC_<NAME>_CLIENT_SECRET  that provider's client secret (none: a public client, PKCE)
  OIDC_<NAME>_LABEL      what its button says (default the name, capitalised)
  IDENTITY_PROVIDER_TIMEOUT_SECONDS  per request to a provider, 1-60 (default 10)
";

/// A setting that could not be used; the message names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The origin users reach us at; decides cookie flags and what CSRF accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// `scheme://host[:port]`, no trailing slash, lower-case.
    pub origin: String,
    pub https: bool,
}

impl PublicUrl {
    /// The URL when `PUBLIC_URL` is not set: `http://localhost:PORT` for a
    /// loopback address (browsers accept `localhost`, never an IP address,
    /// as the site a passkey belongs to, and treat it as a secure context),
    /// `http://BIND_ADDR` otherwise.
    pub fn default_for(bind_addr: SocketAddr) -> PublicUrl {
        let origin = if bind_addr.ip().is_loopback() {
            format!("http://localhost:{}", bind_addr.port())
        } else {
            format!("http://{bind_addr}")
        };
        PublicUrl {
            origin,
            https: false,
        }
    }

    /// Parses an absolute http(s) URL and keeps only its origin.
    pub fn parse(value: &str) -> Option<PublicUrl> {
        let value = value.trim().trim_end_matches('/');
        let (scheme, rest) = value.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let host = rest.split('/').next()?.to_ascii_lowercase();
        if host.is_empty() || host.contains(['@', ' ', '?', '#']) {
            return None;
        }
        Some(PublicUrl {
            https: scheme == "https",
            origin: format!("{scheme}://{host}"),
        })
    }
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// Upper bound of the connection pool.
    pub database_max_connections: u32,
    pub bind_addr: SocketAddr,
    pub public_url: PublicUrl,
    pub data_dir: PathBuf,
    pub secret_key_file: PathBuf,
    /// The key given inline; never printed by `Debug` of the whole config.
    pub secret_key_hex: Option<SecretHex>,
    pub site_root: PathBuf,
    pub log_level: String,
    pub session_idle_ms: i64,
    pub session_absolute_ms: i64,
    pub geoip_db: Option<PathBuf>,
    /// The only DNS server TXT look-ups ask (`DNS_NAMESERVER`); none: the system's.
    pub dns_nameserver: Option<SocketAddr>,
    pub trust_proxy_headers: bool,
    /// How long a password (and 2FA code) confirmation unlocks sensitive actions.
    pub sudo_window_ms: i64,
    /// Security events older than this are pruned.
    pub event_retention_ms: i64,
    /// Where SMS codes go: the local outbox or a Twilio-compatible API.
    pub sms: crate::server::sms::SmsSettings,
    /// Text messages the whole service sends in a UTC day (`SMS_DAILY_LIMIT`);
    /// past it sending stops with an alert in the log.
    pub sms_daily_limit: i64,
    /// Requests per minute each API key may make.
    pub api_rate_limit_per_minute: i64,
    /// Password hashes computed at once (`PASSWORD_HASH_THREADS`).
    pub password_hash_threads: usize,
    /// Password hashes that may wait for a slot before 503 (`PASSWORD_HASH_QUEUE`).
    pub password_hash_queue: usize,
    /// Where mail goes: the outbox under DATA_DIR or SMTP.
    pub mail: crate::server::mail::MailSettings,
    /// The sign-in providers (GitHub, Google, OpenID Connect).
    pub identity: IdentitySettings,
}

/// A key in hex that must not reach logs.
#[derive(Clone)]
pub struct SecretHex(pub String);

impl std::fmt::Debug for SecretHex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHex(redacted)")
    }
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Reads settings through `lookup`, so tests can supply their own.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let lookup = &lookup;
        let bind_addr = bind_addr(lookup)?;
        let public_url = match lookup("PUBLIC_URL") {
            Some(url) => PublicUrl::parse(&url).ok_or_else(|| {
                ConfigError(format!(
                    "PUBLIC_URL: {url:?} is not an http:// or https:// URL"
                ))
            })?,
            None => PublicUrl::default_for(bind_addr),
        };
        let data_dir = PathBuf::from(lookup("DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = database_url(lookup, &data_dir)?;
        let default_pool = i64::from(default_max_connections(&database_url));
        let database_max_connections =
            number_setting(lookup, "DATABASE_MAX_CONNECTIONS", default_pool, 1..=200)? as u32;
        let secret_key_file = lookup("SECRET_KEY_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("secret.key"));
        let session_idle_ms = days_setting(lookup, "SESSION_IDLE_DAYS", 14, 365)?;
        let session_absolute_ms = days_setting(lookup, "SESSION_ABSOLUTE_DAYS", 30, 365)?;
        if session_idle_ms > session_absolute_ms {
            return Err(ConfigError(
                "SESSION_IDLE_DAYS: must not exceed SESSION_ABSOLUTE_DAYS".into(),
            ));
        }
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as i64;
        let hash_threads =
            number_setting(lookup, "PASSWORD_HASH_THREADS", (cpus - 1).max(1), 1..=64)?;
        Ok(Config {
            geoip_db: geoip_db(lookup)?,
            dns_nameserver: nameserver_from_lookup(&|name| lookup(name)).map_err(ConfigError)?,
            trust_proxy_headers: flag_setting(lookup, "TRUST_PROXY_HEADERS", false)?,
            sudo_window_ms: number_setting(lookup, "SUDO_WINDOW_MINUTES", 10, 0..=60)? * MINUTE_MS,
            event_retention_ms: days_setting(lookup, "EVENT_RETENTION_DAYS", 400, 3650)?,
            api_rate_limit_per_minute: number_setting(
                lookup,
                "API_RATE_LIMIT_PER_MINUTE",
                600,
                1..=10_000_000,
            )?,
            password_hash_threads: hash_threads as usize,
            password_hash_queue: number_setting(
                lookup,
                "PASSWORD_HASH_QUEUE",
                8 * hash_threads,
                0..=1000,
            )? as usize,
            mail: mail_settings_from_lookup(&|name| lookup(name)).map_err(ConfigError)?,
            sms: sms_settings_from_lookup(&|name| lookup(name)).map_err(ConfigError)?,
            identity: identity_settings_from_lookup(&|name| lookup(name)).map_err(ConfigError)?,
            sms_daily_limit: number_setting(lookup, "SMS_DAILY_LIMIT", 1000, 0..=10_000_000)?,
            database_url,
            database_max_connections,
            bind_addr,
            public_url,
            data_dir,
            secret_key_file,
            secret_key_hex: secret_key_hex(lookup)?,
            site_root: PathBuf::from(lookup("SITE_ROOT").unwrap_or_else(|| "target/site".into())),
            log_level: lookup("LOG_LEVEL").unwrap_or_else(|| "info".into()),
            session_idle_ms,
            session_absolute_ms,
        })
    }
}

fn bind_addr(lookup: &impl Fn(&str) -> Option<String>) -> Result<SocketAddr, ConfigError> {
    let text = lookup("BIND_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
    text.trim().parse().map_err(|_| {
        ConfigError(format!(
            "BIND_ADDR: {text:?} is not an address like 127.0.0.1:3000"
        ))
    })
}

fn database_url(
    lookup: &impl Fn(&str) -> Option<String>,
    data_dir: &std::path::Path,
) -> Result<String, ConfigError> {
    let url = lookup("DATABASE_URL")
        .unwrap_or_else(|| format!("sqlite://{}/statusstack.db?mode=rwc", data_dir.display()));
    if super::db::is_sqlite_url(&url)
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        Ok(url)
    } else {
        Err(ConfigError(
            "DATABASE_URL: must start with sqlite: or postgres://".into(),
        ))
    }
}

fn secret_key_hex(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<Option<SecretHex>, ConfigError> {
    match lookup("SECRET_KEY") {
        Some(hex)
            if hex.trim().len() == 64 && hex.trim().chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            Ok(Some(SecretHex(hex.trim().to_string())))
        }
        Some(_) => Err(ConfigError(
            "SECRET_KEY: must be exactly 64 hex characters (32 bytes)".into(),
        )),
        None => Ok(None),
    }
}

fn geoip_db(lookup: &impl Fn(&str) -> Option<String>) -> Result<Option<PathBuf>, ConfigError> {
    let path = lookup("GEOIP_DB").map(PathBuf::from);
    if let Some(path) = &path
        && !path.is_file()
    {
        return Err(ConfigError(format!(
            "GEOIP_DB: {} is not a readable file",
            path.display()
        )));
    }
    Ok(path)
}

/// A whole number within `range`, or `default` when unset.
fn number_setting(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ConfigError> {
    match lookup(name) {
        None => Ok(default),
        Some(text) => match text.trim().parse::<i64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ConfigError(format!(
                "{name}: {text:?} is not a whole number from {} to {}",
                range.start(),
                range.end()
            ))),
        },
    }
}

/// true/1/yes or false/0/no, or `default` when unset.
fn flag_setting(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: bool,
) -> Result<bool, ConfigError> {
    match lookup(name).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(v) if v == "true" || v == "1" || v == "yes" => Ok(true),
        Some(v) if v == "false" || v == "0" || v == "no" => Ok(false),
        Some(v) => Err(ConfigError(format!("{name}: {v:?} is not true or false"))),
    }
}

fn days_setting(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: i64,
    max: i64,
) -> Result<i64, ConfigError> {
    match lookup(name) {
        None => Ok(default * DAY_MS),
        Some(text) => match text.trim().parse::<i64>() {
            Ok(days) if (1..=max).contains(&days) => Ok(days * DAY_MS),
            _ => Err(ConfigError(format!(
                "{name}: {text:?} is not a whole number of days from 1 to {max}"
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    fn config_with_bind(bind: &str) -> Config {
        config(&[("BIND_ADDR", bind)]).unwrap()
    }

    #[test]
    fn defaults_serve_sqlite_on_localhost() {
        let config = config(&[]).unwrap();
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:3000");
        assert_eq!(config.public_url.origin, "http://localhost:3000");
        let open = config_with_bind("0.0.0.0:8080");
        assert_eq!(open.public_url.origin, "http://0.0.0.0:8080");
        assert!(!config.public_url.https);
        assert_eq!(config.database_url, "sqlite://data/statusstack.db?mode=rwc");
        assert_eq!(config.session_idle_ms, 14 * DAY_MS);
    }

    #[test]
    fn each_bad_setting_is_named_in_the_error() {
        for (name, value) in [
            ("BIND_ADDR", "localhost"),
            ("PUBLIC_URL", "ftp://example.com"),
            ("DATABASE_URL", "mysql://x"),
            ("SECRET_KEY", "abc"),
            ("SESSION_IDLE_DAYS", "0"),
            ("SESSION_ABSOLUTE_DAYS", "forever"),
            ("TRUST_PROXY_HEADERS", "maybe"),
            ("SUDO_WINDOW_MINUTES", "61"),
            ("DATABASE_MAX_CONNECTIONS", "0"),
            ("EVENT_RETENTION_DAYS", "0"),
            ("API_RATE_LIMIT_PER_MINUTE", "0"),
            ("API_RATE_LIMIT_PER_MINUTE", "lots"),
            ("SMS_PROVIDER", "carrier-pigeon"),
            ("GEOIP_DB", "/nonexistent/GeoLite2-City.mmdb"),
            ("DNS_NAMESERVER", "localhost:53"),
        ] {
            let error = config(&[(name, value)]).unwrap_err();
            assert!(error.0.starts_with(name), "{name}: {}", error.0);
        }
    }

    #[test]
    fn https_public_url_is_detected_and_trimmed_to_its_origin() {
        let config = config(&[("PUBLIC_URL", "HTTPS://Status.Example.com/app/")]).unwrap();
        assert_eq!(config.public_url.origin, "https://status.example.com");
        assert!(config.public_url.https);
    }

    #[test]
    fn inline_secret_key_is_not_printed_by_debug() {
        let key = "ab".repeat(32);
        let config = config(&[("SECRET_KEY", &key)]).unwrap();
        assert!(!format!("{config:?}").contains(&key));
    }
}
