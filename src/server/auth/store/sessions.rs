//! The `sessions` table: server-side sessions keyed by the token's SHA-256.

use super::users;
use crate::account::CurrentUser;
use crate::sessions::SignInMethod;
use anyhow::Context;
use sqlx::{AnyPool, FromRow, Row};

/// A row to insert at sign-in.
pub struct NewSession<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub token_hash: &'a str,
    pub now: i64,
    pub expires_at: i64,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub auth_method: SignInMethod,
    pub location: &'a str,
}

/// A live session as looked up by token.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub reauthenticated_at: i64,
    /// The member's organization's shorter idle lifetime, if it set one.
    pub org_idle_ms: Option<i64>,
    /// The member's organization's shorter absolute lifetime, if it set one.
    pub org_absolute_ms: Option<i64>,
}

pub async fn insert(pool: &AnyPool, session: &NewSession<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO sessions (id, user_id, token_hash, created_at, last_seen_at, expires_at,
             reauthenticated_at, revoked_at, ip, user_agent, auth_method, location)
         VALUES ($1, $2, $3, $4, $4, $5, $4, NULL, $6, $7, $8, $9)",
    )
    .bind(session.id)
    .bind(session.user_id)
    .bind(session.token_hash)
    .bind(session.now)
    .bind(session.expires_at)
    .bind(session.ip)
    .bind(session.user_agent)
    .bind(session.auth_method.to_string())
    .bind(session.location)
    .execute(pool)
    .await
    .context("Failed to insert session")?;
    Ok(())
}

/// The unrevoked session with this token hash and its user, in one query,
/// if any (expiry is the caller's check).
pub async fn find_by_token_hash(
    pool: &AnyPool,
    token_hash: &str,
) -> anyhow::Result<Option<(SessionRecord, CurrentUser)>> {
    let row = sqlx::query(
        "SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at,
                s.reauthenticated_at, u.name, u.email, u.password_changed_at,
                u.created_at AS user_created_at, u.email_verified_at, u.password_set,
                o.session_idle_ms AS org_idle_ms, o.session_absolute_ms AS org_absolute_ms
         FROM sessions s JOIN users u ON u.id = s.user_id
         LEFT JOIN memberships m ON m.user_id = s.user_id
         LEFT JOIN organizations o ON o.id = m.org_id
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(pool)
    .await
    .context("Failed to look up session")?;
    let Some(row) = row else { return Ok(None) };
    let record = SessionRecord::from_row(&row).context("Failed to decode session")?;
    let user = users::current_user_from(&row, "user_id", "user_created_at")
        .context("Failed to decode the session's user")?;
    Ok(Some((record, user)))
}

/// Records activity, at most once per `throttle_ms` per session.
pub async fn touch(pool: &AnyPool, id: &str, now: i64, throttle_ms: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at <= $3")
        .bind(id)
        .bind(now)
        .bind(now - throttle_ms)
        .execute(pool)
        .await
        .context("Failed to update session activity")?;
    Ok(())
}

/// Gives the session a new token (a privilege change). With
/// `reauthenticated` the user has just proved every factor again, so sudo
/// mode opens; a password change alone leaves it as it was.
pub async fn rotate_token(
    pool: &AnyPool,
    id: &str,
    new_token_hash: &str,
    now: i64,
    reauthenticated: bool,
) -> anyhow::Result<()> {
    let sql = if reauthenticated {
        "UPDATE sessions SET token_hash = $2, reauthenticated_at = $3, last_seen_at = $3
         WHERE id = $1 AND revoked_at IS NULL"
    } else {
        "UPDATE sessions SET token_hash = $2, last_seen_at = $3
         WHERE id = $1 AND revoked_at IS NULL"
    };
    sqlx::query(sql)
        .bind(id)
        .bind(new_token_hash)
        .bind(now)
        .execute(pool)
        .await
        .context("Failed to rotate session token")?;
    Ok(())
}

/// Closes the sudo window of the user's other live sessions: after 2FA is
/// turned on, a window opened with the password alone no longer counts.
pub async fn end_sudo_except(pool: &AnyPool, user_id: &str, keep: &str) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE sessions SET reauthenticated_at = 0
         WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL",
    )
    .bind(user_id)
    .bind(keep)
    .execute(pool)
    .await
    .context("Failed to close other sessions' sudo windows")?;
    Ok(())
}

