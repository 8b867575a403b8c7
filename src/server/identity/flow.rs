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
    /// For `Connect`: the session that started it, which must finish it.
    pub session_id: Option<String>,
    pub expires_at: i64,
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
