//! The sign-in challenge's server functions: the only ones a half-signed-in
//! browser (challenge cookie, no session) can call.

use crate::error::AppError;
use crate::two_factor::ChallengeInfo;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::login_history::{EventKind, Outcome};
#[cfg(feature = "ssr")]
use crate::server::{
    auth::{self, app_state, client_meta, request_parts, set_cookie},
    state::AppState,
    store::two_factor as store,
    two_factor::{CodePurpose, sign_in_binding},
};
#[cfg(feature = "ssr")]
use crate::time::now_ms;
#[cfg(feature = "ssr")]
use crate::two_factor::phone;

/// What the sign-in challenge page shows this half-signed-in browser.
#[server(endpoint = "sign_in_challenge")]
pub async fn get_challenge_info() -> Result<ChallengeInfo, AppError> {
    let state = app_state()?;
    let challenge = current_challenge(&state).await?;
    let now = now_ms();
    let user = crate::server::store::users::find_by_id(&state.pool, &challenge.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let record = store::get(&state.pool, &challenge.user_id).await?;
    let method = record.active_method().ok_or(AppError::Unauthenticated)?;
    let binding = sign_in_binding(&challenge.id);
    let sent = store::sms_code_sent_at(&state.pool, &binding)
        .await?
        .is_some();
    Ok(ChallengeInfo {
        email: user.user.email,
        method,
        phone: record.sms_phone.as_deref().map(phone::mask_phone),
        expires_in_secs: ((challenge.expires_at - now).max(0)) / 1000,
        resend_in_secs: state.sms_resend_in(&binding, now).await?,
        sms_sent: sent,
    })
}

#[cfg(feature = "ssr")]
async fn current_challenge(state: &AppState) -> Result<store::Challenge, AppError> {
    let parts = request_parts()?;
    state
        .challenge_from_headers(&parts.headers)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// Texts the sign-in code to the account's phone (after the countdown).
#[server(endpoint = "send_sign_in_sms")]
pub async fn send_sign_in_sms() -> Result<(), AppError> {
    let state = app_state()?;
    let client = client_meta()?;
    let challenge = current_challenge(&state).await?;
    let record = store::get(&state.pool, &challenge.user_id).await?;
    let number = record
        .sms_number()
        .ok_or_else(|| AppError::validation("code", "This account does not use SMS."))?;
    state
        .send_sms_code(
            &challenge.user_id,
            number,
            &sign_in_binding(&challenge.id),
            &client,
        )
        .await
}

/// Completes sign-in with the second factor: a code from the app, the SMS
/// code, or a backup code. Five wrong codes in a row lock it for 15 minutes.
#[server(endpoint = "verify_sign_in_code")]
pub async fn verify_sign_in_code(code: String) -> Result<(), AppError> {
    let state = app_state()?;
    let client = client_meta()?;
    let challenge = current_challenge(&state).await?;
    let used = state
        .verify_second_factor(
            &challenge.user_id,
            &code,
            &sign_in_binding(&challenge.id),
            CodePurpose::SignIn,
            &client,
        )
        .await?;
    if !store::take_challenge(&state.pool, &challenge.id).await? {
        return Err(AppError::Unauthenticated);
    }
    set_cookie(&state.clearing_challenge_cookie())?;
    state
        .record_event(
            Some(&challenge.user_id),
            EventKind::TwoFactorChallengePassed,
            Outcome::Success,
            &client,
            serde_json::json!({"factor": used.auth_method_suffix()}),
        )
        .await?;
    let method = format!(
        "{}+{}",
        auth::AUTH_METHOD_PASSWORD,
        used.auth_method_suffix()
    );
    auth::begin_session(
        &state,
        &challenge.user_id,
        &client,
        &method,
        &challenge.next_path,
    )
    .await
}

/// Gives up the half-finished sign-in and goes back to the sign-in page.
#[server(endpoint = "cancel_sign_in_challenge")]
pub async fn cancel_challenge() -> Result<(), AppError> {
    let state = app_state()?;
    let parts = request_parts()?;
    if let Some(challenge) = state.challenge_from_headers(&parts.headers).await? {
        store::take_challenge(&state.pool, &challenge.id).await?;
    }
    set_cookie(&state.clearing_challenge_cookie())?;
    leptos_axum::redirect("/login");
    Ok(())
}
