//! The `users` table.

use crate::account::CurrentUser;
use crate::server::db::optional_parsed;
use crate::server::password::hashing::PasswordHashText;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// A stored user with the hash, for sign-in.
pub struct UserWithHash {
    pub user: CurrentUser,
    pub password_hash: PasswordHashText,
}

const COLUMNS: &str = "id, name, email, password_changed_at, created_at, password_hash, email_verified_at, password_set";

fn from_row(row: &sqlx::any::AnyRow) -> Result<UserWithHash, sqlx::Error> {
    Ok(UserWithHash {
        user: current_user_from(row, "id", "created_at")?,
        password_hash: PasswordHashText(row.try_get("password_hash")?),
    })
}

/// The user in a row that holds their columns; `id` and `created_at` name
/// the two columns a join may have had to rename.
pub fn current_user_from(
    row: &sqlx::any::AnyRow,
    id: &str,
    created_at: &str,
) -> Result<CurrentUser, sqlx::Error> {
    Ok(CurrentUser {
        id: row.try_get(id)?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        password_changed_at: row.try_get("password_changed_at")?,
        created_at: row.try_get(created_at)?,
        email_verified: row
            .try_get::<Option<i64>, _>("email_verified_at")?
            .is_some(),
        has_password: row.try_get::<i64, _>("password_set")? != 0,
    })
}

/// Inserts a user whose address is not confirmed yet, with the organization
/// to create once it is; `Ok(false)` when the email is taken (also under a
/// race).
pub async fn insert(
    pool: &AnyPool,
    user: &CurrentUser,
    hash: &PasswordHashText,
    pending_organization: Option<&str>,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at,
             pending_organization)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&user.name)
    .bind(&hash.0)
    .bind(user.password_changed_at)
    .bind(user.created_at)
    .bind(pending_organization)
    .execute(pool)
    .await
    .context("Failed to insert user")?;
    Ok(result.rows_affected() == 1)
}

/// Inserts an account made from a provider's verified identity: its
/// address confirmed, no password set (the hash is of a secret nobody
/// holds). `Ok(false)` when the email is taken.
pub async fn insert_from_provider(
    pool: &AnyPool,
    user: &CurrentUser,
    unusable_hash: &PasswordHashText,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO users (id, email, name, password_hash, password_changed_at, created_at,
             email_verified_at, password_set)
         VALUES ($1, $2, $3, $4, $5, $6, $6, 0) ON CONFLICT (email) DO NOTHING",
    )
    .bind(&user.id)
    .bind(&user.email)
    .bind(&user.name)
    .bind(&unusable_hash.0)
    .bind(user.password_changed_at)
    .bind(user.created_at)
    .execute(pool)
    .await
    .context("Failed to insert a user from a provider")?;
    Ok(result.rows_affected() == 1)
}

/// Deletes an account that was created a moment ago and lost a race.
pub async fn delete(pool: &AnyPool, id: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .context("Failed to delete a user")?;
    Ok(())
}

/// Whether the account has a password of its own (one made from a
/// provider has none until a reset link sets it).
pub async fn password_set(pool: &AnyPool, id: &str) -> anyhow::Result<bool> {
    let set: Option<i64> = sqlx::query_scalar("SELECT password_set FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(pool)
        .await
        .context("Failed to read whether a password is set")?;
    Ok(set == Some(1))
}

pub async fn find_by_email(pool: &AnyPool, email: &str) -> anyhow::Result<Option<UserWithHash>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE email = $1"))
        .bind(email)
        .fetch_optional(pool)
        .await
        .context("Failed to look up user by email")?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .context("Failed to decode user")
}

pub async fn find_by_id(pool: &AnyPool, id: &str) -> anyhow::Result<Option<UserWithHash>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await
        .context("Failed to look up user by id")?;
    row.as_ref()
        .map(from_row)
        .transpose()
        .context("Failed to decode user")
}

