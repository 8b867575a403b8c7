//! Two-factor tables: the user's active method (columns on `users`), enrolments
//! in progress, backup codes, SMS codes and sign-in challenges.
//!
//! Every "use once" step is a single conditional statement whose affected-row
//! count decides the winner, so two racing requests can never both succeed.

pub mod challenges;
pub mod codes;
pub mod enrolments;

use crate::server::auth::store::users;
use crate::server::db::new_id;
use crate::two_factor::Method;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// The user's second factor as stored; `method` is `None` while 2FA is off.
#[derive(Clone)]
pub struct TwoFactorRecord {
    pub method: Option<Method>,
    pub since: Option<i64>,
    pub totp_secret_sealed: Option<String>,
    pub sms_phone: Option<String>,
    pub backup_codes_left: i64,
    /// Whether any set-up is under way; without one, no enrolment is looked up.
    pub enrolling: bool,
    /// Passkeys that can serve as the second factor (none flagged as copied).
    pub passkeys: i64,
    /// Whether the account has a password of its own (one made from a
    /// sign-in provider has none until a reset link sets it).
    pub password_set: bool,
}

impl TwoFactorRecord {
    /// The active method, `None` while 2FA is off.
    pub fn active_method(&self) -> Option<Method> {
        self.method
    }

    /// The number codes go to, when the active method is SMS.
    pub fn sms_number(&self) -> Option<&str> {
        self.sms_phone
            .as_deref()
            .filter(|_| self.active_method() == Some(Method::Sms))
    }
}

/// The user's active second factor, `None` while 2FA is off.
pub async fn active_method(pool: &AnyPool, user_id: &str) -> anyhow::Result<Option<Method>> {
    Ok(get(pool, user_id).await?.active_method())
}

/// The user's second factor, from the account's row (read once per render).
pub async fn get(pool: &AnyPool, user_id: &str) -> anyhow::Result<TwoFactorRecord> {
    let facts = users::security_facts(pool, user_id)
        .await?
        .context("Failed to read two-factor settings: no such user")?;
    Ok(TwoFactorRecord {
        method: facts.two_factor,
        since: facts.two_factor_since,
        totp_secret_sealed: facts.totp_secret_sealed,
        sms_phone: facts.sms_phone,
        backup_codes_left: facts.backup_codes_left,
        enrolling: facts.enrolling,
        passkeys: facts.passkeys,
        password_set: facts.password_set,
    })
}

/// Accepts TOTP time step `step` only if it is later than every step accepted
/// before for this user; false means a replay (or a lost race for the same code).
pub async fn advance_totp_step(pool: &AnyPool, user_id: &str, step: i64) -> anyhow::Result<bool> {
    let result =
        sqlx::query("UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2")
            .bind(user_id)
            .bind(step)
            .execute(pool)
            .await
            .context("Failed to advance the TOTP step")?;
    Ok(result.rows_affected() == 1)
}

/// What turning a method on writes to the user.
pub struct ActiveMethod<'a> {
    pub method: &'a str,
    pub totp_secret_sealed: Option<&'a str>,
    pub totp_step: i64,
    pub sms_phone: Option<&'a str>,
}

/// Makes `method` the user's second factor (replacing any other). `since`
/// keeps its first value when the user only switches methods.
pub async fn activate(
    pool: &AnyPool,
    user_id: &str,
    active: &ActiveMethod<'_>,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE users SET two_factor_method = $2, totp_secret_sealed = $3, totp_last_step = $4,
             sms_phone = $5, two_factor_since = COALESCE(two_factor_since, $6)
         WHERE id = $1",
    )
    .bind(user_id)
    .bind(active.method)
    .bind(active.totp_secret_sealed)
    .bind(active.totp_step)
    .bind(active.sms_phone)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to turn on two-factor authentication")?;
    Ok(())
}

