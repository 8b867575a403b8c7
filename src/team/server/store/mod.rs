//! The `organizations`, `memberships` and `invitations` tables. Changes to a
//! team run in a transaction that first locks the organization's row, so two
//! owners demoting each other at once cannot leave it without an owner.

pub mod invitations;

use crate::server::db::{optional_parsed, parsed};
use crate::team::{Membership, Organization, Role};
use crate::two_factor::Method;
use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

/// A member as the Team page reads them.
#[derive(Clone, Debug)]
pub struct StoredMember {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: i64,
    pub reminded_at: Option<i64>,
    pub two_factor_method: Option<Method>,
    pub last_active: Option<i64>,
    /// Usable passkeys: not flagged as cloned.
    pub passkeys: i64,
}

fn role_of(row: &AnyRow) -> anyhow::Result<Role> {
    parsed(row, "role")
}

fn flag(row: &AnyRow, column: &str) -> anyhow::Result<bool> {
    Ok(row.try_get::<i64, _>(column)? != 0)
}

/// The organization columns `membership_from` reads, for a query joining
/// `organizations o` and `memberships m`; with them the member's usable
/// passkeys (not flagged as cloned), for the passkey rule.
pub const ORG_COLUMNS: &str =
    "o.id AS org_id, o.name AS org_name, o.production, o.require_two_factor,
    o.grace_days, o.policy_since, o.require_passkey, o.passkey_policy_since,
    o.sso_enforced, o.created_at AS org_created_at,
    (SELECT COUNT(*) FROM passkeys p
     WHERE p.user_id = m.user_id AND p.suspected_clone_at IS NULL) AS member_passkeys";

fn organization_from(row: &AnyRow) -> anyhow::Result<Organization> {
    Ok(Organization {
        id: row.try_get("org_id")?,
        name: row.try_get("org_name")?,
        production: flag(row, "production")?,
        require_two_factor: flag(row, "require_two_factor")?,
        grace_days: row.try_get("grace_days")?,
        policy_since: row.try_get("policy_since")?,
        require_passkey: flag(row, "require_passkey")?,
        passkey_policy_since: row.try_get("passkey_policy_since")?,
        sso_enforced: flag(row, "sso_enforced")?,
        created_at: row.try_get("org_created_at")?,
    })
}

fn has_passkey(row: &AnyRow) -> anyhow::Result<bool> {
    Ok(row.try_get::<i64, _>("member_passkeys")? > 0)
}

/// The membership in a row of a query that LEFT JOINs `memberships m` and
/// `organizations o` (with `ORG_COLUMNS`, `m.role`, `m.joined_at`); `None`
/// for someone in no organization.
pub fn membership_from(row: &AnyRow, two_factor_on: bool) -> anyhow::Result<Option<Membership>> {
    let role: Option<String> = row.try_get("role")?;
    if role.is_none() {
        return Ok(None);
    }
    Ok(Some(Membership {
        organization: organization_from(row)?,
        role: role_of(row)?,
        joined_at: row.try_get("joined_at")?,
        two_factor_on,
        has_passkey: has_passkey(row)?,
    }))
}

/// Creates an organization with `user_id` as its owner; `false` when the user
/// already belongs to one.
pub async fn create_with_owner(
    pool: &AnyPool,
    org_id: &str,
    name: &str,
    user_id: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let mut tx = crate::server::db::begin_write(pool)
        .await
        .context("Failed to begin")?;
    // Writing first takes SQLite's write lock before the check reads.
    sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(org_id)
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("Failed to create the organization")?;
    if membership_on(&mut tx, user_id).await?.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO memberships (user_id, org_id, role, joined_at) VALUES ($1, $2, 'owner', $3)",
    )
    .bind(user_id)
    .bind(org_id)
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("Failed to add the owner")?;
    tx.commit().await.context("Failed to commit")?;
    Ok(true)
}

/// The user's organization and role, if any.
pub async fn membership(pool: &AnyPool, user_id: &str) -> anyhow::Result<Option<Membership>> {
    let mut conn = pool.acquire().await.context("Failed to get a connection")?;
    membership_on(&mut conn, user_id).await
}

