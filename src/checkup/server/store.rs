//! The checkup's reads of the API keys: each live key's times and the
//! highest permission it needed, for one user or a whole organization.

use crate::api_keys::Permission;
use crate::server::db::parsed;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// A live key's times and the highest permission it needed, for the checkup.
#[derive(Clone, Debug)]
pub struct KeyUsage {
    pub id: String,
    pub name: String,
    pub permission: Permission,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub rotated_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub write_used_at: Option<i64>,
    pub admin_used_at: Option<i64>,
}

const USAGE_COLUMNS: &str = "k.id, k.name, k.permission, k.created_at, k.expires_at,
    k.rotated_at, k.last_used_at, k.write_used_at, k.admin_used_at, u.name AS owner_name";

/// Live keys (not revoked, not expired at `now`) of one user (`user_id`
/// column) or one organization's members (`m.org_id`), newest first, each
/// with its owner's name.
async fn live_usage_where(
    pool: &AnyPool,
    owner_column: &str,
    owner: &str,
    now: i64,
) -> anyhow::Result<Vec<(String, KeyUsage)>> {
    let sql = format!(
        "SELECT {USAGE_COLUMNS}
         FROM api_keys k JOIN users u ON u.id = k.user_id
         LEFT JOIN memberships m ON m.user_id = k.user_id
         WHERE {owner_column} = $1 AND k.revoked_at IS NULL
               AND (k.expires_at IS NULL OR k.expires_at > $2)
         ORDER BY k.created_at DESC, k.id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(owner)
        .bind(now)
        .fetch_all(pool)
        .await
        .context("Failed to list API key usage")?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("owner_name")?,
                KeyUsage {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    permission: parsed(row, "permission")?,
                    created_at: row.try_get("created_at")?,
                    expires_at: row.try_get("expires_at")?,
                    rotated_at: row.try_get("rotated_at")?,
                    last_used_at: row.try_get("last_used_at")?,
                    write_used_at: row.try_get("write_used_at")?,
                    admin_used_at: row.try_get("admin_used_at")?,
                },
            ))
        })
        .collect()
}

/// The user's live keys (not revoked, not expired at `now`), newest first.
pub async fn live_key_usage(
    pool: &AnyPool,
    user_id: &str,
    now: i64,
) -> anyhow::Result<Vec<KeyUsage>> {
    Ok(live_usage_where(pool, "k.user_id", user_id, now)
        .await?
        .into_iter()
        .map(|(_, key)| key)
        .collect())
}

/// The live keys of every member of an organization, with their owners' names.
pub async fn live_team_key_usage(
    pool: &AnyPool,
    org_id: &str,
    now: i64,
) -> anyhow::Result<Vec<(String, KeyUsage)>> {
    live_usage_where(pool, "m.org_id", org_id, now).await
}
