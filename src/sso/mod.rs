//! Organization single sign-on: an Owner connects the team's OpenID Connect
//! identity provider, proves its domains with DNS TXT records, and may
//! require SSO for the members on them. Shared by the Authentication
//! page's "Single sign-on" card, the SSO sign-in page and their server
//! functions.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// The TXT record's name is this label in front of the domain.
pub const TXT_RECORD_LABEL: &str = "_statusstack-verification";
/// The TXT record's value starts with this.
pub const TXT_VALUE_PREFIX: &str = "statusstack-verification=";
/// Where the identity provider sends the browser back to, on our origin.
pub const CALLBACK_PATH: &str = "/auth/sso/callback";
/// The shortest idle lifetime an organization may set, in minutes.
pub const MIN_IDLE_MINUTES: i64 = 5;
/// The shortest absolute lifetime an organization may set, in hours.
pub const MIN_ABSOLUTE_HOURS: i64 = 1;
/// The most domains one organization may claim.
pub const MAX_DOMAINS: usize = 20;
/// How often a verified domain's TXT record is looked up again, in ms.
pub const RECHECK_INTERVAL_MS: i64 = 24 * 60 * 60 * 1000;
/// Daily re-checks in a row that find the record gone before a verified
/// domain stops being verified: a domain that changed hands no longer
/// answers to the organization that proved it, while a record lost for a
/// day or two can be put back.
pub const MISSES_BEFORE_LAPSE: i64 = 3;

/// Issuer, client and when these settings were saved or turned on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpSettings {
    pub issuer: String,
    pub client_id: String,
    pub since: i64,
}

/// What the provider's discovery document says, as the Owner reviews it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoverySummary {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    pub signing_algorithms: Vec<String>,
}

/// A domain the organization claims, with the record that proves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainRow {
    pub domain: String,
    pub record_name: String,
    pub record_value: String,
    pub added_at: i64,
    pub verified_at: Option<i64>,
    pub checked_at: Option<i64>,
    /// Daily re-checks in a row that found a verified domain's record gone.
    pub missed_checks: i64,
}

/// The "Single sign-on" card for an Owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoOverview {
    pub org_name: String,
    /// What to register at the identity provider as the redirect URI.
    pub redirect_uri: String,
    pub display_name: Option<String>,
    /// The settings people sign in with; `None` until a test succeeded.
    pub active: Option<IdpSettings>,
    /// Saved settings waiting for a successful "Test connection".
    pub pending: Option<IdpSettings>,
    /// The discovery document of the pending settings, else the active.
    pub discovery: Option<DiscoverySummary>,
    pub last_tested_at: Option<i64>,
    pub domains: Vec<DomainRow>,
    pub enforced: bool,
    pub allow_api_keys: bool,
    /// "Ada Lovelace (ada@example.com)": the Owner who keeps a password +
    /// 2FA sign-in while SSO is required.
    pub break_glass: Option<String>,
    /// Whether the caller has a password and 2FA, so may be break-glass.
    pub caller_can_break_glass: bool,
    /// Sessions that turning enforcement on would end, and whose.
    pub sessions_to_end: i64,
    pub members_to_sign_out: i64,
    pub idle_minutes: Option<i64>,
    pub absolute_hours: Option<i64>,
    pub server_idle_minutes: i64,
    pub server_absolute_hours: i64,
    /// Whether a change asks for the password (and code) first.
    pub needs_sudo: bool,
    pub sudo_factor: crate::two_factor::SudoFactor,
}

/// What the SSO sign-in page offers for an address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoChoice {
    /// "Example Corp".
    pub display_name: String,
    pub domain: String,
    /// Whether its members must use it.
    pub required: bool,
}

/// What a member who is not an Owner sees of their organization's SSO.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSso {
    pub organization: String,
    /// The identity provider's name, as on the "Continue with … SSO" button.
    pub provider: String,
    /// Whether "Require SSO" is on.
    pub required: bool,
    /// Whether it covers this member (an address on a verified domain):
    /// then no other way in signs them in.
    pub covered: bool,
}

