//! The organization's security policy on the server: who must have 2FA and
//! from when (the gate every page and server function passes), the policy
//! settings, 2FA reminders, and API keys capped by role.

use crate::account::CurrentUser;
use crate::api_keys::Permission;
use crate::error::AppError;
use crate::login_history::{EventKind, Outcome};
use crate::server::mail::compose::{self, LinkMail};
use crate::server::state::AppState;
use crate::server::store::api_keys::{self, ChangedKey};
use crate::server::store::events::ClientMeta;
use crate::server::store::orgs::{self, Membership};
use crate::team::{Organization, REMINDER_INTERVAL_MS, Role, TwoFactorRequirement};
use crate::time::now_ms;
use sqlx::{Any, Transaction};

/// Server functions a member held at the 2FA gate may still call: setting up
/// 2FA, reading who they are and what is required, and signing out.
pub const ALLOWED_AT_TWO_FACTOR_GATE: [&str; 9] = [
    "current_user",
    "two_factor_requirement",
    "two_factor_status",
    "start_two_factor_enrolment",
    "resend_two_factor_enrolment_sms",
    "confirm_two_factor_enrolment",
    "cancel_two_factor_enrolment",
    "send_sudo_sms",
    "sign_out",
];

/// The requirement the page guard already worked out for this request, so
/// the page's own banner does not ask the database again.
#[derive(Clone, Debug)]
pub struct ResolvedRequirement(pub TwoFactorRequirement);

/// What the 2FA rule means for a member right now.
pub fn requirement_for(membership: &Membership, now: i64) -> TwoFactorRequirement {
    let org = &membership.organization;
    if membership.two_factor_on {
        return TwoFactorRequirement::None;
    }
    if membership.role.requires_two_factor() {
        return TwoFactorRequirement::Enforced {
            organization: org.name.clone(),
            reason: format!(
                "As {} of {}, you need two-factor authentication.",
                membership.role.label(),
                org.name
            ),
        };
    }
    if !org.requires_two_factor_for_all() {
        return TwoFactorRequirement::None;
    }
    let deadline = org.grace_deadline_for(membership.joined_at);
    if now < deadline {
        TwoFactorRequirement::Grace {
            organization: org.name.clone(),
            deadline,
        }
    } else {
        let why = if org.production {
            "has production access"
        } else {
            "requires it for every member"
        };
        TwoFactorRequirement::Enforced {
            organization: org.name.clone(),
            reason: format!(
                "{} {why}: every member needs two-factor authentication, and the grace period is over.",
                org.name
            ),
        }
    }
}

