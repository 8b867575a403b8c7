//! A ceremony's server-side state: webauthn-rs's state sealed under the
//! server key (bound to the handle's hash), stored for five minutes, taken
//! once. The browser holds only the handle.

use super::store::{self, NewCeremony, Purpose, StoredCeremony};
use crate::error::AppError;
use crate::passkeys::CREDENTIAL_MAX_BYTES;
use crate::server::crypto::RandomToken;
use crate::server::crypto::sealing::{open, seal};
use crate::server::state::AppState;
use anyhow::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// How long an authenticator may take to answer.
pub const CEREMONY_TTL_MS: i64 = 5 * 60 * 1000;
const SEAL_PURPOSE: &str = "passkey-ceremony";

/// The answer to a handle that is unknown, expired, used or not this
/// session's: one message for all, so none of them can be told apart.
pub fn expired() -> AppError {
    AppError::validation(
        "credential",
        "This passkey request has expired or was already used. Try again.",
    )
}

/// Stores `webauthn_state` for a new ceremony (for a registration, bound
/// to the account and session) and returns the browser's handle.
pub async fn open_ceremony<T: Serialize>(
    state: &AppState,
    purpose: Purpose,
    registering: Option<(&str, &str)>,
    webauthn_state: &T,
) -> Result<String, AppError> {
    let handle = RandomToken::generate();
    let id = handle.hash();
    let json = serde_json::to_vec(webauthn_state).context("Failed to encode a ceremony")?;
    let sealed = seal(&state.key, SEAL_PURPOSE, id.as_bytes(), &json)?;
    let now = state.now();
    store::insert_ceremony(
        &state.pool,
        &NewCeremony {
            id: &id,
            purpose,
            user_id: registering.map(|(user_id, _)| user_id),
            session_id: registering.map(|(_, session_id)| session_id),
            sealed_state: &sealed,
            now,
            expires_at: now + CEREMONY_TTL_MS,
        },
    )
    .await?;
    Ok(handle.expose().to_string())
}

/// Takes the ceremony `handle` names (it is gone afterwards, whatever the
/// outcome) and opens its state.
pub async fn take_ceremony<T: DeserializeOwned>(
    state: &AppState,
    purpose: Purpose,
    handle: &str,
) -> Result<(StoredCeremony, T), AppError> {
    let token = RandomToken::parse(handle.trim()).ok_or_else(expired)?;
    let id = token.hash();
    let ceremony = store::take_ceremony(&state.pool, &id, purpose, state.now())
        .await?
        .ok_or_else(expired)?;
    let json = open(&state.key, SEAL_PURPOSE, id.as_bytes(), &ceremony.state)?;
    let webauthn_state =
        serde_json::from_slice(&json).context("A sealed ceremony cannot be read")?;
    Ok((ceremony, webauthn_state))
}

/// Reads an authenticator's answer (WebAuthn's JSON), refusing oversized
/// or malformed text before anything is looked up.
pub fn parse_answer<T: DeserializeOwned>(answer: &str) -> Result<T, AppError> {
    if answer.len() > CREDENTIAL_MAX_BYTES {
        return Err(AppError::validation(
            "credential",
            "The authenticator's answer is too large.",
        ));
    }
    serde_json::from_str(answer).map_err(|_| {
        AppError::validation(
            "credential",
            "The authenticator's answer could not be read. Try again.",
        )
    })
}
