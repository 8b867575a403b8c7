//! Per-key request quota of the JSON API, shared by every app instance through
//! the `rate_limits` table without a database write per request. The quota
//! is a generic cell rate: each request moves the key's theoretical arrival
//! time on by a minute divided by the limit, and a request that would move
//! it more than a minute ahead is refused, so the quota refills smoothly and
//! a burst across a minute boundary gets no more than the limit. Each
//! instance counts locally and adds its count to the shared time in small
//! batches (every request when the limit is small, about 2 % of the limit
//! otherwise, and at least once a second), so instances together overshoot
//! the limit by at most one batch each.

use crate::error::AppError;
use crate::server::rate_limit::store as rate_limits;
use sqlx::AnyPool;
use std::collections::HashMap;
use std::sync::Mutex;

/// The quota's window: at most the limit in any minute.
pub const WINDOW_MS: i64 = 60 * 1000;
const SYNC_EVERY_MS: i64 = 1000;
/// Past this many tracked keys, keys idle for a window are forgotten.
const TRACKED_KEYS_SOFT_CAP: usize = 10_000;

/// This instance's view of each key's quota.
#[derive(Default)]
pub struct ApiQuota {
    keys: Mutex<HashMap<String, LocalCell>>,
}

#[derive(Clone, Copy, Default)]
struct LocalCell {
    /// The shared theoretical arrival time as last read back (ours included).
    tat: i64,
    /// Requests counted here and not yet added to the shared time.
    pending: i64,
    /// `None` until the key's first request here, which always syncs, so an
    /// instance learns early what the others already used.
    last_sync: Option<i64>,
}

/// What a request decided, before any database work.
#[derive(Debug)]
enum Local {
    Refused { until: i64 },
    Allowed,
    Sync(i64),
}

fn interval_ms(limit: i64) -> i64 {
    (WINDOW_MS / limit.max(1)).max(1)
}

impl ApiQuota {
    fn count_locally(&self, key_id: &str, limit: i64, now: i64) -> Local {
        let batch = (limit / 50).max(1);
        let interval = interval_ms(limit);
        let Ok(mut keys) = self.keys.lock() else {
            // A poisoned lock only means another request panicked mid-update.
            return Local::Sync(1);
        };
        if keys.len() > TRACKED_KEYS_SOFT_CAP {
            keys.retain(|_, cell| cell.tat + WINDOW_MS > now || cell.pending > 0);
        }
        let cell = keys.entry(key_id.to_string()).or_default();
        let projected = cell.tat.max(now) + (cell.pending + 1) * interval;
        if projected - now > WINDOW_MS {
            return Local::Refused {
                until: projected - WINDOW_MS,
            };
        }
        cell.pending += 1;
        if cell.pending >= batch
            || cell
                .last_sync
                .is_none_or(|last| now - last >= SYNC_EVERY_MS)
        {
            let hits = cell.pending;
            cell.pending = 0;
            cell.last_sync = Some(now);
            Local::Sync(hits)
        } else {
            Local::Allowed
        }
    }

    fn learn_shared(&self, key_id: &str, tat: i64) {
        if let Ok(mut keys) = self.keys.lock()
            && let Some(cell) = keys.get_mut(key_id)
        {
            cell.tat = cell.tat.max(tat);
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
        let refused = |until: i64| AppError::RateLimited {
            retry_after: ((until - now).max(1) as u64).div_ceil(1000),
        };
        match self.count_locally(key_id, limit, now) {
            Local::Refused { until } => Err(refused(until)),
            Local::Allowed => Ok(()),
            Local::Sync(hits) => {
                let bucket = format!("api-key:{key_id}");
                let advance = hits * interval_ms(limit);
                let tat = rate_limits::add_cells(pool, &bucket, now, advance).await?;
                self.learn_shared(key_id, tat);
                if tat - now > WINDOW_MS {
                    Err(refused(tat - WINDOW_MS))
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
            assert!(matches!(quota.count_locally("k", 3, 10), Local::Sync(1)));
        }
        // The database answers with the shared time, ours included.
        quota.learn_shared("k", 10 + 3 * interval_ms(3));
        assert!(matches!(
            quota.count_locally("k", 3, 10),
            Local::Refused { until } if until == 10 + interval_ms(3)
        ));
        // One interval later one request fits again, not the whole limit.
        let later = 10 + interval_ms(3);
        assert!(matches!(quota.count_locally("k", 3, later), Local::Sync(1)));
        quota.learn_shared("k", 10 + 4 * interval_ms(3));
        assert!(matches!(
            quota.count_locally("k", 3, later),
            Local::Refused { .. }
        ));
    }

    #[test]
    fn a_burst_across_a_minute_boundary_gets_the_limit_once() {
        let quota = ApiQuota::default();
        let mut allowed = 0;
        // 59.5 s into one minute, then 0.5 s into the next: a fixed window
        // would allow the limit twice in one second.
        for now in [59_500, 60_500] {
            for _ in 0..10 {
                match quota.count_locally("k", 10, now) {
                    Local::Refused { .. } => {}
                    Local::Allowed => allowed += 1,
                    Local::Sync(hits) => {
                        allowed += 1;
                        let mut tat = 0;
                        if let Ok(keys) = quota.keys.lock() {
                            tat = keys["k"].tat.max(now);
                        }
                        quota.learn_shared("k", tat + hits * interval_ms(10));
                    }
                }
            }
        }
        assert_eq!(
            allowed, 10,
            "the limit once: a second refills no request of six seconds"
        );
    }

    #[test]
    fn a_large_limit_syncs_in_batches_and_at_least_every_second() {
        let quota = ApiQuota::default();
        assert!(matches!(quota.count_locally("k", 600, 0), Local::Sync(1)));
        for _ in 0..11 {
            assert!(matches!(quota.count_locally("k", 600, 5), Local::Allowed));
        }
        assert!(matches!(quota.count_locally("k", 600, 5), Local::Sync(12)));
        assert!(matches!(quota.count_locally("k", 600, 6), Local::Allowed));
        assert!(matches!(
            quota.count_locally("k", 600, 1_100),
            Local::Sync(2)
        ));
    }

    #[test]
    fn another_instance_hits_count_once_learned() {
        let quota = ApiQuota::default();
        assert!(matches!(quota.count_locally("k", 600, 0), Local::Sync(1)));
        // Another instance already used the rest of the minute.
        quota.learn_shared("k", WINDOW_MS);
        assert!(matches!(
            quota.count_locally("k", 600, 1),
            Local::Refused { .. }
        ));
    }
}
