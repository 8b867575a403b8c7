//! Recording security events from server functions.

use crate::error::AppError;
use crate::login_history::{EventKind, Outcome};
use crate::server::mail::{Mail, compose};
use crate::server::state::AppState;
use crate::server::store::events::{self, ClientMeta};
use crate::server::store::users;
use crate::time::now_ms;

impl AppState {
    /// The device label ("Firefox on Linux") and location a client is shown with.
    pub fn device_and_location(&self, client: &ClientMeta) -> (String, String) {
        let (device, _) = crate::server::client::device_label(&client.user_agent);
        (device, self.locate(&client.ip))
    }

    /// Appends one security event, stamped now.
    pub async fn record_event(
        &self,
        user_id: Option<&str>,
        kind: EventKind,
        outcome: Outcome,
        client: &ClientMeta,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        self.record_event_in(user_id, None, kind, outcome, client, detail)
            .await
    }

    /// Appends one security event of `org_id` (a team change), stamped now;
    /// it shows in the actor's history and in the organization's.
    pub async fn record_team_event(
        &self,
        actor: &str,
        org_id: &str,
        kind: EventKind,
        client: &ClientMeta,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        self.record_event_in(
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
        &self,
        user_id: Option<&str>,
        org_id: Option<&str>,
        kind: EventKind,
        outcome: Outcome,
        client: &ClientMeta,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        let (device, location) = self.device_and_location(client);
        let origin = events::Origin {
            client,
            device: &device,
            location: &location,
        };
        let now = now_ms();
        let notice = match user_id {
            Some(user_id) => self.notice_for(user_id, kind, &detail, &origin).await?,
            None => None,
        };
        events::record(
            &self.pool,
            user_id,
            org_id,
            kind,
            outcome,
            &origin,
            detail,
            now,
            notice.as_ref(),
        )
        .await?;
        if notice.is_some() {
            self.mail_wakeup.notify_one();
        }
        Ok(())
    }

    /// The email the owner gets about this event, if it is one they are told about.
    async fn notice_for(
        &self,
        user_id: &str,
        kind: EventKind,
        detail: &serde_json::Value,
        origin: &events::Origin<'_>,
    ) -> Result<Option<Mail>, AppError> {
        let Some((subject, headline)) = compose::notice_text(kind, detail) else {
            return Ok(None);
        };
        let Some(user) = users::find_by_id(&self.pool, user_id).await? else {
            return Ok(None);
        };
        let recipient = crate::server::recovery::Recipient {
            user_id,
            email: &user.user.email,
            name: &user.user.name,
        };
        // A change notice lets the owner undo an intruder in one click.
        Ok(Some(
            self.security_notice(&recipient, subject, headline, origin, "")
                .await?,
        ))
    }
}
