//! Shared application state handed to every handler and server function.

use crate::server::config::Config;
use crate::server::crypto::ServerKey;
use crate::server::geo::GeoLocator;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::AnyPool;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub pool: AnyPool,
    pub config: Arc<Config>,
    pub key: ServerKey,
    pub leptos_options: LeptosOptions,
    pub geo: Arc<dyn GeoLocator>,
    pub sms: Arc<dyn crate::server::sms::SmsSender>,
    /// This instance's share of the API keys' request quotas.
    pub api_quota: Arc<crate::server::rest::quota::ApiQuota>,
    /// Where queued mail is delivered: the outbox or SMTP.
    pub mail: Arc<dyn crate::server::mail::MailSender>,
    /// Wakes the mail worker when a message is queued.
    pub mail_wakeup: Arc<tokio::sync::Notify>,
    /// The slots argon2 runs in.
    pub password_gate: Arc<crate::server::password::gate::HashGate>,
    /// The time every window, expiry and lockout is measured by.
    pub clock: Arc<dyn crate::server::clock::Clock>,
    /// GitHub, Google and the OpenID Connect providers people sign in with.
    pub identity: Arc<crate::server::identity::IdentityProviders>,
    /// Where TXT records are looked up (verified domains).
    pub dns: Arc<dyn crate::server::dns::TxtResolver>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// Now, by the server's clock.
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}
