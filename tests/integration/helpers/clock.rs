//! The clock of the test servers.

use statusstack::server::clock::Clock;
use std::sync::atomic::{AtomicI64, Ordering};

/// The test servers' clock: the system clock shifted by an offset, or frozen
/// at one instant, so tests of time windows set the time instead of racing it.
#[derive(Default)]
pub struct TestClock {
    offset: AtomicI64,
    /// 0 while the clock runs.
    frozen_at: AtomicI64,
}

impl TestClock {
    /// Stops the clock at `ms`.
    pub fn freeze_at(&self, ms: i64) {
        self.frozen_at.store(ms, Ordering::SeqCst);
    }

    /// Moves the clock on by `ms`, frozen or running.
    pub fn advance(&self, ms: i64) {
        if self.frozen_at.load(Ordering::SeqCst) != 0 {
            self.frozen_at.fetch_add(ms, Ordering::SeqCst);
        } else {
            self.offset.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

impl Clock for TestClock {
    fn now_ms(&self) -> i64 {
        match self.frozen_at.load(Ordering::SeqCst) {
            0 => statusstack::time::now_ms() + self.offset.load(Ordering::SeqCst),
            frozen => frozen,
        }
    }
}