async fn membership_on(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
) -> anyhow::Result<Option<Membership>> {
    let row = sqlx::query(&format!(
        "SELECT {ORG_COLUMNS}, m.role, m.joined_at, u.two_factor_method FROM memberships m
         JOIN organizations o ON o.id = m.org_id JOIN users u ON u.id = m.user_id
         WHERE m.user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
    .context("Failed to read the membership")?;
    row.map(|row| {
        Ok(Membership {
            organization: organization_from(&row)?,
            role: role_of(&row)?,
            joined_at: row.try_get("joined_at")?,
            two_factor_on: row
                .try_get::<Option<String>, _>("two_factor_method")?
                .is_some(),
            has_passkey: has_passkey(&row)?,
        })
    })
    .transpose()
}

/// Locks the user's organization row for the rest of `tx` (as `lock_team`
/// does) and reads the user's role and organization name after the lock.
pub async fn lock_membership(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
) -> anyhow::Result<Option<(Role, String)>> {
    sqlx::query(
        "UPDATE organizations SET name = name
         WHERE id IN (SELECT org_id FROM memberships WHERE user_id = $1)",
    )
    .bind(user_id)
    .execute(&mut **tx)
    .await
    .context("Failed to lock the organization")?;
    let row = sqlx::query(
        "SELECT m.role, o.name FROM memberships m JOIN organizations o ON o.id = m.org_id
         WHERE m.user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await
    .context("Failed to read the membership")?;
    row.map(|row| Ok((role_of(&row)?, row.try_get("name")?)))
        .transpose()
}

/// Everyone in the organization with their 2FA method, usable passkeys and
/// last activity, owners first.
pub async fn members(pool: &AnyPool, org_id: &str, now: i64) -> anyhow::Result<Vec<StoredMember>> {
    let rows = sqlx::query(
        "SELECT m.user_id, u.name, u.email, m.role, m.joined_at, m.reminded_at,
                u.two_factor_method,
                (SELECT MAX(s.last_seen_at) FROM sessions s
                 WHERE s.user_id = m.user_id AND s.revoked_at IS NULL AND s.expires_at > $2)
                 AS last_active,
                (SELECT COUNT(*) FROM passkeys p
                 WHERE p.user_id = m.user_id AND p.suspected_clone_at IS NULL) AS passkeys
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = $1
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END,
                  u.name, u.email",
    )
    .bind(org_id)
    .bind(now)
    .fetch_all(pool)
    .await
    .context("Failed to list members")?;
    rows.iter()
        .map(|row| {
            Ok(StoredMember {
                user_id: row.try_get("user_id")?,
                name: row.try_get("name")?,
                email: row.try_get("email")?,
                role: role_of(row)?,
                joined_at: row.try_get("joined_at")?,
                reminded_at: row.try_get("reminded_at")?,
                two_factor_method: optional_parsed(row, "two_factor_method")?,
                last_active: row.try_get("last_active")?,
                passkeys: row.try_get("passkeys")?,
            })
        })
        .collect()
}

/// Starts a change to one organization's team: the organization's row is
/// locked until the transaction ends.
pub async fn lock_team(pool: &AnyPool, org_id: &str) -> anyhow::Result<Transaction<'static, Any>> {
    let mut tx = crate::server::db::begin_write(pool)
        .await
        .context("Failed to begin")?;
    sqlx::query("UPDATE organizations SET name = name WHERE id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await
        .context("Failed to lock the organization")?;
    Ok(tx)
}

/// The member a team change is about, read inside it.
#[derive(Clone, Debug)]
pub struct TeamMember {
    pub role: Role,
    pub name: String,
    pub email: String,
    pub two_factor_on: bool,
}

/// A member inside a team change (`None` when not in the organization),
/// with how many owners there are. Read on the change's own connection, so
/// the change never waits for a second one while it holds the lock.
pub async fn member_and_owners(
    tx: &mut Transaction<'static, Any>,
    org_id: &str,
    user_id: &str,
) -> anyhow::Result<(Option<TeamMember>, i64)> {
    let row = sqlx::query(
        "SELECT m.role, u.name, u.email, u.two_factor_method
         FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.org_id = $1 AND m.user_id = $2",
    )
    .bind(org_id)
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await
    .context("Failed to read the member")?;
    let member = row
        .map(|row| -> anyhow::Result<TeamMember> {
            Ok(TeamMember {
                role: role_of(&row)?,
                name: row.try_get("name")?,
                email: row.try_get("email")?,
                two_factor_on: row
                    .try_get::<Option<String>, _>("two_factor_method")?
                    .is_some(),
            })
        })
        .transpose()?;
    let owners: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM memberships WHERE org_id = $1 AND role = 'owner'")
            .bind(org_id)
            .fetch_one(&mut **tx)
            .await
            .context("Failed to count owners")?
            .try_get("n")?;
    Ok((member, owners))
}

/// Sets a member's role.
pub async fn set_role(
    tx: &mut Transaction<'static, Any>,
    org_id: &str,
    user_id: &str,
    role: Role,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3")
        .bind(role.as_str())
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .context("Failed to change the role")?;
    Ok(())
}

/// Takes a member out of the organization.
pub async fn remove(
    tx: &mut Transaction<'static, Any>,
    org_id: &str,
    user_id: &str,
) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id)
        .bind(user_id)
        .execute(&mut **tx)
        .await
        .context("Failed to remove the member")?;
    Ok(())
}

/// Adds a member; `false` when the user already belongs to an organization.
pub async fn add_member(
    tx: &mut Transaction<'static, Any>,
    org_id: &str,
    user_id: &str,
    role: Role,
    now: i64,
) -> anyhow::Result<bool> {
    if membership_on(tx, user_id).await?.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO memberships (user_id, org_id, role, joined_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(user_id)
    .bind(org_id)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await
    .context("Failed to add the member")?;
    Ok(true)
}

/// The organization's name and 2FA policy.
pub async fn update_policy(pool: &AnyPool, organization: &Organization) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE organizations SET name = $1, production = $2, require_two_factor = $3,
             grace_days = $4, policy_since = $5 WHERE id = $6",
    )
    .bind(&organization.name)
    .bind(i64::from(organization.production))
    .bind(i64::from(organization.require_two_factor))
    .bind(organization.grace_days)
    .bind(organization.policy_since)
    .bind(&organization.id)
    .execute(pool)
    .await
    .context("Failed to update the organization")?;
    Ok(())
}

