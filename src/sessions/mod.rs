//! Active sessions: every signed-in device, where and when, revocable.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use crate::ids::is_uuid_shaped;
use serde::{Deserialize, Serialize};

/// What kind of device a session runs on (picks the icon).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum DeviceKind {
    Desktop,
    Mobile,
    Tablet,
    Bot,
    Api,
    Unknown,
}

/// One live session as the list shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: String,
    /// "Chrome on macOS", "API client", …
    pub device: String,
    pub kind: DeviceKind,
    pub ip: String,
    /// "San Francisco, CA, US", "Local network" or "Unknown location".
    pub location: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// "Password", "Password + authenticator app", …
    pub sign_in_method: String,
    /// Whether the sign-in passed a second factor.
    pub has_second_factor: bool,
    /// The session this list was requested from.
    pub current: bool,
}

/// The Active Sessions section's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionsOverview {
    /// Newest activity first; the current session is among them.
    pub sessions: Vec<SessionInfo>,
    /// When the user last marked the list as reviewed.
    pub reviewed_at: Option<i64>,
    pub review_due: bool,
    /// Whether mass sign-outs still need the password (sudo mode expired).
    pub needs_password: bool,
    /// The second factor sudo mode also asks for, when 2FA is on.
    pub sudo_factor: crate::two_factor::SudoFactor,
}

/// Session ids are UUIDs; anything else is refused before the database.
pub fn session_id_problem(id: &str) -> Option<&'static str> {
    (!is_uuid_shaped(id)).then_some("That session id is not valid.")
}

/// Which other sessions a mass sign-out ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
pub enum MassRevocation {
    #[strum(serialize = "all")]
    All,
    #[strum(serialize = "without_2fa")]
    WithoutSecondFactor,
}

crate::text_enum!(MassRevocation);

/// Sessions should be reviewed monthly.
pub const REVIEW_INTERVAL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Whether the monthly review is due: 30 days after the last review, or
/// after the account's first 30 days if there never was one.
pub fn review_due(reviewed_at: Option<i64>, account_created_at: i64, now: i64) -> bool {
    now - reviewed_at.unwrap_or(account_created_at) >= REVIEW_INTERVAL_MS
}

/// The first step of a sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FirstFactor {
    Password,
    /// A passkey with user verification: two factors in one step.
    Passkey,
    /// A connected account at this provider (its label: "GitHub"). The
    /// provider's own second factor does not count as ours.
    Provider(String),
    /// The organization's single sign-on (its display name: "Example Corp").
    SingleSignOn(String),
}

impl FirstFactor {
    /// What the list shows for it.
    pub fn label(&self) -> &str {
        match self {
            FirstFactor::Password => "Password",
            FirstFactor::Passkey => "Passkey",
            FirstFactor::Provider(label) | FirstFactor::SingleSignOn(label) => label,
        }
    }
}

/// Stored as `password`, `passkey`, `provider:<label>` or `sso:<label>`.
impl std::fmt::Display for FirstFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FirstFactor::Password => f.write_str("password"),
            FirstFactor::Passkey => f.write_str("passkey"),
            FirstFactor::Provider(label) => write!(f, "provider:{label}"),
            FirstFactor::SingleSignOn(label) => write!(f, "sso:{label}"),
        }
    }
}

impl std::str::FromStr for FirstFactor {
    type Err = strum::ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "password" => Ok(FirstFactor::Password),
            "passkey" => Ok(FirstFactor::Passkey),
            _ => {
                if let Some(label) = text.strip_prefix("provider:")
                    && is_provider_label(label)
                {
                    Ok(FirstFactor::Provider(label.to_string()))
                } else if let Some(label) = text.strip_prefix("sso:")
                    && is_provider_label(label)
                {
                    Ok(FirstFactor::SingleSignOn(label.to_string()))
                } else {
                    Err(strum::ParseError::VariantNotFound)
                }
            }
        }
    }
}

/// Whether `label` can name a provider: 1-40 letters, digits, spaces,
/// dots and dashes (it is stored between `:` and `+`).
pub fn is_provider_label(label: &str) -> bool {
    !label.is_empty()
        && label.chars().count() <= 40
        && label
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_'))
}

/// The second factor a sign-in passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum SecondFactorUsed {
    Totp,
    Sms,
    BackupCode,
    /// One of the account's passkeys, after the password.
    Passkey,
}

impl SecondFactorUsed {
    /// How the list names it after "Password + ".
    pub fn label(self) -> &'static str {
        match self {
            SecondFactorUsed::Totp => "authenticator app",
            SecondFactorUsed::Sms => "SMS",
            SecondFactorUsed::BackupCode => "backup code",
            SecondFactorUsed::Passkey => "passkey",
        }
    }
}

