//! Two-factor tables: the user's active method (columns on `users`), enrolments
//! in progress, backup codes, SMS codes and sign-in challenges.
//!
//! Every "use once" step is a single conditional statement whose affected-row
//! count decides the winner, so two racing requests can never both succeed.

use crate::two_factor::Method;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// The user's second factor as stored; `method` is `None` while 2FA is off.
#[derive(Clone)]
pub struct TwoFactorRecord {
    pub method: Option<String>,
    pub since: Option<i64>,
    pub totp_secret_sealed: Option<String>,
    pub sms_phone: Option<String>,
}

impl TwoFactorRecord {
    /// The active method, `None` while 2FA is off.
    pub fn active_method(&self) -> Option<Method> {
        self.method.as_deref().and_then(Method::parse)
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

pub async fn get(pool: &AnyPool, user_id: &str) -> anyhow::Result<TwoFactorRecord> {
    let row = sqlx::query(
        "SELECT two_factor_method, two_factor_since, totp_secret_sealed, sms_phone
         FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await
    .context("Failed to read two-factor settings")?;
    Ok(TwoFactorRecord {
        method: row.try_get("two_factor_method")?,
        since: row.try_get("two_factor_since")?,
        totp_secret_sealed: row.try_get("totp_secret_sealed")?,
        sms_phone: row.try_get("sms_phone")?,
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

/// An enrolment in progress.
#[derive(Clone)]
pub struct Enrolment {
    pub id: String,
    pub method: String,
    pub totp_secret_sealed: Option<String>,
    pub phone: Option<String>,
    pub expires_at: i64,
}

/// Starts (or restarts) the user's enrolment; a previous one is replaced.
pub async fn put_enrolment(
    pool: &AnyPool,
    user_id: &str,
    enrolment: &Enrolment,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO two_factor_enrolments
             (user_id, id, method, totp_secret_sealed, phone, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id) DO UPDATE SET id = $2, method = $3, totp_secret_sealed = $4,
             phone = $5, created_at = $6, expires_at = $7",
    )
    .bind(user_id)
    .bind(&enrolment.id)
    .bind(&enrolment.method)
    .bind(&enrolment.totp_secret_sealed)
    .bind(&enrolment.phone)
    .bind(now)
    .bind(enrolment.expires_at)
    .execute(pool)
    .await
    .context("Failed to store the enrolment")?;
    Ok(())
}

/// The user's unexpired enrolment, if any.
pub async fn get_enrolment(
    pool: &AnyPool,
    user_id: &str,
    now: i64,
) -> anyhow::Result<Option<Enrolment>> {
    let row = sqlx::query(
        "SELECT id, method, totp_secret_sealed, phone, expires_at FROM two_factor_enrolments
         WHERE user_id = $1 AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now)
    .fetch_optional(pool)
    .await
    .context("Failed to read the enrolment")?;
    row.map(|row| {
        Ok(Enrolment {
            id: row.try_get("id")?,
            method: row.try_get("method")?,
            totp_secret_sealed: row.try_get("totp_secret_sealed")?,
            phone: row.try_get("phone")?,
            expires_at: row.try_get("expires_at")?,
        })
    })
    .transpose()
}

/// Deletes one enrolment; true for exactly one caller, the one that completes it.
pub async fn take_enrolment(pool: &AnyPool, enrolment_id: &str) -> anyhow::Result<bool> {
    let result = sqlx::query("DELETE FROM two_factor_enrolments WHERE id = $1")
        .bind(enrolment_id)
        .execute(pool)
        .await
        .context("Failed to complete the enrolment")?;
    Ok(result.rows_affected() == 1)
}

pub async fn cancel_enrolment(pool: &AnyPool, user_id: &str) -> anyhow::Result<bool> {
    let result = sqlx::query("DELETE FROM two_factor_enrolments WHERE user_id = $1")
        .bind(user_id)
        .execute(pool)
        .await
        .context("Failed to cancel the enrolment")?;
    Ok(result.rows_affected() > 0)
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
    let mut tx = pool.begin().await.context("Failed to begin")?;
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

/// Replaces all of the user's backup codes with these MACs, in one transaction.
pub async fn replace_backup_codes(
    pool: &AnyPool,
    user_id: &str,
    code_macs: &[String],
    now: i64,
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await.context("Failed to begin")?;
    sqlx::query("DELETE FROM backup_codes WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *tx)
        .await
        .context("Failed to delete old backup codes")?;
    for mac in code_macs {
        sqlx::query(
            "INSERT INTO backup_codes (id, user_id, code_mac, created_at, used_at)
             VALUES ($1, $2, $3, $4, NULL)",
        )
        .bind(crate::server::db::new_id())
        .bind(user_id)
        .bind(mac)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("Failed to store a backup code")?;
    }
    tx.commit().await.context("Failed to commit")?;
    Ok(())
}

/// Marks the unused backup code with this MAC used; true for exactly one caller.
pub async fn use_backup_code(
    pool: &AnyPool,
    user_id: &str,
    code_mac: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "UPDATE backup_codes SET used_at = $3
         WHERE user_id = $1 AND code_mac = $2 AND used_at IS NULL",
    )
    .bind(user_id)
    .bind(code_mac)
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

/// An SMS code sent for `binding`.
pub struct SmsCode<'a> {
    pub binding: &'a str,
    pub user_id: &'a str,
    pub phone: &'a str,
    pub code_mac: &'a str,
    pub sent_at: i64,
    pub expires_at: i64,
}

/// Stores the code sent for a binding, replacing the previous one.
pub async fn put_sms_code(pool: &AnyPool, code: &SmsCode<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO sms_codes (binding, user_id, phone, code_mac, sent_at, expires_at, used_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL)
         ON CONFLICT (binding) DO UPDATE SET user_id = $2, phone = $3, code_mac = $4,
             sent_at = $5, expires_at = $6, used_at = NULL",
    )
    .bind(code.binding)
    .bind(code.user_id)
    .bind(code.phone)
    .bind(code.code_mac)
    .bind(code.sent_at)
    .bind(code.expires_at)
    .execute(pool)
    .await
    .context("Failed to store the SMS code")?;
    Ok(())
}

/// When the last code for `binding` was sent, if one was.
pub async fn sms_code_sent_at(pool: &AnyPool, binding: &str) -> anyhow::Result<Option<i64>> {
    let row = sqlx::query("SELECT sent_at FROM sms_codes WHERE binding = $1")
        .bind(binding)
        .fetch_optional(pool)
        .await
        .context("Failed to read the SMS code")?;
    row.map(|row| Ok(row.try_get("sent_at")?)).transpose()
}

/// Uses the unexpired, unused code for `binding` if its MAC matches; true for exactly one caller.
pub async fn use_sms_code(
    pool: &AnyPool,
    binding: &str,
    code_mac: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "UPDATE sms_codes SET used_at = $3
         WHERE binding = $1 AND code_mac = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(binding)
    .bind(code_mac)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to use the SMS code")?;
    Ok(result.rows_affected() == 1)
}

/// A half-signed-in browser waiting for its second factor.
#[derive(Clone)]
pub struct Challenge {
    pub id: String,
    pub user_id: String,
    pub expires_at: i64,
    pub next_path: String,
}

pub async fn insert_challenge(
    pool: &AnyPool,
    challenge: &Challenge,
    token_hash: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO sign_in_challenges (id, user_id, token_hash, created_at, expires_at, next_path)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&challenge.id)
    .bind(&challenge.user_id)
    .bind(token_hash)
    .bind(now)
    .bind(challenge.expires_at)
    .bind(&challenge.next_path)
    .execute(pool)
    .await
    .context("Failed to store the sign-in challenge")?;
    Ok(())
}

/// The unexpired challenge with this token hash.
pub async fn find_challenge(
    pool: &AnyPool,
    token_hash: &str,
    now: i64,
) -> anyhow::Result<Option<Challenge>> {
    let row = sqlx::query(
        "SELECT id, user_id, expires_at, next_path FROM sign_in_challenges
         WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(pool)
    .await
    .context("Failed to read the sign-in challenge")?;
    row.map(|row| {
        Ok(Challenge {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            expires_at: row.try_get("expires_at")?,
            next_path: row.try_get("next_path")?,
        })
    })
    .transpose()
}

/// Ends a challenge; true for exactly one caller, the one that may sign in.
pub async fn take_challenge(pool: &AnyPool, id: &str) -> anyhow::Result<bool> {
    let result = sqlx::query("DELETE FROM sign_in_challenges WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await
        .context("Failed to end the sign-in challenge")?;
    Ok(result.rows_affected() == 1)
}

/// Deletes expired enrolments, challenges and SMS codes.
pub async fn prune(pool: &AnyPool, now: i64) -> anyhow::Result<u64> {
    let mut deleted = 0;
    for table in ["two_factor_enrolments", "sign_in_challenges", "sms_codes"] {
        let result = sqlx::query(&format!("DELETE FROM {table} WHERE expires_at <= $1"))
            .bind(now)
            .execute(pool)
            .await
            .with_context(|| format!("Failed to prune {table}"))?;
        deleted += result.rows_affected();
    }
    Ok(deleted)
}
