//! Keys that follow their owner's role: lowered to what a new role allows,
//! revoked when the owner leaves the organization. Both run inside the
//! team change's transaction.

use anyhow::Context;
use sqlx::Row;
use strum::IntoEnumIterator;

/// A key changed because its owner's role changed.
#[derive(Clone, Debug)]
pub struct ChangedKey {
    pub id: String,
    pub name: String,
    pub permission: String,
}

/// Lowers every live key of the user above `cap` to `cap` (in `tx`, part of
/// a team change); returns the keys as they were.
pub async fn reduce_to_cap(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
    cap: crate::api_keys::Permission,
) -> anyhow::Result<Vec<ChangedKey>> {
    let above: Vec<&str> = crate::api_keys::Permission::iter()
        .filter(|permission| *permission > cap)
        .map(|permission| permission.as_str())
        .collect();
    if above.is_empty() {
        return Ok(Vec::new());
    }
    let slots: Vec<String> = (0..above.len()).map(|i| format!("${}", i + 2)).collect();
    let in_list = slots.join(", ");
    let sql = format!(
        "SELECT id, name, permission FROM api_keys
         WHERE user_id = $1 AND revoked_at IS NULL AND permission IN ({in_list})"
    );
    let mut select = sqlx::query(&sql).bind(user_id);
    for permission in &above {
        select = select.bind(*permission);
    }
    let rows = select
        .fetch_all(&mut **tx)
        .await
        .context("Failed to find keys above the cap")?;
    let mut changed = Vec::with_capacity(rows.len());
    for row in &rows {
        let key = ChangedKey {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            permission: row.try_get("permission")?,
        };
        sqlx::query("UPDATE api_keys SET permission = $1 WHERE id = $2")
            .bind(cap.as_str())
            .bind(&key.id)
            .execute(&mut **tx)
            .await
            .context("Failed to lower a key's permission")?;
        changed.push(key);
    }
    Ok(changed)
}

/// Revokes every live key of the user (in `tx`, part of a team change);
/// returns the keys revoked.
pub async fn revoke_all_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    user_id: &str,
    now: i64,
) -> anyhow::Result<Vec<ChangedKey>> {
    let rows = sqlx::query(
        "SELECT id, name, permission FROM api_keys WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .fetch_all(&mut **tx)
    .await
    .context("Failed to list the member's keys")?;
    sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .context("Failed to revoke the member's keys")?;
    rows.iter()
        .map(|row| {
            Ok(ChangedKey {
                id: row.try_get("id")?,
                name: row.try_get("name")?,
                permission: row.try_get("permission")?,
            })
        })
        .collect()
}

/// Where a live key came from, for a recovery.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Provenance {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub created_session_id: Option<String>,
    pub created_key_id: Option<String>,
}

/// The user's live keys with where each came from.
pub async fn provenance(pool: &sqlx::AnyPool, user_id: &str) -> anyhow::Result<Vec<Provenance>> {
    sqlx::query_as(
        "SELECT id, name, created_at, created_session_id, created_key_id FROM api_keys
         WHERE user_id = $1 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .fetch_all(pool)
    .await
    .context("Failed to read where the keys came from")
}

/// Revokes these keys of the user; returns how many were still live.
pub async fn revoke_ids(
    pool: &sqlx::AnyPool,
    user_id: &str,
    ids: &[String],
    now: i64,
) -> anyhow::Result<u64> {
    let mut tx = crate::server::db::begin_write(pool)
        .await
        .context("Failed to begin")?;
    let mut revoked = 0;
    for id in ids {
        let result = sqlx::query(
            "UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("Failed to revoke a key")?;
        revoked += result.rows_affected();
    }
    tx.commit().await.context("Failed to commit")?;
    Ok(revoked)
}