impl AppState {
    /// Whether the user's organization requires 2FA of them, and from when.
    pub async fn two_factor_requirement(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<TwoFactorRequirement, AppError> {
        Ok(orgs::membership(&self.pool, user_id)
            .await?
            .map(|membership| requirement_for(&membership, now))
            .unwrap_or(TwoFactorRequirement::None))
    }

    /// Refuses to turn 2FA off for an Owner or Admin, or for a member of an
    /// organization that requires it.
    pub async fn check_may_turn_off_two_factor(&self, user_id: &str) -> Result<(), AppError> {
        let Some(membership) = orgs::membership(&self.pool, user_id).await? else {
            return Ok(());
        };
        let org = &membership.organization;
        if membership.role.requires_two_factor() {
            return Err(AppError::validation(
                "two_factor",
                format!(
                    "You are {} of {}, and Owners and Admins need two-factor authentication. Hand the role over before you turn it off.",
                    membership.role.label(),
                    org.name
                ),
            ));
        }
        if org.requires_two_factor_for_all() {
            return Err(AppError::validation(
                "two_factor",
                format!(
                    "{} requires two-factor authentication for every member, so it cannot be turned off.",
                    org.name
                ),
            ));
        }
        Ok(())
    }

    /// Changes the organization's name and 2FA policy (Owners only). Turning
    /// production or "require 2FA" on starts the grace period now.
    #[tracing::instrument(skip(self, actor, client), fields(actor = %actor.id))]
    pub async fn update_org_policy(
        &self,
        actor: &CurrentUser,
        wanted: OrgPolicy,
        client: &ClientMeta,
    ) -> Result<(), AppError> {
        let membership = self.my_membership(&actor.id).await?;
        if membership.role != Role::Owner {
            return Err(AppError::Forbidden);
        }
        let before = membership.organization;
        let now = now_ms();
        let was_on = before.requires_two_factor_for_all();
        let mut after = Organization {
            name: wanted.name,
            production: wanted.production,
            require_two_factor: wanted.require_two_factor,
            grace_days: wanted.grace_days,
            ..before.clone()
        };
        after.policy_since = match (was_on, after.requires_two_factor_for_all()) {
            (false, true) => Some(now),
            (true, true) => before.policy_since,
            (_, false) => None,
        };
        if after == before {
            return Ok(());
        }
        orgs::update_policy(&self.pool, &after).await?;
        let mut changes = serde_json::Map::new();
        if after.name != before.name {
            changes.insert("name".into(), after.name.clone().into());
        }
        if after.production != before.production {
            changes.insert("production".into(), after.production.into());
        }
        if after.require_two_factor != before.require_two_factor {
            changes.insert("require_2fa".into(), after.require_two_factor.into());
        }
        if after.grace_days != before.grace_days {
            changes.insert("grace_days".into(), after.grace_days.into());
        }
        self.record_team_event(
            &actor.id,
            &after.id,
            EventKind::OrgPolicyChanged,
            client,
            serde_json::Value::Object(changes),
        )
        .await
    }

    /// Mails members without 2FA a reminder (all of them, or the one given),
    /// at most once a day each; returns how many were reminded.
    #[tracing::instrument(skip(self, actor, client), fields(actor = %actor.id))]
    pub async fn remind_about_two_factor(
        &self,
        actor: &CurrentUser,
        only: Option<&str>,
        client: &ClientMeta,
    ) -> Result<usize, AppError> {
        let membership = self.managing_membership(&actor.id).await?;
        let org = &membership.organization;
        let now = now_ms();
        let members = orgs::members(&self.pool, &org.id, now).await?;
        if let Some(only) = only
            && !members.iter().any(|member| member.user_id == only)
        {
            return Err(AppError::NotFound);
        }
        let mut reminded = 0;
        for member in members.iter().filter(|member| {
            member.two_factor_method.is_none() && only.is_none_or(|only| only == member.user_id)
        }) {
            if !orgs::claim_reminder(
                &self.pool,
                &org.id,
                &member.user_id,
                now,
                REMINDER_INTERVAL_MS,
            )
            .await?
            {
                continue;
            }
            let deadline = if org.requires_two_factor_for_all() {
                format!(
                    "{} requires it: set it up before {}.",
                    org.name,
                    crate::time::utc_datetime(org.grace_deadline_for(member.joined_at))
                )
            } else {
                "It takes two minutes with an authenticator app.".to_string()
            };
            let mail = compose::link_mail(&LinkMail {
                to: member.email.clone(),
                recipient_name: member.name.clone(),
                subject: format!("Set up two-factor authentication for {}", org.name),
                intro: format!(
                    "{} asks you to turn on two-factor authentication for your {} account in {}.",
                    actor.name,
                    compose::PRODUCT,
                    org.name
                ),
                button: "Set up two-factor authentication".into(),
                url: format!(
                    "{}/settings/security#two-factor",
                    self.config.public_url.origin
                ),
                expiry: deadline,
                footer: "An authenticator app (recommended) or SMS, plus backup codes.".into(),
            });
            self.enqueue_mail(&mail, None).await?;
            self.record_team_event(
                &actor.id,
                &org.id,
                EventKind::OrgTwoFactorReminder,
                client,
                serde_json::json!({"member": member.email}),
            )
            .await?;
            reminded += 1;
        }
        if reminded == 0 && only.is_some() {
            return Err(AppError::validation(
                "user_id",
                "That member has 2FA on already, or was reminded in the last 24 hours.",
            ));
        }
        Ok(reminded)
    }

    /// Refuses a key permission above what the user's role allows.
    pub async fn check_key_permission(
        &self,
        user_id: &str,
        permission: Permission,
    ) -> Result<(), AppError> {
        let Some(membership) = orgs::membership(&self.pool, user_id).await? else {
            return Ok(());
        };
        let cap = membership.role.key_permission_cap();
        if permission <= cap {
            Ok(())
        } else {
            Err(AppError::validation(
                "permission",
                format!(
                    "As {} of {}, you can create {} keys at most.",
                    membership.role.label(),
                    membership.organization.name,
                    cap.label()
                ),
            ))
        }
    }

    /// Lowers the user's keys to what `role` allows, inside a team change.
    pub async fn cap_keys_in(
        &self,
        tx: &mut Transaction<'static, Any>,
        user_id: &str,
        role: Role,
    ) -> anyhow::Result<Vec<ChangedKey>> {
        api_keys::reduce_to_cap(tx, user_id, role.key_permission_cap()).await
    }

    /// Records, in the key owner's history and the organization's, the keys a
    /// team change lowered (`role` is the new role) or revoked (`None`).
    pub async fn record_key_changes(
        &self,
        owner_id: &str,
        org_id: &str,
        keys: &[ChangedKey],
        role: Option<Role>,
        client: &ClientMeta,
    ) -> Result<(), AppError> {
        for key in keys {
            let (kind, detail) = match role {
                Some(role) => (
                    EventKind::ApiKeyPermissionReduced,
                    serde_json::json!({
                        "key_id": key.id,
                        "name": key.name,
                        "from": key.permission,
                        "to": role.key_permission_cap().as_str(),
                        "reason": format!("role changed to {}", role.label()),
                    }),
                ),
                None => (
                    EventKind::ApiKeyRevoked,
                    serde_json::json!({
                        "key_id": key.id,
                        "name": key.name,
                        "reason": "left the organization",
                    }),
                ),
            };
            self.record_event_in(
                Some(owner_id),
                Some(org_id),
                kind,
                Outcome::Success,
                client,
                detail,
            )
            .await?;
        }
        Ok(())
    }
}

/// An owner's choice of name and 2FA policy.
#[derive(Clone, Debug)]
pub struct OrgPolicy {
    pub name: String,
    pub production: bool,
    pub require_two_factor: bool,
    pub grace_days: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn membership(role: Role, production: bool, two_factor_on: bool) -> Membership {
        Membership {
            organization: Organization {
                id: "o".into(),
                name: "Acme".into(),
                production,
                require_two_factor: false,
                grace_days: 2,
                policy_since: production.then_some(1_000),
                created_at: 0,
            },
            role,
            joined_at: 500,
            two_factor_on,
        }
    }

