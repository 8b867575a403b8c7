//! Periodic housekeeping: expired sessions and stale counters are deleted,
//! and verified SSO domains are looked up again once a day.

use crate::api_keys::server::store as api_keys;
use crate::login_history::server::store::history;
use crate::passkeys::server::store as passkeys;
use crate::recovery::server::store as account_tokens;
use crate::server::auth::store::sessions;
use crate::server::mail::queue::prune_sent;
use crate::server::rate_limit::store as rate_limits;
use crate::server::state::AppState;
use crate::sso::server::recheck;
use crate::team::server::store as orgs;
use crate::two_factor::server::store as two_factor;
use std::time::Duration;

const INTERVAL: Duration = Duration::from_secs(10 * 60);
const COUNTER_TTL_MS: i64 = 24 * 60 * 60 * 1000;
/// A rotated-out secret is kept this long after it stopped working, so a
/// client still sending it is told "rotated out" (and recorded), not "unknown".
const RETIRED_SECRET_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;
/// Delivered mail is kept this long (for support questions), then deleted;
/// undelivered mail is never deleted.
const SENT_MAIL_TTL_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Runs one round of pruning; returns (rows deleted — expired sessions,
/// two-factor enrolments, challenges, SMS codes, security events past
/// their retention, long-retired API key secrets, expired single-use links
/// and passkey ceremonies,
/// old delivered mail and invitations expired a month ago — and counters deleted).
pub async fn prune_once(state: &AppState) -> anyhow::Result<(u64, u64)> {
    let now = state.now();
    let sessions = sessions::prune(&state.pool, now, state.config.session_idle_ms).await?;
    let counters = rate_limits::prune(&state.pool, now - COUNTER_TTL_MS).await?;
    let two_factor = two_factor::prune(&state.pool, now).await?;
    let events = history::prune(&state.pool, now - state.config.event_retention_ms).await?;
    let secrets = api_keys::prune_retired_secrets(&state.pool, now - RETIRED_SECRET_TTL_MS).await?;
    let links = account_tokens::prune(&state.pool, now).await?;
    let ceremonies = passkeys::prune_ceremonies(&state.pool, now).await?;
    let mail = prune_sent(&state.pool, now - SENT_MAIL_TTL_MS).await?;
    let invitations =
        orgs::invitations::prune_invitations(&state.pool, now - SENT_MAIL_TTL_MS).await?;
    Ok((
        sessions + two_factor + events + secrets + links + ceremonies + mail + invitations,
        counters,
    ))
}

/// Prunes and re-checks due SSO domains every ten minutes for as long as
/// the server runs.
pub fn spawn(state: AppState) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(INTERVAL);
        loop {
            ticker.tick().await;
            match prune_once(&state).await {
                Ok((sessions, counters)) => {
                    tracing::debug!(sessions, counters, "pruned expired rows")
                }
                Err(error) => tracing::warn!(error = ?error, "pruning failed"),
            }
            if let Err(error) = recheck::recheck_due(&state).await {
                tracing::warn!(error = ?error, "re-checking SSO domains failed");
            }
        }
    });
}
