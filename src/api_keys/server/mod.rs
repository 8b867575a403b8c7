//! API keys on the server: issue, list, rotate and revoke, shared by the
//! settings page's server functions and the `/api/v1` JSON API; the tokens,
//! their authentication and their SQL.

pub mod authenticate;
pub mod disown;
pub mod rest;
pub mod store;
pub mod token;

/// What a team change does to a member's keys, inside its transaction.
use crate::api_keys::{ApiKeyInfo, ApiKeysOverview, IssuedKey, Permission, RotationGrace};
use crate::error::AppError;
use crate::ids::is_uuid_shaped;
use crate::login_history::server::record::{prepare_event, record_event};
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::AuthSession;
use crate::server::client::{ClientMeta, device_label};
use crate::server::db::new_id;
use crate::server::state::AppState;
use crate::team::server::gate::hold_key_permission;
use crate::two_factor::server::sudo::confirm_sudo;
use crate::two_factor::server::sudo_factor;
use store::{LiveSecret, NewKey, StoredKey};
use token::ApiToken;

pub use store::KeyCreator;
pub use store::lifecycle::{ChangedKey, reduce_to_cap, revoke_all_in};

/// How many keys one account may hold at once.
pub const MAX_KEYS_PER_USER: i64 = 100;

/// A validated request for a new key.
#[derive(Clone, Debug)]
pub struct KeyRequest {
    pub name: String,
    pub permission: Permission,
    pub expires_at: Option<i64>,
}

/// Key ids are UUIDs; anything else is refused before the database.
pub fn check_key_id(key_id: &str) -> Result<String, AppError> {
    let key_id = key_id.trim().to_ascii_lowercase();
    if is_uuid_shaped(&key_id) {
        Ok(key_id)
    } else {
        Err(AppError::validation("key_id", "That key id is not valid."))
    }
}

/// The user's keys that are not revoked, newest first, with their badges.
pub async fn list_api_keys(state: &AppState, user_id: &str) -> Result<Vec<ApiKeyInfo>, AppError> {
    let now = state.now();
    let keys = store::list_for_user(&state.pool, user_id).await?;
    let secrets = store::live_secrets(&state.pool, user_id, now).await?;
    Ok(keys
        .into_iter()
        .map(|key| key_info(key, &secrets, now))
        .collect())
}

/// Creates a key and returns it with its token: the token's only appearance.
#[tracing::instrument(skip(state, client), fields(permission = request.permission.as_str()))]
pub async fn issue_api_key(
    state: &AppState,
    user_id: &str,
    request: KeyRequest,
    creator: KeyCreator<'_>,
    client: &ClientMeta,
) -> Result<IssuedKey, AppError> {
    let token = ApiToken::generate();
    let now = state.now();
    let id = new_id();
    // The role's cap and the key limit are checked inside the inserting
    // transaction, after it locked the team's and the owner's rows: a
    // concurrent demotion or creation waits for it or it for them.
    let event = prepare_event(
        state,
        user_id,
        EventKind::ApiKeyCreated,
        client,
        serde_json::json!({
            "key_id": id,
            "name": request.name,
            "permission": request.permission.as_str(),
            "prefix": token.visible_prefix(),
            "expires": request.expires_at.map(crate::time::iso_date).unwrap_or_else(|| "never".into()),
        }),
    )
    .await?;
    let mut tx = crate::server::db::begin_write(&state.pool)
        .await
        .map_err(anyhow::Error::from)?;
    hold_key_permission(&mut tx, user_id, request.permission).await?;
    store::lock_owner(&mut tx, user_id).await?;
    if store::count_live(&mut tx, user_id).await? >= MAX_KEYS_PER_USER {
        return Err(AppError::validation(
            "name",
            format!(
                "You have {MAX_KEYS_PER_USER} keys, the most an account can hold. Revoke unused keys first."
            ),
        ));
    }
    store::insert(
        &mut tx,
        &NewKey {
            id: &id,
            user_id,
            name: &request.name,
            permission: request.permission,
            expires_at: request.expires_at,
            secret_hash: &token.hash(),
            prefix: token.visible_prefix(),
            now,
        },
        creator,
    )
    .await?;
    event.record_and_commit(state, tx).await?;
    let stored = StoredKey {
        id,
        user_id: user_id.to_string(),
        name: request.name,
        permission: request.permission,
        created_at: now,
        expires_at: request.expires_at,
        rotated_at: None,
        last_used_at: None,
        last_used_ip: String::new(),
        last_used_user_agent: String::new(),
    };
    let secrets = [LiveSecret {
        key_id: stored.id.clone(),
        prefix: token.visible_prefix().to_string(),
        valid_until: None,
    }];
    Ok(IssuedKey {
        key: key_info(stored, &secrets, now),
        token: token.expose().to_string(),
    })
}

