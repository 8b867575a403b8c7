//! Periodic housekeeping: expired sessions and stale counters are deleted.

use crate::server::db::now_ms;
use crate::server::state::AppState;
use crate::server::store::{rate_limits, sessions, two_factor};
use std::time::Duration;

const INTERVAL: Duration = Duration::from_secs(10 * 60);
const COUNTER_TTL_MS: i64 = 24 * 60 * 60 * 1000;

/// Runs one round of pruning; returns (sessions and expired two-factor
/// enrolments, challenges and SMS codes, counters) deleted.
pub async fn prune_once(state: &AppState) -> anyhow::Result<(u64, u64)> {
    let now = now_ms();
    let sessions = sessions::prune(&state.pool, now, state.config.session_idle_ms).await?;
    let counters = rate_limits::prune(&state.pool, now - COUNTER_TTL_MS).await?;
    let two_factor = two_factor::prune(&state.pool, now).await?;
    Ok((sessions + two_factor, counters))
}

/// Prunes every ten minutes for as long as the server runs.
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
        }
    });
}
