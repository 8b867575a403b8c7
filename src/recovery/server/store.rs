//! The `account_tokens` table: single-use links (password reset, email
//! change and its cancel, address verification, "This wasn't me"), stored
//! as hashes, each consumed by one atomic update.

use anyhow::Context;
use sqlx::{AnyPool, Row};

/// What a link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Purpose {
    PasswordReset,
    EmailChange,
    /// Cancels a requested email change; mailed to the address it would replace.
    EmailChangeCancel,
    /// Confirms the address an account signed up with.
    EmailVerification,
    NotMe,
}

crate::text_enum!(Purpose);

/// A link's owner and subject (new email, or session id), where it was
/// mailed, which session asked for it and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenUse {
    pub user_id: String,
    pub subject: String,
    pub sent_to: String,
    pub session_id: Option<String>,
    pub created_at: i64,
}

const USE_COLUMNS: &str = "user_id, subject, sent_to, session_id, created_at";

fn token_use(row: &sqlx::any::AnyRow) -> anyhow::Result<TokenUse> {
    Ok(TokenUse {
        user_id: row.try_get("user_id")?,
        subject: row.try_get("subject")?,
        sent_to: row.try_get("sent_to")?,
        session_id: row.try_get("session_id")?,
        created_at: row.try_get("created_at")?,
    })
}

/// A link about to be stored.
pub struct NewToken<'a> {
    pub token_hash: &'a str,
    pub purpose: Purpose,
    pub user_id: &'a str,
    pub subject: &'a str,
    pub sent_to: &'a str,
    pub session_id: Option<&'a str>,
    pub now: i64,
    pub expires_at: i64,
}

/// Stores a new link valid until `expires_at`.
pub async fn insert(pool: &AnyPool, token: &NewToken<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, purpose, user_id, subject, sent_to, session_id,
             created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(token.token_hash)
    .bind(token.purpose.as_str())
    .bind(token.user_id)
    .bind(token.subject)
    .bind(token.sent_to)
    .bind(token.session_id)
    .bind(token.now)
    .bind(token.expires_at)
    .execute(pool)
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
    let row = sqlx::query(&format!(
        "UPDATE account_tokens SET used_at = $3
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING {USE_COLUMNS}"
    ))
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
    let row = sqlx::query(&format!(
        "SELECT {USE_COLUMNS} FROM account_tokens
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
    ))
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

/// Retires every unused link of the user but the "This wasn't me" ones
/// (which only ever help the owner); returns how many stopped working.
pub async fn retire_outstanding(pool: &AnyPool, user_id: &str, now: i64) -> anyhow::Result<u64> {
    let result = sqlx::query(
        "UPDATE account_tokens SET used_at = $2
         WHERE user_id = $1 AND purpose <> $3 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now)
    .bind(Purpose::NotMe.as_str())
    .execute(pool)
    .await
    .context("Failed to retire outstanding links")?;
    Ok(result.rows_affected())
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
