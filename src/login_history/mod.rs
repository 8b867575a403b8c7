//! Security events: the kinds every feature records, shared by server and UI.

use serde::{Deserialize, Serialize};

/// What happened. Adding a kind is one line here plus its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    SignUp,
    SignIn,
    SignInFailed,
    SignOut,
    PasswordChanged,
    SessionRevoked,
    TwoFactorEnabled,
    TwoFactorDisabled,
    TwoFactorMethodChanged,
    BackupCodesRegenerated,
    BackupCodeUsed,
    TwoFactorChallengePassed,
    TwoFactorChallengeFailed,
    TwoFactorLockout,
    TotpReuseRefused,
    SmsCodeSent,
}

impl EventKind {
    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignUp => "sign_up",
            EventKind::SignIn => "sign_in",
            EventKind::SignInFailed => "sign_in_failed",
            EventKind::SignOut => "sign_out",
            EventKind::PasswordChanged => "password_changed",
            EventKind::SessionRevoked => "session_revoked",
            EventKind::TwoFactorEnabled => "two_factor_enabled",
            EventKind::TwoFactorDisabled => "two_factor_disabled",
            EventKind::TwoFactorMethodChanged => "two_factor_method_changed",
            EventKind::BackupCodesRegenerated => "backup_codes_regenerated",
            EventKind::BackupCodeUsed => "backup_code_used",
            EventKind::TwoFactorChallengePassed => "two_factor_passed",
            EventKind::TwoFactorChallengeFailed => "two_factor_failed",
            EventKind::TwoFactorLockout => "two_factor_lockout",
            EventKind::TotpReuseRefused => "totp_reuse_refused",
            EventKind::SmsCodeSent => "sms_code_sent",
        }
    }

    /// What the Login History shows.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::SignUp => "Account created",
            EventKind::SignIn => "Signed in",
            EventKind::SignInFailed => "Failed sign-in",
            EventKind::SignOut => "Signed out",
            EventKind::PasswordChanged => "Password changed",
            EventKind::SessionRevoked => "Session revoked",
            EventKind::TwoFactorEnabled => "Two-factor authentication turned on",
            EventKind::TwoFactorDisabled => "Two-factor authentication turned off",
            EventKind::TwoFactorMethodChanged => "Two-factor method changed",
            EventKind::BackupCodesRegenerated => "Backup codes regenerated",
            EventKind::BackupCodeUsed => "Backup code used",
            EventKind::TwoFactorChallengePassed => "Two-factor check passed",
            EventKind::TwoFactorChallengeFailed => "Two-factor check failed",
            EventKind::TwoFactorLockout => "Two-factor locked after failed codes",
            EventKind::TotpReuseRefused => "Reused authenticator code refused",
            EventKind::SmsCodeSent => "SMS code sent",
        }
    }

    /// Reads a stored name back; unknown names (from a newer version) are `None`.
    pub fn parse(text: &str) -> Option<EventKind> {
        ALL_KINDS.iter().copied().find(|kind| kind.as_str() == text)
    }
}

pub const ALL_KINDS: [EventKind; 16] = [
    EventKind::SignUp,
    EventKind::SignIn,
    EventKind::SignInFailed,
    EventKind::SignOut,
    EventKind::PasswordChanged,
    EventKind::SessionRevoked,
    EventKind::TwoFactorEnabled,
    EventKind::TwoFactorDisabled,
    EventKind::TwoFactorMethodChanged,
    EventKind::BackupCodesRegenerated,
    EventKind::BackupCodeUsed,
    EventKind::TwoFactorChallengePassed,
    EventKind::TwoFactorChallengeFailed,
    EventKind::TwoFactorLockout,
    EventKind::TotpReuseRefused,
    EventKind::SmsCodeSent,
];

/// Whether the attempt succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for kind in ALL_KINDS {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert!(!kind.label().is_empty());
        }
        assert_eq!(EventKind::parse("no_such_kind"), None);
    }
}
