//! The organization's security checkup, for its Owners: members without 2FA,
//! whether the organization requires 2FA of everyone, who has no passkey
//! (Owners and Admins, then everyone else), and the API keys of the whole
//! team (rotation, unused, no expiry, more permission than used), scored
//! like the personal checkup.

use super::keys::{KeyFacts, key_items};
use crate::checkup::{CheckStatus, CheckupItem, CheckupItemId as Id, SecurityCheckup};
use crate::error::AppError;
use crate::server::state::AppState;
use crate::team::server::{members_of, my_membership};
use crate::team::{Organization, Role};

/// How much each team item counts, next to the key items' own weights.
const MEMBERS_TWO_FACTOR_WEIGHT: u8 = 30;
const POLICY_WEIGHT: u8 = 12;
const ADMINS_PASSKEY_WEIGHT: u8 = 10;
const MEMBERS_PASSKEY_WEIGHT: u8 = 4;
const MEMBERS_FIX: &str = "/settings/team#members";

/// Who in the organization has no usable passkey, each as
/// "Name (email, Role)".
#[derive(Clone, Debug, Default)]
pub struct WithoutPasskey {
    /// Owners and Admins.
    pub admins: Vec<String>,
    /// Members and Viewers.
    pub members: Vec<String>,
}

/// The passkey items: Owners and Admins (whom the organization may require
/// one of), then everyone else (for whom it is a recommendation).
fn passkey_items(organization: &Organization, without: &WithoutPasskey) -> [CheckupItem; 2] {
    let admins = if without.admins.is_empty() {
        CheckupItem::new(
            Id::TeamAdminsPasskey,
            ADMINS_PASSKEY_WEIGHT,
            CheckStatus::Pass,
            "Every Owner and Admin has a passkey",
            if organization.require_passkey {
                "“Require a passkey for Owners and Admins” is on, and they all have one."
            } else {
                "The accounts that can do the most sign in with something a phishing page cannot use."
            },
        )
    } else {
        let n = without.admins.len();
        let title = if n == 1 {
            "1 Owner or Admin has no passkey".to_string()
        } else {
            format!("{n} Owners and Admins have no passkey")
        };
        let item = CheckupItem::new(
            Id::TeamAdminsPasskey,
            ADMINS_PASSKEY_WEIGHT,
            CheckStatus::Warn,
            title,
            if organization.require_passkey {
                "The policy will hold them at Settings → Authentication when their grace period ends, until they add one."
            } else {
                "Their accounts can do the most, and a phished password and code are enough to act as them. A passkey answers only this site."
            },
        )
        .affected(without.admins.clone());
        if organization.require_passkey {
            item.fix(MEMBERS_FIX, "Ask them to add one")
        } else {
            item.fix("/settings/team#policy", "Require passkeys")
        }
    };
    let members = if without.members.is_empty() {
        CheckupItem::new(
            Id::TeamMembersPasskey,
            MEMBERS_PASSKEY_WEIGHT,
            CheckStatus::Pass,
            "Every member has a passkey",
            "Members and Viewers sign in with passkeys too.",
        )
    } else {
        let title = match without.members.len() {
            1 => "1 Member or Viewer has no passkey".to_string(),
            n => format!("{n} Members and Viewers have no passkey"),
        };
        CheckupItem::new(
            Id::TeamMembersPasskey,
            MEMBERS_PASSKEY_WEIGHT,
            CheckStatus::Warn,
            title,
            "Passkeys are optional for Members and Viewers, but they sign in faster and cannot be phished.",
        )
        .affected(without.members.clone())
        .fix(MEMBERS_FIX, "Ask them to add one")
    };
    [admins, members]
}

