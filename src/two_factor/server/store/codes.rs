//! `sms_codes`: the code last texted for a binding (a sign-in, a sudo
//! confirmation or an enrolment), stored as a MAC, used once.

use anyhow::Context;
use sqlx::{AnyPool, Row};

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
