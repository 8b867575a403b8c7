//! Security events: the kinds every feature records, shared by server and UI,
//! and the Login History that shows them.

pub mod api;
pub mod filter;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// What happened. Adding a kind is one line here plus its label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
pub enum EventKind {
    #[strum(serialize = "sign_up")]
    SignUp,
    #[strum(serialize = "sign_in")]
    SignIn,
    #[strum(serialize = "sign_in_failed")]
    SignInFailed,
    #[strum(serialize = "sign_out")]
    SignOut,
    #[strum(serialize = "password_changed")]
    PasswordChanged,
    #[strum(serialize = "password_reset_requested")]
    PasswordResetRequested,
    #[strum(serialize = "password_reset")]
    PasswordReset,
    #[strum(serialize = "email_change_requested")]
    EmailChangeRequested,
    #[strum(serialize = "email_changed")]
    EmailChanged,
    #[strum(serialize = "email_change_cancelled")]
    EmailChangeCancelled,
    #[strum(serialize = "email_verified")]
    EmailVerified,
    #[strum(serialize = "reported_not_me")]
    ReportedNotMe,
    #[strum(serialize = "session_revoked")]
    SessionRevoked,
    #[strum(serialize = "two_factor_enabled")]
    TwoFactorEnabled,
    #[strum(serialize = "two_factor_disabled")]
    TwoFactorDisabled,
    #[strum(serialize = "two_factor_method_changed")]
    TwoFactorMethodChanged,
    #[strum(serialize = "backup_codes_regenerated")]
    BackupCodesRegenerated,
    #[strum(serialize = "backup_code_used")]
    BackupCodeUsed,
    #[strum(serialize = "two_factor_passed")]
    TwoFactorChallengePassed,
    #[strum(serialize = "two_factor_failed")]
    TwoFactorChallengeFailed,
    #[strum(serialize = "two_factor_lockout")]
    TwoFactorLockout,
    #[strum(serialize = "totp_reuse_refused")]
    TotpReuseRefused,
    #[strum(serialize = "sms_code_sent")]
    SmsCodeSent,
    #[strum(serialize = "api_key_created")]
    ApiKeyCreated,
    #[strum(serialize = "api_key_rotated")]
    ApiKeyRotated,
    #[strum(serialize = "api_key_revoked")]
    ApiKeyRevoked,
    #[strum(serialize = "api_key_expired_use")]
    ApiKeyExpiredUse,
    #[strum(serialize = "api_key_permission_denied")]
    ApiKeyPermissionDenied,
    #[strum(serialize = "oauth_connected")]
    OAuthConnected,
    #[strum(serialize = "oauth_disconnected")]
    OAuthDisconnected,
    #[strum(serialize = "oauth_sign_in")]
    OAuthSignIn,
    #[strum(serialize = "history_exported")]
    HistoryExported,
    #[strum(serialize = "org_created")]
    OrgCreated,
    #[strum(serialize = "org_member_invited")]
    OrgMemberInvited,
    #[strum(serialize = "org_invitation_revoked")]
    OrgInvitationRevoked,
    #[strum(serialize = "org_member_joined")]
    OrgMemberJoined,
    #[strum(serialize = "org_role_changed")]
    OrgRoleChanged,
    #[strum(serialize = "org_member_removed")]
    OrgMemberRemoved,
    #[strum(serialize = "org_member_left")]
    OrgMemberLeft,
    #[strum(serialize = "org_policy_changed")]
    OrgPolicyChanged,
    #[strum(serialize = "org_two_factor_reminder")]
    OrgTwoFactorReminder,
    #[strum(serialize = "api_key_permission_reduced")]
    ApiKeyPermissionReduced,
    #[strum(serialize = "org_deleted")]
    OrgDeleted,
    #[strum(serialize = "passkey_added")]
    PasskeyAdded,
    #[strum(serialize = "passkey_renamed")]
    PasskeyRenamed,
    #[strum(serialize = "passkey_removed")]
    PasskeyRemoved,
    #[strum(serialize = "passkey_failed")]
    PasskeyFailed,
    #[strum(serialize = "passkey_clone_suspected")]
    PasskeyCloneSuspected,
    #[strum(serialize = "sso_configured")]
    SsoConfigured,
    #[strum(serialize = "sso_tested")]
    SsoTested,
    #[strum(serialize = "sso_domain_added")]
    SsoDomainAdded,
    #[strum(serialize = "sso_domain_verified")]
    SsoDomainVerified,
    #[strum(serialize = "sso_domain_removed")]
    SsoDomainRemoved,
    #[strum(serialize = "sso_domain_lapsed")]
    SsoDomainLapsed,
    #[strum(serialize = "sso_enforcement_changed")]
    SsoEnforcementChanged,
    #[strum(serialize = "sso_session_policy_changed")]
    SsoSessionPolicyChanged,
    #[strum(serialize = "sso_sign_in")]
    SsoSignIn,
    #[strum(serialize = "sso_removed")]
    SsoRemoved,
}

