//! The `api_keys` and `api_key_secrets` tables: keys with their (hashed)
//! secrets, of which a rotated key has more than one for a while.

pub mod lifecycle;
pub mod usage;

use crate::api_keys::Permission;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// A key as stored, with its working secrets' prefixes.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredKey {
    pub id: String,
    pub user_id: String,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub permission: Permission,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub rotated_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub last_used_ip: String,
    pub last_used_user_agent: String,
}

/// A new key and its first secret.
pub struct NewKey<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    pub permission: Permission,
    pub expires_at: Option<i64>,
    pub secret_hash: &'a str,
    pub prefix: &'a str,
    pub now: i64,
}

/// A secret that still works: the current one or one inside its grace period.
#[derive(Clone, Debug)]
pub struct LiveSecret {
    pub key_id: String,
    pub prefix: String,
    pub valid_until: Option<i64>,
}

const KEY_COLUMNS: &str = "id, user_id, name, permission, created_at, expires_at, rotated_at,
    last_used_at, last_used_ip, last_used_user_agent";

/// Who made a key: a signed-in session (settings page) or another key (the
/// JSON API). Recovery revokes what a disowned session made.
#[derive(Clone, Copy, Debug)]
pub enum KeyCreator<'a> {
    Session(&'a str),
    Key(&'a str),
}

/// Takes the owner's row lock for the rest of `tx`: two key creations of
/// one account run one after the other, so the count they check holds.
pub async fn lock_owner(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE users SET email = email WHERE id = $1")
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .context("Failed to lock the key owner")?;
    Ok(())
}

/// How many keys that are not revoked the user holds, read in `tx`.
pub async fn count_live(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: &str,
) -> anyhow::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL")
        .bind(user_id)
        .fetch_one(&mut **tx)
        .await
        .context("Failed to count API keys")
}

/// Stores a key and its first secret in `tx`, with who made it.
pub async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key: &NewKey<'_>,
    creator: KeyCreator<'_>,
) -> anyhow::Result<()> {
    let (session_id, key_id) = match creator {
        KeyCreator::Session(id) => (Some(id), None),
        KeyCreator::Key(id) => (None, Some(id)),
    };
    sqlx::query(
        "INSERT INTO api_keys (id, user_id, name, permission, created_at, expires_at,
             created_session_id, created_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(key.id)
    .bind(key.user_id)
    .bind(key.name)
    .bind(key.permission.as_str())
    .bind(key.now)
    .bind(key.expires_at)
    .bind(session_id)
    .bind(key_id)
    .execute(&mut **tx)
    .await
    .context("Failed to insert API key")?;
    insert_secret(tx, key.id, key.secret_hash, key.prefix, key.now).await
}

async fn insert_secret(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    key_id: &str,
    secret_hash: &str,
    prefix: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO api_key_secrets (secret_hash, key_id, prefix, created_at, valid_until)
         VALUES ($1, $2, $3, $4, NULL)",
    )
    .bind(secret_hash)
    .bind(key_id)
    .bind(prefix)
    .bind(now)
    .execute(&mut **tx)
    .await
    .context("Failed to insert API key secret")?;
    Ok(())
}

/// The user's keys that are not revoked, newest first.
pub async fn list_for_user(pool: &AnyPool, user_id: &str) -> anyhow::Result<Vec<StoredKey>> {
    sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys
         WHERE user_id = $1 AND revoked_at IS NULL
         ORDER BY created_at DESC, id DESC"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
    .context("Failed to list API keys")
}

/// One of the user's keys that is not revoked.
pub async fn find_own(
    pool: &AnyPool,
    user_id: &str,
    key_id: &str,
) -> anyhow::Result<Option<StoredKey>> {
    sqlx::query_as(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL"
    ))
    .bind(key_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .context("Failed to read API key")
}

/// The working secrets of the user's keys at `now` (current ones and those in grace).
pub async fn live_secrets(
    pool: &AnyPool,
    user_id: &str,
    now: i64,
) -> anyhow::Result<Vec<LiveSecret>> {
    let rows = sqlx::query(
        "SELECT s.key_id, s.prefix, s.valid_until FROM api_key_secrets s
         JOIN api_keys k ON k.id = s.key_id
         WHERE k.user_id = $1 AND k.revoked_at IS NULL
           AND (s.valid_until IS NULL OR s.valid_until > $2)
         ORDER BY s.created_at DESC",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(pool)
    .await
    .context("Failed to list API key secrets")?;
    rows.iter()
        .map(|row| {
            Ok(LiveSecret {
                key_id: row.try_get("key_id")?,
                prefix: row.try_get("prefix")?,
                valid_until: row.try_get("valid_until")?,
            })
        })
        .collect()
}

/// Revokes one of the user's keys; `None` when it is not theirs or already revoked.
pub async fn revoke_own(
    pool: &AnyPool,
    user_id: &str,
    key_id: &str,
    now: i64,
) -> anyhow::Result<Option<StoredKey>> {
    let Some(key) = find_own(pool, user_id, key_id).await? else {
        return Ok(None);
    };
    let result = sqlx::query(
        "UPDATE api_keys SET revoked_at = $3
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(key_id)
    .bind(user_id)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to revoke API key")?;
    Ok((result.rows_affected() == 1).then_some(key))
}

/// Gives a key a new current secret; the secrets that worked until now keep
/// working until `old_valid_until` (never longer than they already would).
/// `None` when the key is not the user's, is revoked or has expired.
pub async fn rotate_own(
    pool: &AnyPool,
    user_id: &str,
    key_id: &str,
    new_secret_hash: &str,
    new_prefix: &str,
    old_valid_until: i64,
    now: i64,
) -> anyhow::Result<Option<StoredKey>> {
    let mut tx = crate::server::db::begin_write(pool)
        .await
        .context("Failed to begin")?;
    // Claiming the row first serialises two rotations of one key.
    let claimed = sqlx::query(
        "UPDATE api_keys SET rotated_at = $3
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > $3)",
    )
    .bind(key_id)
    .bind(user_id)
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("Failed to claim API key for rotation")?;
    if claimed.rows_affected() != 1 {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE api_key_secrets SET valid_until = $2
         WHERE key_id = $1 AND (valid_until IS NULL OR valid_until > $2)",
    )
    .bind(key_id)
    .bind(old_valid_until)
    .execute(&mut *tx)
    .await
    .context("Failed to retire the old API key secret")?;
    insert_secret(&mut tx, key_id, new_secret_hash, new_prefix, now).await?;
    let key: StoredKey =
        sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"))
            .bind(key_id)
            .fetch_one(&mut *tx)
            .await
            .context("Failed to read rotated API key")?;
    tx.commit().await.context("Failed to commit rotation")?;
    Ok(Some(key))
}

/// Deletes rotated-out secrets that stopped working before `before`.
pub async fn prune_retired_secrets(pool: &AnyPool, before: i64) -> anyhow::Result<u64> {
    let result = sqlx::query(
        "DELETE FROM api_key_secrets WHERE valid_until IS NOT NULL AND valid_until < $1",
    )
    .bind(before)
    .execute(pool)
    .await
    .context("Failed to prune API key secrets")?;
    Ok(result.rows_affected())
}
