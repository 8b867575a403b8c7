//! Passkeys on the server: registering one (sudo mode), signing in with
//! one, listing, renaming and removing them, and taking back those an
//! intruder added. Each ceremony's state stays on the server (sealed,
//! single use, five minutes); the browser only holds a handle to it.

mod assertion;
pub mod authenticators;
mod ceremony;
pub mod confirm;
pub mod offer;
pub mod sign_in;
pub mod store;

use super::{Ceremony, MAX_PER_ACCOUNT, PasskeyInfo, PasskeysOverview, clean_passkey_name};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::AuthSession;
use crate::server::client::ClientMeta;
use crate::server::db::new_id;
use crate::server::state::AppState;
use crate::team::server::passkey_gate::check_may_remove_passkey;
use crate::two_factor::Method;
use crate::two_factor::server::sudo::confirm_sudo;
use crate::two_factor::server::{active_method, remove_all_factors, sudo_factor};
use anyhow::Context;
use authenticators::AuthenticatorFacts;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ceremony::{open_ceremony, parse_answer, take_ceremony};
use store::{NewPasskey, Purpose, StoredPasskey};
use webauthn_rs::prelude::{
    CredentialID, Passkey, PasskeyRegistration, RegisterPublicKeyCredential, Url, Uuid, Webauthn,
    WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

/// The relying party: this site as `PUBLIC_URL` names it. Its host is the
/// RP id, so a passkey made here answers only here. Browsers accept only a
/// domain name as RP id: with an IP address in `PUBLIC_URL` passkeys are
/// unavailable, and the answer says how to fix that.
pub fn relying_party(state: &AppState) -> Result<Webauthn, AppError> {
    let unavailable = || {
        AppError::validation(
            "credential",
            "Passkeys need this app to be reached at a domain name: set PUBLIC_URL (e.g. http://localhost:3000) and open the app there.",
        )
    };
    let origin = Url::parse(&state.config.public_url.origin).map_err(|_| unavailable())?;
    let rp_id = origin.domain().ok_or_else(unavailable)?;
    WebauthnBuilder::new(rp_id, &origin)
        .and_then(|builder| builder.rp_name("StatusStack").build())
        .map_err(|error| {
            tracing::warn!(%error, "PUBLIC_URL cannot be a WebAuthn relying party");
            unavailable()
        })
}

/// The WebAuthn user handle of an account: its id's 16 bytes.
pub fn user_handle(user_id: &str) -> Result<Uuid, AppError> {
    Ok(Uuid::parse_str(user_id).context("An account id is not a UUID")?)
}

/// The account's passkeys and what adding one would ask for.
pub async fn overview(
    state: &AppState,
    session: &AuthSession,
) -> Result<PasskeysOverview, AppError> {
    let passkeys = store::list(&state.pool, &session.user.id).await?;
    Ok(PasskeysOverview {
        passkeys: passkeys.into_iter().map(passkey_info).collect(),
        needs_password: session.require_recent_auth(state.now()).is_err(),
        sudo_factor: sudo_factor(state, &session.user.id).await?,
    })
}

fn passkey_info(stored: StoredPasskey) -> PasskeyInfo {
    let last_used_from = stored.last_used_at.map(|_| {
        [
            stored.last_used_device.as_str(),
            stored.last_used_location.as_str(),
        ]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
    });
    PasskeyInfo {
        id: stored.id,
        name: stored.name,
        created_at: stored.created_at,
        last_used_at: stored.last_used_at,
        last_used_from,
        backed_up: stored.backed_up != 0,
        suspected_clone: stored.suspected_clone_at.is_some(),
    }
}

/// Starts adding a passkey: sudo mode first (the password, and a code when
/// 2FA is on, unless the session re-authenticated recently), then the
/// options for `navigator.credentials.create`, which ask for a discoverable
/// passkey with user verification and exclude the account's own passkeys.
#[tracing::instrument(skip_all, fields(user_id = %session.user.id))]
pub async fn start_registration(
    state: &AppState,
    session: &AuthSession,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<Ceremony, AppError> {
    confirm_sudo(state, session, password, code, client).await?;
    let existing = store::list(&state.pool, &session.user.id).await?;
    if existing.len() >= MAX_PER_ACCOUNT {
        return Err(AppError::validation(
            "credential",
            format!("An account can have at most {MAX_PER_ACCOUNT} passkeys. Remove one first."),
        ));
    }
    let exclude: Vec<CredentialID> = existing
        .iter()
        .filter_map(|passkey| URL_SAFE_NO_PAD.decode(&passkey.credential_id).ok())
        .collect();
    let (mut options, registration) = relying_party(state)?
        .start_passkey_registration(
            user_handle(&session.user.id)?,
            &session.user.email,
            &session.user.name,
            Some(exclude),
        )
        .context("Failed to start a passkey registration")?;
    // A passkey that signs in without an email first must be discoverable.
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    let handle = open_ceremony(
        state,
        Purpose::Register,
        Some((&session.user.id, &session.session_id)),
        &registration,
    )
    .await?;
    Ok(Ceremony {
        handle,
        options: serde_json::to_string(&options.public_key)
            .context("Failed to encode the passkey options")?,
    })
}

/// Finishes adding a passkey with the authenticator's answer: only the
/// session that started the ceremony may, once, within five minutes. The
/// passkey is named `name`, or after its authenticator when none is given;
/// a credential registered before (here or to another account) is refused.
#[tracing::instrument(skip_all, fields(user_id = %session.user.id))]
pub async fn finish_registration(
    state: &AppState,
    session: &AuthSession,
    handle: &str,
    answer: &str,
    name: Option<&str>,
    client: &ClientMeta,
) -> Result<PasskeyInfo, AppError> {
    let name = match name.map(str::trim).filter(|name| !name.is_empty()) {
        Some(name) => Some(
            clean_passkey_name(name).map_err(|message| AppError::validation("name", message))?,
        ),
        None => None,
    };
    let answer: RegisterPublicKeyCredential = parse_answer(answer)?;
    let (ceremony, registration) =
        take_ceremony::<PasskeyRegistration>(state, Purpose::Register, handle).await?;
    if ceremony.user_id.as_deref() != Some(session.user.id.as_str())
        || ceremony.session_id.as_deref() != Some(session.session_id.as_str())
    {
        return Err(ceremony::expired());
    }
    let passkey = relying_party(state)?
        .finish_passkey_registration(&answer, &registration)
        .map_err(|error| {
            tracing::info!(%error, "a passkey registration was refused");
            AppError::validation(
                "credential",
                "Your passkey could not be verified. Try adding it again.",
            )
        })?;
    let facts = AuthenticatorFacts::from_attestation_object(&answer.response.attestation_object)
        .context("A verified registration has no readable authenticator data")?;
    let name = name.unwrap_or_else(|| facts.default_name().to_string());
    let credential_id = URL_SAFE_NO_PAD.encode(passkey.cred_id());
    let credential = serde_json::to_string(&passkey).context("Failed to encode the passkey")?;
    let id = new_id();
    let now = state.now();
    let stored = store::insert(
        &state.pool,
        &NewPasskey {
            id: &id,
            user_id: &session.user.id,
            credential_id: &credential_id,
            name: &name,
            credential: &credential,
            aaguid: &facts.aaguid,
            backed_up: facts.backed_up,
            session_id: &session.session_id,
            now,
        },
    )
    .await?;
    if !stored {
        return Err(AppError::validation(
            "credential",
            "This passkey is registered already.",
        ));
    }
    record_event(
        state,
        Some(&session.user.id),
        EventKind::PasskeyAdded,
        Outcome::Success,
        client,
        serde_json::json!({"passkey_id": id, "name": name, "synced": facts.backed_up}),
    )
    .await?;
    Ok(PasskeyInfo {
        id,
        name,
        created_at: now,
        last_used_at: None,
        last_used_from: None,
        backed_up: facts.backed_up,
        suspected_clone: false,
    })
}

/// Renames one of the account's passkeys.
pub async fn rename(
    state: &AppState,
    user_id: &str,
    passkey_id: &str,
    name: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let name = clean_passkey_name(name).map_err(|message| AppError::validation("name", message))?;
    let old = owned(state, user_id, passkey_id).await?;
    if !store::rename(&state.pool, user_id, passkey_id, &name).await? {
        return Err(AppError::NotFound);
    }
    record_event(
        state,
        Some(user_id),
        EventKind::PasskeyRenamed,
        Outcome::Success,
        client,
        serde_json::json!({"passkey_id": passkey_id, "old_name": old.name, "name": name}),
    )
    .await
}

/// Removes one of the account's passkeys, in sudo mode. The password stays,
/// so removing the last passkey never locks the owner out; but an Owner or
/// Admin whose organization requires a passkey keeps their last usable one.
pub async fn remove(
    state: &AppState,
    session: &AuthSession,
    passkey_id: &str,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let (removing, others): (Vec<StoredPasskey>, Vec<StoredPasskey>) =
        store::list(&state.pool, &session.user.id)
            .await?
            .into_iter()
            .partition(|passkey| passkey.id == passkey_id);
    // Another account's passkey is `NotFound` too: its existence is not confirmed.
    let passkey = removing.into_iter().next().ok_or(AppError::NotFound)?;
    let usable_left = others
        .iter()
        .filter(|other| other.suspected_clone_at.is_none())
        .count();
    // 2FA that rests on passkeys alone keeps its last usable one.
    if usable_left == 0
        && passkey.suspected_clone_at.is_none()
        && active_method(state, &session.user.id).await? == Some(Method::Passkey)
    {
        return Err(AppError::validation(
            "credential",
            "This passkey is your only second factor. Add another passkey, or switch two-factor authentication to an authenticator app, first.",
        ));
    }
    check_may_remove_passkey(state, &session.user.id, usable_left).await?;
    confirm_sudo(state, session, password, code, client).await?;
    let removed = store::delete_ids(
        &state.pool,
        &session.user.id,
        std::slice::from_ref(&passkey.id),
    )
    .await?;
    if removed == 0 {
        return Err(AppError::NotFound);
    }
    record_removal(state, &session.user.id, &passkey, "removed", client).await
}

/// The account's passkey with this id, or `NotFound` (also for another
/// account's passkey: its existence is not confirmed).
async fn owned(
    state: &AppState,
    user_id: &str,
    passkey_id: &str,
) -> Result<StoredPasskey, AppError> {
    store::list(&state.pool, user_id)
        .await?
        .into_iter()
        .find(|passkey| passkey.id == passkey_id)
        .ok_or(AppError::NotFound)
}

async fn record_removal(
    state: &AppState,
    user_id: &str,
    passkey: &StoredPasskey,
    reason: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    record_event(
        state,
        Some(user_id),
        EventKind::PasskeyRemoved,
        Outcome::Success,
        client,
        serde_json::json!({"passkey_id": passkey.id, "name": passkey.name, "reason": reason}),
    )
    .await
}

/// Which passkeys a recovery takes back.
#[derive(Clone, Copy, Debug)]
pub struct Disowning<'a> {
    /// Those added by one of these sessions (the ones the recovery ended).
    pub sessions: &'a [String],
    /// Where the notice named no session, those added since then.
    pub since: Option<i64>,
    /// Every passkey (an account whose address was never confirmed).
    pub every: bool,
}

/// Removes the passkeys `disowning` names, each recorded in the history;
/// returns their names.
pub async fn remove_disowned(
    state: &AppState,
    user_id: &str,
    disowning: &Disowning<'_>,
    client: &ClientMeta,
) -> Result<Vec<String>, AppError> {
    let (disowned, kept): (Vec<StoredPasskey>, Vec<StoredPasskey>) =
        store::list(&state.pool, user_id)
            .await?
            .into_iter()
            .partition(|passkey| {
                disowning.every
                    || passkey
                        .created_session_id
                        .as_ref()
                        .is_some_and(|session| disowning.sessions.contains(session))
                    || disowning
                        .since
                        .is_some_and(|since| passkey.created_at >= since)
            });
    let ids: Vec<String> = disowned.iter().map(|passkey| passkey.id.clone()).collect();
    store::delete_ids(&state.pool, user_id, &ids).await?;
    for passkey in &disowned {
        record_removal(state, user_id, passkey, "recovery", client).await?;
    }
    // 2FA that rested on the intruder's passkeys alone protects nothing now.
    let none_left = kept
        .iter()
        .all(|passkey| passkey.suspected_clone_at.is_some());
    if !disowned.is_empty()
        && none_left
        && active_method(state, user_id).await? == Some(Method::Passkey)
    {
        remove_all_factors(state, user_id).await?;
    }
    Ok(disowned.into_iter().map(|passkey| passkey.name).collect())
}

/// Whether this text is shaped like a passkey id (a UUID), checked before
/// it reaches the database.
pub fn check_passkey_id(text: &str) -> Result<String, AppError> {
    if crate::ids::is_uuid_shaped(text) {
        Ok(text.to_string())
    } else {
        Err(AppError::NotFound)
    }
}

/// The stored passkey's webauthn-rs record.
fn decode_passkey(stored: &StoredPasskey) -> Result<Passkey, AppError> {
    Ok(serde_json::from_str(&stored.credential).context("A stored passkey cannot be read")?)
}
