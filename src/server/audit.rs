//! Recording security events from server functions.

use crate::error::AppError;
use crate::login_history::{EventKind, Outcome};
use crate::server::db::now_ms;
use crate::server::rate_limit::internal;
use crate::server::state::AppState;
use crate::server::store::events::{self, ClientMeta};

impl AppState {
    /// Appends one security event, stamped now.
    pub async fn record_event(
        &self,
        user_id: Option<&str>,
        kind: EventKind,
        outcome: Outcome,
        client: &ClientMeta,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        let (device, _) = crate::server::client::device_label(&client.user_agent);
        let location = self.locate(&client.ip);
        let origin = events::Origin {
            client,
            device: &device,
            location: &location,
        };
        events::record(
            &self.pool,
            user_id,
            kind,
            outcome,
            &origin,
            detail,
            now_ms(),
        )
        .await
        .map_err(internal)
    }
}
