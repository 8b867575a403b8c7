//! The `rate_limits` table: counters that survive restarts and span instances.

use anyhow::Context;
use sqlx::{AnyPool, Row};

/// A counter's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counter {
    pub hits: i64,
    pub window_start: i64,
    pub updated_at: i64,
}

pub async fn get(pool: &AnyPool, bucket: &str) -> anyhow::Result<Option<Counter>> {
    let row =
        sqlx::query("SELECT hits, window_start, updated_at FROM rate_limits WHERE bucket = $1")
            .bind(bucket)
            .fetch_optional(pool)
            .await
            .context("Failed to read rate limit")?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(Counter {
        hits: row.try_get("hits")?,
        window_start: row.try_get("window_start")?,
        updated_at: row.try_get("updated_at")?,
    }))
}

/// The later of a stored time and `now`, in SQL both databases speak.
const LATER_OF_TAT_AND_NOW: &str =
    "(CASE WHEN rate_limits.tat > $2 THEN rate_limits.tat ELSE $2 END)";

/// What one GCRA hit decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellDecision {
    Allowed,
    /// Refused; the hit may go through at this time.
    RefusedUntil(i64),
}

/// Counts one hit of a generic cell rate limit, atomically: each hit moves
/// the bucket's theoretical arrival time (`tat`) on by `interval_ms`, and a
/// hit that would put it more than `window_ms` ahead of `now` is refused and
/// not counted. A full bucket refills smoothly (one hit per interval), so
/// no instant exists at which the whole limit comes back at once.
pub async fn take_cell(
    pool: &AnyPool,
    bucket: &str,
    now: i64,
    interval_ms: i64,
    window_ms: i64,
) -> anyhow::Result<CellDecision> {
    let later = LATER_OF_TAT_AND_NOW;
    let fits = format!("{later} + $3 - $2 <= $4");
    let row = sqlx::query(&format!(
        "INSERT INTO rate_limits (bucket, hits, window_start, updated_at, tat)
         VALUES ($1, 1, $2, $2, $2 + $3)
         ON CONFLICT (bucket) DO UPDATE SET
             tat = CASE WHEN {fits} THEN {later} + $3 ELSE rate_limits.tat END,
             hits = CASE WHEN {fits} THEN 1 ELSE 0 END,
             updated_at = $2
         RETURNING hits, tat"
    ))
    .bind(bucket)
    .bind(now)
    .bind(interval_ms)
    .bind(window_ms)
    .fetch_one(pool)
    .await
    .context("Failed to count a rate-limited hit")?;
    let allowed: i64 = row.try_get("hits")?;
    let tat: i64 = row.try_get("tat")?;
    Ok(if allowed == 1 {
        CellDecision::Allowed
    } else {
        CellDecision::RefusedUntil(tat + interval_ms - window_ms)
    })
}

/// Adds `hits` to a cell rate bucket whatever its state (hits that already
/// happened, counted in a batch); returns the new theoretical arrival time.
pub async fn add_cells(
    pool: &AnyPool,
    bucket: &str,
    now: i64,
    advance_ms: i64,
) -> anyhow::Result<i64> {
    let later = LATER_OF_TAT_AND_NOW;
    let row = sqlx::query(&format!(
        "INSERT INTO rate_limits (bucket, hits, window_start, updated_at, tat)
         VALUES ($1, 1, $2, $2, $2 + $3)
         ON CONFLICT (bucket) DO UPDATE SET tat = {later} + $3, updated_at = $2
         RETURNING tat"
    ))
    .bind(bucket)
    .bind(now)
    .bind(advance_ms)
    .fetch_one(pool)
    .await
    .context("Failed to add rate-limited hits")?;
    Ok(row.try_get("tat")?)
}

/// Gives one hit back to a cell rate bucket.
pub async fn refund_cell(pool: &AnyPool, bucket: &str, interval_ms: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE rate_limits SET tat = tat - $2 WHERE bucket = $1")
        .bind(bucket)
        .bind(interval_ms)
        .execute(pool)
        .await
        .context("Failed to give a rate-limited hit back")?;
    Ok(())
}

/// A cell rate bucket's theoretical arrival time (`now`'s past for none).
pub async fn cell_tat(pool: &AnyPool, bucket: &str) -> anyhow::Result<i64> {
    let tat: Option<i64> = sqlx::query_scalar("SELECT tat FROM rate_limits WHERE bucket = $1")
        .bind(bucket)
        .fetch_optional(pool)
        .await
        .context("Failed to read rate limit")?;
    Ok(tat.unwrap_or(0))
}

/// Atomically adds one to a counter that never resets by time; returns it.
pub async fn hit_consecutive(pool: &AnyPool, bucket: &str, now: i64) -> anyhow::Result<i64> {
    let row = sqlx::query(
        "INSERT INTO rate_limits (bucket, hits, window_start, updated_at) VALUES ($1, 1, $2, $2)
         ON CONFLICT (bucket) DO UPDATE SET hits = rate_limits.hits + 1, updated_at = $2
         RETURNING hits",
    )
    .bind(bucket)
    .bind(now)
    .fetch_one(pool)
    .await
    .context("Failed to count consecutive failure")?;
    Ok(row.try_get("hits")?)
}

