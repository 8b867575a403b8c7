//! `two_factor_enrolments`: a method being set up, not yet verified. An
//! enrolment belongs to the session that started it: no other session (a
//! stolen one) sees its secret or finishes it.

use crate::server::db::parsed;
use crate::two_factor::Method;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// An enrolment in progress.
#[derive(Clone)]
pub struct Enrolment {
    pub id: String,
    pub method: Method,
    pub totp_secret_sealed: Option<String>,
    pub phone: Option<String>,
    pub expires_at: i64,
}

/// Starts (or restarts) the user's enrolment in `session_id`; a previous
/// one, of any session, is replaced.
pub async fn put_enrolment(
    pool: &AnyPool,
    user_id: &str,
    session_id: &str,
    enrolment: &Enrolment,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO two_factor_enrolments
             (user_id, id, method, totp_secret_sealed, phone, created_at, expires_at, session_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (user_id) DO UPDATE SET id = $2, method = $3, totp_secret_sealed = $4,
             phone = $5, created_at = $6, expires_at = $7, session_id = $8",
    )
    .bind(user_id)
    .bind(&enrolment.id)
    .bind(enrolment.method.as_str())
    .bind(&enrolment.totp_secret_sealed)
    .bind(&enrolment.phone)
    .bind(now)
    .bind(enrolment.expires_at)
    .bind(session_id)
    .execute(pool)
    .await
    .context("Failed to store the enrolment")?;
    Ok(())
}

/// The user's unexpired enrolment that `session_id` started, if any.
pub async fn get_enrolment(
    pool: &AnyPool,
    user_id: &str,
    session_id: &str,
    now: i64,
) -> anyhow::Result<Option<Enrolment>> {
    let row = sqlx::query(
        "SELECT id, method, totp_secret_sealed, phone, expires_at FROM two_factor_enrolments
         WHERE user_id = $1 AND session_id = $3 AND expires_at > $2",
    )
    .bind(user_id)
    .bind(now)
    .bind(session_id)
    .fetch_optional(pool)
    .await
    .context("Failed to read the enrolment")?;
    row.map(|row| {
        Ok(Enrolment {
            id: row.try_get("id")?,
            method: parsed(&row, "method")?,
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
