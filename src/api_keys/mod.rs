//! API keys: scoped, expiring, shown once, rotated with a grace period.
//! The types here are shared by the settings page, its server functions and
//! the `/api/v1` JSON API.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use crate::time::{DAY_MS, parse_day};
use serde::{Deserialize, Serialize};

/// Keys unused this long get the "Unused for 30+ days" badge.
pub const UNUSED_AFTER_MS: i64 = 30 * DAY_MS;
/// Keys whose secret is this old get the "Rotation due" badge (quarterly).
pub const ROTATION_DUE_AFTER_MS: i64 = 90 * DAY_MS;
/// The latest expiry a key can have.
pub const MAX_EXPIRY_MS: i64 = 365 * DAY_MS;
/// A key's name, in characters.
pub const NAME_MAX_CHARS: usize = 64;

/// What a key may do; each level includes the ones below it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize
)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "snake_case")]
pub enum Permission {
    Read,
    Write,
    Admin,
}

crate::text_enum!(Permission);

impl Permission {
    /// What the UI calls it.
    pub fn label(self) -> &'static str {
        match self {
            Permission::Read => "Read-only",
            Permission::Write => "Read/Write",
            Permission::Admin => "Admin",
        }
    }

    /// What it allows, in a sentence.
    pub fn description(self) -> &'static str {
        match self {
            Permission::Read => {
                "Read your profile, sessions and login history. Recommended for monitoring and exports."
            }
            Permission::Write => "Everything Read-only can, plus sign out sessions.",
            Permission::Admin => {
                "Everything, including creating and revoking API keys. Needs your password to create."
            }
        }
    }

    /// Whether a key with this permission may do what needs `needed`.
    pub fn allows(self, needed: Permission) -> bool {
        self >= needed
    }
}

/// How long a new key lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    Days(i64),
    /// Until the end of this day (days since the epoch, UTC).
    Until(i64),
    Never,
}

impl Expiry {
    /// Reads the form's choice ("30", "60", "90", "custom", "never") and
    /// custom date (`YYYY-MM-DD`).
    pub fn parse(choice: &str, custom_date: &str) -> Result<Expiry, String> {
        match choice {
            "30" | "60" | "90" => Ok(Expiry::Days(choice.parse().unwrap_or(30))),
            "never" => Ok(Expiry::Never),
            "custom" => match parse_day(custom_date.trim(), "expiry")? {
                Some(day) => Ok(Expiry::Until(day)),
                None => Err("Choose the date the key expires.".into()),
            },
            _ => Err("Choose when the key expires.".into()),
        }
    }

    /// The expiry instant for a key created at `now`; refuses dates in the
    /// past or more than a year ahead.
    pub fn expires_at(self, now: i64) -> Result<Option<i64>, String> {
        let at = match self {
            Expiry::Never => return Ok(None),
            Expiry::Days(days) => now + days * DAY_MS,
            Expiry::Until(day) => (day + 1) * DAY_MS,
        };
        if at <= now {
            return Err("The expiry date must be in the future.".into());
        }
        if at > now + MAX_EXPIRY_MS + DAY_MS {
            return Err("A key can live at most one year. Choose an earlier date.".into());
        }
        Ok(Some(at))
    }
}

/// How long the old secret keeps working after a rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
pub enum RotationGrace {
    #[strum(serialize = "none")]
    None,
    #[strum(serialize = "1h")]
    OneHour,
    #[strum(serialize = "24h")]
    OneDay,
    #[strum(serialize = "7d")]
    SevenDays,
}

crate::text_enum!(RotationGrace);

impl RotationGrace {
    pub fn label(self) -> &'static str {
        match self {
            RotationGrace::None => "Stop the old secret now",
            RotationGrace::OneHour => "Keep the old secret for 1 hour",
            RotationGrace::OneDay => "Keep the old secret for 24 hours",
            RotationGrace::SevenDays => "Keep the old secret for 7 days",
        }
    }

    pub fn millis(self) -> i64 {
        match self {
            RotationGrace::None => 0,
            RotationGrace::OneHour => 60 * 60 * 1000,
            RotationGrace::OneDay => DAY_MS,
            RotationGrace::SevenDays => 7 * DAY_MS,
        }
    }
}

/// A key's name after trimming, or why it is refused.
pub fn clean_key_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Give the key a name, e.g. \"Grafana dashboard\".".into());
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(format!(
            "A key's name is at most {NAME_MAX_CHARS} characters."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("A key's name cannot contain control characters.".into());
    }
    Ok(name.to_string())
}

/// One key as the list (and `GET /api/v1/api-keys`) shows it. Never holds the secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiKeyInfo {
    pub id: String,
    pub name: String,
    /// The first 8 characters after `ssk_` of the current secret.
    pub prefix: String,
    pub permission: Permission,
    /// Unix milliseconds, like every time in this API.
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub expired: bool,
    pub last_used_at: Option<i64>,
    /// Where the key was last used from, empty when never used.
    pub last_used_ip: String,
    pub last_used_device: String,
    /// When the current secret was issued by a rotation.
    pub rotated_at: Option<i64>,
    /// The previous secret's prefix while it still works after a rotation.
    pub previous_prefix: Option<String>,
    pub previous_valid_until: Option<i64>,
    /// Not used (or, never used, not created) in the last 30 days.
    pub unused: bool,
    /// The current secret is 90 days old or more.
    pub rotation_due: bool,
}

