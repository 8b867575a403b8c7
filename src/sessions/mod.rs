//! Active sessions: every signed-in device, where and when, revocable.

pub mod api;
pub mod view;

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
    pub sudo_factor: Option<crate::two_factor::Method>,
}

/// Sessions should be reviewed monthly.
pub const REVIEW_INTERVAL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Whether the monthly review is due: 30 days after the last review, or
/// after the account's first 30 days if there never was one.
pub fn review_due(reviewed_at: Option<i64>, account_created_at: i64, now: i64) -> bool {
    now - reviewed_at.unwrap_or(account_created_at) >= REVIEW_INTERVAL_MS
}

/// How a stored `auth_method` reads in the list.
pub fn sign_in_method_label(stored: &str) -> String {
    let factors: Vec<&str> = stored
        .split('+')
        .map(|factor| match factor {
            "password" => "Password",
            "totp" => "authenticator app",
            "sms" => "SMS",
            "backup_code" => "backup code",
            "api_key" => "API key",
            _ => "other",
        })
        .collect();
    factors.join(" + ")
}

/// Whether a stored `auth_method` included a second factor.
pub fn has_second_factor(stored: &str) -> bool {
    stored.split('+').count() > 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_read_naturally() {
        assert_eq!(sign_in_method_label("password"), "Password");
        assert_eq!(
            sign_in_method_label("password+totp"),
            "Password + authenticator app"
        );
        assert_eq!(sign_in_method_label("password+sms"), "Password + SMS");
        assert!(has_second_factor("password+backup_code"));
        assert!(!has_second_factor("password"));
    }

    #[test]
    fn review_is_due_after_thirty_days() {
        let day = 24 * 60 * 60 * 1000;
        assert!(!review_due(None, 0, 29 * day));
        assert!(review_due(None, 0, 30 * day));
        assert!(!review_due(Some(10 * day), 0, 39 * day));
        assert!(review_due(Some(10 * day), 0, 40 * day));
    }
}
