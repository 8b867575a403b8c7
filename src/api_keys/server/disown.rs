//! What a recovery takes back: the keys a disowned session made, and the
//! keys those keys made in turn.

use super::store::lifecycle::{self, Provenance};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::client::ClientMeta;
use crate::server::state::AppState;
use std::collections::HashSet;

/// Which keys a recovery revokes.
#[derive(Clone, Copy, Debug)]
pub enum Disowned<'a> {
    /// Keys made by one of these sessions, or by a key they made.
    MadeBy {
        sessions: &'a [String],
        /// Where no session is known (keys from before sessions were
        /// recorded), those created at or after this time.
        unknown_since: Option<i64>,
    },
    /// Every key (an account whose address was never confirmed).
    Every,
}

/// The keys `disowned` names among `keys`, following keys made by keys.
pub fn disowned_keys(keys: &[Provenance], disowned: Disowned<'_>) -> Vec<String> {
    let Disowned::MadeBy {
        sessions,
        unknown_since,
    } = disowned
    else {
        return keys.iter().map(|key| key.id.clone()).collect();
    };
    let mut taken: HashSet<&str> = keys
        .iter()
        .filter(|key| match (&key.created_session_id, &key.created_key_id) {
            (Some(session), _) => sessions.contains(session),
            (None, None) => unknown_since.is_some_and(|since| key.created_at >= since),
            (None, Some(_)) => false,
        })
        .map(|key| key.id.as_str())
        .collect();
    loop {
        let more: Vec<&str> = keys
            .iter()
            .filter(|key| !taken.contains(key.id.as_str()))
            .filter(|key| {
                key.created_key_id
                    .as_deref()
                    .is_some_and(|parent| taken.contains(parent))
            })
            .map(|key| key.id.as_str())
            .collect();
        if more.is_empty() {
            break;
        }
        taken.extend(more);
    }
    keys.iter()
        .filter(|key| taken.contains(key.id.as_str()))
        .map(|key| key.id.clone())
        .collect()
}

/// Revokes the keys `disowned` names, each recorded in the history;
/// returns their names.
pub async fn revoke_disowned_keys(
    state: &AppState,
    user_id: &str,
    disowned: Disowned<'_>,
    client: &ClientMeta,
) -> Result<Vec<String>, AppError> {
    let keys = lifecycle::provenance(&state.pool, user_id).await?;
    let ids = disowned_keys(&keys, disowned);
    lifecycle::revoke_ids(&state.pool, user_id, &ids, state.now()).await?;
    let mut names = Vec::with_capacity(ids.len());
    for key in keys.iter().filter(|key| ids.contains(&key.id)) {
        record_event(
            state,
            Some(user_id),
            EventKind::ApiKeyRevoked,
            Outcome::Success,
            client,
            serde_json::json!({"key_id": key.id, "name": key.name, "reason": "recovery"}),
        )
        .await?;
        names.push(key.name.clone());
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str, session: Option<&str>, parent: Option<&str>, created_at: i64) -> Provenance {
        Provenance {
            id: id.into(),
            name: id.into(),
            created_at,
            created_session_id: session.map(Into::into),
            created_key_id: parent.map(Into::into),
        }
    }

    #[test]
    fn keys_made_by_a_disowned_session_and_their_offspring_are_taken() {
        let keys = [
            key("mine", Some("owner"), None, 1),
            key("theirs", Some("intruder"), None, 2),
            key("child", None, Some("theirs"), 3),
            key("grandchild", None, Some("child"), 4),
            key("owners-child", None, Some("mine"), 5),
            key("legacy-old", None, None, 1),
            key("legacy-new", None, None, 10),
        ];
        let sessions = ["intruder".to_string()];
        let taken = disowned_keys(
            &keys,
            Disowned::MadeBy {
                sessions: &sessions,
                unknown_since: Some(10),
            },
        );
        assert_eq!(taken, ["theirs", "child", "grandchild", "legacy-new"]);
        let none = disowned_keys(
            &keys,
            Disowned::MadeBy {
                sessions: &[],
                unknown_since: None,
            },
        );
        assert!(none.is_empty());
        assert_eq!(disowned_keys(&keys, Disowned::Every).len(), keys.len());
    }
}