impl ApiKeyInfo {
    /// The badges' conditions, from the key's times.
    pub fn with_badges(mut self, now: i64) -> ApiKeyInfo {
        self.expired = self.expires_at.is_some_and(|at| at <= now);
        self.unused = is_unused(self.created_at, self.last_used_at, now);
        self.rotation_due = is_rotation_due(self.created_at, self.rotated_at, now);
        self
    }
}

/// The "Unused for 30+ days" condition: not used (or, never used, not
/// created) in the last 30 days.
pub fn is_unused(created_at: i64, last_used_at: Option<i64>, now: i64) -> bool {
    now - last_used_at.unwrap_or(created_at) >= UNUSED_AFTER_MS
}

/// The "Rotation due" condition: the current secret (issued at creation or
/// by the last rotation) is 90 days old or more.
pub fn is_rotation_due(created_at: i64, rotated_at: Option<i64>, now: i64) -> bool {
    now - rotated_at.unwrap_or(created_at) >= ROTATION_DUE_AFTER_MS
}

/// The settings page's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeysOverview {
    /// Newest first; revoked keys are gone.
    pub keys: Vec<ApiKeyInfo>,
    /// Creating an Admin key asks for the password (no recent sign-in).
    pub needs_password: bool,
    /// The second factor the sudo prompt asks for, if 2FA is on.
    pub sudo_factor: crate::two_factor::SudoFactor,
}

/// The answer to a create or rotate: the only response that holds the token.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IssuedKey {
    pub key: ApiKeyInfo,
    /// The full key. Shown once; store it securely.
    pub token: String,
}

impl std::fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedKey")
            .field("key", &self.key)
            .field("token", &"redacted")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::iso_date;
    use strum::IntoEnumIterator;

    const NOW: i64 = 1_795_734_000_000;

    #[test]
    fn permissions_include_the_lower_ones() {
        assert!(Permission::Admin.allows(Permission::Write));
        assert!(Permission::Write.allows(Permission::Read));
        assert!(!Permission::Read.allows(Permission::Write));
        assert!(!Permission::Write.allows(Permission::Admin));
        for p in Permission::iter() {
            assert_eq!(p.as_str().parse::<Permission>().ok(), Some(p));
        }
        assert_eq!(("Admin").parse::<Permission>().ok(), None);
    }

    #[test]
    fn expiry_choices_and_their_limits() {
        assert_eq!(
            Expiry::parse("30", "").unwrap().expires_at(NOW),
            Ok(Some(NOW + 30 * DAY_MS))
        );
        assert_eq!(
            Expiry::parse("never", "").unwrap().expires_at(NOW),
            Ok(None)
        );
        let tomorrow = iso_date(NOW + DAY_MS);
        let at = Expiry::parse("custom", &tomorrow)
            .unwrap()
            .expires_at(NOW)
            .unwrap()
            .unwrap();
        assert!(at > NOW + DAY_MS && at <= NOW + 2 * DAY_MS);
        let yesterday = iso_date(NOW - DAY_MS);
        assert!(
            Expiry::parse("custom", &yesterday)
                .unwrap()
                .expires_at(NOW)
                .is_err()
        );
        let far = iso_date(NOW + 400 * DAY_MS);
        assert!(
            Expiry::parse("custom", &far)
                .unwrap()
                .expires_at(NOW)
                .is_err()
        );
        assert!(Expiry::parse("custom", "").is_err());
        assert!(Expiry::parse("custom", "2026-13-01").is_err());
        assert!(Expiry::parse("45", "").is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_key_name("  Grafana  ").unwrap(), "Grafana");
        assert!(clean_key_name("   ").is_err());
        assert!(clean_key_name(&"x".repeat(65)).is_err());
        assert!(clean_key_name(&"é".repeat(64)).is_ok());
        assert!(clean_key_name("a\u{0}b").is_err());
    }

    #[test]
    fn badges_follow_the_key_times() {
        let key = ApiKeyInfo {
            id: "k".into(),
            name: "n".into(),
            prefix: "abcdefgh".into(),
            permission: Permission::Read,
            created_at: NOW - 100 * DAY_MS,
            expires_at: Some(NOW - 1),
            expired: false,
            last_used_at: Some(NOW - DAY_MS),
            last_used_ip: String::new(),
            last_used_device: String::new(),
            rotated_at: None,
            previous_prefix: None,
            previous_valid_until: None,
            unused: false,
            rotation_due: false,
        };
        let shown = key.clone().with_badges(NOW);
        assert!(shown.expired && shown.rotation_due && !shown.unused);
        let rotated = ApiKeyInfo {
            rotated_at: Some(NOW - DAY_MS),
            last_used_at: None,
            expires_at: None,
            ..key
        }
        .with_badges(NOW);
        assert!(!rotated.expired && !rotated.rotation_due && rotated.unused);
    }
}
