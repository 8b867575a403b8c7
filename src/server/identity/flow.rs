//! The round trip's ticket: `state`, `nonce` and the PKCE verifier, what
//! the trip is for, and where it ends, sealed (AES-256-GCM under the
//! server key) into a short-lived cookie. The callback answers only the
//! browser holding it, only for the provider it names, and only once per
//! cookie: every callback clears it.

use crate::server::auth::cookies::cookie_values;
use crate::server::crypto::sealing::{open, seal};
use crate::server::state::AppState;
use http::HeaderMap;
use serde::{Deserialize, Serialize};

/// The cookie over plain HTTP (development) and over HTTPS.
pub const FLOW_COOKIE_HTTP: &str = "ss_oauth";
pub const FLOW_COOKIE_HTTPS: &str = "__Host-ss_oauth";
/// How long a round trip through the provider may take.
pub const FLOW_TTL_MS: i64 = 10 * 60 * 1000;
const SEAL_PURPOSE: &str = "oauth-flow";

/// What the round trip is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Intent {
    /// Sign in (or create an account) with the provider's identity.
    SignIn,
    /// Connect the identity to the signed-in account.
    Connect,
    /// Sign in through an organization's single sign-on.
    SsoSignIn,
    /// An Owner's "Test connection" of the organization's SSO settings.
    SsoTest,
}

/// Why a callback's answer does not fit its ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerProblem {
    /// The person said no at the provider (OAuth's `error`).
    Denied,
    /// No `state`, another `state`, or no usable `code`: the event's reason.
    Mismatch(&'static str),
}

impl AnswerProblem {
    /// The event's `reason`.
    pub fn reason(self) -> &'static str {
        match self {
            AnswerProblem::Denied => "denied_at_provider",
            AnswerProblem::Mismatch(reason) => reason,
        }
    }
}

/// The longest `code` or `state` we pass on; real ones are far shorter.
const PARAMETER_MAX_CHARS: usize = 2048;

/// The authorization code of a callback whose `state` is the ticket's
/// (compared in constant time), unless the provider reported an error.
pub fn code_for_ticket<'a>(
    ticket: &FlowTicket,
    error: Option<&str>,
    returned_state: Option<&str>,
    code: Option<&'a str>,
) -> Result<&'a str, AnswerProblem> {
    use subtle::ConstantTimeEq;
    if error.is_some() {
        return Err(AnswerProblem::Denied);
    }
    let returned_state = returned_state.ok_or(AnswerProblem::Mismatch("state_missing"))?;
    let same_state: bool = returned_state
        .as_bytes()
        .ct_eq(ticket.state.as_bytes())
        .into();
    if !same_state {
        return Err(AnswerProblem::Mismatch("state_mismatch"));
    }
    match code {
        Some(code) if !code.is_empty() && code.chars().count() <= PARAMETER_MAX_CHARS => Ok(code),
        _ => Err(AnswerProblem::Mismatch("code_missing")),
    }
}

/// Whether the `iss` a callback names (RFC 9207) is another issuer than
/// the one the round trip went to: another provider's answer (a mix-up).
pub fn names_other_issuer(iss: Option<&str>, issuer: &str) -> bool {
    iss.is_some_and(|iss| iss.trim_end_matches('/') != issuer.trim_end_matches('/'))
}

/// The sealed content of the cookie. Not `Debug`: it holds the verifier.
#[derive(Serialize, Deserialize)]
pub struct FlowTicket {
    pub provider: String,
    pub intent: Intent,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// A local path to go to afterwards.
    pub next: String,
    /// For `Connect` and `SsoTest`: the session that started it, which
    /// must finish it.
    pub session_id: Option<String>,
    pub expires_at: i64,
    /// For SSO: the organization whose identity provider it went to.
    #[serde(default)]
    pub org_id: Option<String>,
    /// For `SsoTest`: when the settings under test were saved (`None` for
    /// the active ones), so a test proves exactly those settings.
    #[serde(default)]
    pub settings_saved_at: Option<i64>,
}

impl AppState {
    fn flow_cookie_name(&self) -> &'static str {
        if self.config.public_url.https {
            FLOW_COOKIE_HTTPS
        } else {
            FLOW_COOKIE_HTTP
        }
    }

    /// The `Set-Cookie` value carrying `ticket`.
    pub fn flow_cookie(&self, ticket: &FlowTicket) -> anyhow::Result<String> {
        let sealed = seal(
            &self.key,
            SEAL_PURPOSE,
            ticket.provider.as_bytes(),
            &serde_json::to_vec(ticket)?,
        )?;
        Ok(self.cookie_line(self.flow_cookie_name(), &sealed, FLOW_TTL_MS / 1000))
    }

    /// The `Set-Cookie` value that removes the flow cookie.
    pub fn clearing_flow_cookie(&self) -> String {
        self.cookie_line(self.flow_cookie_name(), "", 0)
    }

    /// The unexpired ticket for `provider` in the request's cookies: one
    /// sealed for another provider, tampered with or stale gives `None`.
    pub fn flow_ticket(&self, headers: &HeaderMap, provider: &str) -> Option<FlowTicket> {
        let now = self.now();
        cookie_values(headers, self.flow_cookie_name()).find_map(|sealed| {
            let plain = open(&self.key, SEAL_PURPOSE, provider.as_bytes(), sealed).ok()?;
            let ticket: FlowTicket = serde_json::from_slice(&plain).ok()?;
            (ticket.provider == provider && ticket.expires_at > now).then_some(ticket)
        })
    }
}
