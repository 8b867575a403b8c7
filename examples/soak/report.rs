//! What the soak measured: one sample per request, the server's memory at
//! three moments, and the printed report.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The kinds of traffic, in the report's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Page,
    ServerFn,
    Api,
    SignIn,
    SignOut,
    Export,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Page,
        Kind::ServerFn,
        Kind::Api,
        Kind::SignIn,
        Kind::SignOut,
        Kind::Export,
    ];

    /// The kind's row label in the report.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Page => "page view (signed in)",
            Kind::ServerFn => "server function",
            Kind::Api => "JSON API (Read key)",
            Kind::SignIn => "password sign-in",
            Kind::SignOut => "sign-out",
            Kind::Export => "Login History export",
        }
    }
}

/// One request as it went.
pub struct Sample {
    pub kind: Kind,
    /// When it was due, counted from the start of the warm-up.
    pub due: Duration,
    /// From when it was due to the last byte of the answer.
    pub latency: Duration,
    /// From when it was due to when the client started it.
    pub start_lag: Duration,
    /// What went wrong, if anything: transport, timeout or an unexpected status.
    pub error: Option<String>,
}

/// Collects the samples of every request task.
#[derive(Clone, Default)]
pub struct Recorder(Arc<Mutex<Vec<Sample>>>);

impl Recorder {
    /// Records one finished request.
    pub fn push(&self, sample: Sample) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(sample);
    }

    /// Everything recorded so far.
    pub fn take(&self) -> Vec<Sample> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The server's resident memory in MB (VmRSS / 1024) at the end of the
/// warm-up, halfway, and at the end, plus the highest of the samples taken
/// every few seconds in between.
#[derive(Default)]
pub struct Memory {
    pub start: Option<f64>,
    pub middle: Option<f64>,
    pub end: Option<f64>,
    pub peak: Option<f64>,
    /// Every sample: seconds after the warm-up, MB.
    pub trail: Vec<(u64, f64)>,
}

/// The resident set of process `pid` in MB, from /proc/<pid>/status.
pub fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Samples the server's memory from the end of the warm-up (at `t0 +
/// warmup`) to the end of the run: every five seconds, and halfway.
pub async fn sample_memory(pid: u32, t0: Instant, warmup: Duration, measured: Duration) -> Memory {
    let step = Duration::from_secs(5);
    let mut moments: Vec<Duration> = (0u32..)
        .map(|i| step * i)
        .take_while(|at| *at < measured)
        .collect();
    moments.extend([measured / 2, measured]);
    moments.sort();
    moments.dedup();
    let mut memory = Memory::default();
    for at in moments {
        tokio::time::sleep_until(t0 + warmup + at).await;
        let rss = rss_mb(pid);
        memory.peak = match (memory.peak, rss) {
            (Some(peak), Some(now)) => Some(peak.max(now)),
            (peak, now) => peak.or(now),
        };
        if let Some(rss) = rss {
            memory.trail.push((at.as_secs(), rss));
        }
        if at.is_zero() {
            memory.start = rss;
        }
        if at == measured / 2 {
            memory.middle = rss;
        }
        if at == measured {
            memory.end = rss;
        }
    }
    memory
}

/// The lowest sample of each whole minute of `trail` (seconds, MB): what
/// the server keeps, without the blocks of hashes that happened to be
/// running at a sample.
fn minute_floors(trail: &[(u64, f64)]) -> Vec<(u64, f64)> {
    let mut minutes: BTreeMap<u64, (f64, usize)> = BTreeMap::new();
    for &(at, rss) in trail {
        let (low, samples) = minutes.entry(at / 60).or_insert((rss, 0));
        *low = low.min(rss);
        *samples += 1;
    }
    // A minute of a few samples (the run's last instant) says little.
    minutes
        .into_iter()
        .filter(|(_, (_, samples))| *samples >= 6)
        .map(|(minute, (low, _))| (minute, low))
        .collect()
}

/// The value at percentile `p` (0–1) of sorted `values`, nearest rank.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Milliseconds with one decimal, as the report prints them.
fn ms(value: Duration) -> String {
    format!("{:.1}", value.as_secs_f64() * 1000.0)
}

/// MB with one decimal, or "n/a" when /proc could not be read.
fn mb(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".into(), |v| format!("{v:.1}"))
}

