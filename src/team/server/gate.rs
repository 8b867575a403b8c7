//! The organization's 2FA gate: whether its rule holds a member at the
//! set-up (every page and server function checks), who may turn 2FA off,
//! and the API-key permission each role allows. The passkey rule's gate is
//! passkey_gate.rs.

use super::store as orgs;
use crate::api_keys::Permission;
use crate::error::AppError;
use crate::server::state::AppState;
use crate::team::{Membership, TwoFactorRequirement};
use sqlx::{Any, Transaction};

/// Server functions a member held at the 2FA gate may still call: setting up
/// 2FA, reading who they are and what is required, and signing out. Named
/// by path, not by type, so this server half imports no room's `api` (each
/// `api` reaches it through `require_user`); the tests below tie each path
/// to its server function's type and every registered server function to
/// its place, so a renamed one cannot silently change who is gated.
pub const ALLOWED_AT_TWO_FACTOR_GATE: [&str; 12] = [
    "/api/current_user",
    "/api/sign_out",
    "/api/two_factor_requirement",
    "/api/two_factor_status",
    "/api/start_two_factor_enrolment",
    "/api/resend_two_factor_enrolment_sms",
    "/api/confirm_two_factor_enrolment",
    "/api/cancel_two_factor_enrolment",
    "/api/send_sudo_sms",
    "/api/use_passkeys_for_two_factor",
    "/api/start_passkey_sudo",
    "/api/finish_passkey_sudo",
];

/// Whether a member held at the gate is refused the server function at
/// `path`: every server function but the ones allowed above. Pages are the
/// page guard's business.
pub fn held_at_gate(path: &str) -> bool {
    path.starts_with("/api/") && !ALLOWED_AT_TWO_FACTOR_GATE.contains(&path)
}

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

