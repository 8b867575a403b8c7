//! Recording security events: every room appends to the Login History
//! through here, and the owner is mailed about the ones they are told about.

use crate::error::AppError;
use crate::login_history::server::store::events;
use crate::login_history::{EventKind, Outcome};
use crate::recovery::server::notices::security_notice;
use crate::server::auth::store::users;
use crate::server::client::{ClientMeta, Origin};
use crate::server::mail::queue::SealedMail;
use crate::server::mail::{Mail, compose};
use crate::server::state::AppState;

/// Appends one security event, stamped now.
pub async fn record_event(
    state: &AppState,
    user_id: Option<&str>,
    kind: EventKind,
    outcome: Outcome,
    client: &ClientMeta,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    record_event_in(state, user_id, None, kind, outcome, client, detail).await
}

/// Appends one security event of `org_id` (a team change), stamped now;
/// it shows in the actor's history and in the organization's.
pub async fn record_team_event(
    state: &AppState,
    actor: &str,
    org_id: &str,
    kind: EventKind,
    client: &ClientMeta,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    record_event_in(
        state,
        Some(actor),
        Some(org_id),
        kind,
        Outcome::Success,
        client,
        detail,
    )
    .await
}

/// Appends one security event, optionally of an organization, stamped now.
pub async fn record_event_in(
    state: &AppState,
    user_id: Option<&str>,
    org_id: Option<&str>,
    kind: EventKind,
    outcome: Outcome,
    client: &ClientMeta,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let event = prepare(state, user_id, org_id, kind, outcome, client, detail).await?;
    let tx = crate::server::db::begin_write(&state.pool)
        .await
        .map_err(anyhow::Error::from)?;
    event.record_and_commit(state, tx).await
}

/// A security event made ready before the transaction that records it:
/// its notice is composed first, so the transaction never waits for a
/// second connection while it holds one.
pub struct PendingEvent<'a> {
    user_id: Option<String>,
    org_id: Option<String>,
    kind: EventKind,
    outcome: Outcome,
    origin: Origin<'a>,
    detail: serde_json::Value,
    notice: Option<SealedMail>,
}

/// Prepares a successful event of `user_id` for
/// [`PendingEvent::record_and_commit`].
pub async fn prepare_event<'a>(
    state: &AppState,
    user_id: &str,
    kind: EventKind,
    client: &'a ClientMeta,
    detail: serde_json::Value,
) -> Result<PendingEvent<'a>, AppError> {
    prepare(
        state,
        Some(user_id),
        None,
        kind,
        Outcome::Success,
        client,
        detail,
    )
    .await
}

/// Prepares an event of the organization `org_id` (no account's) for
/// [`PendingEvent::record_and_commit`].
pub async fn prepare_org_event<'a>(
    state: &AppState,
    org_id: &str,
    kind: EventKind,
    outcome: Outcome,
    client: &'a ClientMeta,
    detail: serde_json::Value,
) -> Result<PendingEvent<'a>, AppError> {
    prepare(state, None, Some(org_id), kind, outcome, client, detail).await
}

async fn prepare<'a>(
    state: &AppState,
    user_id: Option<&str>,
    org_id: Option<&str>,
    kind: EventKind,
    outcome: Outcome,
    client: &'a ClientMeta,
    detail: serde_json::Value,
) -> Result<PendingEvent<'a>, AppError> {
    let origin = state.origin(client);
    let notice = match user_id {
        Some(user_id) => notice_for(state, user_id, kind, outcome, &detail, &origin).await?,
        None => None,
    };
    let notice = notice
        .map(|mail| SealedMail::seal(&state.key, &mail))
        .transpose()?;
    Ok(PendingEvent {
        user_id: user_id.map(str::to_string),
        org_id: org_id.map(str::to_string),
        kind,
        outcome,
        origin,
        detail,
        notice,
    })
}

impl PendingEvent<'_> {
    /// Appends the event inside the caller's transaction and commits it: the
    /// change it records and the event commit together, so a failure between
    /// them (a database that goes away) leaves neither half-done. The mail
    /// worker is woken once the notice is committed.
    pub async fn record_and_commit(
        self,
        state: &AppState,
        mut tx: sqlx::Transaction<'_, sqlx::Any>,
    ) -> Result<(), AppError> {
        events::record(
            &mut tx,
            self.user_id.as_deref(),
            self.org_id.as_deref(),
            self.kind,
            self.outcome,
            &self.origin,
            self.detail,
            state.now(),
            self.notice.as_ref(),
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        if self.notice.is_some() {
            state.mail_wakeup.notify_one();
        }
        Ok(())
    }
}

/// The email the owner gets about this event, if it is one they are told about.
async fn notice_for(
    state: &AppState,
    user_id: &str,
    kind: EventKind,
    outcome: Outcome,
    detail: &serde_json::Value,
    origin: &Origin<'_>,
) -> Result<Option<Mail>, AppError> {
    let Some((subject, headline)) = compose::notice_text(kind, outcome, detail) else {
        return Ok(None);
    };
    let Some(user) = users::find_by_id(&state.pool, user_id).await? else {
        return Ok(None);
    };
    let recipient = crate::recovery::server::notices::Recipient {
        user_id,
        email: &user.user.email,
        name: &user.user.name,
    };
    // A change notice lets the owner undo an intruder in one click.
    Ok(Some(
        security_notice(state, &recipient, subject, headline, origin, "").await?,
    ))
}
