//! Account recovery on the server: forgot password and reset, changing the
//! email, "This wasn't me", the notices and the single-use links they carry.

pub mod email;
pub mod email_changes;
pub mod links;
pub mod notices;
pub mod reset;
pub mod store;
pub mod undo;

use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::recovery::RecoveryReport;
use crate::server::auth::store::{sessions, users};
use crate::server::client::ClientMeta;
use crate::server::crypto::RandomToken;
use crate::server::state::AppState;
use links::{consume_link, spent_link};
use reset::{ResetMail, mail_reset_link};
use store::Purpose;
use undo::{Intrusion, undo_intrusion};

/// "This wasn't me": ends the named session (or every session), undoes
/// what the ended sessions made (see `undo`), requires a password reset
/// before the next sign-in, records a flagged event and mails a reset link
/// that also lists what was undone.
pub async fn report_not_me(
    state: &AppState,
    token: &RandomToken,
    client: &ClientMeta,
) -> Result<RecoveryReport, AppError> {
    let used = consume_link(state, Purpose::NotMe, token)
        .await?
        .ok_or_else(|| spent_link("“This wasn't me”"))?;
    let now = state.now();
    let every_session = used.subject.is_empty();
    let ended: Vec<String> = if every_session {
        sessions::revoke_all_returning(&state.pool, &used.user_id, now).await?
    } else {
        sessions::revoke_own(&state.pool, &used.user_id, &used.subject, now)
            .await?
            .map(|session| vec![session.id])
            .unwrap_or_default()
    };
    users::set_must_reset_password(&state.pool, &used.user_id, true).await?;
    // A notice about a change names no session: keys whose maker is unknown
    // and that appeared since the notice count as the intruder's too.
    let intrusion = Intrusion {
        user_id: &used.user_id,
        ended_sessions: &ended,
        unknown_since: every_session.then_some(used.created_at),
        mailed_to: &used.sent_to,
        clear_everything: false,
    };
    let report = undo_intrusion(state, &intrusion, client).await?;
    let undone = report.lines();
    record_event(
        state,
        Some(&used.user_id),
        EventKind::ReportedNotMe,
        Outcome::Failure,
        client,
        serde_json::json!({
            "scope": if every_session { "all_sessions" } else { "one_session" },
            "sessions_ended": ended.len(),
            "flagged": true,
            "undone": undone,
        }),
    )
    .await?;
    if let Some(account) = users::find_by_id(&state.pool, &used.user_id).await? {
        let mailing = ResetMail {
            user_id: &used.user_id,
            to: &account.user.email,
            name: &account.user.name,
            reason: "reported_not_me",
            undone: &undone,
        };
        mail_reset_link(state, &mailing, client).await?;
    }
    Ok(report)
}
