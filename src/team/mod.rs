//! Teams: an organization with Owners, Admins, Members and Viewers, invitations
//! by email, and the organization's 2FA policy (production access, "require
//! 2FA for all" with a grace period, "require a passkey for Owners and
//! Admins"). Shared by the Team page, the invitation page and their server
//! functions.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use crate::api_keys::Permission;
use crate::time::DAY_MS;
use serde::{Deserialize, Serialize};

/// How long an invitation link works.
pub const INVITATION_TTL_MS: i64 = 7 * DAY_MS;
/// The longest grace period an owner can give members to set up 2FA.
pub const MAX_GRACE_DAYS: i64 = 14;
/// An organization's name, in characters.
pub const ORG_NAME_MAX_CHARS: usize = 80;
/// Where a member held at the 2FA gate is sent: the set-up and nothing else.
pub const TWO_FACTOR_SETUP_PATH: &str = "/two-factor-setup";
/// Where an Owner or Admin held at the passkey gate is sent: the page that
/// adds one.
pub const PASSKEY_SETUP_PATH: &str = "/settings/authentication";
/// A member is reminded about 2FA at most this often.
pub const REMINDER_INTERVAL_MS: i64 = DAY_MS;

/// A member's role; each includes what the ones below it may do.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize
)]
#[derive(strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
#[serde(rename_all = "lowercase")]
#[strum(serialize_all = "snake_case")]
pub enum Role {
    Viewer,
    Member,
    Admin,
    Owner,
}

crate::text_enum!(Role);

impl Role {
    /// What the UI calls it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Owner => "Owner",
            Role::Admin => "Admin",
            Role::Member => "Member",
            Role::Viewer => "Viewer",
        }
    }

    /// What the role may do, in a sentence.
    pub fn description(self) -> &'static str {
        match self {
            Role::Owner => "Everything, including the organization's policy and other owners.",
            Role::Admin => "Invites and manages members, sees the team's security events.",
            Role::Member => "Works with the status pages; Read/Write API keys.",
            Role::Viewer => "Reads only; Read-only API keys.",
        }
    }

    /// Owners and Admins must have two-factor authentication.
    pub fn requires_two_factor(self) -> bool {
        self >= Role::Admin
    }

    /// Whether the organization's "require a passkey" rule covers this role:
    /// Owners and Admins.
    pub fn covered_by_passkey_rule(self) -> bool {
        self >= Role::Admin
    }

    /// Whether this role manages the team (invitations, roles, removals, events).
    pub fn manages_team(self) -> bool {
        self >= Role::Admin
    }

    /// Whether someone with this role may change or remove a member holding
    /// `target`, or grant `target`: only Owners touch Owners.
    pub fn may_manage(self, target: Role) -> bool {
        match self {
            Role::Owner => true,
            Role::Admin => target != Role::Owner,
            Role::Member | Role::Viewer => false,
        }
    }

    /// The most an API key created by someone with this role may do.
    pub fn key_permission_cap(self) -> Permission {
        match self {
            Role::Viewer => Permission::Read,
            Role::Member => Permission::Write,
            Role::Admin | Role::Owner => Permission::Admin,
        }
    }
}

/// The organization as its members see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub id: String,
    pub name: String,
    /// Production access: every member needs 2FA.
    pub production: bool,
    pub require_two_factor: bool,
    pub grace_days: i64,
    /// When the 2FA rule took effect; `None` while neither setting is on.
    pub policy_since: Option<i64>,
    /// Owners and Admins need a passkey (after the grace period).
    pub require_passkey: bool,
    /// When the passkey rule took effect; `None` while it is off.
    pub passkey_policy_since: Option<i64>,
    /// Members on its verified domains must sign in through its SSO.
    pub sso_enforced: bool,
    pub created_at: i64,
}

impl Organization {
    /// Whether every member needs 2FA (after the grace period).
    pub fn requires_two_factor_for_all(&self) -> bool {
        self.production || self.require_two_factor
    }

