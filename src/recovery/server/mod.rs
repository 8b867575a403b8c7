//! Account recovery on the server: forgot password and reset, changing the
//! email, "This wasn't me", the notices and the single-use links they carry.

pub mod email;
pub mod links;
pub mod notices;
pub mod reset;
pub mod store;

use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::store::{sessions, users};
use crate::server::client::ClientMeta;
use crate::server::crypto::RandomToken;
use crate::server::state::AppState;
use links::{consume_link, spent_link};
use reset::mail_reset_link;
use store::Purpose;

/// "This wasn't me": ends the named session (or every session), requires
/// a password reset before the next sign-in, records a flagged event and
/// mails a reset link. Returns how many sessions ended.
pub async fn report_not_me(
    state: &AppState,
    token: &RandomToken,
    client: &ClientMeta,
) -> Result<u64, AppError> {
    let used = consume_link(state, Purpose::NotMe, token)
        .await?
        .ok_or_else(|| spent_link("“This wasn't me”"))?;
    let now = state.now();
    let ended = if used.subject.is_empty() {
        sessions::revoke_all_except(&state.pool, &used.user_id, "", now).await?
    } else {
        u64::from(
            sessions::revoke_own(&state.pool, &used.user_id, &used.subject, now)
                .await?
                .is_some(),
        )
    };
    users::set_must_reset_password(&state.pool, &used.user_id, true).await?;
    record_event(
        state,
        Some(&used.user_id),
        EventKind::ReportedNotMe,
        Outcome::Failure,
        client,
        serde_json::json!({
            "scope": if used.subject.is_empty() { "all_sessions" } else { "one_session" },
            "sessions_ended": ended,
            "flagged": true,
        }),
    )
    .await?;
    if let Some(account) = users::find_by_id(&state.pool, &used.user_id).await? {
        mail_reset_link(
            state,
            &used.user_id,
            &account.user.email,
            &account.user.name,
            client,
            "reported_not_me",
        )
        .await?;
    }
    Ok(ended)
}