/// Inside a key's creating transaction: locks the user's organization row
/// (a role change holds it too) and refuses a permission above what the
/// role allows as it stands now.
pub async fn hold_key_permission(
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    permission: Permission,
) -> Result<(), AppError> {
    let Some((role, organization)) = orgs::lock_membership(tx, user_id).await? else {
        return Ok(());
    };
    let cap = role.key_permission_cap();
    if permission <= cap {
        Ok(())
    } else {
        Err(AppError::validation(
            "permission",
            format!(
                "As {} of {organization}, you can create {} keys at most.",
                role.label(),
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
                require_passkey: false,
                passkey_policy_since: None,
                sso_enforced: false,
                created_at: 0,
            },
            role,
            joined_at: 500,
            two_factor_on,
            has_passkey: false,
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

    /// What a member held at the 2FA gate meets at each server function.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum AtGate {
        /// Refused with `TwoFactorRequired`.
        Held,
        /// Allowed: the set-up, who they are, signing out.
        Allowed,
        /// Needs no session at all (signing in, links from emails).
        SignedOut,
    }

    /// Every server function and what the gate does with it. A new server
    /// function fails this test until it is added here, on purpose.
    const EXPECTED: &[(&str, AtGate)] = &[
        ("accept_invitation", AtGate::Held),
        ("add_sso_domain", AtGate::Held),
        ("cancel_email_change", AtGate::SignedOut),
        ("cancel_sign_in_challenge", AtGate::SignedOut),
        ("cancel_two_factor_enrolment", AtGate::Allowed),
        ("change_member_role", AtGate::Held),
        ("change_password", AtGate::Held),
        ("check_reset_link", AtGate::SignedOut),
        ("confirm_email_address", AtGate::SignedOut),
        ("confirm_email_change", AtGate::SignedOut),
        ("confirm_two_factor_enrolment", AtGate::Allowed),
        ("connect_provider", AtGate::Held),
        ("create_api_key", AtGate::Held),
        ("create_organization", AtGate::Held),
        ("current_user", AtGate::Allowed),
        ("delete_organization", AtGate::Held),
        ("disable_two_factor", AtGate::Held),
        ("disconnect_provider", AtGate::Held),
        ("dismiss_passkey_offer", AtGate::Held),
        ("email_settings", AtGate::Held),
        ("find_sso", AtGate::SignedOut),
        ("finish_passkey_registration", AtGate::Held),
        ("finish_passkey_second_factor", AtGate::SignedOut),
        ("finish_passkey_sign_in", AtGate::SignedOut),
        ("finish_passkey_sudo", AtGate::Allowed),
        ("get_member_sso", AtGate::Held),
        ("get_sso_overview", AtGate::Held),
        ("get_team", AtGate::Held),
        ("invite_member", AtGate::Held),
        ("leave_organization", AtGate::Held),
        ("list_api_keys", AtGate::Held),
        ("list_connections", AtGate::Held),
        ("list_passkeys", AtGate::Held),
        ("list_sessions", AtGate::Held),
        ("login_history", AtGate::Held),
        ("mark_sessions_reviewed", AtGate::Held),
        ("oauth_callback", AtGate::SignedOut),
        ("org_checkup", AtGate::Held),
        ("org_history", AtGate::Held),
        ("passkey_offer", AtGate::Held),
        ("passkey_requirement", AtGate::Held),
        ("password_strength", AtGate::SignedOut),
        ("preview_invitation", AtGate::SignedOut),
        ("regenerate_backup_codes", AtGate::Held),
        ("remind_two_factor", AtGate::Held),
        ("remove_member", AtGate::Held),
        ("remove_passkey", AtGate::Held),
        ("remove_sso", AtGate::Held),
        ("remove_sso_domain", AtGate::Held),
        ("rename_passkey", AtGate::Held),
        ("report_not_me", AtGate::SignedOut),
        ("request_email_change", AtGate::Held),
        ("request_password_reset", AtGate::SignedOut),
        ("resend_email_verification", AtGate::Held),
        ("resend_two_factor_enrolment_sms", AtGate::Allowed),
        ("reset_password", AtGate::SignedOut),
        ("revoke_api_key", AtGate::Held),
        ("revoke_invitation", AtGate::Held),
        ("revoke_other_sessions", AtGate::Held),
        ("revoke_session", AtGate::Held),
        ("rotate_api_key", AtGate::Held),
        ("save_sso_settings", AtGate::Held),
        ("security_checkup", AtGate::Held),
        ("security_overview", AtGate::Held),
        ("send_sign_in_sms", AtGate::SignedOut),
        ("send_sudo_sms", AtGate::Allowed),
        ("set_new_sign_in_notices", AtGate::Held),
        ("set_sso_enforcement", AtGate::Held),
        ("set_sso_session_lifetimes", AtGate::Held),
        ("sign_in", AtGate::SignedOut),
        ("sign_in_challenge", AtGate::SignedOut),
        ("sign_in_providers", AtGate::SignedOut),
        ("sign_out", AtGate::Allowed),
        ("sign_up", AtGate::SignedOut),
        ("sso_callback", AtGate::SignedOut),
        ("start_passkey_registration", AtGate::Held),
        ("start_passkey_second_factor", AtGate::SignedOut),
        ("start_passkey_sign_in", AtGate::SignedOut),
        ("start_passkey_sudo", AtGate::Allowed),
        ("start_provider_sign_in", AtGate::SignedOut),
        ("start_sso_sign_in", AtGate::SignedOut),
        ("start_two_factor_enrolment", AtGate::Allowed),
        ("test_sso_connection", AtGate::Held),
        ("two_factor_requirement", AtGate::Allowed),
        ("two_factor_status", AtGate::Allowed),
        ("update_org_policy", AtGate::Held),
        ("update_passkey_policy", AtGate::Held),
        ("use_passkeys_for_two_factor", AtGate::Allowed),
        ("verify_sign_in_code", AtGate::SignedOut),
        ("verify_sso_domain", AtGate::Held),
    ];

    #[test]
    fn the_allowed_paths_are_those_server_functions() {
        use crate::{account, passkeys, team, two_factor};
        use leptos::server_fn::ServerFn;
        assert_eq!(
            ALLOWED_AT_TWO_FACTOR_GATE,
            [
                <account::api::GetCurrentUser as ServerFn>::PATH,
                <account::api::SignOut as ServerFn>::PATH,
                <team::api::GetTwoFactorRequirement as ServerFn>::PATH,
                <two_factor::api::GetTwoFactorStatus as ServerFn>::PATH,
                <two_factor::api::StartEnrolment as ServerFn>::PATH,
                <two_factor::api::ResendEnrolmentSms as ServerFn>::PATH,
                <two_factor::api::ConfirmEnrolment as ServerFn>::PATH,
                <two_factor::api::CancelEnrolment as ServerFn>::PATH,
                <two_factor::api::SendSudoSms as ServerFn>::PATH,
                <two_factor::api::UsePasskeysForTwoFactor as ServerFn>::PATH,
                <passkeys::api::StartPasskeySudo as ServerFn>::PATH,
                <passkeys::api::FinishPasskeySudo as ServerFn>::PATH,
            ]
        );
    }

    #[test]
    fn every_server_function_is_held_at_the_gate_or_deliberately_allowed() {
        let registered: std::collections::BTreeSet<String> =
            leptos::server_fn::axum::server_fn_paths()
                .map(|(path, _)| path.to_string())
                .collect();
        let listed: std::collections::BTreeSet<String> = EXPECTED
            .iter()
            .map(|(endpoint, _)| format!("/api/{endpoint}"))
            .collect();
        assert_eq!(
            registered, listed,
            "every registered server function must be listed in EXPECTED, and only those"
        );
        for (endpoint, expected) in EXPECTED {
            let path = format!("/api/{endpoint}");
            let allowed = !held_at_gate(&path);
            assert_eq!(
                allowed,
                *expected == AtGate::Allowed,
                "{path} should be {expected:?} at the 2FA gate"
            );
        }
        assert!(
            !held_at_gate("/settings/security"),
            "pages are the page guard's"
        );
    }
}