pub async fn clear(pool: &AnyPool, bucket: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE bucket = $1")
        .bind(bucket)
        .execute(pool)
        .await
        .context("Failed to clear rate limit")?;
    Ok(())
}

/// Deletes counters untouched since `before`.
pub async fn prune(pool: &AnyPool, before: i64) -> anyhow::Result<u64> {
    // A cell rate bucket still ahead of `before` holds hits to come.
    let result = sqlx::query("DELETE FROM rate_limits WHERE updated_at < $1 AND tat < $1")
        .bind(before)
        .execute(pool)
        .await
        .context("Failed to prune rate limits")?;
    Ok(result.rows_affected())
}

/// Atomically counts one hit in a run that starts at its first hit and
/// lasts `span_ms` (a hit after the run starts a new one); returns the hits
/// in the run.
pub async fn hit_in_run(
    pool: &AnyPool,
    bucket: &str,
    now: i64,
    span_ms: i64,
) -> anyhow::Result<i64> {
    let row = sqlx::query(
        "INSERT INTO rate_limits (bucket, hits, window_start, updated_at) VALUES ($1, 1, $2, $2)
         ON CONFLICT (bucket) DO UPDATE SET
             hits = CASE WHEN rate_limits.window_start + $3 > $2 THEN rate_limits.hits + 1 ELSE 1 END,
             window_start = CASE WHEN rate_limits.window_start + $3 > $2
                 THEN rate_limits.window_start ELSE $2 END,
             updated_at = $2
         RETURNING hits",
    )
    .bind(bucket)
    .bind(now)
    .bind(span_ms)
    .fetch_one(pool)
    .await
    .context("Failed to count a hit in a run")?;
    Ok(row.try_get("hits")?)
}

/// Takes one attempt from a budget of `max` in a row, atomically: past the
/// budget the counter keeps counting without moving `updated_at` until `lock_ms`
/// after the last allowed attempt, then starts again. Returns (attempt number,
/// time of the last allowed attempt); a number above `max` means refused.
pub async fn take_attempt(
    pool: &AnyPool,
    bucket: &str,
    now: i64,
    max: i64,
    lock_ms: i64,
) -> anyhow::Result<(i64, i64)> {
    // Every right-hand side reads the row as it was before this statement.
    let row = sqlx::query(
        "INSERT INTO rate_limits (bucket, hits, window_start, updated_at) VALUES ($1, 1, $2, $2)
         ON CONFLICT (bucket) DO UPDATE SET
             hits = CASE
                 WHEN rate_limits.hits < $3 THEN rate_limits.hits + 1
                 WHEN rate_limits.updated_at + $4 > $2 THEN rate_limits.hits + 1
                 ELSE 1 END,
             updated_at = CASE
                 WHEN rate_limits.hits < $3 THEN $2
                 WHEN rate_limits.updated_at + $4 > $2 THEN rate_limits.updated_at
                 ELSE $2 END
         RETURNING hits, updated_at",
    )
    .bind(bucket)
    .bind(now)
    .bind(max)
    .bind(lock_ms)
    .fetch_one(pool)
    .await
    .context("Failed to count an attempt")?;
    Ok((row.try_get("hits")?, row.try_get("updated_at")?))
}

/// Takes one attempt from a run that backs off: refused (with the time it
/// may go on) while `updated_at + backoff(hits)` is still ahead, otherwise
/// counted. The count moves by compare-and-swap, so of parallel attempts
/// each sees the count the one before it left: a burst gets no more tries
/// than attempts made one at a time would.
pub async fn take_backoff_attempt(
    pool: &AnyPool,
    bucket: &str,
    now: i64,
    backoff: impl Fn(i64) -> i64,
) -> anyhow::Result<Result<i64, i64>> {
    // A few rounds settle any realistic burst; past them, refuse briefly.
    for _ in 0..16 {
        let Some(counter) = get(pool, bucket).await? else {
            let inserted = sqlx::query(
                "INSERT INTO rate_limits (bucket, hits, window_start, updated_at)
                 VALUES ($1, 1, $2, $2) ON CONFLICT (bucket) DO NOTHING",
            )
            .bind(bucket)
            .bind(now)
            .execute(pool)
            .await
            .context("Failed to start an attempt count")?;
            if inserted.rows_affected() == 1 {
                return Ok(Ok(1));
            }
            continue;
        };
        let until = counter.updated_at + backoff(counter.hits);
        if until > now {
            return Ok(Err(until));
        }
        let swapped = sqlx::query(
            "UPDATE rate_limits SET hits = hits + 1, updated_at = $2
             WHERE bucket = $1 AND hits = $3 AND updated_at = $4",
        )
        .bind(bucket)
        .bind(now)
        .bind(counter.hits)
        .bind(counter.updated_at)
        .execute(pool)
        .await
        .context("Failed to count an attempt")?;
        if swapped.rows_affected() == 1 {
            return Ok(Ok(counter.hits + 1));
        }
    }
    Ok(Err(now + 1000))
}
