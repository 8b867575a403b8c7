//! Checking an authenticator's signature: the parts every use of a passkey
//! shares (sign-in, second factor, sudo mode), and the ceremony for an
//! account already known, which offers only that account's passkeys.

use super::ceremony::{open_ceremony, parse_answer, take_ceremony};
use super::store::{self, Purpose, StoredPasskey};
use super::{decode_passkey, relying_party};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::passkeys::Ceremony;
use crate::server::client::ClientMeta;
use crate::server::state::AppState;
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_rs::prelude::{
    AuthenticationResult, Passkey, PasskeyAuthentication, PublicKeyCredential, WebauthnError,
};

/// The one answer every refused passkey gets, whatever the reason.
pub fn refused() -> AppError {
    AppError::validation(
        "credential",
        "That passkey was not accepted. Use another passkey or your password.",
    )
}

/// Records a refused passkey and gives the one answer all get.
pub async fn fail(
    state: &AppState,
    user_id: Option<&str>,
    reason: &str,
    client: &ClientMeta,
) -> Result<AppError, AppError> {
    record_event(
        state,
        user_id,
        EventKind::PasskeyFailed,
        Outcome::Failure,
        client,
        serde_json::json!({"reason": reason}),
    )
    .await?;
    Ok(refused())
}

/// A signature counter that went backwards: two authenticators hold the
/// same key. The credential is refused from now on (its row stays, so the
/// owner sees it flagged and can remove it) and the owner is told.
pub async fn suspect_clone(
    state: &AppState,
    user_id: &str,
    stored: &StoredPasskey,
    client: &ClientMeta,
) -> Result<AppError, AppError> {
    store::mark_suspected_clone(&state.pool, &stored.id, state.now()).await?;
    record_event(
        state,
        Some(user_id),
        EventKind::PasskeyCloneSuspected,
        Outcome::Failure,
        client,
        serde_json::json!({"passkey_id": stored.id, "name": stored.name}),
    )
    .await?;
    Ok(refused())
}

/// Saves what a verified assertion changed (counter, backup state) and
/// when and from where the passkey was used.
pub async fn save_use(
    state: &AppState,
    stored: &StoredPasskey,
    mut passkey: Passkey,
    result: &AuthenticationResult,
    client: &ClientMeta,
) -> Result<(), AppError> {
    passkey.update_credential(result);
    let credential = serde_json::to_string(&passkey).context("Failed to encode the passkey")?;
    let origin = state.origin(client);
    store::record_use(
        &state.pool,
        &stored.id,
        &credential,
        result.backup_state(),
        (state.now(), &origin.device, &origin.location),
    )
    .await?;
    Ok(())
}

/// Starts a ceremony for `user_id`'s own passkeys (those not flagged as
/// copied), with user verification required, bound to `bound_to` (the
/// session or sign-in challenge that asked).
pub async fn start_for_account(
    state: &AppState,
    user_id: &str,
    purpose: Purpose,
    bound_to: &str,
) -> Result<Ceremony, AppError> {
    let usable: Vec<Passkey> = store::list(&state.pool, user_id)
        .await?
        .iter()
        .filter(|stored| stored.suspected_clone_at.is_none())
        .map(decode_passkey)
        .collect::<Result<_, _>>()?;
    if usable.is_empty() {
        return Err(AppError::validation(
            "credential",
            "This account has no passkey. Use your password and code instead.",
        ));
    }
    let (options, authentication) = relying_party(state)?
        .start_passkey_authentication(&usable)
        .context("Failed to start a passkey confirmation")?;
    let handle = open_ceremony(state, purpose, Some((user_id, bound_to)), &authentication).await?;
    Ok(Ceremony {
        handle,
        options: serde_json::to_string(&options.public_key)
            .context("Failed to encode the passkey options")?,
    })
}

/// Finishes a ceremony `start_for_account` opened: only for the same
/// account and binding, once, within five minutes; the credential must be
/// one of the account's usable passkeys and its signature, origin, RP id,
/// user verification and counter must hold. Returns the passkey used.
#[tracing::instrument(skip_all, fields(user_id = %user_id))]
pub async fn finish_for_account(
    state: &AppState,
    user_id: &str,
    purpose: Purpose,
    bound_to: &str,
    (handle, answer): (&str, &str),
    client: &ClientMeta,
) -> Result<StoredPasskey, AppError> {
    let answer: PublicKeyCredential = parse_answer(answer)?;
    let (ceremony, authentication) =
        take_ceremony::<PasskeyAuthentication>(state, purpose, handle).await?;
    if ceremony.user_id.as_deref() != Some(user_id)
        || ceremony.session_id.as_deref() != Some(bound_to)
    {
        return Err(super::ceremony::expired());
    }
    let credential_id = URL_SAFE_NO_PAD.encode(&answer.raw_id);
    let stored = match store::find_by_credential_id(&state.pool, &credential_id).await? {
        Some(stored) if stored.user_id == user_id => stored,
        _ => return Err(fail(state, Some(user_id), "unknown_credential", client).await?),
    };
    if stored.suspected_clone_at.is_some() {
        return Err(fail(state, Some(user_id), "suspected_clone", client).await?);
    }
    let passkey = decode_passkey(&stored)?;
    let result = match relying_party(state)?.finish_passkey_authentication(&answer, &authentication)
    {
        Ok(result) => result,
        Err(WebauthnError::CredentialPossibleCompromise) => {
            return Err(suspect_clone(state, user_id, &stored, client).await?);
        }
        Err(error) => {
            tracing::info!(%error, "a passkey assertion was refused");
            return Err(fail(state, Some(user_id), "invalid_assertion", client).await?);
        }
    };
    save_use(state, &stored, passkey, &result, client).await?;
    Ok(stored)
}
