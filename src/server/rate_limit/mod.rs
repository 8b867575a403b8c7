//! Rate-limit and back-off policies on top of the database counters
//! (`store`), shared by every instance.

pub mod store;

use crate::error::AppError;
use crate::server::rate_limit::store as rate_limits;
use crate::server::rate_limit::store::{CellDecision, Counter};
use crate::server::state::AppState;

/// A sliding limit: at most `limit` hits in any `window_ms`, refilled
/// smoothly at one hit per `window_ms / limit` (a generic cell rate).
#[derive(Clone, Copy, Debug)]
pub struct WindowLimit {
    pub name: &'static str,
    pub limit: i64,
    pub window_ms: i64,
}

impl WindowLimit {
    /// The time one hit occupies: the window shared out among the hits.
    pub fn interval_ms(&self) -> i64 {
        (self.window_ms / self.limit.max(1)).max(1)
    }
}

/// Wrong passwords from one address (an IPv6 /64).
pub const SIGN_IN_ATTEMPTS_PER_IP: WindowLimit = WindowLimit {
    name: "sign-in-ip",
    limit: 50,
    window_ms: 15 * 60 * 1000,
};
/// Accounts created from one IP address.
pub const SIGN_UPS_PER_IP: WindowLimit = WindowLimit {
    name: "sign-up-ip",
    limit: 20,
    window_ms: 60 * 60 * 1000,
};
/// Strength-meter checks from one IP address.
pub const STRENGTH_CHECKS_PER_IP: WindowLimit = WindowLimit {
    name: "strength-ip",
    limit: 120,
    window_ms: 60 * 1000,
};

/// Lookups of an address's organization SSO from one IP address (the
/// sign-in page asks once per typed domain): enough for people, too few
/// to list which domains, and so which companies, use StatusStack.
pub const SSO_LOOKUPS_PER_IP: WindowLimit = WindowLimit {
    name: "sso-lookup-ip",
    limit: 60,
    window_ms: 60 * 1000,
};

/// Consecutive failed sign-ins per email, for the back-off.
const SIGN_IN_EMAIL_BUCKET: &str = "sign-in-email";

/// Attempts in a row on one email before back-off starts.
pub const FREE_FAILURES: i64 = 5;
const FIRST_BACKOFF_MS: i64 = 30 * 1000;
const MAX_BACKOFF_MS: i64 = 60 * 60 * 1000;

/// How long an email must wait after `failures` consecutive failures: nothing
/// for the first few, then 30 s doubling to an hour, so 100 guesses in a row
/// take days.
pub fn backoff_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES).min(16) as u32;
    (FIRST_BACKOFF_MS.saturating_mul(1 << doublings)).min(MAX_BACKOFF_MS)
}

fn retry_after_secs(until: i64, now: i64) -> u64 {
    ((until - now).max(1) as u64).div_ceil(1000)
}

impl AppState {
    fn bucket(&self, name: &str, key: &str) -> String {
        // Keyed MAC: the table never holds raw emails or addresses.
        format!("{name}:{}", self.key.mac_hex("rate-limit", key.as_bytes()))
    }

    /// Counts one hit and refuses it (uncounted) when the limit is reached.
    pub async fn hit_limit(&self, limit: WindowLimit, key: &str, now: i64) -> Result<(), AppError> {
        let decision = rate_limits::take_cell(
            &self.pool,
            &self.bucket(limit.name, key),
            now,
            limit.interval_ms(),
            limit.window_ms,
        )
        .await?;
        match decision {
            CellDecision::Allowed => Ok(()),
            CellDecision::RefusedUntil(until) => Err(AppError::RateLimited {
                retry_after: retry_after_secs(until, now),
            }),
        }
    }

    /// Refuses when the limit is already reached, without counting.
    pub async fn check_limit(
        &self,
        limit: WindowLimit,
        key: &str,
        now: i64,
    ) -> Result<(), AppError> {
        let tat = rate_limits::cell_tat(&self.pool, &self.bucket(limit.name, key)).await?;
        let until = tat + limit.interval_ms() - limit.window_ms;
        if until > now {
            return Err(AppError::RateLimited {
                retry_after: retry_after_secs(until, now),
            });
        }
        Ok(())
    }

    /// Takes one password attempt for `email` from `ip`, before the password
    /// is checked: counted against the address's window and the email's
    /// back-off at once, so parallel guesses share one budget. Returns the
    /// attempt's number in the email's run of attempts without a right password.
    pub async fn take_password_attempt(
        &self,
        email: &str,
        ip: &str,
        now: i64,
    ) -> Result<i64, AppError> {
        self.hit_limit(SIGN_IN_ATTEMPTS_PER_IP, ip, now).await?;
        let bucket = self.bucket(SIGN_IN_EMAIL_BUCKET, email);
        match rate_limits::take_backoff_attempt(&self.pool, &bucket, now, backoff_ms).await? {
            Ok(attempt) => Ok(attempt),
            Err(until) => Err(AppError::RateLimited {
                retry_after: retry_after_secs(until, now),
            }),
        }
    }

    /// Ends the email's run of attempts (a password reset through its link).
    pub async fn clear_password_attempts(&self, email: &str) -> Result<(), AppError> {
        Ok(rate_limits::clear(&self.pool, &self.bucket(SIGN_IN_EMAIL_BUCKET, email)).await?)
    }

