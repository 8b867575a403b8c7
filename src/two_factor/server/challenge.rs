//! The sign-in challenge: after a correct password on an account with 2FA,
//! a short-lived challenge bound to the browser by cookie stands in for the
//! session until the second factor is passed.

use super::sms::{send_sms_code, sms_resend_in};
use super::store;
use super::store::{challenges, codes};
use super::verify::{CodePurpose, sign_in_binding, verify_second_factor};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::cookies::CHALLENGE_TTL_MS;
use crate::server::auth::sessions::begin_session;
use crate::server::auth::store::users;
use crate::server::auth::{request_parts, set_cookie};
use crate::server::client::ClientMeta;
use crate::server::crypto::RandomToken;
use crate::server::db::new_id;
use crate::server::state::AppState;
use crate::sessions::{FirstFactor, SecondFactorUsed, SignInMethod};
use crate::two_factor::{ChallengeInfo, phone};

/// Where a half-signed-in browser enters its second factor.
pub const CHALLENGE_PATH: &str = "/login/two-factor";

/// After a correct password on an account with 2FA: stores a short-lived
/// challenge, binds it to this browser by cookie and sends it to the
/// second step. No session exists until the challenge is passed.
pub async fn start_sign_in_challenge(
    state: &AppState,
    user_id: &str,
    first_factor: FirstFactor,
    next: &str,
    now: i64,
) -> Result<(), AppError> {
    let token = RandomToken::generate();
    let challenge = challenges::Challenge {
        id: new_id(),
        user_id: user_id.to_string(),
        expires_at: now + CHALLENGE_TTL_MS,
        next_path: next.to_string(),
        first_factor,
    };
    challenges::insert_challenge(&state.pool, &challenge, &token.hash(), now).await?;
    set_cookie(&state.challenge_cookie(&token))?;
    leptos_axum::redirect(CHALLENGE_PATH);
    Ok(())
}

/// The unexpired sign-in challenge this browser holds, if any.
pub async fn challenge_from_headers(
    state: &AppState,
    headers: &http::HeaderMap,
) -> Result<Option<challenges::Challenge>, AppError> {
    let Some(token) = state.challenge_token_from_headers(headers) else {
        return Ok(None);
    };
    challenges::find_challenge(&state.pool, &token.hash(), state.now())
        .await
        .map_err(AppError::from)
}

/// The challenge the calling browser holds, or `Unauthenticated`.
pub async fn current_challenge(state: &AppState) -> Result<challenges::Challenge, AppError> {
    let parts = request_parts()?;
    challenge_from_headers(state, &parts.headers)
        .await?
        .ok_or(AppError::Unauthenticated)
}

/// What the challenge page shows the calling half-signed-in browser.
pub async fn info(state: &AppState) -> Result<ChallengeInfo, AppError> {
    let challenge = current_challenge(state).await?;
    let now = state.now();
    let user = users::find_by_id(&state.pool, &challenge.user_id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let record = store::get(&state.pool, &challenge.user_id).await?;
    let method = record.active_method().ok_or(AppError::Unauthenticated)?;
    let binding = sign_in_binding(&challenge.id);
    let sent = codes::sms_code_sent_at(&state.pool, &binding)
        .await?
        .is_some();
    Ok(ChallengeInfo {
        email: user.user.email,
        method,
        phone: record.sms_phone.as_deref().map(phone::mask_phone),
        expires_in_secs: ((challenge.expires_at - now).max(0)) / 1000,
        resend_in_secs: sms_resend_in(state, &binding, now).await?,
        sms_sent: sent,
        passkey: record.passkeys > 0,
    })
}

/// Texts the sign-in code to the account's phone (after the countdown).
pub async fn send_sms(state: &AppState, client: &ClientMeta) -> Result<(), AppError> {
    let challenge = current_challenge(state).await?;
    let record = store::get(&state.pool, &challenge.user_id).await?;
    let number = record
        .sms_number()
        .ok_or_else(|| AppError::validation("code", "This account does not use SMS."))?;
    let binding = sign_in_binding(&challenge.id);
    send_sms_code(state, &challenge.user_id, number, &binding, client).await
}

/// Completes sign-in with the second factor: a code from the app, the SMS
/// code, or a backup code; then the session begins.
pub async fn pass(state: &AppState, code: &str, client: &ClientMeta) -> Result<(), AppError> {
    let challenge = current_challenge(state).await?;
    let binding = sign_in_binding(&challenge.id);
    let used = verify_second_factor(
        state,
        &challenge.user_id,
        code,
        &binding,
        CodePurpose::SignIn,
        client,
    )
    .await?;
    complete(state, &challenge, used.kind(), client).await
}

/// Ends a challenge the browser passed with `factor` (a code here, or a
/// passkey): the challenge is used up, then the session begins.
pub async fn complete(
    state: &AppState,
    challenge: &challenges::Challenge,
    factor: SecondFactorUsed,
    client: &ClientMeta,
) -> Result<(), AppError> {
    if !challenges::take_challenge(&state.pool, &challenge.id).await? {
        return Err(AppError::Unauthenticated);
    }
    set_cookie(&state.clearing_challenge_cookie())?;
    record_event(
        state,
        Some(&challenge.user_id),
        EventKind::TwoFactorChallengePassed,
        Outcome::Success,
        client,
        serde_json::json!({"factor": <&'static str>::from(factor)}),
    )
    .await?;
    let method = SignInMethod::then(challenge.first_factor.clone(), factor);
    begin_session(
        state,
        &challenge.user_id,
        client,
        method,
        &challenge.next_path,
    )
    .await
}

/// Gives up the half-finished sign-in and goes back to the sign-in page.
pub async fn cancel(state: &AppState) -> Result<(), AppError> {
    let parts = request_parts()?;
    if let Some(challenge) = challenge_from_headers(state, &parts.headers).await? {
        challenges::take_challenge(&state.pool, &challenge.id).await?;
    }
    set_cookie(&state.clearing_challenge_cookie())?;
    leptos_axum::redirect("/login");
    Ok(())
}
