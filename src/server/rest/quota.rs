//! Per-key request quota of the JSON API, shared by every app instance through
//! the `rate_limits` table without a database write per request: each instance
//! counts locally and adds its count to the shared window in small batches
//! (every request when the limit is small, about 2 % of the limit otherwise,
//! and at least once a second), so instances together overshoot the limit by
//! at most one batch each.

use crate::error::AppError;
use crate::server::rate_limit::store as rate_limits;
use sqlx::AnyPool;
use std::collections::HashMap;
use std::sync::Mutex;

/// The quota's window.
pub const WINDOW_MS: i64 = 60 * 1000;
const SYNC_EVERY_MS: i64 = 1000;
/// Past this many tracked keys, keys of past windows are forgotten.
const TRACKED_KEYS_SOFT_CAP: usize = 10_000;

/// This instance's view of each key's current window.
#[derive(Default)]
pub struct ApiQuota {
    windows: Mutex<HashMap<String, LocalWindow>>,
}

#[derive(Clone, Copy, Default)]
struct LocalWindow {
    start: i64,
    /// The shared count as last read back from the database (ours included).
    shared: i64,
    /// Hits counted here and not yet added to the shared count.
    pending: i64,
    /// `None` until the window's first hit, which always syncs, so an
    /// instance learns early what the others already used.
    last_sync: Option<i64>,
}

/// What a hit decided, before any database work.
enum Local {
    Refused,
    Allowed,
    Sync(i64),
}

impl ApiQuota {
    fn count_locally(&self, key_id: &str, start: i64, limit: i64, now: i64) -> Local {
        let batch = (limit / 50).max(1);
        let Ok(mut windows) = self.windows.lock() else {
            // A poisoned lock only means another request panicked mid-update.
            return Local::Sync(1);
        };
        if windows.len() > TRACKED_KEYS_SOFT_CAP {
            windows.retain(|_, window| window.start == start);
        }
        let window = windows.entry(key_id.to_string()).or_default();
        if window.start != start {
            *window = LocalWindow {
                start,
                ..LocalWindow::default()
            };
        }
        if window.shared + window.pending >= limit {
            return Local::Refused;
        }
        window.pending += 1;
        if window.pending >= batch
            || window
                .last_sync
                .is_none_or(|last| now - last >= SYNC_EVERY_MS)
        {
            let hits = window.pending;
            window.pending = 0;
            window.last_sync = Some(now);
            Local::Sync(hits)
        } else {
            Local::Allowed
        }
    }

    fn learn_shared(&self, key_id: &str, start: i64, shared: i64) {
        if let Ok(mut windows) = self.windows.lock()
            && let Some(window) = windows.get_mut(key_id)
            && window.start == start
        {
            window.shared = window.shared.max(shared);
        }
    }

    /// Counts one request of the key; refuses with `RateLimited` once the
    /// key's per-minute `limit` (`API_RATE_LIMIT_PER_MINUTE`) is used up.
    pub async fn take(
        &self,
        pool: &AnyPool,
        key_id: &str,
        limit: i64,
        now: i64,
    ) -> Result<(), AppError> {
        let start = now - now.rem_euclid(WINDOW_MS);
        let refused = || AppError::RateLimited {
            retry_after: ((start + WINDOW_MS - now).max(1) as u64).div_ceil(1000),
        };
        match self.count_locally(key_id, start, limit, now) {
            Local::Refused => Err(refused()),
            Local::Allowed => Ok(()),
            Local::Sync(hits) => {
                let bucket = format!("api-key:{key_id}");
                let shared = rate_limits::add_in_window(pool, &bucket, start, hits, now).await?;
                self.learn_shared(key_id, start, shared);
                if shared > limit {
                    Err(refused())
                } else {
                    Ok(())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_limit_syncs_every_hit_and_refuses_past_it() {
        let quota = ApiQuota::default();
        for _ in 0..3 {
            assert!(matches!(quota.count_locally("k", 0, 3, 10), Local::Sync(1)));
            // The database answers with the shared count, ours included.
        }
        quota.learn_shared("k", 0, 3);
        assert!(matches!(quota.count_locally("k", 0, 3, 10), Local::Refused));
        // A new window starts afresh.
        assert!(matches!(
            quota.count_locally("k", WINDOW_MS, 3, WINDOW_MS),
            Local::Sync(1)
        ));
    }

    #[test]
    fn a_large_limit_syncs_in_batches_and_at_least_every_second() {
        let quota = ApiQuota::default();
        assert!(matches!(
            quota.count_locally("k", 0, 600, 0),
            Local::Sync(1)
        ));
        for _ in 0..11 {
            assert!(matches!(
                quota.count_locally("k", 0, 600, 5),
                Local::Allowed
            ));
        }
        assert!(matches!(
            quota.count_locally("k", 0, 600, 5),
            Local::Sync(12)
        ));
        assert!(matches!(
            quota.count_locally("k", 0, 600, 6),
            Local::Allowed
        ));
        assert!(matches!(
            quota.count_locally("k", 0, 600, 1_100),
            Local::Sync(2)
        ));
    }

    #[test]
    fn another_instance_hits_count_once_learned() {
        let quota = ApiQuota::default();
        assert!(matches!(
            quota.count_locally("k", 0, 600, 0),
            Local::Sync(1)
        ));
        // Another instance already used the rest of the window.
        quota.learn_shared("k", 0, 600);
        assert!(matches!(
            quota.count_locally("k", 0, 600, 1),
            Local::Refused
        ));
    }
}
