//! The server's clock, held by the state so that tests set the time instead
//! of racing it: windows, expiries and lockouts all read `AppState::now`.

/// Where the server reads the time from.
pub trait Clock: Send + Sync {
    /// Now, in Unix milliseconds UTC.
    fn now_ms(&self) -> i64;
}

/// The system clock: what the server runs on.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        crate::time::now_ms()
    }
}
