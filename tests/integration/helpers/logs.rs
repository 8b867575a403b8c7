//! What the test servers log: warnings to the failing test's output, and
//! everything to a buffer tests search for what must never be logged.

/// Every log line the servers of this test process wrote at INFO and above
/// (DEBUG for our own code), for tests that assert what must never be logged.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

static LOGS: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());
/// The capture stops growing here; a test that needs it asserts it was not reached.
pub const LOG_CAPTURE_LIMIT: usize = 256 * 1024 * 1024;

struct LogCapture;

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut logs = LOGS.lock().unwrap_or_else(|e| e.into_inner());
        if logs.len() < LOG_CAPTURE_LIMIT {
            logs.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Server warnings and errors go to the failing test's captured output;
/// everything from INFO (DEBUG for our code) also goes to `captured_logs`.
pub fn install_log_capture() {
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::{EnvFilter, fmt};
    let _ = tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_test_writer()
                .with_filter(EnvFilter::new("warn,statusstack::server::sms=error")),
        )
        .with(
            fmt::layer()
                .with_ansi(false)
                .with_writer(|| LogCapture)
                .with_filter(EnvFilter::new("info,statusstack=debug")),
        )
        .try_init();
}
