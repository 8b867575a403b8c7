//! The strength score the checkup shows, recorded whenever a password is
//! seen in clear (sign-up, sign-in, change, reset).

use super::{Password, strength_score_off_thread};
use crate::account::CurrentUser;
use crate::server::auth::store::users;
use crate::server::state::AppState;

/// Stores the strength of a password just accepted (sign-up, change,
/// reset), as the policy scored it. Best effort: a failure is logged and
/// the checkup says "not checked yet".
pub async fn remember_score(state: &AppState, user_id: &str, score: u8) {
    if let Err(error) = users::set_password_score(&state.pool, user_id, score).await {
        tracing::warn!(error = ?error, "could not record the password score");
    }
}

/// Scores the password `user` just signed in with (off the async runtime)
/// and stores the score. Best effort, like [`remember_score`].
pub async fn remember_strength(state: &AppState, user: &CurrentUser, password: &str) {
    let scored = strength_score_off_thread(
        Password::new(password),
        user.email.clone(),
        user.name.clone(),
    )
    .await;
    match scored {
        Ok(score) => remember_score(state, &user.id, score).await,
        Err(error) => tracing::warn!(error = ?error, "could not score the password"),
    }
}