pub async fn revoke(pool: &AnyPool, id: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .context("Failed to revoke session")?;
    Ok(())
}

/// Revokes every session of the user except `keep`; returns how many ended.
pub async fn revoke_all_except(
    pool: &AnyPool,
    user_id: &str,
    keep: &str,
    now: i64,
) -> anyhow::Result<u64> {
    revoke_others_where(pool, user_id, keep, now, "").await
}

/// Revokes every session of the user; returns the ids of those it ended.
pub async fn revoke_all_returning(
    pool: &AnyPool,
    user_id: &str,
    now: i64,
) -> anyhow::Result<Vec<String>> {
    let rows = sqlx::query(
        "UPDATE sessions SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL RETURNING id",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(pool)
    .await
    .context("Failed to revoke the sessions")?;
    rows.iter()
        .map(|row| row.try_get("id").context("Failed to read a session id"))
        .collect()
}

async fn revoke_others_where(
    pool: &AnyPool,
    user_id: &str,
    keep: &str,
    now: i64,
    extra_condition: &'static str,
) -> anyhow::Result<u64> {
    let result = sqlx::query(&format!(
        "UPDATE sessions SET revoked_at = $3
         WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL {extra_condition}"
    ))
    .bind(user_id)
    .bind(keep)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to revoke other sessions")?;
    Ok(result.rows_affected())
}

/// Deletes sessions that are revoked or expired; returns how many.
pub async fn prune(pool: &AnyPool, now: i64, idle_ms: i64) -> anyhow::Result<u64> {
    let result = sqlx::query(
        "DELETE FROM sessions WHERE revoked_at IS NOT NULL OR expires_at <= $1 OR last_seen_at <= $2",
    )
    .bind(now)
    .bind(now - idle_ms)
    .execute(pool)
    .await
    .context("Failed to prune sessions")?;
    Ok(result.rows_affected())
}

/// A live session row for the Active Sessions list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ListedSession {
    pub id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: String,
    pub user_agent: String,
    #[sqlx(try_from = "String")]
    pub auth_method: SignInMethod,
    pub location: String,
}

const LISTED_COLUMNS: &str = "id, created_at, last_seen_at, ip, user_agent, auth_method, location";

/// The user's live sessions, most recently active first; read once per
/// page render.
pub async fn list_live(
    pool: &AnyPool,
    user_id: &str,
    now: i64,
    idle_ms: i64,
) -> anyhow::Result<Vec<ListedSession>> {
    crate::server::memo::once_per_render(
        || format!("live_sessions:{user_id}:{idle_ms}"),
        || read_live(pool, user_id, now, idle_ms),
    )
    .await
}

async fn read_live(
    pool: &AnyPool,
    user_id: &str,
    now: i64,
    idle_ms: i64,
) -> anyhow::Result<Vec<ListedSession>> {
    sqlx::query_as(&format!(
        "SELECT {LISTED_COLUMNS} FROM sessions
         WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3
         ORDER BY last_seen_at DESC, id DESC"
    ))
    .bind(user_id)
    .bind(now)
    .bind(now - idle_ms)
    .fetch_all(pool)
    .await
    .context("Failed to list sessions")
}

/// Revokes one of the user's own live sessions; `None` when there is no such
/// session of theirs (someone else's id revokes nothing).
pub async fn revoke_own(
    pool: &AnyPool,
    user_id: &str,
    id: &str,
    now: i64,
) -> anyhow::Result<Option<ListedSession>> {
    sqlx::query_as(&format!(
        "UPDATE sessions SET revoked_at = $3
         WHERE id = $2 AND user_id = $1 AND revoked_at IS NULL
         RETURNING {LISTED_COLUMNS}"
    ))
    .bind(user_id)
    .bind(id)
    .bind(now)
    .fetch_optional(pool)
    .await
    .context("Failed to revoke session")
}

/// Revokes the user's other sessions that signed in with the password alone.
pub async fn revoke_single_factor_except(
    pool: &AnyPool,
    user_id: &str,
    keep: &str,
    now: i64,
) -> anyhow::Result<u64> {
    revoke_others_where(pool, user_id, keep, now, "AND auth_method = 'password'").await
}
