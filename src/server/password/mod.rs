//! Passwords: the policy every new password meets, argon2id hashing, and
//! the strength score the checkup shows, recorded whenever a password is
//! seen in clear.

pub mod hashing;
pub mod policy;

pub use hashing::{PasswordHashText, hash_password, needs_rehash, verify_password};
pub use policy::{PolicyContext, evaluate, strength_score};

use crate::account::CurrentUser;
use crate::server::auth::store::users;
use crate::server::state::AppState;
use unicode_normalization::UnicodeNormalization;

/// A password as typed, NFC-normalised. Not `Debug`-printable, not `Serialize`.
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(redacted)")
    }
}

impl Password {
    /// NFC-normalises so the same password typed on any platform hashes the same;
    /// never trims or truncates.
    pub fn new(raw: &str) -> Password {
        Password(raw.nfc().collect())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// [`strength_score`] on the blocking pool (zxcvbn takes a few milliseconds
/// on long passwords), for a password seen at sign-in.
pub async fn strength_score_off_thread(
    password: Password,
    email: String,
    name: String,
) -> anyhow::Result<u8> {
    use anyhow::Context;
    tokio::task::spawn_blocking(move || {
        strength_score(
            password.expose(),
            &PolicyContext {
                email: &email,
                name: &name,
            },
        )
    })
    .await
    .context("Failed to join the password scoring task")
}

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