    /// When a member who joined at `joined_at` must have 2FA under this
    /// organization's rule (meaningful while the rule is on).
    pub fn grace_deadline_for(&self, joined_at: i64) -> i64 {
        grace_deadline(
            self.policy_since.unwrap_or(self.created_at),
            joined_at,
            self.grace_days,
        )
    }

    /// When an Owner or Admin who joined at `joined_at` must have a passkey
    /// under the passkey rule (meaningful while it is on): the same grace
    /// period as the 2FA rule, from when the passkey rule took effect.
    pub fn passkey_deadline_for(&self, joined_at: i64) -> i64 {
        grace_deadline(
            self.passkey_policy_since.unwrap_or(self.created_at),
            joined_at,
            self.grace_days,
        )
    }
}

/// A membership with its organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub organization: Organization,
    pub role: Role,
    pub joined_at: i64,
    /// Whether the member has two-factor authentication on.
    pub two_factor_on: bool,
    /// Whether the member has a usable passkey (one not flagged as cloned).
    pub has_passkey: bool,
}

/// One member on the Team page. Two-factor status and activity are shown to
/// Owners and Admins only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub joined_at: i64,
    /// The member's 2FA; `None` when hidden from the caller.
    pub two_factor: Option<MemberTwoFactor>,
    pub last_active: Option<i64>,
    /// When the member was last reminded to set up 2FA.
    pub reminded_at: Option<i64>,
    pub is_me: bool,
}

/// Whether a member has two-factor authentication, and which method.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberTwoFactor {
    Off,
    /// "Authenticator app" or "SMS".
    On(String),
}

/// A pending invitation, for Owners and Admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub id: String,
    pub email: String,
    pub role: Role,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The Team page: the caller's organization, their role, the members and,
/// for Owners and Admins, the pending invitations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub organization: Organization,
    pub my_role: Role,
    /// The caller's own second factor, for the sudo prompt of deleting.
    pub my_sudo_factor: crate::two_factor::SudoFactor,
    pub members: Vec<MemberRow>,
    pub invitations: Vec<InvitationRow>,
}

/// What an invitation link offers, shown before it is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationPreview {
    pub organization: String,
    pub role: Role,
    pub invited_by: String,
    pub expires_at: i64,
    /// Whether the signed-in account (if any) is the one invited.
    pub for_signed_in_account: Option<bool>,
    /// The address the invitation went to, shown only to that account or to nobody.
    pub email_hint: String,
}

/// Whether the organization's 2FA rule applies to the caller, and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TwoFactorRequirement {
    /// No rule applies, or 2FA is already on.
    None,
    /// 2FA must be set up before `deadline` (Unix ms).
    Grace { organization: String, deadline: i64 },
    /// Nothing but the 2FA set-up is allowed until it is on.
    Enforced {
        organization: String,
        reason: String,
    },
}

/// Whether the organization's passkey rule applies to the caller (an Owner
/// or Admin of an organization that requires one), and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PasskeyRequirement {
    /// No rule applies, or the caller has a passkey already.
    None,
    /// A passkey must be added before `deadline` (Unix ms).
    Grace { organization: String, deadline: i64 },
    /// Nothing but adding a passkey is allowed until there is one.
    Enforced {
        organization: String,
        reason: String,
    },
}

/// The grace period's end for a member who joined at `joined_at` of an
/// organization whose rule took effect at `policy_since`.
pub fn grace_deadline(policy_since: i64, joined_at: i64, grace_days: i64) -> i64 {
    policy_since.max(joined_at) + grace_days.clamp(0, MAX_GRACE_DAYS) * DAY_MS
}

/// A trimmed organization name, or why it is refused.
pub fn clean_org_name(name: &str) -> Result<String, &'static str> {
    let name = name.trim();
    if name.is_empty() {
        Err("Enter the organization's name.")
    } else if name.chars().count() > ORG_NAME_MAX_CHARS {
        Err("Use at most 80 characters for the name.")
    } else if name.chars().any(char::is_control) {
        Err("The name cannot contain control characters.")
    } else {
        Ok(name.to_string())
    }
}

