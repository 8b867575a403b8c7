//! The offer to add a passkey: made for half an hour after a sign-in to an
//! account that has none (so after a password sign-in: a passkey sign-in
//! means one exists), until "Not now" puts it away for 30 days.

use super::store;
use crate::error::AppError;
use crate::passkeys::{OFFER_AFTER_SIGN_IN_MINUTES, OFFER_SNOOZE_DAYS, PasskeyOffer};
use crate::server::auth::AuthSession;
use crate::server::auth::store::users;
use crate::server::state::AppState;
use crate::time::{DAY_MS, MINUTE_MS};
use anyhow::Context;

/// The offer for this session, if one is due.
pub async fn offer(
    state: &AppState,
    session: &AuthSession,
) -> Result<Option<PasskeyOffer>, AppError> {
    let now = state.now();
    if now - session.created_at >= OFFER_AFTER_SIGN_IN_MINUTES * MINUTE_MS {
        return Ok(None);
    }
    let facts = users::security_facts(&state.pool, &session.user.id)
        .await?
        .context("Failed to read the passkey offer: no such user")?;
    let snoozed = facts
        .passkey_offer_dismissed_at
        .is_some_and(|at| now - at < OFFER_SNOOZE_DAYS * DAY_MS);
    if facts.passkeys > 0 || snoozed {
        return Ok(None);
    }
    Ok(Some(PasskeyOffer {
        needs_password: session.require_recent_auth(now).is_err(),
    }))
}

/// "Not now": no offer for the next 30 days.
pub async fn dismiss(state: &AppState, user_id: &str) -> Result<(), AppError> {
    store::dismiss_offer(&state.pool, user_id, state.now()).await?;
    Ok(())
}
