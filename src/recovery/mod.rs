//! Account recovery: forgot password, change email, "This wasn't me", and
//! the notice preferences. The email itself is `server/mail`.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// The Security page's "Email and notifications" section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailSettings {
    pub email: String,
    /// Whether a sign-in from a new device is mailed.
    pub new_sign_in_notices: bool,
    /// Changing the email asks for the password (no recent sign-in).
    pub needs_password: bool,
    pub sudo_factor: crate::two_factor::SudoFactor,
}

/// A requested email change that its cancel link stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelledEmailChange {
    /// The address the account would have moved to.
    pub new_email: String,
    /// Whether the session that asked was signed out.
    pub session_ended: bool,
}

/// What a recovery ("This wasn't me", or a reset through the emailed link)
/// undid. The confirmation page shows the counts; the mail also names the
/// keys and addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryReport {
    pub sessions_ended: u64,
    /// Reset, email-change and verification links that stopped working.
    pub links_retired: u64,
    pub invitations_withdrawn: u64,
    /// The address the account has again, when a recent change was undone.
    pub email_restored: Option<String>,
    pub keys_revoked: Vec<String>,
    /// The names of the passkeys removed (added by the ended sessions).
    pub passkeys_removed: Vec<String>,
    /// "GitHub (octocat)" for each connected account removed (connected
    /// by the ended sessions).
    pub connections_removed: Vec<String>,
    pub backup_codes_removed: u64,
    /// The account's address was never confirmed: everything set up on it
    /// (2FA included) was removed.
    pub unconfirmed_account_cleared: bool,
}

impl RecoveryReport {
    /// One sentence per thing undone, for the page and the mail.
    pub fn lines(&self) -> Vec<String> {
        let plural = |n: u64, one: &str, many: &str| {
            if n == 1 {
                format!("1 {one}")
            } else {
                format!("{n} {many}")
            }
        };
        let mut lines = Vec::new();
        if self.unconfirmed_account_cleared {
            lines.push("The account's address had never been confirmed, so everything set up on it was removed, two-factor authentication included. The address is confirmed now.".to_string());
        }
        if self.sessions_ended > 0 {
            lines.push(format!(
                "Signed out {}.",
                plural(self.sessions_ended, "session", "sessions")
            ));
        }
        match self.email_restored.as_deref() {
            Some("") => lines.push("Changed the account's email address back to the one this link was sent to; the recent change away from it is undone.".to_string()),
            Some(email) => lines.push(format!(
                "Changed the account's email address back to {email}; the recent change away from it is undone."
            )),
            None => {}
        }
        let mut named = |done: &str, names: &[String], one: &str, many: &str| {
            if names.is_empty() {
                return;
            }
            let quoted = names
                .iter()
                .filter(|name| !name.is_empty())
                .map(|name| format!("“{name}”"))
                .collect::<Vec<_>>()
                .join(", ");
            let count = plural(names.len() as u64, one, many);
            lines.push(if quoted.is_empty() {
                format!("{done} {count} created by the signed-out sessions.")
            } else {
                format!("{done} {count} created by the signed-out sessions: {quoted}.")
            });
        };
        named("Revoked", &self.keys_revoked, "API key", "API keys");
        named("Removed", &self.passkeys_removed, "passkey", "passkeys");
        named(
            "Disconnected",
            &self.connections_removed,
            "connected account",
            "connected accounts",
        );
        if self.backup_codes_removed > 0 {
            lines.push(format!(
                "Deleted {} made by the signed-out sessions; generate new ones on the Security page.",
                plural(self.backup_codes_removed, "backup code", "backup codes")
            ));
        }
        if self.links_retired > 0 {
            lines.push(format!(
                "Stopped {} sent by email earlier (password reset, email change).",
                plural(self.links_retired, "link", "links")
            ));
        }
        if self.invitations_withdrawn > 0 {
            lines.push(format!(
                "Withdrew {} sent from the account.",
                plural(
                    self.invitations_withdrawn,
                    "team invitation",
                    "team invitations"
                )
            ));
        }
        lines
    }

    /// The counts as a query string for the page a form posted without the
    /// Wasm goes to: numbers only, never a name or an address.
    pub fn to_query(&self) -> String {
        format!(
            "sessions={}&links={}&invitations={}&email={}&keys={}&passkeys={}&connections={}&codes={}&cleared={}",
            self.sessions_ended,
            self.links_retired,
            self.invitations_withdrawn,
            u8::from(self.email_restored.is_some()),
            self.keys_revoked.len(),
            self.passkeys_removed.len(),
            self.connections_removed.len(),
            self.backup_codes_removed,
            u8::from(self.unconfirmed_account_cleared)
        )
    }

    /// Reads `to_query`'s counts back (anything else counts as none).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> RecoveryReport {
        let count = |name: &str| {
            get(name)
                .and_then(|value| value.parse::<u64>().ok())
                .unwrap_or(0)
                .min(10_000)
        };
        RecoveryReport {
            sessions_ended: count("sessions"),
            links_retired: count("links"),
            invitations_withdrawn: count("invitations"),
            email_restored: (count("email") > 0).then(String::new),
            keys_revoked: vec![String::new(); count("keys") as usize],
            passkeys_removed: vec![String::new(); count("passkeys") as usize],
            connections_removed: vec![String::new(); count("connections") as usize],
            backup_codes_removed: count("codes"),
            unconfirmed_account_cleared: count("cleared") > 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_survives_its_query_without_names_or_addresses() {
        let report = RecoveryReport {
            sessions_ended: 2,
            links_retired: 1,
            invitations_withdrawn: 0,
            email_restored: Some("owner@example.com".into()),
            keys_revoked: vec!["deploy".into()],
            passkeys_removed: vec!["Intruder's phone".into()],
            connections_removed: vec!["GitHub (intruder)".into()],
            backup_codes_removed: 10,
            unconfirmed_account_cleared: false,
        };
        let query = report.to_query();
        assert!(
            !query.contains("owner") && !query.contains("deploy"),
            "{query}"
        );
        let pairs: Vec<(String, String)> = query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let back = RecoveryReport::from_query(|name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        });
        assert_eq!(back.lines().len(), report.lines().len());
        assert!(back.lines()[2].starts_with("Revoked 1 API key created"));
        assert!(report.lines()[2].contains("“deploy”"));
        assert!(back.lines()[3].starts_with("Removed 1 passkey created"));
        assert!(report.lines()[3].contains("“Intruder's phone”"));
        assert!(!query.contains("Intruder"), "{query}");
        assert_eq!(
            RecoveryReport::from_query(|_| Some("-5".into()))
                .lines()
                .len(),
            0
        );
    }
}
