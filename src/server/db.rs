//! The database pool: SQLite by default, PostgreSQL for multi-instance deployments.

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, ConnectOptions, Executor, Row};
use std::str::FromStr;
use std::time::Duration;

/// A new time-ordered id (UUIDv7) as text, the type every id column uses.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Reads a nullable text column as a typed value (a role, a method…). A
/// value this version does not know is an error, never a silent default.
pub fn optional_parsed<T>(row: &AnyRow, column: &str) -> anyhow::Result<Option<T>>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| {
        text.parse()
            .with_context(|| format!("Unknown {column} {text:?} in the database"))
    })
    .transpose()
}

/// Reads a text column as a typed value; see [`optional_parsed`].
pub fn parsed<T>(row: &AnyRow, column: &str) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    optional_parsed(row, column)?.with_context(|| format!("{column} is NULL"))
}

/// Pool size when `DATABASE_MAX_CONNECTIONS` is not set: SQLite has one
/// writer anyway; PostgreSQL gets more.
pub fn default_max_connections(url: &str) -> u32 {
    if is_sqlite_url(url) { 8 } else { 16 }
}

/// Whether a `DATABASE_URL` names SQLite (else PostgreSQL).
pub fn is_sqlite_url(url: &str) -> bool {
    url.starts_with("sqlite:")
}

/// How long a query waits for a connection before the request is answered
/// "unavailable": a starved pool or an unreachable database becomes a fast
/// 503, never a hang.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// What an unavailable database tells clients to wait before retrying.
pub const RETRY_AFTER_SECS: u64 = 5;

/// Whether a failure means the database is out of reach or saturated (no
/// connection in time, a cut or refused connection, a server shutting
/// down, SQLite busy past its timeout) rather than a bug or bad data.
pub fn is_unavailable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let Some(error) = cause.downcast_ref::<sqlx::Error>() else {
            return false;
        };
        match error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => true,
            sqlx::Error::Database(database) => database.code().is_some_and(|code| {
                // PostgreSQL's five-character SQLSTATEs: connection
                // exceptions (08…), shutdown and start-up (57P01–57P03),
                // too many connections (53300). SQLite's numeric extended
                // codes: busy (5) and locked (6) in the low byte.
                if code.len() == 5 {
                    code.starts_with("08")
                        || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
                } else {
                    code.parse::<u32>()
                        .is_ok_and(|code| matches!(code & 0xff, 5 | 6))
                }
            }),
            _ => false,
        }
    })
}

/// Whether the pool's database is SQLite (else PostgreSQL).
pub fn is_sqlite(pool: &AnyPool) -> bool {
    is_sqlite_url(pool.connect_options().database_url.as_str())
}

/// Begins a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`, waiting up to the busy timeout): a deferred
/// transaction that first reads, or whose first write needs a schema or
/// search-index read, fails with SQLITE_BUSY_SNAPSHOT when another
/// connection commits in between, which no busy timeout retries. Every
/// transaction here writes, so this is the only way one is opened
/// (`clippy.toml` disallows `Pool::begin`).
#[allow(clippy::disallowed_methods)]
pub async fn begin_write(
    pool: &AnyPool,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if is_sqlite(pool) {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
    }
}

/// Opens a pool of at most `max_connections` and runs the migrations.
pub async fn connect_and_migrate(url: &str, max_connections: u32) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let is_sqlite = is_sqlite_url(url);
    if is_sqlite {
        create_sqlite_parent_dir(url)?;
    }
    let options = AnyConnectOptions::from_str(url)
        .context("Failed to parse DATABASE_URL")?
        .disable_statement_logging();
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        // A SQLite connection is a thread of this process and cannot go
        // stale, so the ping before each checkout (a hop to that thread and
        // back, per statement) buys nothing. A PostgreSQL connection can die
        // with the network or a restart: it is still tested.
        .test_before_acquire(!is_sqlite)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if is_sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    // SQLite's default page cache is 2 MiB per connection: a
                    // Login History query over a month of a busy account's
                    // events (thousands of pages) then re-reads every page
                    // from the file, one system call each, on every run.
                    // Grown only as pages are read (at most 32 MiB each).
                    conn.execute("PRAGMA cache_size = -32768").await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .context("Failed to connect to the database")?;
    migrate(&pool, is_sqlite).await?;
    Ok(pool)
}

/// Runs `migrations/` (both databases) together with the backend's own folder,
/// `migrations/sqlite/` or `migrations/postgres/`, for what one SQL cannot say
/// for both (the search indexes). Versions are one sequence: a version is
/// either shared or present in both backend folders, never both; the
/// migrator of each database knows every version applied to it.
async fn migrate(pool: &AnyPool, is_sqlite: bool) -> anyhow::Result<()> {
    let mut migrator = sqlx::migrate!("./migrations");
    let own = if is_sqlite {
        sqlx::migrate!("./migrations/sqlite")
    } else {
        sqlx::migrate!("./migrations/postgres")
    };
    let mut all = migrator.migrations.to_vec();
    all.extend(own.migrations.iter().cloned());
    all.sort_by_key(|migration| migration.version);
    if let Some(pair) = all
        .windows(2)
        .find(|pair| pair[0].version == pair[1].version)
    {
        anyhow::bail!(
            "Migration version {} is both shared and the database's own",
            pair[0].version
        );
    }
    migrator.migrations = std::borrow::Cow::Owned(all);
    migrator
        .run(pool)
        .await
        .context("Failed to run database migrations")
}

fn create_sqlite_parent_dir(url: &str) -> anyhow::Result<()> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("Failed to create {}", parent.display()))?;
    }
    Ok(())
}
