//! The `email_changes` table: confirmed changes of an account's address,
//! kept so that a recovery through the old address can undo a recent one.

use crate::server::db::new_id;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// A confirmed change.
pub struct ConfirmedChange<'a> {
    pub user_id: &'a str,
    pub old_email: &'a str,
    pub new_email: &'a str,
    pub session_id: Option<&'a str>,
    pub now: i64,
}

pub async fn insert(pool: &AnyPool, change: &ConfirmedChange<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO email_changes (id, user_id, old_email, new_email, session_id, confirmed_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(new_id())
    .bind(change.user_id)
    .bind(change.old_email)
    .bind(change.new_email)
    .bind(change.session_id)
    .bind(change.now)
    .execute(pool)
    .await
    .context("Failed to record the email change")?;
    Ok(())
}

/// When the account's earliest change away from `old_email` since `since`
/// that is not undone was confirmed.
pub async fn change_away_from(
    pool: &AnyPool,
    user_id: &str,
    old_email: &str,
    since: i64,
) -> anyhow::Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT MIN(confirmed_at) AS at FROM email_changes
         WHERE user_id = $1 AND old_email = $2 AND confirmed_at >= $3 AND undone_at IS NULL",
    )
    .bind(user_id)
    .bind(old_email)
    .bind(since)
    .fetch_one(pool)
    .await
    .context("Failed to read the email changes")?;
    Ok(row.try_get("at")?)
}

/// Marks the account's changes confirmed at or after `from` undone.
pub async fn mark_undone(pool: &AnyPool, user_id: &str, from: i64, now: i64) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE email_changes SET undone_at = $3
         WHERE user_id = $1 AND confirmed_at >= $2 AND undone_at IS NULL",
    )
    .bind(user_id)
    .bind(from)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to mark the email changes undone")?;
    Ok(())
}

/// The account that most recently moved away from `old_email` since
/// `since` (and was not moved back): the one a reset asked for at that
/// address belongs to.
pub async fn account_that_left(
    pool: &AnyPool,
    old_email: &str,
    since: i64,
) -> anyhow::Result<Option<String>> {
    let row = sqlx::query(
        "SELECT user_id FROM email_changes
         WHERE old_email = $1 AND confirmed_at >= $2 AND undone_at IS NULL
         ORDER BY confirmed_at DESC LIMIT 1",
    )
    .bind(old_email)
    .bind(since)
    .fetch_optional(pool)
    .await
    .context("Failed to look up a recent email change")?;
    row.map(|row| row.try_get("user_id").context("Failed to read the user id"))
        .transpose()
}
