//! The checkup's password items: strength (zxcvbn, seen only in clear)
//! and age; an account without a password passes both.

use crate::checkup::{CheckStatus, CheckupItem, CheckupItemId as Id, weight};
use crate::time::{DAY_MS, relative_phrase};

/// Past this age the password item suggests a change if it may be reused.
pub const PASSWORD_AGE_WARN_MS: i64 = 365 * DAY_MS;
/// zxcvbn scores below this fail (the sign-up policy's floor).
pub const STRONG_PASSWORD_SCORE: u8 = 3;

/// The password items of an account without a password: it signs in
/// through a connected account, so no password can be guessed or reused.
pub(super) fn no_password() -> Vec<CheckupItem> {
    vec![
        CheckupItem::new(
            Id::PasswordStrength,
            weight::PASSWORD_STRENGTH,
            CheckStatus::Pass,
            "No password to guess",
            "You sign in with a connected account. If you set a password later, make it a long passphrase you use nowhere else.",
        ),
        CheckupItem::new(
            Id::PasswordAge,
            weight::PASSWORD_AGE,
            CheckStatus::Pass,
            "No password to reuse",
            "Without a password nothing of yours can be reused from another site.",
        ),
    ]
}

pub(super) fn password_strength(score: Option<u8>) -> CheckupItem {
    let (status, title, detail) = match score {
        None => (
            CheckStatus::Warn,
            "Password strength not checked yet",
            "We check your password's strength only when you type it. Sign in again, or change your password, to check it.",
        ),
        Some(score) if score < STRONG_PASSWORD_SCORE => (
            CheckStatus::Fail,
            "Your password is easy to guess",
            "Choose a long passphrase you use nowhere else, ideally from a password manager.",
        ),
        Some(4) => (
            CheckStatus::Pass,
            "Strong password",
            "Your password is very hard to guess.",
        ),
        Some(_) => (
            CheckStatus::Pass,
            "Strong password",
            "Your password is hard to guess.",
        ),
    };
    CheckupItem::new(
        Id::PasswordStrength,
        weight::PASSWORD_STRENGTH,
        status,
        title,
        detail,
    )
    .fix("#password", "Change password")
}

pub(super) fn password_age(changed_at: i64, now: i64) -> CheckupItem {
    let when = relative_phrase(changed_at, now);
    if now - changed_at > PASSWORD_AGE_WARN_MS {
        CheckupItem::new(
            Id::PasswordAge,
            weight::PASSWORD_AGE,
            CheckStatus::Warn,
            "Your password is over a year old",
            format!(
                "Last changed {when}. A strong, unique password doesn't need changing on a schedule, but if you have used it anywhere else or it may have been exposed, change it now."
            ),
        )
        .fix("#password", "Change password")
    } else {
        CheckupItem::new(
            Id::PasswordAge,
            weight::PASSWORD_AGE,
            CheckStatus::Pass,
            "Password changed within the last year",
            format!("Last changed {when}."),
        )
    }
}