    const DAY: i64 = 24 * 60 * 60 * 1000;

    #[test]
    fn owners_and_admins_without_two_factor_are_held_at_once() {
        for role in [Role::Owner, Role::Admin] {
            assert!(matches!(
                requirement_for(&membership(role, false, false), 0),
                TwoFactorRequirement::Enforced { .. }
            ));
            assert_eq!(
                requirement_for(&membership(role, false, true), 0),
                TwoFactorRequirement::None
            );
        }
    }

    #[test]
    fn members_of_production_organizations_get_the_grace_period_then_the_gate() {
        let member = membership(Role::Member, true, false);
        assert_eq!(
            requirement_for(&member, 1_000 + 2 * DAY - 1),
            TwoFactorRequirement::Grace {
                organization: "Acme".into(),
                deadline: 1_000 + 2 * DAY
            }
        );
        assert!(matches!(
            requirement_for(&member, 1_000 + 2 * DAY),
            TwoFactorRequirement::Enforced { .. }
        ));
        assert_eq!(
            requirement_for(&membership(Role::Viewer, false, false), 10 * DAY),
            TwoFactorRequirement::None
        );
        assert_eq!(
            requirement_for(&membership(Role::Viewer, true, true), 10 * DAY),
            TwoFactorRequirement::None
        );
    }
}
