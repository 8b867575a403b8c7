//! `sign_in_challenges`: a browser between its password and its second
//! factor, bound to it by a cookie holding the token whose hash is stored.

use crate::sessions::FirstFactor;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// A half-signed-in browser waiting for its second factor.
#[derive(Clone)]
pub struct Challenge {
    pub id: String,
    pub user_id: String,
    pub expires_at: i64,
    pub next_path: String,
    /// How the sign-in began: the session records it with the second factor.
    pub first_factor: FirstFactor,
}

pub async fn insert_challenge(
    pool: &AnyPool,
    challenge: &Challenge,
    token_hash: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_challenges
             (id, user_id, token_hash, created_at, expires_at, next_path, first_factor)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&challenge.id)
    .bind(&challenge.user_id)
    .bind(token_hash)
    .bind(now)
    .bind(challenge.expires_at)
    .bind(&challenge.next_path)
    .bind(challenge.first_factor.to_string())
    .execute(pool)
    .await
    .context("Failed to store the sign-in challenge")?;
    Ok(())
}

/// The unexpired challenge with this token hash.
pub async fn find_challenge(
    pool: &AnyPool,
    token_hash: &str,
    now: i64,
) -> anyhow::Result<Option<Challenge>> {
    let row = sqlx::query(
        "SELECT id, user_id, expires_at, next_path, first_factor FROM sign_in_challenges
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await
    .context("Failed to read the sign-in challenge")?;
    row.map(|row| {
        Ok(Challenge {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            expires_at: row.try_get("expires_at")?,
            next_path: row.try_get("next_path")?,
            first_factor: row
                .try_get::<String, _>("first_factor")?
                .parse()
                .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
        })
    })
    .transpose()
}

/// Ends a challenge; true for exactly one caller, the one that may sign in.
pub async fn take_challenge(pool: &AnyPool, id: &str) -> anyhow::Result<bool> {
    let result = sqlx::query("DELETE FROM sign_in_challenges WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .context("Failed to end the sign-in challenge")?;
    Ok(result.rows_affected() == 1)
}