/// Turns 2FA off and deletes everything that belonged to it.
pub async fn deactivate(pool: &AnyPool, user_id: &str) -> anyhow::Result<()> {
    let mut tx = crate::server::db::begin_write(pool)
        .await
        .context("Failed to begin")?;
    sqlx::query(
        "UPDATE users SET two_factor_method = NULL, two_factor_since = NULL,
             totp_secret_sealed = NULL, sms_phone = NULL WHERE id = $1",
    )
    .bind(user_id)
    .execute(&mut *tx)
    .await
    .context("Failed to turn off two-factor authentication")?;
    for table in ["backup_codes", "sms_codes", "two_factor_enrolments"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("Failed to clear {table}"))?;
    }
    tx.commit().await.context("Failed to commit")?;
    Ok(())
}

/// Deletes the user's unused backup codes that one of `sessions` made;
/// returns how many.
pub async fn delete_backup_codes_made_by(
    pool: &AnyPool,
    user_id: &str,
    sessions: &[String],
) -> anyhow::Result<u64> {
    let mut deleted = 0;
    for session_id in sessions {
        let result = sqlx::query(
            "DELETE FROM backup_codes WHERE user_id = $1 AND session_id = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(session_id)
        .execute(pool)
        .await
        .context("Failed to delete backup codes")?;
        deleted += result.rows_affected();
    }
    Ok(deleted)
}

/// Replaces all of the user's backup codes with these MACs (bound to the
/// user) in one transaction, remembering the session that made them.
pub async fn replace_backup_codes(
    pool: &AnyPool,
    user_id: &str,
    session_id: &str,
    code_macs: &[String],
    now: i64,
) -> anyhow::Result<()> {
    let mut tx = crate::server::db::begin_write(pool)
        .await
        .context("Failed to begin")?;
    sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .context("Failed to delete old backup codes")?;
    for mac in code_macs {
        sqlx::query(
            "INSERT INTO backup_codes (id, user_id, code_mac, created_at, used_at, bound, session_id)
             VALUES ($1, $2, $3, $4, NULL, 1, $5)",
        )
        .bind(new_id())
        .bind(user_id)
        .bind(mac)
        .bind(now)
        .bind(session_id)
        .execute(&mut *tx)
        .await
        .context("Failed to store a backup code")?;
    }
    tx.commit().await.context("Failed to commit")?;
    Ok(())
}

/// Marks the unused backup code with this MAC used (`bound_mac` for rows
/// bound to the user, `legacy_mac` for rows from before); true for exactly
/// one caller.
pub async fn use_backup_code(
    pool: &AnyPool,
    user_id: &str,
    bound_mac: &str,
    legacy_mac: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "UPDATE backup_codes SET used_at = $4
         WHERE user_id = $1 AND used_at IS NULL
           AND ((bound = 1 AND code_mac = $2) OR (bound = 0 AND code_mac = $3))",
    )
    .bind(user_id)
    .bind(bound_mac)
    .bind(legacy_mac)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to use a backup code")?;
    Ok(result.rows_affected() == 1)
}

pub async fn unused_backup_codes(pool: &AnyPool, user_id: &str) -> anyhow::Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS left_over FROM backup_codes WHERE user_id = $1 AND used_at IS NULL",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await
    .context("Failed to count backup codes")?;
    Ok(row.try_get("left_over")?)
}

/// Deletes expired enrolments, challenges and SMS codes.
pub async fn prune(pool: &AnyPool, now: i64) -> anyhow::Result<u64> {
    let mut deleted = 0;
    for table in [
        "two_factor_enrolments",
        "sign_in_challenges",
        "sms_codes",
        "one_time_reveals",
    ] {
        let result = sqlx::query(&format!("DELETE FROM {table} WHERE expires_at <= $1"))
            .bind(now)
            .execute(pool)
            .await
            .with_context(|| format!("Failed to prune {table}"))?;
        deleted += result.rows_affected();
    }
    Ok(deleted)
}