/// What the report needs besides the samples.
pub struct Run<'a> {
    pub warmup: Duration,
    pub measured: Duration,
    /// Requests per second each scheduled kind was due at.
    pub rates: &'a [(Kind, f64)],
    pub memory: Memory,
}

/// Prints the report; returns the number of requests that failed, warm-up
/// included.
pub fn print(samples: &[Sample], run: &Run) -> usize {
    let window = run.warmup..run.warmup + run.measured;
    let seconds = run.measured.as_secs_f64();
    println!();
    println!(
        "StatusStack soak: {:.0} s measured after {:.0} s of warm-up, open-loop fixed rates",
        seconds,
        run.warmup.as_secs_f64()
    );
    println!(
        "latency = from each request's intended send time (its slot in the fixed schedule) \
         to the last byte of the answer"
    );
    println!(
        "{:<24} {:>7} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8}",
        "kind", "rate/s", "sent", "errors", "req/s", "p50 ms", "p99 ms", "max ms"
    );
    let mut total = (0usize, 0usize);
    for kind in Kind::ALL {
        let measured: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.kind == kind && window.contains(&s.due))
            .collect();
        let mut latencies: Vec<Duration> = measured.iter().map(|s| s.latency).collect();
        latencies.sort();
        let errors = measured.iter().filter(|s| s.error.is_some()).count();
        total.0 += measured.len();
        total.1 += errors;
        let rate = run
            .rates
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or_else(|| "follows".into(), |(_, rate)| format!("{rate}"));
        println!(
            "{:<24} {:>7} {:>7} {:>7} {:>8.1} {:>8} {:>8} {:>8}",
            kind.label(),
            rate,
            measured.len(),
            errors,
            measured.len() as f64 / seconds,
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.99)),
            ms(latencies.last().copied().unwrap_or_default()),
        );
    }
    println!(
        "{:<24} {:>7} {:>7} {:>7} {:>8.1}",
        "total",
        "",
        total.0,
        total.1,
        total.0 as f64 / seconds
    );
    let memory = &run.memory;
    let growth = memory.start.zip(memory.end).map(|(start, end)| end - start);
    println!(
        "server memory (VmRSS, MB): start {} / middle {} / end {} (peak sampled {}, end - start {})",
        mb(memory.start),
        mb(memory.middle),
        mb(memory.end),
        mb(memory.peak),
        growth.map_or_else(|| "n/a".into(), |g| format!("{g:+.1}")),
    );
    // About ten points: enough to tell a step from a steady climb.
    let every = (run.measured.as_secs() / 10).div_ceil(5).max(1) * 5;
    let trail: Vec<String> = memory
        .trail
        .iter()
        .filter(|(at, _)| at.is_multiple_of(every) || *at == run.measured.as_secs())
        .map(|(at, rss)| format!("{at}s {rss:.1}"))
        .collect();
    println!(
        "server memory over the run (s after warm-up, MB): {}",
        trail.join(", ")
    );
    let floors = minute_floors(&memory.trail);
    let floor_text: Vec<String> = floors
        .iter()
        .map(|(minute, rss)| format!("{minute}: {rss:.1}"))
        .collect();
    println!(
        "server memory kept, the lowest sample of each minute (a sign-in's argon2 holds 19 MiB \
         only while it runs), MB by minute: {}",
        floor_text.join(", ")
    );
    if let (Some((_, first)), Some((_, last))) = (floors.first(), floors.last()) {
        println!(
            "kept memory, last minute - first minute: {:+.1} MB",
            last - first
        );
    }
    let lag = samples
        .iter()
        .map(|s| s.start_lag)
        .max()
        .unwrap_or_default();
    println!(
        "client: {} requests in all (warm-up included); largest delay between a request's slot and its start {} ms",
        samples.len(),
        ms(lag)
    );
    let mut causes: BTreeMap<&str, usize> = BTreeMap::new();
    for error in samples.iter().filter_map(|s| s.error.as_deref()) {
        *causes.entry(error).or_default() += 1;
    }
    let errors: usize = causes.values().sum();
    println!("errors (warm-up included): {errors}");
    for (cause, count) in causes.iter().take(20) {
        println!("  {count:>6} x {cause}");
    }
    errors
}
