//! Passkey server functions: the signed-in user's list, adding (sudo
//! mode), renaming and removing (sudo mode); and signing in with one.

use super::{Ceremony, PasskeyInfo, PasskeyOffer, PasskeysOverview};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::server::{self, check_passkey_id, confirm, offer, sign_in};
#[cfg(feature = "ssr")]
use crate::account::safe_next_path;
#[cfg(feature = "ssr")]
use crate::server::auth::{app_state, client_meta, require_user};

/// The signed-in user's passkeys (never their keys) and whether adding one
/// asks for the password.
#[server(endpoint = "list_passkeys", output = crate::codec::Json)]
pub async fn list_passkeys() -> Result<PasskeysOverview, AppError> {
    let session = require_user().await?;
    server::overview(&app_state()?, &session).await
}

/// Starts adding a passkey, in sudo mode (`password`, and `code` when 2FA
/// is on, unless the session re-authenticated recently): returns the
/// options for `navigator.credentials.create` and the ceremony's handle.
#[server(endpoint = "start_passkey_registration", output = crate::codec::Json)]
pub async fn start_passkey_registration(
    password: Option<String>,
    code: Option<String>,
) -> Result<Ceremony, AppError> {
    let session = require_user().await?;
    server::start_registration(&app_state()?, &session, password, code, &client_meta()?).await
}

/// Finishes adding a passkey with the authenticator's answer (`credential`,
/// WebAuthn's JSON) to the ceremony `handle`; `name` is optional.
#[server(endpoint = "finish_passkey_registration", output = crate::codec::Json)]
pub async fn finish_passkey_registration(
    handle: String,
    credential: String,
    name: Option<String>,
) -> Result<PasskeyInfo, AppError> {
    let session = require_user().await?;
    server::finish_registration(
        &app_state()?,
        &session,
        &handle,
        &credential,
        name.as_deref(),
        &client_meta()?,
    )
    .await
}

/// Renames one of the user's passkeys.
#[server(endpoint = "rename_passkey", output = crate::codec::Json)]
pub async fn rename_passkey(passkey_id: String, name: String) -> Result<(), AppError> {
    let session = require_user().await?;
    let passkey_id = check_passkey_id(&passkey_id)?;
    server::rename(
        &app_state()?,
        &session.user.id,
        &passkey_id,
        &name,
        &client_meta()?,
    )
    .await
}

/// Removes one of the user's passkeys, in sudo mode.
#[server(endpoint = "remove_passkey", output = crate::codec::Json)]
pub async fn remove_passkey(
    passkey_id: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let passkey_id = check_passkey_id(&passkey_id)?;
    server::remove(
        &app_state()?,
        &session,
        &passkey_id,
        password,
        code,
        &client_meta()?,
    )
    .await
}

/// Starts a passkey sign-in: options for `navigator.credentials.get` that
/// name no account, and the ceremony's handle. Limited per IP address.
#[server(endpoint = "start_passkey_sign_in", output = crate::codec::Json)]
pub async fn start_passkey_sign_in() -> Result<Ceremony, AppError> {
    sign_in::start_sign_in(&app_state()?, &client_meta()?).await
}

/// Signs in with the authenticator's answer (`credential`) to the ceremony
/// `handle`, then goes to `next` (a local path).
#[server(endpoint = "finish_passkey_sign_in", output = crate::codec::Json)]
pub async fn finish_passkey_sign_in(
    handle: String,
    credential: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let next = safe_next_path(next.as_deref().unwrap_or_default());
    sign_in::finish_sign_in(&app_state()?, &handle, &credential, &next, &client_meta()?).await
}

/// Starts the second step of a password sign-in with a passkey: options
/// for `navigator.credentials.get` naming the account's passkeys. Only a
/// browser holding a sign-in challenge may call it.
#[server(endpoint = "start_passkey_second_factor", output = crate::codec::Json)]
pub async fn start_passkey_second_factor() -> Result<Ceremony, AppError> {
    confirm::start_second_factor(&app_state()?).await
}

/// Completes a sign-in with the passkey's answer (`credential`) to the
/// ceremony `handle`; returns the local path to go to.
#[server(endpoint = "finish_passkey_second_factor", output = crate::codec::Json)]
pub async fn finish_passkey_second_factor(
    handle: String,
    credential: String,
) -> Result<String, AppError> {
    confirm::finish_second_factor(&app_state()?, &handle, &credential, &client_meta()?).await
}

/// Starts confirming a sensitive action with a passkey instead of the
/// password and code.
#[server(endpoint = "start_passkey_sudo", output = crate::codec::Json)]
pub async fn start_passkey_sudo() -> Result<Ceremony, AppError> {
    let session = require_user().await?;
    confirm::start_sudo(&app_state()?, &session).await
}

/// Opens sudo mode with the passkey's answer (`credential`) to the
/// ceremony `handle`: the next sensitive action asks for nothing more.
#[server(endpoint = "finish_passkey_sudo", output = crate::codec::Json)]
pub async fn finish_passkey_sudo(handle: String, credential: String) -> Result<(), AppError> {
    let session = require_user().await?;
    confirm::finish_sudo(
        &app_state()?,
        &session,
        &handle,
        &credential,
        &client_meta()?,
    )
    .await
}

/// The offer to add a passkey, when one is due: for a while after a
/// sign-in to an account without one, unless put away in the last 30 days.
#[server(endpoint = "passkey_offer", output = crate::codec::Json)]
pub async fn get_passkey_offer() -> Result<Option<PasskeyOffer>, AppError> {
    let session = require_user().await?;
    offer::offer(&app_state()?, &session).await
}

/// "Not now": the offer to add a passkey stays away for 30 days.
#[server(endpoint = "dismiss_passkey_offer", output = crate::codec::Json)]
pub async fn dismiss_passkey_offer() -> Result<(), AppError> {
    let session = require_user().await?;
    offer::dismiss(&app_state()?, &session.user.id).await
}
