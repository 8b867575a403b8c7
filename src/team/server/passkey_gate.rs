//! The organization's passkey gate: where its "require a passkey for Owners
//! and Admins" rule holds an Owner or Admin without one (every page and
//! server function checks, as for the 2FA gate in gate.rs), and who may not
//! remove their last passkey.

use super::gate::requirement_for;
use super::store as orgs;
use crate::error::AppError;
use crate::server::state::AppState;
use crate::team::{Membership, PasskeyRequirement, TwoFactorRequirement};

/// Server functions an Owner or Admin held at the passkey gate may still
/// call: adding a passkey (sudo mode, with a texted code for an SMS second
/// factor), reading who they are and what is required, and signing out.
/// Named by path, as in gate.rs; the tests tie each to its type.
pub const ALLOWED_AT_PASSKEY_GATE: [&str; 8] = [
    "/api/current_user",
    "/api/sign_out",
    "/api/two_factor_requirement",
    "/api/passkey_requirement",
    "/api/list_passkeys",
    "/api/start_passkey_registration",
    "/api/finish_passkey_registration",
    "/api/send_sudo_sms",
];

/// Whether an Owner or Admin held at the passkey gate is refused the server
/// function at `path`: every server function but the ones allowed above.
/// Pages are the page guard's business.
pub fn held_at_passkey_gate(path: &str) -> bool {
    path.starts_with("/api/") && !ALLOWED_AT_PASSKEY_GATE.contains(&path)
}

/// The passkey requirement the page guard already worked out for this
/// request, so the page's own banner does not ask the database again.
#[derive(Clone, Debug)]
pub struct ResolvedPasskeyRequirement(pub PasskeyRequirement);

/// What the passkey rule means for a member right now. An Owner or Admin
/// without 2FA is held at the 2FA gate first (a passkey comes after), so
/// the two gates never hold the same person at once.
pub fn passkey_requirement_for(membership: &Membership, now: i64) -> PasskeyRequirement {
    let org = &membership.organization;
    if !org.require_passkey
        || !membership.role.covered_by_passkey_rule()
        || membership.has_passkey
        || !membership.two_factor_on
    {
        return PasskeyRequirement::None;
    }
    let deadline = org.passkey_deadline_for(membership.joined_at);
    if now < deadline {
        PasskeyRequirement::Grace {
            organization: org.name.clone(),
            deadline,
        }
    } else {
        PasskeyRequirement::Enforced {
            organization: org.name.clone(),
            reason: AppError::PasskeyRequired.to_string(),
        }
    }
}

/// Both of the organization's rules for the user at `now`, from one read of
/// the membership.
pub async fn gate_requirements(
    state: &AppState,
    user_id: &str,
    now: i64,
) -> Result<(TwoFactorRequirement, PasskeyRequirement), AppError> {
    Ok(orgs::membership(&state.pool, user_id)
        .await?
        .map(|membership| {
            (
                requirement_for(&membership, now),
                passkey_requirement_for(&membership, now),
            )
        })
        .unwrap_or((TwoFactorRequirement::None, PasskeyRequirement::None)))
}

/// Whether the user's organization requires a passkey of them, and by when.
pub async fn passkey_requirement(
    state: &AppState,
    user_id: &str,
    now: i64,
) -> Result<PasskeyRequirement, AppError> {
    Ok(gate_requirements(state, user_id, now).await?.1)
}

