//! The organization's 2FA gate: whether its rule holds a member at the
//! set-up (every page and server function checks), who may turn 2FA off,
//! and the API-key permission each role allows.

use super::store as orgs;
use crate::api_keys::Permission;
use crate::error::AppError;
use crate::server::state::AppState;
use crate::team::{Membership, TwoFactorRequirement};

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

/// Whether the user's organization requires 2FA of them, and from when.
pub async fn two_factor_requirement(
    state: &AppState,
    user_id: &str,
    now: i64,
) -> Result<TwoFactorRequirement, AppError> {
    Ok(orgs::membership(&state.pool, user_id)
        .await?
        .map(|membership| requirement_for(&membership, now))
        .unwrap_or(TwoFactorRequirement::None))
}

/// Refuses to turn 2FA off for an Owner or Admin, or for a member of an
/// organization that requires it.
pub async fn check_may_turn_off_two_factor(
    state: &AppState,
    user_id: &str,
) -> Result<(), AppError> {
    let Some(membership) = orgs::membership(&state.pool, user_id).await? else {
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

/// Refuses a key permission above what the user's role allows.
pub async fn check_key_permission(
    state: &AppState,
    user_id: &str,
    permission: Permission,
) -> Result<(), AppError> {
    let Some(membership) = orgs::membership(&state.pool, user_id).await? else {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::{Organization, Role};

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