/// How a session signed in. Stored in `sessions.auth_method` as the first
/// factor, then `+` and the second when 2FA was asked: `password+totp`,
/// `provider:GitHub+totp`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInMethod {
    pub first: FirstFactor,
    pub second: Option<SecondFactorUsed>,
}

impl SignInMethod {
    /// A password alone.
    pub const PASSWORD: SignInMethod = SignInMethod {
        first: FirstFactor::Password,
        second: None,
    };

    /// A passkey alone (it verified the user: already two factors).
    pub const PASSKEY: SignInMethod = SignInMethod {
        first: FirstFactor::Passkey,
        second: None,
    };

    /// `first` and then `second`.
    pub fn then(first: FirstFactor, second: SecondFactorUsed) -> SignInMethod {
        SignInMethod {
            first,
            second: Some(second),
        }
    }

    /// A connected account alone.
    pub fn provider(label: &str) -> SignInMethod {
        SignInMethod {
            first: FirstFactor::Provider(label.to_string()),
            second: None,
        }
    }

    /// The organization's single sign-on alone.
    pub fn single_sign_on(label: &str) -> SignInMethod {
        SignInMethod {
            first: FirstFactor::SingleSignOn(label.to_string()),
            second: None,
        }
    }

    /// Whether the sign-in proved a second factor: a passkey does by
    /// itself (the device it is on, and the PIN or biometric that unlocked it).
    pub fn has_second_factor(&self) -> bool {
        self.second.is_some() || self.first == FirstFactor::Passkey
    }

    /// "Password", "Password + authenticator app", "GitHub + SMS", …
    pub fn label(&self) -> String {
        let first = self.first.label();
        match self.second {
            Some(second) => format!("{first} + {}", second.label()),
            None => first.to_string(),
        }
    }
}

impl std::fmt::Display for SignInMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.second {
            Some(second) => write!(f, "{}+{}", self.first, <&'static str>::from(second)),
            None => write!(f, "{}", self.first),
        }
    }
}

impl std::str::FromStr for SignInMethod {
    type Err = strum::ParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (first, second) = match text.split_once('+') {
            Some((first, second)) => (first, Some(second.parse()?)),
            None => (text, None),
        };
        Ok(SignInMethod {
            first: first.parse()?,
            second,
        })
    }
}

impl TryFrom<String> for SignInMethod {
    type Error = strum::ParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_read_naturally_and_round_trip() {
        let read = |text: &str| text.parse::<SignInMethod>().unwrap();
        assert_eq!(read("password").label(), "Password");
        assert_eq!(
            read("password+totp").label(),
            "Password + authenticator app"
        );
        assert_eq!(read("password+sms").label(), "Password + SMS");
        assert!(read("password+backup_code").has_second_factor());
        assert_eq!(read("password+passkey").label(), "Password + passkey");
        assert!(!read("password").has_second_factor());
        assert_eq!(read("passkey"), SignInMethod::PASSKEY);
        assert_eq!(read("passkey").label(), "Passkey");
        assert!(read("passkey").has_second_factor());
        assert_eq!(read("provider:GitHub").label(), "GitHub");
        assert!(!read("provider:GitHub").has_second_factor());
        assert_eq!(
            read("provider:Acme SSO+totp").label(),
            "Acme SSO + authenticator app"
        );
        for text in [
            "password",
            "password+totp",
            "password+sms",
            "password+backup_code",
            "provider:GitHub",
            "provider:Google+sms",
            "sso:Example Corp",
            "sso:Example Corp+totp",
        ] {
            assert_eq!(read(text).to_string(), text);
        }
        for bad in [
            "",
            "api_key",
            "password+",
            "password+email",
            "totp+password",
            "provider:",
            "provider:a:b",
            "sso:",
            "sso:a:b",
        ] {
            assert!(bad.parse::<SignInMethod>().is_err(), "{bad}");
        }
    }

    #[test]
    fn review_is_due_after_thirty_days() {
        let day = 24 * 60 * 60 * 1000;
        assert!(!review_due(None, 0, 29 * day));
        assert!(review_due(None, 0, 30 * day));
        assert!(!review_due(Some(10 * day), 0, 39 * day));
        assert!(review_due(Some(10 * day), 0, 40 * day));
    }

    #[test]
    fn only_uuid_shaped_ids_pass() {
        assert!(session_id_problem("0190f3a2-7b1c-7d4e-8f00-0123456789ab").is_none());
        for bad in [
            "",
            "abc",
            "0190f3a2-7b1c-7d4e-8f00-0123456789abc",
            "0190f3a2x7b1c-7d4e-8f00-0123456789ab",
            "'; DROP TABLE sessions; --",
        ] {
            assert!(session_id_problem(bad).is_some(), "{bad}");
        }
    }
}
