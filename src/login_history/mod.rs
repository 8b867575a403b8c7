//! Security events: the kinds every feature records, shared by server and UI,
//! and the Login History that shows them.

pub mod api;
pub mod filter;
pub mod view;

use serde::{Deserialize, Serialize};

/// What happened. Adding a kind is one line here plus its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    SignUp,
    SignIn,
    SignInFailed,
    SignOut,
    PasswordChanged,
    PasswordResetRequested,
    PasswordReset,
    EmailChangeRequested,
    EmailChanged,
    ReportedNotMe,
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
    ApiKeyCreated,
    ApiKeyRotated,
    ApiKeyRevoked,
    ApiKeyExpiredUse,
    ApiKeyPermissionDenied,
    OAuthConnected,
    OAuthDisconnected,
    OAuthSignIn,
    HistoryExported,
    OrgCreated,
    OrgMemberInvited,
    OrgInvitationRevoked,
    OrgMemberJoined,
    OrgRoleChanged,
    OrgMemberRemoved,
    OrgMemberLeft,
    OrgPolicyChanged,
    OrgTwoFactorReminder,
    ApiKeyPermissionReduced,
    OrgDeleted,
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
            EventKind::PasswordResetRequested => "password_reset_requested",
            EventKind::PasswordReset => "password_reset",
            EventKind::EmailChangeRequested => "email_change_requested",
            EventKind::EmailChanged => "email_changed",
            EventKind::ReportedNotMe => "reported_not_me",
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
            EventKind::ApiKeyCreated => "api_key_created",
            EventKind::ApiKeyRotated => "api_key_rotated",
            EventKind::ApiKeyRevoked => "api_key_revoked",
            EventKind::ApiKeyExpiredUse => "api_key_expired_use",
            EventKind::ApiKeyPermissionDenied => "api_key_permission_denied",
            EventKind::OAuthConnected => "oauth_connected",
            EventKind::OAuthDisconnected => "oauth_disconnected",
            EventKind::OAuthSignIn => "oauth_sign_in",
            EventKind::HistoryExported => "history_exported",
            EventKind::OrgCreated => "org_created",
            EventKind::OrgMemberInvited => "org_member_invited",
            EventKind::OrgInvitationRevoked => "org_invitation_revoked",
            EventKind::OrgMemberJoined => "org_member_joined",
            EventKind::OrgRoleChanged => "org_role_changed",
            EventKind::OrgMemberRemoved => "org_member_removed",
            EventKind::OrgMemberLeft => "org_member_left",
            EventKind::OrgPolicyChanged => "org_policy_changed",
            EventKind::OrgTwoFactorReminder => "org_two_factor_reminder",
            EventKind::ApiKeyPermissionReduced => "api_key_permission_reduced",
            EventKind::OrgDeleted => "org_deleted",
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
            EventKind::PasswordResetRequested => "Password reset requested",
            EventKind::PasswordReset => "Password reset",
            EventKind::EmailChangeRequested => "Email change requested",
            EventKind::EmailChanged => "Email address changed",
            EventKind::ReportedNotMe => "Reported: “This wasn't me”",
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
            EventKind::ApiKeyCreated => "API key created",
            EventKind::ApiKeyRotated => "API key rotated",
            EventKind::ApiKeyRevoked => "API key revoked",
            EventKind::ApiKeyExpiredUse => "Expired or retired API key used",
            EventKind::ApiKeyPermissionDenied => "API key refused for lack of permission",
            EventKind::OAuthConnected => "OAuth app connected",
            EventKind::OAuthDisconnected => "OAuth app disconnected",
            EventKind::OAuthSignIn => "Signed in with OAuth",
            EventKind::HistoryExported => "Login history exported",
            EventKind::OrgCreated => "Organization created",
            EventKind::OrgMemberInvited => "Member invited",
            EventKind::OrgInvitationRevoked => "Invitation revoked",
            EventKind::OrgMemberJoined => "Member joined",
            EventKind::OrgRoleChanged => "Member's role changed",
            EventKind::OrgMemberRemoved => "Member removed",
            EventKind::OrgMemberLeft => "Member left",
            EventKind::OrgPolicyChanged => "Organization policy changed",
            EventKind::OrgTwoFactorReminder => "Two-factor reminder sent",
            EventKind::ApiKeyPermissionReduced => "API key permission reduced",
            EventKind::OrgDeleted => "Organization deleted",
        }
    }

    /// The Login History filter group this kind belongs to.
    pub fn category(self) -> Category {
        use EventKind::*;
        match self {
            SignUp | SignIn | SignOut => Category::Logins,
            SignInFailed => Category::FailedAttempts,
            PasswordChanged | PasswordResetRequested | PasswordReset => Category::Password,
            EmailChangeRequested | EmailChanged => Category::Password,
            ReportedNotMe => Category::Sessions,
            TwoFactorEnabled
            | TwoFactorDisabled
            | TwoFactorMethodChanged
            | BackupCodesRegenerated
            | BackupCodeUsed
            | TwoFactorChallengePassed
            | TwoFactorChallengeFailed
            | TwoFactorLockout
            | TotpReuseRefused
            | SmsCodeSent => Category::TwoFactor,
            SessionRevoked | HistoryExported => Category::Sessions,
            ApiKeyCreated | ApiKeyRotated | ApiKeyRevoked => Category::ApiKeys,
            ApiKeyExpiredUse | ApiKeyPermissionDenied => Category::ApiKeys,
            OAuthConnected | OAuthDisconnected | OAuthSignIn => Category::OAuth,
            ApiKeyPermissionReduced => Category::ApiKeys,
            OrgCreated | OrgMemberInvited | OrgInvitationRevoked | OrgMemberJoined
            | OrgRoleChanged | OrgMemberRemoved | OrgMemberLeft | OrgPolicyChanged
            | OrgTwoFactorReminder | OrgDeleted => Category::Team,
        }
    }

    /// Reads a stored name back; unknown names (from a newer version) are `None`.
    pub fn parse(text: &str) -> Option<EventKind> {
        ALL_KINDS.iter().copied().find(|kind| kind.as_str() == text)
    }
}