/// Issues a new secret for one of the user's keys; the old one keeps
/// working for `grace`. Returns the key with its new token.
#[tracing::instrument(skip(state, client))]
pub async fn rotate_api_key(
    state: &AppState,
    user_id: &str,
    key_id: &str,
    grace: RotationGrace,
    client: &ClientMeta,
) -> Result<IssuedKey, AppError> {
    let token = ApiToken::generate();
    let now = state.now();
    let stored = store::rotate_own(
        &state.pool,
        user_id,
        key_id,
        &token.hash(),
        token.visible_prefix(),
        now + grace.millis(),
        now,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    record_event(
        state,
        Some(user_id),
        EventKind::ApiKeyRotated,
        Outcome::Success,
        client,
        serde_json::json!({
            "key_id": stored.id,
            "name": stored.name,
            "prefix": token.visible_prefix(),
            "grace": grace.as_str(),
        }),
    )
    .await?;
    let secrets = store::live_secrets(&state.pool, user_id, now).await?;
    Ok(IssuedKey {
        key: key_info(stored, &secrets, now),
        token: token.expose().to_string(),
    })
}

/// Revokes one of the user's keys; it stops working on the next request.
pub async fn revoke_api_key(
    state: &AppState,
    user_id: &str,
    key_id: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let revoked = store::revoke_own(&state.pool, user_id, key_id, state.now())
        .await?
        .ok_or(AppError::NotFound)?;
    record_event(
        state,
        Some(user_id),
        EventKind::ApiKeyRevoked,
        Outcome::Success,
        client,
        serde_json::json!({
            "key_id": revoked.id,
            "name": revoked.name,
            "permission": revoked.permission,
        }),
    )
    .await
}

/// A stored key as the list shows it, with its working secrets' prefixes.
fn key_info(key: StoredKey, secrets: &[LiveSecret], now: i64) -> ApiKeyInfo {
    let mine = secrets.iter().filter(|s| s.key_id == key.id);
    let current = mine.clone().find(|s| s.valid_until.is_none());
    // The longest-lived secret still in its grace period.
    let previous = mine
        .filter(|s| s.valid_until.is_some())
        .max_by_key(|s| s.valid_until);
    let last_used_device = if key.last_used_user_agent.is_empty() {
        String::new()
    } else {
        device_label(&key.last_used_user_agent).0
    };
    ApiKeyInfo {
        prefix: current.map(|s| s.prefix.clone()).unwrap_or_default(),
        previous_prefix: previous.map(|s| s.prefix.clone()),
        previous_valid_until: previous.and_then(|s| s.valid_until),
        permission: key.permission,
        id: key.id,
        name: key.name,
        created_at: key.created_at,
        expires_at: key.expires_at,
        expired: false,
        last_used_at: key.last_used_at,
        last_used_ip: key.last_used_ip,
        last_used_device,
        rotated_at: key.rotated_at,
        unused: false,
        rotation_due: false,
    }
    .with_badges(now)
}

/// The settings page's data: the user's keys and what creating an Admin key
/// would ask for.
pub async fn overview(
    state: &AppState,
    session: &AuthSession,
) -> Result<ApiKeysOverview, AppError> {
    Ok(ApiKeysOverview {
        keys: list_api_keys(state, &session.user.id).await?,
        needs_password: session.require_recent_auth(state.now()).is_err(),
        sudo_factor: sudo_factor(state, &session.user.id).await?,
    })
}

/// Creates a key from the settings page: an Admin key needs sudo mode first.
pub async fn create_in_settings(
    state: &AppState,
    session: &AuthSession,
    request: KeyRequest,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<IssuedKey, AppError> {
    session.user.require_verified_email()?;
    if request.permission == Permission::Admin {
        confirm_sudo(state, session, password, code, client).await?;
    }
    let creator = KeyCreator::Session(&session.session_id);
    issue_api_key(state, &session.user.id, request, creator, client).await
}

/// Rotates one of the user's keys from the settings page: an Admin key
/// needs sudo mode first.
pub async fn rotate_in_settings(
    state: &AppState,
    session: &AuthSession,
    key_id: &str,
    grace: RotationGrace,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<IssuedKey, AppError> {
    let key = store::find_own(&state.pool, &session.user.id, key_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if key.permission == Permission::Admin {
        confirm_sudo(state, session, password, code, client).await?;
    }
    rotate_api_key(state, &session.user.id, key_id, grace, client).await
}
