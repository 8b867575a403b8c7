//! The sign-in challenge's server functions: the only ones a half-signed-in
//! browser (challenge cookie, no session) can call.

use crate::error::AppError;
use crate::two_factor::ChallengeInfo;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    server::auth::{app_state, client_meta},
    two_factor::server::challenge,
};

/// What the sign-in challenge page shows this half-signed-in browser.
#[server(endpoint = "sign_in_challenge", output = crate::codec::Json)]
pub async fn get_challenge_info() -> Result<ChallengeInfo, AppError> {
    challenge::info(&app_state()?).await
}

/// Texts the sign-in code to the account's phone (after the countdown).
#[server(endpoint = "send_sign_in_sms", output = crate::codec::Json)]
pub async fn send_sign_in_sms() -> Result<(), AppError> {
    challenge::send_sms(&app_state()?, &client_meta()?).await
}

/// Completes sign-in with the second factor: a code from the app, the SMS
/// code, or a backup code. Five wrong codes in a row lock it for 15 minutes.
#[server(endpoint = "verify_sign_in_code", output = crate::codec::Json)]
pub async fn verify_sign_in_code(code: String) -> Result<(), AppError> {
    challenge::pass(&app_state()?, &code, &client_meta()?).await
}

/// Gives up the half-finished sign-in and goes back to the sign-in page.
#[server(endpoint = "cancel_sign_in_challenge", output = crate::codec::Json)]
pub async fn cancel_challenge() -> Result<(), AppError> {
    challenge::cancel(&app_state()?).await
}