/// Replaces the hash; `changed_at` is set only for a real change, not a rehash.
pub async fn update_password_hash(
    pool: &AnyPool,
    id: &str,
    hash: &PasswordHashText,
    changed_at: Option<i64>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE users SET password_hash = $2,
             password_changed_at = COALESCE($3, password_changed_at),
             password_set = CASE WHEN $3 IS NULL THEN password_set ELSE 1 END
         WHERE id = $1",
    )
    .bind(id)
    .bind(&hash.0)
    .bind(changed_at)
    .execute(pool)
    .await
    .context("Failed to update password hash")?;
    Ok(())
}

/// When the user last reviewed their sessions.
pub async fn sessions_reviewed_at(pool: &AnyPool, id: &str) -> anyhow::Result<Option<i64>> {
    Ok(security_facts(pool, id)
        .await?
        .and_then(|facts| facts.sessions_reviewed_at))
}

pub async fn mark_sessions_reviewed(pool: &AnyPool, id: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE users SET sessions_reviewed_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .context("Failed to record session review")?;
    Ok(())
}

/// The recovery flags: (must reset the password first, wants new-sign-in notices).
pub async fn recovery_flags(pool: &AnyPool, id: &str) -> anyhow::Result<(bool, bool)> {
    let facts = security_facts(pool, id)
        .await?
        .context("Failed to read recovery flags: no such user")?;
    Ok((facts.must_reset_password, facts.notify_new_sign_in))
}

pub async fn set_must_reset_password(pool: &AnyPool, id: &str, value: bool) -> anyhow::Result<()> {
    sqlx::query("UPDATE users SET must_reset_password = $2 WHERE id = $1")
        .bind(id)
        .bind(i64::from(value))
        .execute(pool)
        .await
        .context("Failed to set must_reset_password")?;
    Ok(())
}

pub async fn set_notify_new_sign_in(pool: &AnyPool, id: &str, value: bool) -> anyhow::Result<()> {
    sqlx::query("UPDATE users SET notify_new_sign_in = $2 WHERE id = $1")
        .bind(id)
        .bind(i64::from(value))
        .execute(pool)
        .await
        .context("Failed to set notify_new_sign_in")?;
    Ok(())
}

/// Changes the email to one a mailed link just confirmed; `Ok(false)` when
/// another account has it (also under a race).
pub async fn update_email(pool: &AnyPool, id: &str, email: &str, now: i64) -> anyhow::Result<bool> {
    let taken = sqlx::query("SELECT 1 AS one FROM users WHERE email = $1 AND id <> $2")
        .bind(email)
        .bind(id)
        .fetch_optional(pool)
        .await
        .context("Failed to check the email")?;
    if taken.is_some() {
        return Ok(false);
    }
    // The new address was confirmed by the link that brought it.
    match sqlx::query("UPDATE users SET email = $2, email_verified_at = $3 WHERE id = $1")
        .bind(id)
        .bind(email)
        .bind(now)
        .execute(pool)
        .await
    {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(false),
        Err(error) => Err(error).context("Failed to change the email"),
    }
}

/// Marks the address confirmed if it is still the account's; returns
/// whether it was, and takes the organization asked for at sign-up.
pub async fn confirm_email(
    pool: &AnyPool,
    id: &str,
    email: &str,
    now: i64,
) -> anyhow::Result<Option<Option<String>>> {
    let row = sqlx::query(
        "UPDATE users SET email_verified_at = COALESCE(email_verified_at, $3)
         WHERE id = $1 AND email = $2
         RETURNING pending_organization",
    )
    .bind(id)
    .bind(email)
    .bind(now)
    .fetch_optional(pool)
    .await
    .context("Failed to confirm the address")?;
    let Some(row) = row else { return Ok(None) };
    let pending: Option<String> = row.try_get("pending_organization")?;
    if pending.is_some() {
        sqlx::query("UPDATE users SET pending_organization = NULL WHERE id = $1")
            .bind(id)
            .execute(pool)
            .await
            .context("Failed to clear the pending organization")?;
    }
    Ok(Some(pending))
}

