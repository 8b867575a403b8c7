//! The `account_tokens` table: single-use links (password reset, email change,
//! "This wasn't me"), stored as hashes, each consumed by one atomic update.

use anyhow::Context;
use sqlx::{AnyPool, Row};

/// What a link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Purpose {
    PasswordReset,
    EmailChange,
    NotMe,
}

crate::text_enum!(Purpose);

/// A link's owner and subject (new email, or session id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenUse {
    pub user_id: String,
    pub subject: String,
}

fn token_use(row: &sqlx::any::AnyRow) -> anyhow::Result<TokenUse> {
    Ok(TokenUse {
        user_id: row.try_get("user_id")?,
        subject: row.try_get("subject")?,
    })
}

/// Stores a new link valid until `expires_at`.
pub async fn insert<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    token_hash: &str,
    purpose: Purpose,
    user_id: &str,
    subject: &str,
    now: i64,
    expires_at: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, purpose, user_id, subject, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(user_id)
    .bind(subject)
    .bind(now)
    .bind(expires_at)
    .execute(executor)
    .await
    .context("Failed to store a single-use link")?;
    Ok(())
}

/// Uses a link: only one request ever gets `Some`, and only before it expires.
pub async fn consume(
    pool: &AnyPool,
    token_hash: &str,
    purpose: Purpose,
    now: i64,
) -> anyhow::Result<Option<TokenUse>> {
    let row = sqlx::query(
        "UPDATE account_tokens SET used_at = $3
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING user_id, subject",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(pool)
    .await
    .context("Failed to use a single-use link")?;
    row.as_ref().map(token_use).transpose()
}

/// Whether a link would still work, without using it.
pub async fn peek(
    pool: &AnyPool,
    token_hash: &str,
    purpose: Purpose,
    now: i64,
) -> anyhow::Result<Option<TokenUse>> {
    let row = sqlx::query(
        "SELECT user_id, subject FROM account_tokens
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(pool)
    .await
    .context("Failed to read a single-use link")?;
    row.as_ref().map(token_use).transpose()
}

/// Retires the user's unused links of `purpose` (a newer one replaces them).
pub async fn retire_unused(
    pool: &AnyPool,
    user_id: &str,
    purpose: Purpose,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE account_tokens SET used_at = $3
         WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to retire old links")?;
    Ok(())
}

/// Deletes links that expired before `before`.
pub async fn prune(pool: &AnyPool, before: i64) -> anyhow::Result<u64> {
    let result = sqlx::query("DELETE FROM account_tokens WHERE expires_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .context("Failed to prune single-use links")?;
    Ok(result.rows_affected())
}