    /// A right password ends the email's run and gives the address its
    /// attempt back: the per-address window counts wrong passwords only.
    pub async fn password_accepted(&self, email: &str, ip: &str) -> Result<(), AppError> {
        rate_limits::clear(&self.pool, &self.bucket(SIGN_IN_EMAIL_BUCKET, email)).await?;
        let bucket = self.bucket(SIGN_IN_ATTEMPTS_PER_IP.name, ip);
        rate_limits::refund_cell(&self.pool, &bucket, SIGN_IN_ATTEMPTS_PER_IP.interval_ms())
            .await?;
        Ok(())
    }
}

/// Two-factor codes (challenge, sudo) tried in a row per account before it locks.
pub const CODE_ATTEMPTS: i64 = 5;
/// How long the two-factor check stays locked after `CODE_ATTEMPTS` failures.
pub const CODE_LOCK_MS: i64 = 15 * 60 * 1000;
const CODE_ATTEMPTS_BUCKET: &str = "2fa-attempts";
/// Locks in one run of `LOCK_RUN_MS` after which the check stays locked
/// for `ESCALATED_LOCK_MS` (or until a password reset by email): without
/// it the budget refills after every lock, 480 guesses a day, forever.
pub const LOCKS_BEFORE_ESCALATION: i64 = 3;
pub const LOCK_RUN_MS: i64 = 24 * 60 * 60 * 1000;
pub const ESCALATED_LOCK_MS: i64 = 24 * 60 * 60 * 1000;
const CODE_LOCKS_BUCKET: &str = "2fa-locks";

/// SMS codes sent per user.
pub const SMS_SENDS_PER_USER: WindowLimit = WindowLimit {
    name: "sms-user",
    limit: 5,
    window_ms: 60 * 60 * 1000,
};
/// SMS codes sent per IP address (an IPv6 /64).
pub const SMS_SENDS_PER_IP: WindowLimit = WindowLimit {
    name: "sms-ip",
    limit: 20,
    window_ms: 60 * 60 * 1000,
};
/// The name of the service-wide daily SMS count (its limit is configured).
pub const SMS_DAILY_BUCKET: &str = "sms-all";

/// SMS codes sent per phone number, whoever asks (SMS cost abuse).
pub const SMS_SENDS_PER_PHONE: WindowLimit = WindowLimit {
    name: "sms-phone",
    limit: 10,
    window_ms: 24 * 60 * 60 * 1000,
};

impl AppState {
    /// Takes one of the account's two-factor attempts, or refuses while it is
    /// locked. Returns the attempt's number in the current run of failures.
    /// Counting before checking the code makes racing guesses share one budget.
    pub async fn take_code_attempt(&self, user_id: &str, now: i64) -> Result<i64, AppError> {
        let locks = rate_limits::get(&self.pool, &self.bucket(CODE_LOCKS_BUCKET, user_id)).await?;
        if let Some(Counter {
            hits, updated_at, ..
        }) = locks
            && hits >= LOCKS_BEFORE_ESCALATION
            && updated_at + ESCALATED_LOCK_MS > now
        {
            return Err(AppError::RateLimited {
                retry_after: retry_after_secs(updated_at + ESCALATED_LOCK_MS, now),
            });
        }
        let (attempt, last_allowed) = rate_limits::take_attempt(
            &self.pool,
            &self.bucket(CODE_ATTEMPTS_BUCKET, user_id),
            now,
            CODE_ATTEMPTS,
            CODE_LOCK_MS,
        )
        .await?;
        if attempt > CODE_ATTEMPTS {
            return Err(AppError::RateLimited {
                retry_after: retry_after_secs(last_allowed + CODE_LOCK_MS, now),
            });
        }
        Ok(attempt)
    }

    /// Counts a lock of the account's two-factor check; returns how long the
    /// check now stays locked: the short lock, or the escalated one once
    /// `LOCKS_BEFORE_ESCALATION` locks fell in one run.
    pub async fn record_code_lock(&self, user_id: &str, now: i64) -> Result<i64, AppError> {
        let bucket = self.bucket(CODE_LOCKS_BUCKET, user_id);
        let locks = rate_limits::hit_in_run(&self.pool, &bucket, now, LOCK_RUN_MS).await?;
        Ok(if locks >= LOCKS_BEFORE_ESCALATION {
            ESCALATED_LOCK_MS
        } else {
            CODE_LOCK_MS
        })
    }

    /// Lifts every two-factor lock of the account (a password reset through
    /// the emailed link proved the owner holds the mailbox).
    pub async fn lift_code_locks(&self, user_id: &str) -> Result<(), AppError> {
        rate_limits::clear(&self.pool, &self.bucket(CODE_LOCKS_BUCKET, user_id)).await?;
        self.clear_code_attempts(user_id).await
    }

    /// A correct code ends the run of failures.
    pub async fn clear_code_attempts(&self, user_id: &str) -> Result<(), AppError> {
        rate_limits::clear(&self.pool, &self.bucket(CODE_ATTEMPTS_BUCKET, user_id))
            .await
            .map_err(AppError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_starts_after_free_failures_and_caps_at_an_hour() {
        assert_eq!(backoff_ms(0), 0);
        assert_eq!(backoff_ms(4), 0);
        assert_eq!(backoff_ms(5), 30_000);
        assert_eq!(backoff_ms(6), 60_000);
        assert_eq!(backoff_ms(12), 60 * 60 * 1000);
        assert_eq!(backoff_ms(1_000), 60 * 60 * 1000);
    }

    #[test]
    fn a_hundred_consecutive_failures_take_more_than_three_days() {
        let total: i64 = (0..100).map(backoff_ms).sum();
        assert!(total > 3 * 24 * 60 * 60 * 1000, "{total}");
    }
}
