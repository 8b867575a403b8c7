//! The database pool: SQLite by default, PostgreSQL for multi-instance deployments.

use anyhow::Context;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, ConnectOptions, Executor, Row};
use std::str::FromStr;

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
    if url.starts_with("sqlite:") { 8 } else { 16 }
}

/// Opens a pool of at most `max_connections` and runs the migrations.
pub async fn connect_and_migrate(url: &str, max_connections: u32) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let is_sqlite = url.starts_with("sqlite:");
    if is_sqlite {
        create_sqlite_parent_dir(url)?;
    }
    let options = AnyConnectOptions::from_str(url)
        .context("Failed to parse DATABASE_URL")?
        .disable_statement_logging();
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if is_sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .context("Failed to connect to the database")?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("Failed to run database migrations")?;
    Ok(pool)
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
