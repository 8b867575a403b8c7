//! `connected_accounts`: which provider identity signs in to which account.

use anyhow::Context;
use sqlx::{AnyPool, FromRow};

/// One stored connection.
#[derive(FromRow)]
pub struct StoredConnection {
    pub id: String,
    pub user_id: String,
    pub provider: String,
    pub account_label: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub created_session_id: Option<String>,
}

const COLUMNS: &str =
    "id, user_id, provider, account_label, created_at, last_used_at, created_session_id";

/// A connection about to be stored.
pub struct NewConnection<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub provider: &'a str,
    pub subject: &'a str,
    pub account_label: &'a str,
    pub now: i64,
    pub session_id: Option<&'a str>,
    /// It signs in as it is stored (an account made from the provider).
    pub used_now: bool,
}

/// Stores a connection; `Ok(false)` when the identity or the account's
/// slot at that provider is taken (also under a race).
pub async fn insert(pool: &AnyPool, connection: &NewConnection<'_>) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO connected_accounts
             (id, user_id, provider, subject, account_label, created_at, created_session_id,
              last_used_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(connection.id)
    .bind(connection.user_id)
    .bind(connection.provider)
    .bind(connection.subject)
    .bind(connection.account_label)
    .bind(connection.now)
    .bind(connection.session_id)
    .bind(connection.used_now.then_some(connection.now))
    .execute(pool)
    .await
    .context("Failed to store a connected account")?;
    Ok(result.rows_affected() == 1)
}

/// The connection of this provider identity, whoever holds it.
pub async fn find_by_subject(
    pool: &AnyPool,
    provider: &str,
    subject: &str,
) -> anyhow::Result<Option<StoredConnection>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM connected_accounts WHERE provider = $1 AND subject = $2"
    ))
    .bind(provider)
    .bind(subject)
    .fetch_optional(pool)
    .await
    .context("Failed to look up a connected account")
}

/// The account's connections, oldest first.
pub async fn list(pool: &AnyPool, user_id: &str) -> anyhow::Result<Vec<StoredConnection>> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM connected_accounts WHERE user_id = $1 ORDER BY created_at, id"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
    .context("Failed to list connected accounts")
}

/// Notes a sign-in through the connection.
pub async fn record_use(pool: &AnyPool, id: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE connected_accounts SET last_used_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .context("Failed to record a connected account's use")?;
    Ok(())
}

/// Deletes these connections of the account; returns how many went.
pub async fn delete_ids(pool: &AnyPool, user_id: &str, ids: &[String]) -> anyhow::Result<u64> {
    let mut deleted = 0;
    for id in ids {
        deleted += sqlx::query("DELETE FROM connected_accounts WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(pool)
            .await
            .context("Failed to delete a connected account")?
            .rows_affected();
    }
    Ok(deleted)
}

/// Deletes the account's connection at `provider`; whether there was one.
pub async fn delete_for_provider(
    pool: &AnyPool,
    user_id: &str,
    provider: &str,
) -> anyhow::Result<bool> {
    let result = sqlx::query("DELETE FROM connected_accounts WHERE user_id = $1 AND provider = $2")
        .bind(user_id)
        .bind(provider)
        .execute(pool)
        .await
        .context("Failed to disconnect an account")?;
    Ok(result.rows_affected() > 0)
}