pub const ALL_KINDS: [EventKind; 41] = [
    EventKind::SignUp,
    EventKind::SignIn,
    EventKind::SignInFailed,
    EventKind::SignOut,
    EventKind::PasswordChanged,
    EventKind::PasswordResetRequested,
    EventKind::PasswordReset,
    EventKind::EmailChangeRequested,
    EventKind::EmailChanged,
    EventKind::ReportedNotMe,
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
    EventKind::ApiKeyCreated,
    EventKind::ApiKeyRotated,
    EventKind::ApiKeyRevoked,
    EventKind::ApiKeyExpiredUse,
    EventKind::ApiKeyPermissionDenied,
    EventKind::OAuthConnected,
    EventKind::OAuthDisconnected,
    EventKind::OAuthSignIn,
    EventKind::HistoryExported,
    EventKind::OrgCreated,
    EventKind::OrgMemberInvited,
    EventKind::OrgInvitationRevoked,
    EventKind::OrgMemberJoined,
    EventKind::OrgRoleChanged,
    EventKind::OrgMemberRemoved,
    EventKind::OrgMemberLeft,
    EventKind::OrgPolicyChanged,
    EventKind::OrgTwoFactorReminder,
    EventKind::ApiKeyPermissionReduced,
    EventKind::OrgDeleted,
];

/// Whether the attempt succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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

    pub fn parse(text: &str) -> Option<Outcome> {
        [Outcome::Success, Outcome::Failure]
            .into_iter()
            .find(|outcome| outcome.as_str() == text)
    }
}

/// The groups the Login History filters by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Category {
    Logins,
    FailedAttempts,
    Password,
    TwoFactor,
    Sessions,
    ApiKeys,
    OAuth,
    Team,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Logins,
        Category::FailedAttempts,
        Category::Password,
        Category::TwoFactor,
        Category::Sessions,
        Category::ApiKeys,
        Category::OAuth,
        Category::Team,
    ];

    /// The stable name in URLs and in the `category` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Logins => "logins",
            Category::FailedAttempts => "failed",
            Category::Password => "password",
            Category::TwoFactor => "two_factor",
            Category::Sessions => "sessions",
            Category::ApiKeys => "api_keys",
            Category::OAuth => "oauth",
            Category::Team => "team",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Logins => "Sign-ins",
            Category::FailedAttempts => "Failed attempts",
            Category::Password => "Password",
            Category::TwoFactor => "Two-factor",
            Category::Sessions => "Sessions",
            Category::ApiKeys => "API keys",
            Category::OAuth => "OAuth",
            Category::Team => "Team",
        }
    }

    pub fn parse(text: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// One row of the Login History.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventRow {
    pub id: String,
    /// The stored kind name; `label` is what to show.
    pub kind: String,
    pub label: String,
    pub category: Option<Category>,
    pub outcome: Outcome,
    pub occurred_at: i64,
    pub ip: String,
    pub device: String,
    pub location: String,
    /// A short human summary of the structured detail (e.g. failure reason).
    pub detail: String,
}

/// Events per day for the chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayBucket {
    /// Days since the Unix epoch (UTC).
    pub day: i64,
    pub successes: i64,
    pub failures: i64,
}

/// One page of the Login History with its links and chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub filter: filter::HistoryFilter,
    pub events: Vec<EventRow>,
    /// Query strings for the "Newer" / "Older" links, when there is such a page.
    pub newer: Option<String>,
    pub older: Option<String>,
    pub chart: Vec<DayBucket>,
    /// The chart's window in Unix ms.
    pub window: (i64, i64),
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
