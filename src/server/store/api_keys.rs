//! The `api_keys` and `api_key_secrets` tables.

use anyhow::Context;
use sqlx::{AnyPool, Row};

/// A key as stored, with its working secrets' prefixes.
#[derive(Clone, Debug)]
pub struct StoredKey {
    pub id: String,
    pub user_id: String,
    pub name: String,
    pub permission: String,
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
    pub permission: &'a str,
    pub expires_at: Option<i64>,
    pub secret_hash: &'a str,
    pub prefix: &'a str,
    pub now: i64,
}

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
    pub membership: Option<crate::server::store::orgs::Membership>,
    pub owner: KeyOwner,
    pub key_id: String,
    pub key_name: String,
    pub user_id: String,
    pub permission: String,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// `None` for the current secret.
    pub valid_until: Option<i64>,
    pub last_used_at: Option<i64>,
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

fn key_from_row(row: &sqlx::any::AnyRow) -> Result<StoredKey, sqlx::Error> {
    Ok(StoredKey {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        permission: row.try_get("permission")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        rotated_at: row.try_get("rotated_at")?,
        last_used_at: row.try_get("last_used_at")?,
        last_used_ip: row.try_get("last_used_ip")?,
        last_used_user_agent: row.try_get("last_used_user_agent")?,
    })
}

/// Stores a key and its first secret together.
pub async fn insert(pool: &AnyPool, key: &NewKey<'_>) -> anyhow::Result<()> {
    let mut tx = pool.begin().await.context("Failed to begin")?;
    sqlx::query(
        "INSERT INTO api_keys (id, user_id, name, permission, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(key.id)
    .bind(key.user_id)
    .bind(key.name)
    .bind(key.permission)
    .bind(key.now)
    .bind(key.expires_at)
    .execute(&mut *tx)
    .await
    .context("Failed to insert API key")?;
    insert_secret(&mut tx, key.id, key.secret_hash, key.prefix, key.now).await?;
    tx.commit().await.context("Failed to commit API key")?;
    Ok(())
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
    let rows = sqlx::query(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys
         WHERE user_id = $1 AND revoked_at IS NULL
         ORDER BY created_at DESC, id DESC"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
    .context("Failed to list API keys")?;
    Ok(rows.iter().map(key_from_row).collect::<Result<_, _>>()?)
}

/// One of the user's keys that is not revoked.
pub async fn find_own(
    pool: &AnyPool,
    user_id: &str,
    key_id: &str,
) -> anyhow::Result<Option<StoredKey>> {
    let row = sqlx::query(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys
         WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL"
    ))
    .bind(key_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await
    .context("Failed to read API key")?;
    Ok(row.as_ref().map(key_from_row).transpose()?)
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
        crate::server::store::orgs::ORG_COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(secret_hash)
        .fetch_optional(pool)
        .await
        .context("Failed to look up API key")?;
    let Some(row) = row else { return Ok(None) };
    let two_factor: Option<String> = row.try_get("two_factor_method")?;
    let membership = crate::server::store::orgs::membership_from(&row, two_factor.is_some())?;
    Ok(Some(SecretMatch {
        membership,
        owner: KeyOwner {
            name: row.try_get("owner_name")?,
            email: row.try_get("owner_email")?,
            created_at: row.try_get("owner_created_at")?,
            two_factor: two_factor
                .as_deref()
                .and_then(crate::two_factor::Method::parse),
        },
        key_id: row.try_get("id")?,
        key_name: row.try_get("name")?,
        user_id: row.try_get("user_id")?,
        permission: row.try_get("permission")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        valid_until: row.try_get("valid_until")?,
        last_used_at: row.try_get("last_used_at")?,
    }))
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
    let mut tx = pool.begin().await.context("Failed to begin")?;
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
    let row = sqlx::query(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"))
        .bind(key_id)
        .fetch_one(&mut *tx)
        .await
        .context("Failed to read rotated API key")?;
    let key = key_from_row(&row)?;
    tx.commit().await.context("Failed to commit rotation")?;
    Ok(Some(key))
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

/// A live key's times and the highest permission it needed, for the checkup.
#[derive(Clone, Debug)]
pub struct KeyUsage {
    pub id: String,
    pub name: String,
    pub permission: String,
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
                    permission: row.try_get("permission")?,
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
    let above: Vec<&str> = crate::api_keys::Permission::ALL
        .into_iter()
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
