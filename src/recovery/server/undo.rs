//! Undoing an intrusion: what "This wasn't me" and a reset through the
//! emailed link take back besides the sessions they end. Every outstanding
//! link stops working, invitations the account sent are withdrawn, an email
//! change of the last 72 hours is undone when the recovery came through the
//! address it replaced, and the API keys, passkeys, connected accounts and backup codes the
//! ended sessions made are revoked.

use super::email_changes;
use super::store;
use crate::api_keys::server::disown::{Disowned, revoke_disowned_keys};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::passkeys::server::{Disowning, remove_disowned as remove_disowned_passkeys};
use crate::recovery::RecoveryReport;
use crate::server::auth::store::users;
use crate::server::client::ClientMeta;
use crate::server::state::AppState;
use crate::team::server::invitations::withdraw_invitations_sent_by;
use crate::time::HOUR_MS;
use crate::two_factor::server::{remove_all_factors, remove_backup_codes_made_by};

/// How long after an email change a recovery through the old address
/// still undoes it.
pub const EMAIL_UNDO_WINDOW_MS: i64 = 72 * HOUR_MS;

/// What a recovery knows about the intrusion it undoes.
pub struct Intrusion<'a> {
    pub user_id: &'a str,
    /// The sessions the recovery ended: what they made is disowned.
    pub ended_sessions: &'a [String],
    /// Where the maker of a key cannot be told, keys created since this
    /// time are disowned too.
    pub unknown_since: Option<i64>,
    /// The address the recovery's link was mailed to.
    pub mailed_to: &'a str,
    /// The address was never confirmed: nothing set up on it stays.
    pub clear_everything: bool,
}

/// Undoes what `intrusion` names; returns the report for the page and mail.
pub async fn undo_intrusion(
    state: &AppState,
    intrusion: &Intrusion<'_>,
    client: &ClientMeta,
) -> Result<RecoveryReport, AppError> {
    let user_id = intrusion.user_id;
    let links_retired = store::retire_outstanding(&state.pool, user_id, state.now()).await?;
    let invitations_withdrawn = withdraw_invitations_sent_by(state, user_id).await?;
    let email_restored = restore_email(state, user_id, intrusion.mailed_to, client).await?;
    let disowned = if intrusion.clear_everything {
        Disowned::Every
    } else {
        Disowned::MadeBy {
            sessions: intrusion.ended_sessions,
            unknown_since: intrusion.unknown_since,
        }
    };
    let keys_revoked = revoke_disowned_keys(state, user_id, disowned, client).await?;
    let passkeys_removed = remove_disowned_passkeys(
        state,
        user_id,
        &Disowning {
            sessions: intrusion.ended_sessions,
            since: intrusion.unknown_since,
            every: intrusion.clear_everything,
        },
        client,
    )
    .await?;
    let connections_removed = crate::connections::server::remove_disowned(
        state,
        user_id,
        intrusion.ended_sessions,
        intrusion.unknown_since,
        intrusion.clear_everything,
        client,
    )
    .await?;
    let backup_codes_removed = if intrusion.clear_everything {
        remove_all_factors(state, user_id).await?;
        0
    } else {
        remove_backup_codes_made_by(state, user_id, intrusion.ended_sessions).await?
    };
    Ok(RecoveryReport {
        sessions_ended: intrusion.ended_sessions.len() as u64,
        links_retired,
        invitations_withdrawn,
        email_restored,
        keys_revoked,
        passkeys_removed,
        connections_removed,
        backup_codes_removed,
        unconfirmed_account_cleared: intrusion.clear_everything,
    })
}

/// Moves the account back to `mailed_to` when it left that address in the
/// last 72 hours: the recovery proved that mailbox is the owner's. The
/// restored address is told (the event's notice goes there).
async fn restore_email(
    state: &AppState,
    user_id: &str,
    mailed_to: &str,
    client: &ClientMeta,
) -> Result<Option<String>, AppError> {
    let Some(account) = users::find_by_id(&state.pool, user_id).await? else {
        return Ok(None);
    };
    let current = account.user.email;
    if mailed_to.is_empty() || mailed_to == current {
        return Ok(None);
    }
    let now = state.now();
    let since = now - EMAIL_UNDO_WINDOW_MS;
    let Some(left_at) =
        email_changes::change_away_from(&state.pool, user_id, mailed_to, since).await?
    else {
        return Ok(None);
    };
    if !users::update_email(&state.pool, user_id, mailed_to, now).await? {
        tracing::warn!(
            user_id,
            "a recovery could not restore the old address: another account has it"
        );
        return Ok(None);
    }
    email_changes::mark_undone(&state.pool, user_id, left_at, now).await?;
    record_event(
        state,
        Some(user_id),
        EventKind::EmailChanged,
        Outcome::Success,
        client,
        serde_json::json!({"old_email": current, "new_email": mailed_to, "undone": true}),
    )
    .await?;
    Ok(Some(mailed_to.to_string()))
}