/// Records the zxcvbn score (0-4) of the password the user just used or chose.
pub async fn set_password_score(pool: &AnyPool, id: &str, score: u8) -> anyhow::Result<()> {
    sqlx::query("UPDATE users SET password_score = $2 WHERE id = $1")
        .bind(id)
        .bind(i64::from(score.min(4)))
        .execute(pool)
        .await
        .context("Failed to record the password score")?;
    Ok(())
}

/// The account's row as the security page reads it, in one query: the
/// checkup, the overview, the 2FA section, the session review and the
/// notice settings all take theirs from it. No `Debug`: it holds the
/// sealed TOTP secret.
#[derive(Clone)]
pub struct SecurityFacts {
    /// The account has a password (not one made from a provider without).
    pub password_set: bool,
    /// zxcvbn 0-4, `None` until the password was seen in clear.
    pub password_score: Option<u8>,
    pub password_changed_at: i64,
    pub created_at: i64,
    pub sessions_reviewed_at: Option<i64>,
    pub two_factor: Option<crate::two_factor::Method>,
    pub two_factor_since: Option<i64>,
    pub totp_secret_sealed: Option<String>,
    pub sms_phone: Option<String>,
    pub backup_codes_left: i64,
    /// Whether any 2FA set-up is under way (in any of the user's sessions).
    pub enrolling: bool,
    /// Passkeys that can still sign in (not flagged as copied).
    pub passkeys: i64,
    /// When the offer to add a passkey was last dismissed.
    pub passkey_offer_dismissed_at: Option<i64>,
    pub must_reset_password: bool,
    pub notify_new_sign_in: bool,
}

/// The user's security facts, read once per page render; `None` when
/// there is no such user.
pub async fn security_facts(pool: &AnyPool, id: &str) -> anyhow::Result<Option<SecurityFacts>> {
    crate::server::memo::once_per_render(
        || format!("security_facts:{id}"),
        || read_security_facts(pool, id),
    )
    .await
}

async fn read_security_facts(pool: &AnyPool, id: &str) -> anyhow::Result<Option<SecurityFacts>> {
    let row = sqlx::query(
        "SELECT u.password_set, u.password_score, u.password_changed_at, u.created_at, u.sessions_reviewed_at,
                u.two_factor_method, u.two_factor_since, u.totp_secret_sealed, u.sms_phone,
                u.must_reset_password, u.notify_new_sign_in, u.passkey_offer_dismissed_at,
                (SELECT COUNT(*) FROM backup_codes b
                 WHERE b.user_id = u.id AND b.used_at IS NULL) AS backup_codes_left,
                (SELECT COUNT(*) FROM two_factor_enrolments e
                 WHERE e.user_id = u.id) AS enrolments,
                (SELECT COUNT(*) FROM passkeys p
                 WHERE p.user_id = u.id AND p.suspected_clone_at IS NULL) AS passkeys
         FROM users u WHERE u.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .context("Failed to read the security facts")?;
    let Some(row) = row else { return Ok(None) };
    let score: Option<i64> = row.try_get("password_score")?;
    Ok(Some(SecurityFacts {
        password_set: row.try_get::<i64, _>("password_set")? != 0,
        password_score: score.and_then(|s| u8::try_from(s.clamp(0, 4)).ok()),
        password_changed_at: row.try_get("password_changed_at")?,
        created_at: row.try_get("created_at")?,
        sessions_reviewed_at: row.try_get("sessions_reviewed_at")?,
        two_factor: optional_parsed(&row, "two_factor_method")?,
        two_factor_since: row.try_get("two_factor_since")?,
        totp_secret_sealed: row.try_get("totp_secret_sealed")?,
        sms_phone: row.try_get("sms_phone")?,
        backup_codes_left: row.try_get("backup_codes_left")?,
        enrolling: row.try_get::<i64, _>("enrolments")? > 0,
        passkeys: row.try_get("passkeys")?,
        passkey_offer_dismissed_at: row.try_get("passkey_offer_dismissed_at")?,
        must_reset_password: row.try_get::<i64, _>("must_reset_password")? != 0,
        notify_new_sign_in: row.try_get::<i64, _>("notify_new_sign_in")? != 0,
    }))
}
