//! Two-factor authentication: the types the server functions and the views share.

pub mod api;
pub mod phone;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// A second factor a user can turn on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum Method {
    Totp,
    Sms,
    /// The account's passkeys (after the password), with backup codes.
    Passkey,
}

crate::text_enum!(Method);

impl Method {
    /// What the UI calls it.
    pub fn label(self) -> &'static str {
        match self {
            Method::Totp => "Authenticator app",
            Method::Sms => "SMS",
            Method::Passkey => "Passkey",
        }
    }

    /// The label of the field where its code is typed.
    pub fn code_label(self) -> &'static str {
        match self {
            Method::Totp => "Code from your authenticator app",
            Method::Sms => "Code from the text message",
            // A passkey answers no code: the only code that fits is a backup code.
            Method::Passkey => "Backup code",
        }
    }
}

/// What confirming a sensitive action (sudo mode) can ask of the user: the
/// password and the active method's code, or one of the account's passkeys.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SudoFactor {
    /// The active second factor, `None` while 2FA is off.
    pub method: Option<Method>,
    /// Whether the account has a passkey that can confirm instead.
    pub passkey: bool,
    /// The account has no password (made from a sign-in provider): the
    /// prompt says how to set one instead of asking for it.
    pub passwordless: bool,
}

impl From<Option<Method>> for SudoFactor {
    /// A second factor alone, no passkey offered.
    fn from(method: Option<Method>) -> SudoFactor {
        SudoFactor {
            method,
            passkey: false,
            passwordless: false,
        }
    }
}

/// At or below this many unused backup codes the page warns.
pub const LOW_BACKUP_CODES: i64 = 3;
/// Seconds between two SMS sends for the same purpose.
pub const SMS_RESEND_SECS: i64 = 60;
/// Minutes an SMS code stays valid.
pub const SMS_CODE_MINUTES: i64 = 10;

/// The Two-Factor section's state for the signed-in user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    pub enabled: Option<EnabledFactor>,
    pub pending: Option<PendingEnrolment>,
    /// Sensitive actions would ask for the password (and a code) first.
    pub needs_sudo: bool,
    /// Passkeys that can serve as the second factor.
    pub passkeys: i64,
    /// The account has no password to confirm with (see [`SudoFactor`]).
    pub passwordless: bool,
    /// The backup codes of a set-up confirmed by a form posted without the
    /// Wasm, shown on the page it led to; this once only.
    pub revealed_backup_codes: Option<Vec<String>>,
}

/// The active second factor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnabledFactor {
    pub method: Method,
    pub since: i64,
    /// Masked, e.g. "•••• 0123".
    pub phone: Option<String>,
    pub backup_codes_left: i64,
}

/// An enrolment the user started and has not verified yet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingEnrolment {
    pub method: Method,
    /// Authenticator app only: the QR code as inline SVG and the key to type in.
    pub qr_svg: Option<String>,
    pub manual_key: Option<String>,
    /// SMS only: where the code went (masked) and when another may be sent.
    pub phone: Option<String>,
    pub resend_in_secs: i64,
}

/// What the sign-in challenge page shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChallengeInfo {
    pub email: String,
    pub method: Method,
    pub phone: Option<String>,
    pub expires_in_secs: i64,
    /// SMS only: 0 when a code may be sent now.
    pub resend_in_secs: i64,
    pub sms_sent: bool,
    /// The account has a passkey: offered first, instead of a code.
    pub passkey: bool,
}

/// A code the user typed, by its shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeInput {
    /// Six ASCII digits: from the authenticator app or an SMS.
    Digits(String),
    /// Ten characters of the backup-code alphabet, lowercased, separators removed.
    Backup(String),
}

const BACKUP_ALPHABET: &str = "23456789abcdefghjkmnpqrstuvwxyz";
const CODE_INPUT_MAX_CHARS: usize = 32;

/// Reads a typed code: six digits, or a backup code (case and `-`/space
/// separators ignored). Anything else is refused with a message saying what fits.
pub fn classify_code(input: &str) -> Result<CodeInput, &'static str> {
    const SHAPE: &str = "Enter the 6-digit code, or a 10-character backup code.";
    if input.chars().count() > CODE_INPUT_MAX_CHARS {
        return Err(SHAPE);
    }
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\t'))
        .collect();
    if compact.is_empty() {
        return Err("Enter a code.");
    }
    if compact.len() == 6 && compact.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(CodeInput::Digits(compact));
    }
    let lower = compact.to_ascii_lowercase();
    if lower.len() == 10 && lower.chars().all(|c| BACKUP_ALPHABET.contains(c)) {
        return Ok(CodeInput::Backup(lower));
    }
    Err(SHAPE)
}

/// Reads a six-digit code only (enrolment, where backup codes do not apply).
pub fn six_digits(input: &str) -> Result<String, &'static str> {
    match classify_code(input) {
        Ok(CodeInput::Digits(code)) => Ok(code),
        _ => Err("Enter the 6-digit code."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_digits_and_backup_codes_are_told_apart() {
        assert_eq!(
            classify_code(" 123 456 "),
            Ok(CodeInput::Digits("123456".into()))
        );
        assert_eq!(
            classify_code("ABCDE-FGHJK"),
            Ok(CodeInput::Backup("abcdefghjk".into()))
        );
    }

    #[test]
    fn malformed_codes_are_refused() {
        let long = "1".repeat(10_000);
        for bad in [
            "",
            "12345",
            "1234567",
            "12345a",
            "١٢٣٤٥٦",
            "１２３４５６",
            "abcde-fghj1",
            &long,
            "abcdefghjkm",
            "0bcdefghjk",
        ] {
            assert!(classify_code(bad).is_err(), "{bad:?}");
        }
        assert!(six_digits("abcdefghjk").is_err());
        assert_eq!(six_digits("000000"), Ok("000000".into()));
    }

    #[test]
    fn methods_round_trip() {
        for method in [Method::Totp, Method::Sms, Method::Passkey] {
            assert_eq!(method.as_str().parse::<Method>().ok(), Some(method));
        }
        assert_eq!(("email").parse::<Method>().ok(), None);
    }
}