crate::text_enum!(EventKind);

impl EventKind {
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
            EventKind::EmailChangeCancelled => "Email change cancelled",
            EventKind::EmailVerified => "Email address confirmed",
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
            EventKind::OAuthConnected => "Connected account added",
            EventKind::OAuthDisconnected => "Connected account removed",
            EventKind::OAuthSignIn => "Sign-in with a connected account",
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
            EventKind::PasskeyAdded => "Passkey added",
            EventKind::PasskeyRenamed => "Passkey renamed",
            EventKind::PasskeyRemoved => "Passkey removed",
            EventKind::PasskeyFailed => "Passkey sign-in refused",
            EventKind::PasskeyCloneSuspected => "Passkey refused: possibly cloned",
            EventKind::SsoConfigured => "Single sign-on settings saved",
            EventKind::SsoTested => "Single sign-on connection tested",
            EventKind::SsoDomainAdded => "Domain added for single sign-on",
            EventKind::SsoDomainVerified => "Domain verification",
            EventKind::SsoDomainRemoved => "Domain removed from single sign-on",
            EventKind::SsoDomainLapsed => "Domain no longer verified: its DNS record was gone",
            EventKind::SsoEnforcementChanged => "Single sign-on requirement changed",
            EventKind::SsoSessionPolicyChanged => "Session lifetime for members changed",
            EventKind::SsoSignIn => "Sign-in with single sign-on",
            EventKind::SsoRemoved => "Single sign-on removed",
        }
    }

    /// The Login History filter group this kind belongs to.
    pub fn category(self) -> Category {
        use EventKind::*;
        match self {
            SignUp | SignIn | SignOut => Category::Logins,
            SignInFailed => Category::FailedAttempts,
            PasswordChanged | PasswordResetRequested | PasswordReset => Category::Password,
            EmailChangeRequested | EmailChanged | EmailChangeCancelled | EmailVerified => {
                Category::Password
            }
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
            SsoConfigured
            | SsoTested
            | SsoDomainAdded
            | SsoDomainVerified
            | SsoDomainRemoved
            | SsoDomainLapsed
            | SsoEnforcementChanged
            | SsoSessionPolicyChanged
            | SsoRemoved => Category::Team,
            SsoSignIn => Category::Logins,
            PasskeyAdded
            | PasskeyRenamed
            | PasskeyRemoved
            | PasskeyFailed
            | PasskeyCloneSuspected => Category::Passkeys,
        }
    }
}

/// Whether the attempt succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
}

crate::text_enum!(Outcome);

/// The groups the Login History filters by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Category {
    #[strum(serialize = "logins")]
    Logins,
    #[strum(serialize = "failed")]
    FailedAttempts,
    #[strum(serialize = "password")]
    Password,
    #[strum(serialize = "two_factor")]
    TwoFactor,
    #[strum(serialize = "sessions")]
    Sessions,
    #[strum(serialize = "api_keys")]
    ApiKeys,
    #[strum(serialize = "oauth")]
    OAuth,
    #[strum(serialize = "team")]
    Team,
    #[strum(serialize = "passkeys")]
    Passkeys,
}

crate::text_enum!(Category);

impl Category {
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
            Category::Passkeys => "Passkeys",
        }
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
    use strum::IntoEnumIterator;

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for kind in EventKind::iter() {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
            assert!(!kind.label().is_empty());
        }
        assert!("no_such_kind".parse::<EventKind>().is_err());
    }
}