/// The organization's passkey rule: on (since `since`) or off (`None`).
pub async fn update_passkey_policy(
    pool: &AnyPool,
    org_id: &str,
    since: Option<i64>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE organizations SET require_passkey = $1, passkey_policy_since = $2 WHERE id = $3",
    )
    .bind(i64::from(since.is_some()))
    .bind(since)
    .bind(org_id)
    .execute(pool)
    .await
    .context("Failed to update the passkey policy")?;
    Ok(())
}

/// Records a 2FA reminder unless one went out within `interval_ms`;
/// `true` when this call may send it.
pub async fn claim_reminder(
    pool: &AnyPool,
    org_id: &str,
    user_id: &str,
    now: i64,
    interval_ms: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE memberships SET reminded_at = $1
         WHERE org_id = $2 AND user_id = $3 AND (reminded_at IS NULL OR reminded_at <= $4)",
    )
    .bind(now)
    .bind(org_id)
    .bind(user_id)
    .bind(now - interval_ms)
    .execute(pool)
    .await
    .context("Failed to record the reminder")?;
    Ok(done.rows_affected() == 1)
}

/// Deletes an organization with its memberships and invitations, inside a
/// team change.
pub async fn delete(tx: &mut Transaction<'static, Any>, org_id: &str) -> anyhow::Result<()> {
    for sql in [
        "DELETE FROM invitations WHERE org_id = $1",
        "DELETE FROM memberships WHERE org_id = $1",
        "DELETE FROM organizations WHERE id = $1",
    ] {
        sqlx::query(sql)
            .bind(org_id)
            .execute(&mut **tx)
            .await
            .context("Failed to delete the organization")?;
    }
    Ok(())
}