/// What went wrong on a round trip, shown on the page it lands on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum SsoProblem {
    /// No ticket in this browser, another `state`, no code.
    Expired,
    /// The person said no at the identity provider.
    Denied,
    /// The identity provider is down, slow or answering nonsense.
    Unavailable,
    /// The identity provider refused the code: often a wrong client secret.
    CodeRefused,
    /// The ID token did not verify.
    Unverifiable,
    /// The address is not verified by the identity provider.
    UnverifiedEmail,
    /// The address is not on one of the organization's verified domains.
    UnverifiedDomain,
    /// The account belongs to another organization.
    OtherOrganization,
    /// An account with the address exists but never confirmed it.
    UnconfirmedAccount,
    /// The account must reset its password first ("This wasn't me").
    ResetRequired,
    /// SSO is not (or no longer) set up for that organization.
    NotConfigured,
    /// Too many attempts from this network.
    TooManyAttempts,
}

crate::text_enum!(SsoProblem);

impl SsoProblem {
    /// The sentence the page shows.
    pub fn message(self) -> &'static str {
        match self {
            SsoProblem::Expired => {
                "That single sign-on expired or was started in another browser. Please start again."
            }
            SsoProblem::Denied => "The identity provider did not sign you in, so nothing changed.",
            SsoProblem::Unavailable => {
                "The identity provider is not answering properly right now. Please try again in a few minutes."
            }
            SsoProblem::CodeRefused => {
                "The identity provider refused our client id or client secret (or the sign-in was used already). Check the client secret and test again."
            }
            SsoProblem::Unverifiable => {
                "We could not verify the identity provider's answer (its ID token), so nothing changed."
            }
            SsoProblem::UnverifiedEmail => {
                "The identity provider did not confirm your email address, so we cannot match it to an account."
            }
            SsoProblem::UnverifiedDomain => {
                "Your email address is not on a domain this organization has verified, so its single sign-on cannot sign you in."
            }
            SsoProblem::OtherOrganization => {
                "Your account belongs to another organization. Leave it first, or ask an Owner here to use another address."
            }
            SsoProblem::UnconfirmedAccount => {
                "An unconfirmed account with your address exists. Open the confirmation link we emailed to it (or ask for a new one by signing up again), then use single sign-on."
            }
            SsoProblem::ResetRequired => {
                "This account must set a new password before anyone signs in: use the link we emailed you."
            }
            SsoProblem::NotConfigured => "Single sign-on is not set up for that address.",
            SsoProblem::TooManyAttempts => {
                "Too many attempts from your network. Please wait a few minutes and try again."
            }
        }
    }
}

/// A domain's shape: lower-case labels of letters, digits and inner
/// dashes, at least two of them, the last alphabetic; `None` when valid.
pub fn domain_problem(domain: &str) -> Option<&'static str> {
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let valid = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_lowercase()));
    (!valid).then_some("Enter a domain like example.com (no https://, no @).")
}

/// The domain as typed, tidied: trimmed, lower-case, no trailing dot.
pub fn normalize_domain(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The domain part of an email address, lower-case.
pub fn email_domain(email: &str) -> Option<String> {
    email
        .rsplit_once('@')
        .map(|(_, domain)| normalize_domain(domain))
        .filter(|domain| domain_problem(domain).is_none())
}

/// The name the pages show: 1-40 letters, digits, spaces, dots and dashes;
/// `None` when valid.
pub fn display_name_problem(name: &str) -> Option<&'static str> {
    (!crate::sessions::is_provider_label(name))
        .then_some("Use 1 to 40 letters, digits, spaces, dots or dashes, e.g. “Example Corp”.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_checked_for_shape() {
        for good in ["example.com", "mail.example.co.uk", "a-b.io", "x1.dev"] {
            assert_eq!(domain_problem(good), None, "{good}");
        }
        for bad in [
            "",
            "com",
            "example",
            "Example.com",
            "-a.com",
            "a-.com",
            "a..com",
            "https://example.com",
            "bob@example.com",
            "example.com.",
            "exa mple.com",
            "example.c0m",
            "ex_ample.com",
        ] {
            assert!(domain_problem(bad).is_some(), "{bad}");
        }
        assert_eq!(normalize_domain(" Example.COM. "), "example.com");
        assert_eq!(
            email_domain("ada@Example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(email_domain("nobody"), None);
    }

    #[test]
    fn display_names_fit_a_session_label() {
        assert_eq!(display_name_problem("Example Corp"), None);
        assert!(display_name_problem("").is_some());
        assert!(display_name_problem("Evil+Corp").is_some());
        assert!(display_name_problem("a:b").is_some());
    }

    #[test]
    fn every_problem_reads_as_a_sentence_and_round_trips() {
        use strum::IntoEnumIterator;
        for problem in SsoProblem::iter() {
            assert!(problem.message().ends_with('.'));
            assert_eq!(problem.as_str().parse::<SsoProblem>().ok(), Some(problem));
        }
    }
}
