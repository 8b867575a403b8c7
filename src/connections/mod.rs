//! Connected accounts: signing in with GitHub, Google or an OpenID Connect
//! provider. A provider identity signs in only to the account that
//! connected it (in sudo mode, from Settings → Authentication), or creates
//! a new account when nobody here has its verified address; it never joins
//! an existing account by email. The types here are shared by the
//! Authentication page, the sign-in page and their server functions.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use crate::two_factor::SudoFactor;
use serde::{Deserialize, Serialize};

/// A configured provider as a button names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderChoice {
    /// `github`, `google`, or the configured name: in URLs and forms.
    pub key: String,
    /// "GitHub", "Google", "Okta".
    pub label: String,
}

/// One connected provider account, as the Authentication page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub provider: ProviderChoice,
    /// The GitHub login, or the address the provider gave.
    pub account: String,
    /// Unix milliseconds.
    pub connected_at: i64,
    pub last_used_at: Option<i64>,
}

/// The Authentication page's list: each configured provider with its
/// connection, if any, and what disconnecting or connecting would ask.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnectionsOverview {
    pub providers: Vec<ProviderChoice>,
    pub connections: Vec<Connection>,
    /// The account has a password it can sign in with (an account made
    /// from a provider has none until it sets one by a reset link).
    pub has_password: bool,
    /// The account has a usable passkey.
    pub has_passkey: bool,
    /// What sudo mode asks of this account.
    pub sudo_factor: SudoFactor,
    /// The session's sudo window is closed: connecting or disconnecting
    /// asks for the password (and code) or a passkey.
    pub needs_sudo: bool,
}

impl ConnectionsOverview {
    /// Whether removing one connection still leaves a way to sign in.
    pub fn can_disconnect(&self) -> bool {
        self.has_password || self.has_passkey || self.connections.len() > 1
    }
}

/// What went wrong on a round trip through a provider, as the page that
/// the browser lands on tells it (`?oauth_error=…&provider=…`). The server
/// records the exact reason in the event; the person reads one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ConnectionProblem {
    /// No ticket for this round trip in the browser: expired, started in
    /// another browser, or a forged or replayed callback.
    Expired,
    /// The person said no at the provider.
    Denied,
    /// The provider is down, too slow, or answered nonsense.
    Unavailable,
    /// The provider refused the code (used already, or expired).
    CodeRefused,
    /// The provider's proof of identity did not verify.
    Unverifiable,
    /// No provider by that name is configured here.
    UnknownProvider,
    /// The provider has not verified the address it gave.
    UnverifiedEmail,
    /// An account here has that address but never connected this identity.
    KnownEmail,
    /// The identity is connected to another account here.
    ConnectedElsewhere,
    /// This account already has a connection at that provider.
    AlreadyConnected,
    /// The account must reset its password first ("This wasn't me").
    ResetRequired,
    /// Too many sign-ups or attempts from this address; try later.
    TooManyAttempts,
    /// The account's organization requires its single sign-on.
    SsoRequired,
}

crate::text_enum!(ConnectionProblem);

impl ConnectionProblem {
    /// The sentence the page shows, naming the provider.
    pub fn message(self, provider: &str) -> String {
        match self {
            ConnectionProblem::Expired => format!(
                "That {provider} sign-in expired or was started in another browser. Please try again."
            ),
            ConnectionProblem::Denied => {
                format!("{provider} did not share your account with us, so nothing changed.")
            }
            ConnectionProblem::Unavailable => format!(
                "{provider} is not answering properly right now. Please try again in a few minutes, or use another way to sign in."
            ),
            ConnectionProblem::CodeRefused => format!(
                "{provider} no longer accepts that sign-in link (it was used already or expired). Please start again."
            ),
            ConnectionProblem::Unverifiable => format!(
                "We could not verify {provider}'s answer, so we did not sign you in. Please try again."
            ),
            ConnectionProblem::UnknownProvider => {
                "That sign-in provider is not available here.".to_string()
            }
            ConnectionProblem::UnverifiedEmail => format!(
                "Your email address is not verified at {provider}. Verify it there, or sign up with your email address here."
            ),
            ConnectionProblem::KnownEmail => format!(
                "An account with that email address already exists. Sign in with your password, then connect {provider} in Settings → Authentication."
            ),
            ConnectionProblem::ConnectedElsewhere => format!(
                "That {provider} account is connected to another StatusStack account. Disconnect it there first."
            ),
            ConnectionProblem::AlreadyConnected => format!(
                "You already have a {provider} account connected. Disconnect it before connecting another."
            ),
            ConnectionProblem::ResetRequired => {
                "This account must set a new password before anyone signs in: use the link we emailed you.".to_string()
            }
            ConnectionProblem::TooManyAttempts => {
                "Too many attempts from your network. Please wait a few minutes and try again.".to_string()
            }
            ConnectionProblem::SsoRequired => format!(
                "Your organization requires single sign-on, so {provider} cannot sign you in. Use “Sign in with SSO” instead."
            ),
        }
    }
}

/// A provider key's shape: lower-case letters, digits and dashes.
pub fn provider_key_problem(key: &str) -> Option<&'static str> {
    let valid = (1..=32).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!valid).then_some("That sign-in provider is not available here.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_problem_round_trips_and_names_the_provider_where_it_can() {
        for problem in ConnectionProblem::iter() {
            assert_eq!(problem.as_str().parse::<ConnectionProblem>(), Ok(problem));
            let message = problem.message("GitHub");
            assert!(message.ends_with('.'), "{message}");
        }
        assert!(
            ConnectionProblem::KnownEmail
                .message("GitHub")
                .contains("connect GitHub")
        );
        assert!("<script>".parse::<ConnectionProblem>().is_err());
    }

    #[test]
    fn provider_keys_are_checked_for_shape() {
        assert!(provider_key_problem("github").is_none());
        assert!(provider_key_problem("acme-id2").is_none());
        for bad in ["", "GitHub", "a/b", "../x", &"a".repeat(33)] {
            assert!(provider_key_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn the_last_way_in_cannot_be_disconnected() {
        let connection = Connection {
            provider: ProviderChoice {
                key: "github".into(),
                label: "GitHub".into(),
            },
            account: "octocat".into(),
            connected_at: 0,
            last_used_at: None,
        };
        let mut overview = ConnectionsOverview {
            providers: vec![connection.provider.clone()],
            connections: vec![connection],
            has_password: false,
            has_passkey: false,
            sudo_factor: SudoFactor::default(),
            needs_sudo: true,
        };
        assert!(!overview.can_disconnect());
        overview.has_passkey = true;
        assert!(overview.can_disconnect());
        overview.has_passkey = false;
        overview.has_password = true;
        assert!(overview.can_disconnect());
    }
}