/// Refuses removing a passkey that would leave an Owner or Admin of an
/// organization requiring passkeys with `usable_left` = 0 usable ones (the
/// passkeys room counts them; one flagged as cloned does not count).
pub async fn check_may_remove_passkey(
    state: &AppState,
    user_id: &str,
    usable_left: usize,
) -> Result<(), AppError> {
    if usable_left > 0 {
        return Ok(());
    }
    let Some(membership) = orgs::membership(&state.pool, user_id).await? else {
        return Ok(());
    };
    let org = &membership.organization;
    if org.require_passkey && membership.role.covered_by_passkey_rule() {
        // "form": shown above the passkey list, not beside a field.
        return Err(AppError::validation(
            "form",
            format!(
                "{} requires a passkey for Owners and Admins, and this is your last one. Add another before you remove it, or hand the {} role over.",
                org.name,
                membership.role.label()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::{Organization, Role};
    use crate::time::DAY_MS;

    fn membership(role: Role, require_passkey: bool, has_passkey: bool) -> Membership {
        Membership {
            organization: Organization {
                id: "o".into(),
                name: "Acme".into(),
                production: false,
                require_two_factor: false,
                grace_days: 2,
                policy_since: None,
                require_passkey,
                passkey_policy_since: require_passkey.then_some(1_000),
                sso_enforced: false,
                created_at: 0,
            },
            role,
            joined_at: 500,
            two_factor_on: true,
            has_passkey,
        }
    }

    #[test]
    fn owners_and_admins_without_a_passkey_get_the_grace_period_then_the_gate() {
        for role in [Role::Owner, Role::Admin] {
            let held = membership(role, true, false);
            assert_eq!(
                passkey_requirement_for(&held, 1_000 + 2 * DAY_MS - 1),
                PasskeyRequirement::Grace {
                    organization: "Acme".into(),
                    deadline: 1_000 + 2 * DAY_MS
                }
            );
            assert_eq!(
                passkey_requirement_for(&held, 1_000 + 2 * DAY_MS),
                PasskeyRequirement::Enforced {
                    organization: "Acme".into(),
                    reason: AppError::PasskeyRequired.to_string()
                }
            );
            assert_eq!(
                passkey_requirement_for(&membership(role, true, true), 10 * DAY_MS),
                PasskeyRequirement::None,
                "a passkey satisfies the rule"
            );
            assert_eq!(
                passkey_requirement_for(&membership(role, false, false), 10 * DAY_MS),
                PasskeyRequirement::None,
                "the rule is off"
            );
        }
    }

    #[test]
    fn members_viewers_and_people_at_the_two_factor_gate_are_not_held_here() {
        for role in [Role::Member, Role::Viewer] {
            assert_eq!(
                passkey_requirement_for(&membership(role, true, false), 10 * DAY_MS),
                PasskeyRequirement::None
            );
        }
        let mut admin = membership(Role::Admin, true, false);
        admin.two_factor_on = false;
        assert_eq!(
            passkey_requirement_for(&admin, 10 * DAY_MS),
            PasskeyRequirement::None
        );
        assert!(matches!(
            requirement_for(&admin, 10 * DAY_MS),
            TwoFactorRequirement::Enforced { .. }
        ));
    }

    /// Every server function an Owner or Admin held at the passkey gate may
    /// call; all others are refused with `PasskeyRequired`.
    const EXPECTED_ALLOWED: [&str; 8] = [
        "current_user",
        "finish_passkey_registration",
        "list_passkeys",
        "passkey_requirement",
        "send_sudo_sms",
        "sign_out",
        "start_passkey_registration",
        "two_factor_requirement",
    ];

    #[test]
    fn the_allowed_paths_are_those_server_functions() {
        use crate::{account, passkeys, team, two_factor};
        use leptos::server_fn::ServerFn;
        assert_eq!(
            ALLOWED_AT_PASSKEY_GATE,
            [
                <account::api::GetCurrentUser as ServerFn>::PATH,
                <account::api::SignOut as ServerFn>::PATH,
                <team::api::GetTwoFactorRequirement as ServerFn>::PATH,
                <team::api::GetPasskeyRequirement as ServerFn>::PATH,
                <passkeys::api::ListPasskeys as ServerFn>::PATH,
                <passkeys::api::StartPasskeyRegistration as ServerFn>::PATH,
                <passkeys::api::FinishPasskeyRegistration as ServerFn>::PATH,
                <two_factor::api::SendSudoSms as ServerFn>::PATH,
            ]
        );
    }

    #[test]
    fn the_passkey_gate_lets_through_adding_a_passkey_and_nothing_else() {
        let registered: std::collections::BTreeSet<String> =
            leptos::server_fn::axum::server_fn_paths()
                .map(|(path, _)| path.to_string())
                .collect();
        for endpoint in EXPECTED_ALLOWED {
            let path = format!("/api/{endpoint}");
            assert!(registered.contains(&path), "{path} is not registered");
        }
        for path in &registered {
            let expected = EXPECTED_ALLOWED
                .iter()
                .any(|endpoint| path == &format!("/api/{endpoint}"));
            assert_eq!(
                !held_at_passkey_gate(path),
                expected,
                "{path} at the passkey gate"
            );
        }
        assert!(!held_at_passkey_gate("/settings/authentication"));
    }
}
