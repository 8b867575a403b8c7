//! A key presented to the JSON API: resolved to its holder (refusing unknown,
//! revoked, expired and rotated-out secrets, owners held at their
//! organization's 2FA or passkey gate, and busy keys), then checked for the
//! permission each request needs. Refusals go into the owner's Login History.

use super::store::usage;
use super::store::usage::{KeyOwner, SecretMatch};
use super::token::ApiToken;
use crate::api_keys::Permission;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::single_sign_on::sso_requirement;
use crate::server::client::ClientMeta;
use crate::server::rate_limit::WindowLimit;
use crate::server::rest::ApiError;
use crate::server::state::AppState;
use crate::team::server::gate::requirement_for;
use crate::team::server::passkey_gate::passkey_requirement_for;
use crate::team::{PasskeyRequirement, TwoFactorRequirement};
use crate::time::utc_datetime;
use http::StatusCode;

/// A key's last use is written at most this often.
pub const LAST_USED_THROTTLE_MS: i64 = 60 * 1000;
/// Refused uses (expired key, missing permission) recorded per key and hour,
/// so a misbehaving client cannot flood the Login History.
const REFUSAL_EVENTS_PER_KEY: WindowLimit = WindowLimit {
    name: "api-key-refusal-events",
    limit: 20,
    window_ms: 60 * 60 * 1000,
};

/// The key a request was authenticated with, and its owner.
#[derive(Clone, Debug)]
pub struct KeyHolder {
    pub key_id: String,
    pub key_name: String,
    pub user_id: String,
    pub permission: Permission,
    pub owner: KeyOwner,
}

/// Resolves a well-formed key to its holder, refusing unknown, revoked,
/// expired and rotated-out secrets with 401, an owner held at the 2FA or
/// passkey gate with 403 and a busy key with 429. Records the use (throttled).
#[tracing::instrument(skip_all)]
pub async fn authenticate(
    state: &AppState,
    token: &ApiToken,
    client: &ClientMeta,
) -> Result<KeyHolder, ApiError> {
    let now = state.now();
    let invalid = |message: &str| ApiError::unauthorized(message, Some("invalid_token"));
    let found = usage::find_by_secret_hash(&state.pool, &token.hash())
        .await?
        .ok_or_else(|| invalid("Unknown API key."))?;
    refuse_unusable(state, &found, client, now).await?;
    if let Some(TwoFactorRequirement::Enforced { reason, .. }) = found
        .membership
        .as_ref()
        .map(|membership| requirement_for(membership, now))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "two_factor_required",
            format!("{reason} The key works again once its owner has set it up."),
        ));
    }
    if let Some(PasskeyRequirement::Enforced { organization, .. }) = found
        .membership
        .as_ref()
        .map(|membership| passkey_requirement_for(membership, now))
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "passkey_required",
            format!(
                "{organization} requires a passkey for Owners and Admins. The key works again once its owner has added one."
            ),
        ));
    }
    if found
        .membership
        .as_ref()
        .is_some_and(|membership| membership.organization.sso_enforced)
        && let Some(requirement) = sso_requirement(&state.pool, &found.user_id).await?
        && !requirement.api_keys_allowed
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "sso_required",
            format!(
                "{} requires single sign-on and does not allow its members' API keys. An Owner can allow them in Settings → Authentication → Single sign-on.",
                requirement.display_name
            ),
        ));
    }
    state
        .api_quota
        .take(
            &state.pool,
            &found.key_id,
            state.config.api_rate_limit_per_minute,
            now,
        )
        .await?;
    if found
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_THROTTLE_MS)
    {
        usage::touch_last_used(
            &state.pool,
            &found.key_id,
            &client.ip,
            &client.user_agent,
            now,
            LAST_USED_THROTTLE_MS,
        )
        .await?;
    }
    Ok(KeyHolder {
        permission: found.permission,
        key_id: found.key_id,
        key_name: found.key_name,
        user_id: found.user_id,
        owner: found.owner,
    })
}

/// Refuses a revoked key, an expired one and a secret rotated out, with 401;
/// expired and rotated-out uses are recorded.
async fn refuse_unusable(
    state: &AppState,
    found: &SecretMatch,
    client: &ClientMeta,
    now: i64,
) -> Result<(), ApiError> {
    let invalid = |message: &str| ApiError::unauthorized(message, Some("invalid_token"));
    if found.revoked_at.is_some() {
        return Err(invalid("This API key was revoked."));
    }
    if let Some(expired_at) = found.expires_at.filter(|at| *at <= now) {
        record_refusal(
            state,
            refused(found),
            EventKind::ApiKeyExpiredUse,
            client,
            "expired",
        )
        .await;
        return Err(invalid(&format!(
            "This API key expired on {}.",
            utc_datetime(expired_at)
        )));
    }
    if found.valid_until.is_some_and(|until| until <= now) {
        record_refusal(
            state,
            refused(found),
            EventKind::ApiKeyExpiredUse,
            client,
            "rotated_out",
        )
        .await;
        return Err(invalid(
            "This secret was replaced when the key was rotated and its grace period has ended. Use the new secret.",
        ));
    }
    Ok(())
}

/// Refuses with 403 (and an event) unless the key's permission covers
/// `needed`. A pass that needed Write or Admin is recorded for that level
/// (throttled like the last use), so the checkup can tell which keys hold
/// more permission than they use.
pub async fn require_permission(
    state: &AppState,
    key: &KeyHolder,
    needed: Permission,
    action: &str,
    client: &ClientMeta,
) -> Result<(), ApiError> {
    if key.permission.allows(needed) {
        usage::record_permission_use(
            &state.pool,
            &key.key_id,
            needed,
            state.now(),
            LAST_USED_THROTTLE_MS,
        )
        .await?;
        return Ok(());
    }
    let refused_key = RefusedKey {
        user_id: &key.user_id,
        key_id: &key.key_id,
        key_name: &key.key_name,
    };
    record_refusal(
        state,
        refused_key,
        EventKind::ApiKeyPermissionDenied,
        client,
        action,
    )
    .await;
    Err(ApiError::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        format!(
            "This key is {}; {action} needs a {} key.",
            key.permission.label(),
            needed.label()
        ),
    ))
}

/// The key a refused request presented.
#[derive(Clone, Copy)]
struct RefusedKey<'a> {
    user_id: &'a str,
    key_id: &'a str,
    key_name: &'a str,
}

fn refused(found: &SecretMatch) -> RefusedKey<'_> {
    RefusedKey {
        user_id: &found.user_id,
        key_id: &found.key_id,
        key_name: &found.key_name,
    }
}

/// Records a refused use in the owner's Login History, a few per key and hour.
async fn record_refusal(
    state: &AppState,
    key: RefusedKey<'_>,
    kind: EventKind,
    client: &ClientMeta,
    reason: &str,
) {
    if state
        .hit_limit(REFUSAL_EVENTS_PER_KEY, key.key_id, state.now())
        .await
        .is_err()
    {
        return;
    }
    let detail = serde_json::json!({
        "key_id": key.key_id,
        "name": key.key_name,
        "reason": reason,
    });
    // The refusal stands whether or not its event could be written.
    let _ = record_event(
        state,
        Some(key.user_id),
        kind,
        Outcome::Failure,
        client,
        detail,
    )
    .await;
}
