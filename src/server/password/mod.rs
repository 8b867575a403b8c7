//! Passwords: the policy every new password meets, argon2id hashing, and
//! the strength score the checkup shows, recorded whenever a password is
//! seen in clear.

pub mod gate;
pub mod hashing;
pub mod policy;
pub mod score;

use unicode_normalization::UnicodeNormalization;

pub use hashing::{
    PasswordHashText, hash_password, needs_rehash, verify_password, verify_password_in,
};
pub use policy::{PolicyContext, evaluate, strength_score};

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
