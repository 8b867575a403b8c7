//! The security checkup on the server: reads the account's facts in three
//! queries and scores them with the pure rules of [`rules`] and [`keys`]; the
//! organization's checkup is in [`team`].

pub mod keys;
mod password;
pub mod rules;
pub mod store;
pub mod team;

use crate::checkup::SecurityCheckup;
use crate::error::AppError;
use crate::server::auth::store::{sessions, users};
use crate::server::client::device_label;
use crate::server::state::AppState;
use keys::KeyFacts;
use rules::{CheckupFacts, SessionFact, evaluate};
use store::KeyUsage;

/// The signed-in user's checkup at `now`. `current_session` (the caller's
/// own) is left out of "sessions without 2FA": it cannot sign itself out.
pub async fn personal_checkup(
    state: &AppState,
    user_id: &str,
    current_session: Option<&str>,
    now: i64,
) -> Result<SecurityCheckup, AppError> {
    let facts = personal_facts(state, user_id, current_session, now).await?;
    Ok(evaluate(&facts))
}

/// The account's facts: the user row (with the backup-code count), the live
/// sessions and the live keys, read concurrently.
pub async fn personal_facts(
    state: &AppState,
    user_id: &str,
    current_session: Option<&str>,
    now: i64,
) -> Result<CheckupFacts, AppError> {
    let idle_ms = state.config.session_idle_ms;
    let (user, live_sessions, keys) = tokio::try_join!(
        users::security_facts(&state.pool, user_id),
        sessions::list_live(&state.pool, user_id, now, idle_ms),
        store::live_key_usage(&state.pool, user_id, now),
    )?;
    let user = user.ok_or(AppError::NotFound)?;
    let sessions_without_two_factor = live_sessions
        .into_iter()
        .filter(|s| current_session != Some(s.id.as_str()))
        .filter(|s| !s.auth_method.has_second_factor())
        .map(|s| SessionFact {
            device: device_label(&s.user_agent).0,
            location: if s.location.is_empty() {
                state.locate(&s.ip)
            } else {
                s.location
            },
            last_seen_at: s.last_seen_at,
        })
        .collect();
    Ok(CheckupFacts {
        now,
        has_password: user.password_set,
        password_score: user.password_score,
        password_changed_at: user.password_changed_at,
        account_created_at: user.created_at,
        sessions_reviewed_at: user.sessions_reviewed_at,
        two_factor: user.two_factor,
        passkeys: user.passkeys,
        backup_codes_left: user.backup_codes_left,
        sessions_without_two_factor,
        keys: keys.into_iter().map(KeyFacts::from).collect(),
    })
}

impl From<KeyUsage> for KeyFacts {
    fn from(key: KeyUsage) -> KeyFacts {
        KeyFacts {
            permission: key.permission,
            name: key.name,
            created_at: key.created_at,
            expires_at: key.expires_at,
            rotated_at: key.rotated_at,
            last_used_at: key.last_used_at,
            write_used_at: key.write_used_at,
            admin_used_at: key.admin_used_at,
        }
    }
}
