//! Mail settings from the environment.

use std::time::Duration;

/// How mail leaves: the outbox (no `smtp`) or an SMTP server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSettings {
    /// `Name <address>` or a bare address.
    pub from: String,
    pub smtp: Option<SmtpSettings>,
    /// First retry delay after a failed delivery; doubles up to an hour.
    pub retry_base: Duration,
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (refused if the server cannot).
    StartTls,
    /// TLS from the first byte (SMTPS, usually port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or in tests.
    None,
}

/// The SMTP password. Its `Debug` prints "SmtpPassword(redacted)".
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpPassword(String);

impl SmtpPassword {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SmtpPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SmtpPassword(redacted)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<SmtpPassword>,
    pub timeout: Duration,
}

const DEFAULT_FROM: &str = "StatusStack Security <security@statusstack.localhost>";

/// Reads `MAIL_PROVIDER`, `MAIL_FROM`, `MAIL_RETRY_SECONDS` and the `SMTP_*` settings.
pub fn mail_settings_from_lookup(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<MailSettings, String> {
    let get = |name: &str| {
        lookup(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let from = get("MAIL_FROM").unwrap_or_else(|| DEFAULT_FROM.to_string());
    if from.parse::<lettre::message::Mailbox>().is_err() {
        return Err(format!(
            "MAIL_FROM: {from:?} is not an address like \"StatusStack <security@example.com>\""
        ));
    }
    let retry_base = match get("MAIL_RETRY_SECONDS") {
        None => Duration::from_secs(30),
        Some(text) => match text.parse::<u64>() {
            Ok(seconds) if (1..=3600).contains(&seconds) => Duration::from_secs(seconds),
            _ => {
                return Err(format!(
                    "MAIL_RETRY_SECONDS: {text:?} is not a whole number of seconds from 1 to 3600"
                ));
            }
        },
    };
    let smtp = match get("MAIL_PROVIDER")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("outbox") => None,
        Some("smtp") => Some(smtp_settings(&get)?),
        Some(_) => return Err(r#"MAIL_PROVIDER: must be "outbox" or "smtp""#.into()),
    };
    Ok(MailSettings {
        from,
        smtp,
        retry_base,
    })
}

fn smtp_settings(get: &dyn Fn(&str) -> Option<String>) -> Result<SmtpSettings, String> {
    let host = get("SMTP_HOST").ok_or("SMTP_HOST: must be set when MAIL_PROVIDER=smtp")?;
    if host.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(format!("SMTP_HOST: {host:?} is not a host name"));
    }
    let security = match get("SMTP_SECURITY")
        .map(|v| v.to_ascii_lowercase())
        .as_deref()
    {
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("tls") => SmtpSecurity::Tls,
        Some("none") => SmtpSecurity::None,
        Some(other) => {
            return Err(format!(
                "SMTP_SECURITY: {other:?} must be starttls, tls or none"
            ));
        }
    };
    let default_port = match security {
        SmtpSecurity::StartTls => 587,
        SmtpSecurity::Tls => 465,
        SmtpSecurity::None => 25,
    };
    let port = match get("SMTP_PORT") {
        None => default_port,
        Some(text) => text
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| format!("SMTP_PORT: {text:?} is not a port number"))?,
    };
    let username = get("SMTP_USERNAME");
    let password = get("SMTP_PASSWORD").map(SmtpPassword);
    if username.is_some() != password.is_some() {
        return Err("SMTP_USERNAME and SMTP_PASSWORD: set both or neither".into());
    }
    let timeout = match get("SMTP_TIMEOUT_SECONDS") {
        None => Duration::from_secs(10),
        Some(text) => match text.parse::<u64>() {
            Ok(seconds) if (1..=120).contains(&seconds) => Duration::from_secs(seconds),
            _ => {
                return Err(format!(
                    "SMTP_TIMEOUT_SECONDS: {text:?} is not a whole number of seconds from 1 to 120"
                ));
            }
        },
    };
    Ok(SmtpSettings {
        host,
        port,
        security,
        username,
        password,
        timeout,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<MailSettings, String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        mail_settings_from_lookup(&|name| map.get(name).cloned())
    }

    #[test]
    fn the_outbox_is_the_default() {
        let settings = read(&[]).unwrap();
        assert_eq!(settings.smtp, None);
        assert_eq!(settings.retry_base, Duration::from_secs(30));
    }

    #[test]
    fn smtp_defaults_follow_the_security_mode() {
        let settings = read(&[("MAIL_PROVIDER", "smtp"), ("SMTP_HOST", "mail.example.com")])
            .unwrap()
            .smtp
            .unwrap();
        assert_eq!(
            (settings.port, settings.security),
            (587, SmtpSecurity::StartTls)
        );
        let tls = read(&[
            ("MAIL_PROVIDER", "smtp"),
            ("SMTP_HOST", "mail.example.com"),
            ("SMTP_SECURITY", "tls"),
        ])
        .unwrap()
        .smtp
        .unwrap();
        assert_eq!(tls.port, 465);
    }

    #[test]
    fn bad_settings_name_themselves() {
        for (pairs, name) in [
            (vec![("MAIL_PROVIDER", "pigeon")], "MAIL_PROVIDER"),
            (vec![("MAIL_FROM", "not an address")], "MAIL_FROM"),
            (vec![("MAIL_RETRY_SECONDS", "0")], "MAIL_RETRY_SECONDS"),
            (vec![("MAIL_PROVIDER", "smtp")], "SMTP_HOST"),
            (
                vec![("MAIL_PROVIDER", "smtp"), ("SMTP_HOST", "a b")],
                "SMTP_HOST",
            ),
            (
                vec![
                    ("MAIL_PROVIDER", "smtp"),
                    ("SMTP_HOST", "h"),
                    ("SMTP_PORT", "70000"),
                ],
                "SMTP_PORT",
            ),
            (
                vec![
                    ("MAIL_PROVIDER", "smtp"),
                    ("SMTP_HOST", "h"),
                    ("SMTP_SECURITY", "ssl3"),
                ],
                "SMTP_SECURITY",
            ),
            (
                vec![
                    ("MAIL_PROVIDER", "smtp"),
                    ("SMTP_HOST", "h"),
                    ("SMTP_USERNAME", "u"),
                ],
                "SMTP_USERNAME",
            ),
            (
                vec![
                    ("MAIL_PROVIDER", "smtp"),
                    ("SMTP_HOST", "h"),
                    ("SMTP_TIMEOUT_SECONDS", "0"),
                ],
                "SMTP_TIMEOUT_SECONDS",
            ),
        ] {
            let error = read(&pairs).unwrap_err();
            assert!(error.starts_with(name), "{pairs:?}: {error}");
        }
    }

    #[test]
    fn the_password_is_never_printed() {
        let settings = read(&[
            ("MAIL_PROVIDER", "smtp"),
            ("SMTP_HOST", "h"),
            ("SMTP_USERNAME", "u"),
            ("SMTP_PASSWORD", "hunter2-secret"),
        ])
        .unwrap();
        assert!(!format!("{settings:?}").contains("hunter2"));
    }
}
