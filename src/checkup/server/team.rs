//! The organization's security checkup, for its Owners: members without 2FA,
//! whether the organization requires 2FA of everyone, and the API keys of
//! the whole team (rotation, unused, no expiry, more permission than used),
//! scored like the personal checkup.

use super::keys::{KeyFacts, key_items};
use crate::checkup::{CheckStatus, CheckupItem, CheckupItemId as Id, SecurityCheckup};
use crate::error::AppError;
use crate::server::state::AppState;
use crate::team::server::{members_of, my_membership};
use crate::team::{Organization, Role};

/// How much each team item counts, next to the key items' own weights.
const MEMBERS_TWO_FACTOR_WEIGHT: u8 = 30;
const POLICY_WEIGHT: u8 = 12;
const MEMBERS_FIX: &str = "/settings/team#members";

/// The organization's items: 2FA coverage and policy, then the team's keys
/// (named "Member: key"), whose fixes point at the member list.
pub fn team_items(
    organization: &Organization,
    without_two_factor: &[String],
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
    let without: Vec<String> = members
        .into_iter()
        .filter(|member| member.two_factor_method.is_none())
        .map(|member| {
            format!(
                "{} ({}, {})",
                member.name,
                member.email,
                member.role.label()
            )
        })
        .collect();
    let keys: Vec<KeyFacts> = keys
        .into_iter()
        .map(|(owner, key)| {
            let mut facts = KeyFacts::from(key);
            facts.name = format!("{owner}: {}", facts.name);
            facts
        })
        .collect();
    Ok(SecurityCheckup::from_items(team_items(
        org, &without, &keys, now,
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
        assert_eq!(
            status(
                &team_items(&org(false), &none, &[], 0),
                Id::TeamMembersTwoFactor
            ),
            CheckStatus::Pass
        );
        assert_eq!(
            status(
                &team_items(&org(false), &some, &[], 0),
                Id::TeamMembersTwoFactor
            ),
            CheckStatus::Fail
        );
        assert_eq!(
            status(
                &team_items(&org(true), &some, &[], 0),
                Id::TeamMembersTwoFactor
            ),
            CheckStatus::Warn
        );
        assert_eq!(
            status(
                &team_items(&org(false), &none, &[], 0),
                Id::TeamTwoFactorPolicy
            ),
            CheckStatus::Warn
        );
        assert_eq!(
            status(
                &team_items(&org(true), &none, &[], 0),
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
        let items = team_items(&org(true), &[], &[key], 0);
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
}