/// The organization's items: 2FA coverage and policy, passkeys, then the
/// team's keys (named "Member: key"), whose fixes point at the member list.
pub fn team_items(
    organization: &Organization,
    without_two_factor: &[String],
    without_passkey: &WithoutPasskey,
    keys: &[KeyFacts],
    now: i64,
) -> Vec<CheckupItem> {
    let coverage = match (without_two_factor.len(), organization.requires_two_factor_for_all()) {
        (0, _) => CheckupItem::new(
            Id::TeamMembersTwoFactor,
            MEMBERS_TWO_FACTOR_WEIGHT,
            CheckStatus::Pass,
            "Every member has two-factor authentication",
            "Nobody can reach the organization with a password alone.",
        ),
        (n, required) => CheckupItem::new(
            Id::TeamMembersTwoFactor,
            MEMBERS_TWO_FACTOR_WEIGHT,
            if required {
                CheckStatus::Warn
            } else {
                CheckStatus::Fail
            },
            if n == 1 {
                "1 member has no two-factor authentication".to_string()
            } else {
                format!("{n} members have no two-factor authentication")
            },
            if required {
                "The policy will hold them at the 2FA set-up when their grace period ends; a reminder helps them do it sooner."
            } else {
                "A stolen password is enough to act as them. Remind them, or require 2FA for everyone."
            },
        )
        .affected(without_two_factor.to_vec())
        .fix(MEMBERS_FIX, "Remind them"),
    };
    let policy = if organization.requires_two_factor_for_all() {
        CheckupItem::new(
            Id::TeamTwoFactorPolicy,
            POLICY_WEIGHT,
            CheckStatus::Pass,
            "Two-factor authentication is required for everyone",
            if organization.production {
                "Production access is on: every member needs 2FA."
            } else {
                "“Require 2FA for all members” is on."
            },
        )
    } else {
        CheckupItem::new(
            Id::TeamTwoFactorPolicy,
            POLICY_WEIGHT,
            CheckStatus::Warn,
            "Two-factor authentication is optional for Members and Viewers",
            "Turn on production access or “Require 2FA for all members”, with a grace period to set it up.",
        )
        .fix("/settings/team#policy", "Require 2FA")
    };
    let mut items = vec![coverage, policy];
    items.extend(passkey_items(organization, without_passkey));
    items.extend(key_items(keys, now).into_iter().map(|item| {
        if item.passed() {
            item
        } else {
            item.fix(MEMBERS_FIX, "Ask the key owners")
        }
    }));
    items
}

