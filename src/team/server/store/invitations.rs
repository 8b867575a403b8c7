//! The `invitations` table: single-use links (stored as the token's SHA-256)
//! to join an organization with a role.

use super::role_of;
use crate::team::Role;
use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyPool, Row, Transaction};

/// An invitation as stored.
#[derive(Clone, Debug)]
pub struct StoredInvitation {
    pub id: String,
    pub org_id: String,
    pub org_name: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// A new invitation.
pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub org_id: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub token_hash: &'a str,
    pub invited_by: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

/// Stores an invitation, retiring earlier pending ones to the same address.
pub async fn insert_invitation(
    pool: &AnyPool,
    invitation: &NewInvitation<'_>,
) -> anyhow::Result<()> {
    let mut tx = crate::server::db::begin_write(pool)
        .await
        .context("Failed to begin")?;
    sqlx::query(
        "UPDATE invitations SET revoked_at = $1
         WHERE org_id = $2 AND LOWER(email) = LOWER($3) AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(invitation.now)
    .bind(invitation.org_id)
    .bind(invitation.email)
    .execute(&mut *tx)
    .await
    .context("Failed to retire older invitations")?;
    sqlx::query(
        "INSERT INTO invitations (id, org_id, email, role, token_hash, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(invitation.id)
    .bind(invitation.org_id)
    .bind(invitation.email)
    .bind(invitation.role.as_str())
    .bind(invitation.token_hash)
    .bind(invitation.invited_by)
    .bind(invitation.now)
    .bind(invitation.expires_at)
    .execute(&mut *tx)
    .await
    .context("Failed to store the invitation")?;
    tx.commit().await.context("Failed to commit")?;
    Ok(())
}

const INVITATION_COLUMNS: &str = "i.id, i.org_id, o.name AS org_name, i.email, i.role,
    COALESCE(u.name, '') AS invited_by, i.created_at, i.expires_at, i.accepted_at, i.revoked_at";

fn invitation_from(row: &AnyRow) -> anyhow::Result<StoredInvitation> {
    Ok(StoredInvitation {
        id: row.try_get("id")?,
        org_id: row.try_get("org_id")?,
        org_name: row.try_get("org_name")?,
        email: row.try_get("email")?,
        role: role_of(row)?,
        invited_by: row.try_get("invited_by")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        accepted_at: row.try_get("accepted_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// The organization's invitations that can still be accepted, newest first.
pub async fn pending_invitations(
    pool: &AnyPool,
    org_id: &str,
    now: i64,
) -> anyhow::Result<Vec<StoredInvitation>> {
    let rows = sqlx::query(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations i
         JOIN organizations o ON o.id = i.org_id LEFT JOIN users u ON u.id = i.invited_by
         WHERE i.org_id = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2
         ORDER BY i.created_at DESC"
    ))
    .bind(org_id)
    .bind(now)
    .fetch_all(pool)
    .await
    .context("Failed to list invitations")?;
    rows.iter().map(invitation_from).collect()
}

/// An invitation by its token's hash, whatever its state.
pub async fn invitation_by_token(
    pool: &AnyPool,
    token_hash: &str,
) -> anyhow::Result<Option<StoredInvitation>> {
    let row = sqlx::query(&format!(
        "SELECT {INVITATION_COLUMNS} FROM invitations i
         JOIN organizations o ON o.id = i.org_id LEFT JOIN users u ON u.id = i.invited_by
         WHERE i.token_hash = $1"
    ))
    .bind(token_hash)
    .fetch_optional(pool)
    .await
    .context("Failed to read the invitation")?;
    row.as_ref().map(invitation_from).transpose()
}

/// Uses an invitation inside a team change; `false` when it was accepted,
/// revoked or expired in the meantime.
pub async fn consume_invitation(
    tx: &mut Transaction<'static, Any>,
    invitation_id: &str,
    user_id: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE invitations SET accepted_at = $1, accepted_by = $2
         WHERE id = $3 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(user_id)
    .bind(invitation_id)
    .execute(&mut **tx)
    .await
    .context("Failed to use the invitation")?;
    Ok(done.rows_affected() == 1)
}

/// Revokes a pending invitation of the organization; `None` when there is none
/// by that id, otherwise its address.
pub async fn revoke_invitation(
    pool: &AnyPool,
    org_id: &str,
    invitation_id: &str,
    now: i64,
) -> anyhow::Result<Option<String>> {
    let row = sqlx::query(
        "UPDATE invitations SET revoked_at = $1
         WHERE id = $2 AND org_id = $3 AND accepted_at IS NULL AND revoked_at IS NULL
         RETURNING email",
    )
    .bind(now)
    .bind(invitation_id)
    .bind(org_id)
    .fetch_optional(pool)
    .await
    .context("Failed to revoke the invitation")?;
    row.map(|row| row.try_get("email").context("Failed to read the email"))
        .transpose()
}

/// Withdraws every pending invitation `user_id` sent; returns how many.
pub async fn revoke_sent_by(pool: &AnyPool, user_id: &str, now: i64) -> anyhow::Result<u64> {
    let result = sqlx::query(
        "UPDATE invitations SET revoked_at = $2
         WHERE invited_by = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to withdraw the invitations")?;
    Ok(result.rows_affected())
}

/// How many invitations the organization sent since `since`.
pub async fn invitations_since(pool: &AnyPool, org_id: &str, since: i64) -> anyhow::Result<i64> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM invitations WHERE org_id = $1 AND created_at >= $2")
            .bind(org_id)
            .bind(since)
            .fetch_one(pool)
            .await
            .context("Failed to count invitations")?;
    Ok(row.try_get("n")?)
}

/// Deletes invitations that expired before `before` (used or not).
pub async fn prune_invitations(pool: &AnyPool, before: i64) -> anyhow::Result<u64> {
    let done = sqlx::query("DELETE FROM invitations WHERE expires_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .context("Failed to prune old invitations")?;
    Ok(done.rows_affected())
}
