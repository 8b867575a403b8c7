//! SMS codes: sending one for a binding (with its resend countdown and the
//! per-user and per-number limits) and using the one sent, once.

use super::store::codes;
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::client::ClientMeta;
use crate::server::crypto::codes::generate_sms_code;
use crate::server::rate_limit;
use crate::server::state::AppState;
use crate::time::DAY_MS;
use crate::two_factor::{SMS_CODE_MINUTES, SMS_RESEND_SECS};

const SMS_CODE_PURPOSE: &str = "sms-code";

fn sms_code_mac(state: &AppState, binding: &str, code: &str) -> String {
    state
        .key
        .mac_hex(SMS_CODE_PURPOSE, format!("{binding}:{code}").as_bytes())
}

/// Uses the SMS code sent for `binding` if `code` matches it; true for exactly one caller.
pub async fn use_sms_code_for(
    state: &AppState,
    binding: &str,
    code: &str,
    now: i64,
) -> Result<bool, AppError> {
    let mac = sms_code_mac(state, binding, code);
    codes::use_sms_code(&state.pool, binding, &mac, now)
        .await
        .map_err(AppError::from)
}

/// Seconds until another SMS may be sent for `binding` (0 when it may now).
pub async fn sms_resend_in(state: &AppState, binding: &str, now: i64) -> Result<i64, AppError> {
    let sent_at = codes::sms_code_sent_at(&state.pool, binding).await?;
    Ok(sent_at
        .map(|sent| ((sent + SMS_RESEND_SECS * 1000 - now).max(0) + 999) / 1000)
        .unwrap_or(0))
}

/// Counts one text message against the service's daily cap. Past it
/// nothing is sent, and every refusal logs an alert: a burst that reaches
/// the cap is toll fraud or a fault, and someone must look.
async fn take_daily_sms(state: &AppState, now: i64) -> Result<(), AppError> {
    let daily = rate_limit::WindowLimit {
        name: rate_limit::SMS_DAILY_BUCKET,
        limit: state.config.sms_daily_limit,
        window_ms: DAY_MS,
    };
    match state.hit_limit(daily, "all", now).await {
        Ok(()) => Ok(()),
        Err(AppError::RateLimited { .. }) => {
            tracing::error!(
                limit = state.config.sms_daily_limit,
                alert = "sms_daily_limit",
                "ALERT: the daily SMS limit is reached; no text message is sent until midnight UTC"
            );
            Err(AppError::validation(
                "phone",
                "Text messages are paused for today. Use your authenticator app or a backup code, or try again tomorrow.",
            ))
        }
        Err(other) => Err(other),
    }
}

/// Sends a fresh 6-digit code to `phone` for `binding`, replacing the
/// previous one; refused inside the resend countdown and past the per-user
/// and per-number limits.
pub async fn send_sms_code(
    state: &AppState,
    user_id: &str,
    phone: &str,
    binding: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let now = state.now();
    let wait = sms_resend_in(state, binding, now).await?;
    if wait > 0 {
        return Err(AppError::RateLimited {
            retry_after: wait as u64,
        });
    }
    state
        .hit_limit(rate_limit::SMS_SENDS_PER_USER, user_id, now)
        .await?;
    state
        .hit_limit(rate_limit::SMS_SENDS_PER_IP, &client.ip_bucket(), now)
        .await?;
    state
        .hit_limit(rate_limit::SMS_SENDS_PER_PHONE, phone, now)
        .await?;
    take_daily_sms(state, now).await?;
    let code = generate_sms_code();
    let body = format!(
        "Your StatusStack code is {}. It expires in {SMS_CODE_MINUTES} minutes. Never share it.",
        code.expose()
    );
    if let Err(error) = state.sms.send(phone, &body).await {
        tracing::error!(error = ?error, provider = state.sms.name(), "SMS delivery failed");
        return Err(AppError::validation(
            "phone",
            "We could not send the text message. Check the number or try again in a minute.",
        ));
    }
    let mac = sms_code_mac(state, binding, code.expose());
    codes::put_sms_code(
        &state.pool,
        &codes::SmsCode {
            binding,
            user_id,
            phone,
            code_mac: &mac,
            sent_at: now,
            expires_at: now + SMS_CODE_MINUTES * 60 * 1000,
        },
    )
    .await?;
    record_event(
        state,
        Some(user_id),
        EventKind::SmsCodeSent,
        Outcome::Success,
        client,
        serde_json::json!({"purpose": binding.split(':').next().unwrap_or_default()}),
    )
    .await
}
