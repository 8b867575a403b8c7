//! Accounts: sign-up, sign-in, sign-out and password changes.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// The signed-in user as the UI sees them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub name: String,
    pub email: String,
    /// Unix milliseconds.
    pub password_changed_at: i64,
    pub created_at: i64,
    /// Whether a mailed link confirmed the address; until then no API keys,
    /// teams or SMS.
    pub email_verified: bool,
    /// Whether the account has a password; one made through a sign-in
    /// provider has none until an emailed link sets it.
    pub has_password: bool,
}

impl CurrentUser {
    /// Refuses an action that needs a confirmed address.
    pub fn require_verified_email(&self) -> Result<(), crate::error::AppError> {
        if self.email_verified {
            Ok(())
        } else {
            Err(crate::error::AppError::EmailUnverified)
        }
    }
}

/// The server's verdict on a candidate password, shown live by the meter.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StrengthReport {
    /// zxcvbn score, 0 (trivial) to 4 (very strong).
    pub score: u8,
    /// Whether sign-up / change-password would accept it.
    pub acceptable: bool,
    /// The first rule it breaks, as a sentence.
    pub problem: Option<String>,
    pub suggestions: Vec<String>,
    pub length: usize,
}

impl From<StrengthReport> for crate::ui::MeterReading {
    fn from(report: StrengthReport) -> Self {
        crate::ui::MeterReading {
            score: report.score,
            acceptable: report.acceptable,
            problem: report.problem,
            suggestions: report.suggestions,
        }
    }
}

/// The account summary at the top of the security page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecurityOverview {
    pub user: CurrentUser,
    pub active_sessions: i64,
    /// The sign-in before the current one, if any: (time, ip).
    pub previous_sign_in: Option<(i64, String)>,
    /// Failed sign-in attempts on this account in the last 30 days.
    pub recent_failed_sign_ins: i64,
    /// The monthly session review is due.
    pub sessions_review_due: bool,
    /// The active second factor, `None` while 2FA is off.
    pub two_factor: Option<crate::two_factor::Method>,
}

/// Field limits shared by the forms and the server's validation.
pub const NAME_MAX_CHARS: usize = 100;
pub const EMAIL_MAX_CHARS: usize = 254;
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Normalises an email for storage and lookup: trimmed and lower-cased.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Checks a normalised email's shape; returns the message to show when it is off.
pub fn email_problem(email: &str) -> Option<&'static str> {
    if email.is_empty() {
        return Some("Enter your email address.");
    }
    if email.chars().count() > EMAIL_MAX_CHARS {
        return Some("That email address is too long.");
    }
    let Some((local, domain)) = email.rsplit_once('@') else {
        return Some("Enter an email address like name@example.com.");
    };
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c);
    let domain_ok = domain.contains('.')
        && !domain.starts_with(['.', '-'])
        && !domain.ends_with(['.', '-'])
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if local.is_empty()
        || local.len() > 64
        || local.chars().any(bad_char)
        || local.contains('@')
        || !domain_ok
    {
        return Some("Enter an email address like name@example.com.");
    }
    None
}

/// Checks a display name; returns the message to show when it is off.
pub fn name_problem(name: &str) -> Option<String> {
    let name = name.trim();
    if name.is_empty() {
        return Some("Enter your name.".into());
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Some(format!(
            "Use at most {NAME_MAX_CHARS} characters for your name."
        ));
    }
    if name.chars().any(char::is_control) {
        return Some("Your name contains characters we can't display.".into());
    }
    None
}

/// Where signing in leads when nothing else was asked for.
pub const DEFAULT_NEXT_PATH: &str = "/settings/security";

/// Accepts only a local path as a post-sign-in destination (no open redirects).
pub fn safe_next_path(next: &str) -> String {
    let next = next.trim();
    if crate::ids::is_local_path(next) {
        next.to_string()
    } else {
        DEFAULT_NEXT_PATH.to_string()
    }
}

/// The sign-in page with a notice (`signup=sent`: check the inbox;
/// `verified=1`: the address is confirmed), keeping where to go next
/// (`next` already made safe by `safe_next_path`).
pub fn sign_in_after(next: &str, notice: &str) -> String {
    if next == DEFAULT_NEXT_PATH {
        format!("/login?{notice}")
    } else {
        format!(
            "/login?{notice}&next={}",
            crate::ids::encode_query_component(next)
        )
    }
}

/// An address a mailed link just confirmed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmedAddress {
    pub email: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalize_email("  Alice@Example.COM "), "alice@example.com");
        assert!(email_problem("alice@example.com").is_none());
        assert!(email_problem("a.b+tag@sub.example.co").is_none());
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a b@example.com",
            "alice@exa mple.com",
            "alice@-example.com",
            "alice@example..com",
            "<script>@x.com",
        ] {
            assert!(email_problem(bad).is_some(), "{bad:?}");
        }
        assert!(email_problem(&format!("{}@example.com", "a".repeat(250))).is_some());
    }

    #[test]
    fn names_are_checked() {
        assert!(name_problem("Ada Lovelace").is_none());
        assert!(name_problem("   ").is_some());
        assert!(name_problem(&"x".repeat(101)).is_some());
        assert!(name_problem("bad\u{0007}name").is_some());
    }

    #[test]
    fn next_paths_stay_on_this_site() {
        assert_eq!(safe_next_path("/settings/api-keys"), "/settings/api-keys");
        for evil in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_next_path(evil), "/settings/security", "{evil:?}");
        }
    }
}

/// What has been typed in the sign-in page's email field, for the parts of
/// the page that answer to it (single sign-on for the address's domain).
#[derive(Clone, Copy)]
pub struct TypedEmail(pub leptos::prelude::RwSignal<String>);

/// The signed-in user as the settings frame fetched it, shared with the
/// pages inside it so they need not ask again.
#[derive(Clone, Copy)]
pub struct SignedInUser(
    pub leptos::prelude::Resource<Result<Option<CurrentUser>, crate::error::AppError>>,
);
