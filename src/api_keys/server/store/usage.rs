//! A key in use: resolving a presented secret (with its owner and their
//! organization, in one query) and recording when and at which level it was used.

use crate::api_keys::Permission;
use crate::server::db::{optional_parsed, parsed};
use crate::team::server::membership_from;
use crate::two_factor::Method;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// The user a key belongs to, read with the key so `/me` needs no second query.
#[derive(Clone, Debug)]
pub struct KeyOwner {
    pub name: String,
    pub email: String,
    pub created_at: i64,
    pub two_factor: Option<crate::two_factor::Method>,
}

/// What a presented secret resolves to: the key, its user and the secret's state.
#[derive(Clone, Debug)]
pub struct SecretMatch {
    /// The owner's organization and role, if any.
    pub membership: Option<crate::team::Membership>,
    pub owner: KeyOwner,
    pub key_id: String,
    pub key_name: String,
    pub user_id: String,
    pub permission: Permission,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// `None` for the current secret.
    pub valid_until: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// Resolves a presented secret by its hash: one indexed lookup.
pub async fn find_by_secret_hash(
    pool: &AnyPool,
    secret_hash: &str,
) -> anyhow::Result<Option<SecretMatch>> {
    // The owner's organization comes in the same query, so the 2FA rule is
    // checked without a second round trip.
    let sql = format!(
        "SELECT k.id, k.name, k.user_id, k.permission, k.expires_at, k.revoked_at,
                k.last_used_at, s.valid_until, u.name AS owner_name, u.email AS owner_email,
                u.created_at AS owner_created_at, u.two_factor_method,
                m.role, m.joined_at, {}
         FROM api_key_secrets s JOIN api_keys k ON k.id = s.key_id
         JOIN users u ON u.id = k.user_id
         LEFT JOIN memberships m ON m.user_id = k.user_id
         LEFT JOIN organizations o ON o.id = m.org_id
         WHERE s.secret_hash = $1",
        crate::team::server::ORG_COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(secret_hash)
        .fetch_optional(pool)
        .await
        .context("Failed to look up API key")?;
    let Some(row) = row else { return Ok(None) };
    let two_factor: Option<Method> = optional_parsed(&row, "two_factor_method")?;
    let membership = membership_from(&row, two_factor.is_some())?;
    Ok(Some(SecretMatch {
        membership,
        owner: KeyOwner {
            name: row.try_get("owner_name")?,
            email: row.try_get("owner_email")?,
            created_at: row.try_get("owner_created_at")?,
            two_factor,
        },
        key_id: row.try_get("id")?,
        key_name: row.try_get("name")?,
        user_id: row.try_get("user_id")?,
        permission: parsed(&row, "permission")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        valid_until: row.try_get("valid_until")?,
        last_used_at: row.try_get("last_used_at")?,
    }))
}

/// Records a use, at most once per `throttle_ms` per key.
pub async fn touch_last_used(
    pool: &AnyPool,
    key_id: &str,
    ip: &str,
    user_agent: &str,
    now: i64,
    throttle_ms: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $2, last_used_ip = $3, last_used_user_agent = $4
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $5)",
    )
    .bind(key_id)
    .bind(now)
    .bind(ip)
    .bind(user_agent)
    .bind(now - throttle_ms)
    .execute(pool)
    .await
    .context("Failed to record API key use")?;
    Ok(())
}

/// Records that a key passed a check needing `level` (Write or Admin; Read
/// is not recorded), at most once per `throttle_ms` per key and level.
pub async fn record_permission_use(
    pool: &AnyPool,
    key_id: &str,
    level: crate::api_keys::Permission,
    now: i64,
    throttle_ms: i64,
) -> anyhow::Result<()> {
    use crate::api_keys::Permission;
    let column = match level {
        Permission::Read => return Ok(()),
        Permission::Write => "write_used_at",
        Permission::Admin => "admin_used_at",
    };
    sqlx::query(&format!(
        "UPDATE api_keys SET {column} = $2
         WHERE id = $1 AND ({column} IS NULL OR {column} <= $3)"
    ))
    .bind(key_id)
    .bind(now)
    .bind(now - throttle_ms)
    .execute(pool)
    .await
    .context("Failed to record the permission a key used")?;
    Ok(())
}
