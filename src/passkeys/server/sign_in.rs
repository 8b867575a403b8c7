//! Signing in with a passkey: the authenticator names the account (a
//! discoverable credential), proves the user with a PIN or biometric, and
//! signs our challenge. That is two factors, so no 2FA challenge follows.

use super::assertion::{fail, save_use, suspect_clone};
use super::ceremony::{open_ceremony, parse_answer, take_ceremony};
use super::store::{self, Purpose};
use super::{decode_passkey, relying_party};
use crate::error::AppError;
use crate::passkeys::Ceremony;
use crate::server::auth::sessions::begin_session;
use crate::server::auth::store::users;
use crate::server::client::ClientMeta;
use crate::server::rate_limit::WindowLimit;
use crate::server::state::AppState;
use crate::sessions::SignInMethod;
use crate::time::MINUTE_MS;
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_rs::prelude::{DiscoverableAuthentication, PublicKeyCredential, WebauthnError};

/// Passkey sign-ins started per IP address: each stores a small row for
/// five minutes. Every load of the sign-in page starts one (for autofill),
/// so offices behind one address need room.
pub const STARTS_PER_IP: WindowLimit = WindowLimit {
    name: "passkey-start-ip",
    limit: 300,
    window_ms: 10 * MINUTE_MS,
};

/// Starts a sign-in: options for `navigator.credentials.get` with no
/// account named (the authenticator offers its passkeys for this site) and
/// user verification required.
pub async fn start_sign_in(state: &AppState, client: &ClientMeta) -> Result<Ceremony, AppError> {
    state
        .hit_limit(STARTS_PER_IP, &client.ip_bucket(), state.now())
        .await?;
    let (options, authentication) = relying_party(state)?
        .start_discoverable_authentication()
        .context("Failed to start a passkey sign-in")?;
    let handle = open_ceremony(state, Purpose::SignIn, None, &authentication).await?;
    Ok(Ceremony {
        handle,
        options: serde_json::to_string(&options.public_key)
            .context("Failed to encode the passkey options")?,
    })
}

/// Finishes a sign-in with the authenticator's answer: the ceremony is
/// used up, the credential must be registered to the account the
/// authenticator names, its signature, origin, RP id and user verification
/// must hold, and its counter must not go backwards (a clone). Then a new
/// session, recorded as a passkey sign-in, and the browser goes to `next`.
#[tracing::instrument(skip_all)]
pub async fn finish_sign_in(
    state: &AppState,
    handle: &str,
    answer: &str,
    next: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let answer: PublicKeyCredential = parse_answer(answer)?;
    let (_, authentication) =
        take_ceremony::<DiscoverableAuthentication>(state, Purpose::SignIn, handle).await?;
    let relying_party = relying_party(state)?;
    let Ok((user_handle, credential_id)) =
        relying_party.identify_discoverable_authentication(&answer)
    else {
        return Err(fail(state, None, "no_user_handle", client).await?);
    };
    let credential_id = URL_SAFE_NO_PAD.encode(credential_id);
    let Some(stored) = store::find_by_credential_id(&state.pool, &credential_id).await? else {
        return Err(fail(state, None, "unknown_credential", client).await?);
    };
    let user_id = stored.user_id.clone();
    if stored.suspected_clone_at.is_some() {
        return Err(fail(state, Some(&user_id), "suspected_clone", client).await?);
    }
    if user_handle.hyphenated().to_string() != user_id {
        // The authenticator names another account than the one the
        // credential belongs to: someone's credential presented as another's.
        return Err(fail(state, Some(&user_id), "user_mismatch", client).await?);
    }
    let passkey = decode_passkey(&stored)?;
    let result = match relying_party.finish_discoverable_authentication_v2(
        &answer,
        authentication,
        &passkey,
    ) {
        Ok(result) => result,
        Err(WebauthnError::CredentialPossibleCompromise) => {
            return Err(suspect_clone(state, &user_id, &stored, client).await?);
        }
        Err(error) => {
            tracing::info!(%error, "a passkey assertion was refused");
            return Err(fail(state, Some(&user_id), "invalid_assertion", client).await?);
        }
    };
    let (must_reset, _) = users::recovery_flags(&state.pool, &user_id).await?;
    if must_reset {
        // After "This wasn't me" nothing but the emailed reset gets in.
        return Err(fail(state, Some(&user_id), "must_reset_password", client).await?);
    }
    save_use(state, &stored, passkey, &result, client).await?;
    begin_session(state, &user_id, client, SignInMethod::PASSKEY, next).await
}