/// The organization's checkup; Owners only.
pub async fn org_checkup(
    state: &AppState,
    user_id: &str,
    now: i64,
) -> Result<SecurityCheckup, AppError> {
    let membership = my_membership(state, user_id).await?;
    if membership.role != Role::Owner {
        return Err(AppError::Forbidden);
    }
    let org = &membership.organization;
    let (members, keys) = tokio::try_join!(members_of(state, &org.id, now), async {
        Ok(super::store::live_team_key_usage(&state.pool, &org.id, now).await?)
    },)?;
    let mut without = Vec::new();
    let mut without_passkey = WithoutPasskey::default();
    for member in members {
        let name = format!(
            "{} ({}, {})",
            member.name,
            member.email,
            member.role.label()
        );
        if member.passkeys == 0 {
            if member.role.covered_by_passkey_rule() {
                without_passkey.admins.push(name.clone());
            } else {
                without_passkey.members.push(name.clone());
            }
        }
        if member.two_factor_method.is_none() {
            without.push(name);
        }
    }
    let keys: Vec<KeyFacts> = keys
        .into_iter()
        .map(|(owner, key)| {
            let mut facts = KeyFacts::from(key);
            facts.name = format!("{owner}: {}", facts.name);
            facts
        })
        .collect();
    Ok(SecurityCheckup::from_items(team_items(
        org,
        &without,
        &without_passkey,
        &keys,
        now,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api_keys::Permission;

    fn org(production: bool) -> Organization {
        Organization {
            id: "o".into(),
            name: "Acme".into(),
            production,
            require_two_factor: false,
            grace_days: 7,
            policy_since: production.then_some(0),
            require_passkey: false,
            passkey_policy_since: None,
            sso_enforced: false,
            created_at: 0,
        }
    }

    fn status(items: &[CheckupItem], id: Id) -> CheckStatus {
        items
            .iter()
            .find(|item| item.id == id)
            .map(|item| item.status)
            .unwrap()
    }

    #[test]
    fn members_without_two_factor_fail_unless_the_policy_will_catch_them() {
        let none: Vec<String> = Vec::new();
        let some = vec!["Max (max@acme.test, Member)".to_string()];
        let everyone = WithoutPasskey::default();
        assert_eq!(
            status(
                &team_items(&org(false), &none, &everyone, &[], 0),
                Id::TeamMembersTwoFactor
            ),
            CheckStatus::Pass
        );
        assert_eq!(
            status(
                &team_items(&org(false), &some, &everyone, &[], 0),
                Id::TeamMembersTwoFactor
            ),
            CheckStatus::Fail
        );
        assert_eq!(
            status(
                &team_items(&org(true), &some, &everyone, &[], 0),
                Id::TeamMembersTwoFactor
            ),
            CheckStatus::Warn
        );
        assert_eq!(
            status(
                &team_items(&org(false), &none, &everyone, &[], 0),
                Id::TeamTwoFactorPolicy
            ),
            CheckStatus::Warn
        );
        assert_eq!(
            status(
                &team_items(&org(true), &none, &everyone, &[], 0),
                Id::TeamTwoFactorPolicy
            ),
            CheckStatus::Pass
        );
    }

    #[test]
    fn team_keys_are_checked_and_point_at_the_members() {
        let key = KeyFacts {
            name: "Ada: deploy".into(),
            permission: Permission::Read,
            created_at: 0,
            expires_at: None,
            rotated_at: None,
            last_used_at: None,
            write_used_at: None,
            admin_used_at: None,
        };
        let items = team_items(&org(true), &[], &WithoutPasskey::default(), &[key], 0);
        let no_expiry = items
            .iter()
            .find(|i| i.id == Id::ApiKeysWithoutExpiry)
            .unwrap();
        assert_ne!(no_expiry.status, CheckStatus::Pass);
        assert_eq!(no_expiry.fix_href, MEMBERS_FIX);
        assert!(
            no_expiry.detail.contains("Ada: deploy")
                || no_expiry.affected.iter().any(|a| a.contains("Ada: deploy"))
        );
    }

    #[test]
    fn owners_and_admins_without_a_passkey_are_named_and_the_policy_is_offered() {
        let without = WithoutPasskey {
            admins: vec!["Ada (ada@acme.test, Admin)".to_string()],
            members: vec![
                "Max (max@acme.test, Member)".to_string(),
                "Vic (vic@acme.test, Viewer)".to_string(),
            ],
        };
        let mut organization = org(false);
        let items = team_items(&organization, &[], &without, &[], 0);
        let admins = items
            .iter()
            .find(|i| i.id == Id::TeamAdminsPasskey)
            .unwrap();
        assert_eq!(admins.status, CheckStatus::Warn);
        assert_eq!(admins.title, "1 Owner or Admin has no passkey");
        assert_eq!(admins.affected, ["Ada (ada@acme.test, Admin)"]);
        assert_eq!(admins.fix_href, "/settings/team#policy");
        let members = items
            .iter()
            .find(|i| i.id == Id::TeamMembersPasskey)
            .unwrap();
        assert_eq!(members.title, "2 Members and Viewers have no passkey");
        organization.require_passkey = true;
        let items = team_items(&organization, &[], &without, &[], 0);
        assert_eq!(
            items
                .iter()
                .find(|i| i.id == Id::TeamAdminsPasskey)
                .unwrap()
                .fix_href,
            MEMBERS_FIX,
            "the policy is on: it only remains to ask them"
        );
        let all = team_items(&organization, &[], &WithoutPasskey::default(), &[], 0);
        assert_eq!(status(&all, Id::TeamAdminsPasskey), CheckStatus::Pass);
        assert_eq!(status(&all, Id::TeamMembersPasskey), CheckStatus::Pass);
    }
}