/// A grace period from a form field, 0 to 14 days.
pub fn parse_grace_days(text: &str) -> Result<i64, &'static str> {
    match text.trim().parse::<i64>() {
        Ok(days) if (0..=MAX_GRACE_DAYS).contains(&days) => Ok(days),
        _ => Err("Choose a grace period from 0 to 14 days."),
    }
}

/// "2d 3h 14m" / "3h 14m 05s" / "14m 05s" for a countdown of `ms`.
pub fn countdown_text(ms: i64) -> String {
    let total = ms.max(0) / 1000;
    let (days, hours, minutes, seconds) = (
        total / 86_400,
        total % 86_400 / 3600,
        total % 3600 / 60,
        total % 60,
    );
    if days > 0 {
        format!("{days}d {hours}h {minutes}m")
    } else if hours > 0 {
        format!("{hours}h {minutes}m {seconds:02}s")
    } else {
        format!("{minutes}m {seconds:02}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn roles_round_trip_and_order() {
        for role in Role::iter() {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
        }
        assert_eq!(("Owner").parse::<Role>().ok(), None);
        assert_eq!(("superuser").parse::<Role>().ok(), None);
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Member);
        assert!(Role::Member > Role::Viewer);
    }

    #[test]
    fn only_owners_and_admins_need_two_factor_and_manage() {
        assert!(Role::Owner.requires_two_factor() && Role::Admin.requires_two_factor());
        assert!(!Role::Member.requires_two_factor() && !Role::Viewer.requires_two_factor());
        assert!(Role::Admin.manages_team() && !Role::Member.manages_team());
    }

    #[test]
    fn the_passkey_rule_covers_owners_and_admins_only() {
        assert!(Role::Owner.covered_by_passkey_rule() && Role::Admin.covered_by_passkey_rule());
        assert!(!Role::Member.covered_by_passkey_rule());
        assert!(!Role::Viewer.covered_by_passkey_rule());
    }

    #[test]
    fn admins_cannot_touch_owners() {
        assert!(Role::Owner.may_manage(Role::Owner));
        assert!(Role::Admin.may_manage(Role::Admin));
        assert!(!Role::Admin.may_manage(Role::Owner));
        assert!(!Role::Member.may_manage(Role::Viewer));
        assert!(!Role::Viewer.may_manage(Role::Viewer));
    }

    #[test]
    fn key_permission_is_capped_by_role() {
        assert_eq!(Role::Viewer.key_permission_cap(), Permission::Read);
        assert_eq!(Role::Member.key_permission_cap(), Permission::Write);
        assert_eq!(Role::Admin.key_permission_cap(), Permission::Admin);
        assert_eq!(Role::Owner.key_permission_cap(), Permission::Admin);
    }

    #[test]
    fn grace_starts_at_the_later_of_policy_and_joining() {
        assert_eq!(grace_deadline(1_000, 500, 0), 1_000);
        assert_eq!(grace_deadline(1_000, 5_000, 1), 5_000 + DAY_MS);
        assert_eq!(grace_deadline(0, 0, 99), 14 * DAY_MS);
    }

    #[test]
    fn names_and_grace_days_are_checked() {
        assert_eq!(clean_org_name("  Acme  "), Ok("Acme".into()));
        assert!(clean_org_name("   ").is_err());
        assert!(clean_org_name(&"x".repeat(81)).is_err());
        assert!(clean_org_name("a\u{0}b").is_err());
        assert_eq!(parse_grace_days("0"), Ok(0));
        assert_eq!(parse_grace_days(" 14 "), Ok(14));
        for bad in ["15", "-1", "", "7.5", "seven", "99999999999999999999"] {
            assert!(parse_grace_days(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn countdowns_read_naturally() {
        assert_eq!(countdown_text(0), "0m 00s");
        assert_eq!(countdown_text(-5), "0m 00s");
        assert_eq!(countdown_text(65_000), "1m 05s");
        assert_eq!(countdown_text(3_725_000), "1h 2m 05s");
        assert_eq!(
            countdown_text(2 * DAY_MS + 3_600_000 * 3 + 60_000 * 14),
            "2d 3h 14m"
        );
    }
}
