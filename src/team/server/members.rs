//! The Team page's data, creating an organization, changing roles, removing
//! and leaving. Every change is a team event and runs with the
//! organization's row locked, so the last-owner rule holds under concurrent
//! changes.

use super::store as orgs;
use crate::account::CurrentUser;
use crate::api_keys::server::{ChangedKey, revoke_all_in};
use crate::error::AppError;
use crate::login_history::EventKind;
use crate::login_history::server::record::record_team_event;
use crate::server::client::ClientMeta;
use crate::server::db::new_id;
use crate::server::state::AppState;
use crate::team::server::policy::{cap_keys_in, record_key_changes};
use crate::team::server::{managing_membership, my_membership, team_notice};
use crate::team::{InvitationRow, MemberRow, MemberTwoFactor, Role, Team, clean_org_name};
use crate::two_factor::server::sudo_factor;

/// The refusal for a role that needs 2FA, given to someone without it.
fn needs_two_factor_first(name: &str, role: Role) -> AppError {
    AppError::validation(
        "role",
        format!(
            "{name} must turn on two-factor authentication before they can be {}. Owners and Admins need it.",
            role.label()
        ),
    )
}

/// The refusal when a change would leave the organization without an owner.
fn last_owner(organization: &str) -> AppError {
    AppError::validation(
        "role",
        format!("{organization} needs at least one Owner. Make another member Owner first."),
    )
}

/// The Team page's data; `None` for someone in no organization.
pub async fn team(state: &AppState, user_id: &str) -> Result<Option<Team>, AppError> {
    let Some(membership) = orgs::membership(&state.pool, user_id).await? else {
        return Ok(None);
    };
    let now = state.now();
    let org_id = &membership.organization.id;
    let manager = membership.role.manages_team();
    let members = orgs::members(&state.pool, org_id, now)
        .await?
        .into_iter()
        .map(|member| MemberRow {
            is_me: member.user_id == user_id,
            two_factor: manager.then(|| match member.two_factor_method {
                Some(method) => MemberTwoFactor::On(method.label().to_string()),
                None => MemberTwoFactor::Off,
            }),
            last_active: member.last_active.filter(|_| manager),
            reminded_at: member.reminded_at.filter(|_| manager),
            user_id: member.user_id,
            name: member.name,
            email: member.email,
            role: member.role,
            joined_at: member.joined_at,
        })
        .collect();
    let invitations = if manager {
        orgs::invitations::pending_invitations(&state.pool, org_id, now)
            .await?
            .into_iter()
            .map(|invitation| InvitationRow {
                id: invitation.id,
                email: invitation.email,
                role: invitation.role,
                invited_by: invitation.invited_by,
                created_at: invitation.created_at,
                expires_at: invitation.expires_at,
            })
            .collect()
    } else {
        Vec::new()
    };
    let my_sudo_factor = sudo_factor(state, user_id).await?;
    Ok(Some(Team {
        organization: membership.organization,
        my_role: membership.role,
        my_sudo_factor,
        members,
        invitations,
    }))
}

/// Creates an organization with the caller as its Owner. An Owner needs
/// 2FA, so one without it is sent to set it up before anything else.
#[tracing::instrument(skip(state, user, client), fields(user = %user.id))]
pub async fn create_organization(
    state: &AppState,
    user: &CurrentUser,
    name: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    user.require_verified_email()?;
    let name = clean_org_name(name).map_err(|message| AppError::validation("name", message))?;
    let org_id = new_id();
    let created =
        orgs::create_with_owner(&state.pool, &org_id, &name, &user.id, state.now()).await?;
    if !created {
        return Err(AppError::validation(
            "name",
            "You already belong to an organization. Leave it before you create another.",
        ));
    }
    record_team_event(
        state,
        &user.id,
        &org_id,
        EventKind::OrgCreated,
        client,
        serde_json::json!({"organization": name}),
    )
    .await
}

/// Gives a member another role. Only Owners grant or take away Owner;
/// Owner and Admin need 2FA; the last Owner stays. The member's API keys
/// are lowered to what the new role allows.
#[tracing::instrument(skip(state, actor, client), fields(actor = %actor.id))]
pub async fn change_member_role(
    state: &AppState,
    actor: &CurrentUser,
    target_id: &str,
    role: Role,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let membership = managing_membership(state, &actor.id).await?;
    let org = &membership.organization;
    if !membership.role.may_manage(role) {
        return Err(AppError::Forbidden);
    }
    let mut tx = orgs::lock_team(&state.pool, &org.id).await?;
    let (target, owners) = orgs::member_and_owners(&mut tx, &org.id, target_id).await?;
    let target = target.ok_or(AppError::NotFound)?;
    let current = target.role;
    if !membership.role.may_manage(current) {
        return Err(AppError::Forbidden);
    }
    if current == role {
        return Ok(());
    }
    if current == Role::Owner && owners <= 1 {
        return Err(last_owner(&org.name));
    }
    if role.requires_two_factor() && !target.two_factor_on {
        return Err(needs_two_factor_first(&target.name, role));
    }
    orgs::set_role(&mut tx, &org.id, target_id, role).await?;
    let reduced = cap_keys_in(state, &mut tx, target_id, role).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    record_team_event(
        state,
        &actor.id,
        &org.id,
        EventKind::OrgRoleChanged,
        client,
        serde_json::json!({
            "member": target.email,
            "from": current.label(),
            "to": role.label(),
        }),
    )
    .await?;
    if target_id != actor.id {
        let keys = if reduced.is_empty() {
            String::new()
        } else {
            format!(
                " Your API keys were lowered to {}.",
                role.key_permission_cap().label()
            )
        };
        team_notice(
            state,
            (&target.email, &target.name),
            format!("Your role in {} is now {}", org.name, role.label()),
            format!(
                "{} changed your role in {} from {} to {}: {}{keys}",
                actor.name,
                org.name,
                current.label(),
                role.label(),
                role.description()
            ),
        )
        .await?;
    }
    record_key_changes(state, target_id, &org.id, &reduced, Some(role), client).await
}

/// Takes a member out of the organization and revokes their API keys.
/// Admins cannot remove Owners; nobody removes themselves (that is leaving).
#[tracing::instrument(skip(state, actor, client), fields(actor = %actor.id))]
pub async fn remove_member(
    state: &AppState,
    actor: &CurrentUser,
    target_id: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let membership = managing_membership(state, &actor.id).await?;
    if target_id == actor.id {
        return Err(AppError::validation(
            "user_id",
            "To take yourself out of the organization, use “Leave organization”.",
        ));
    }
    let org = &membership.organization;
    let (target, revoked) = take_out(state, &org.id, target_id, |target, _| {
        if membership.role.may_manage(target.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    })
    .await?;
    record_team_event(
        state,
        &actor.id,
        &org.id,
        EventKind::OrgMemberRemoved,
        client,
        serde_json::json!({"member": target.email, "role": target.role.label()}),
    )
    .await?;
    team_notice(
        state,
        (&target.email, &target.name),
        format!("You were removed from {}", org.name),
        format!(
            "{} removed you from {}. The API keys you held in it were revoked.",
            actor.name, org.name
        ),
    )
    .await?;
    record_key_changes(state, target_id, &org.id, &revoked, None, client).await
}

/// Leaves the organization; the last Owner cannot. The caller's API keys
/// are revoked, as they were the organization's access.
#[tracing::instrument(skip(state, user, client), fields(user = %user.id))]
pub async fn leave_organization(
    state: &AppState,
    user: &CurrentUser,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let membership = my_membership(state, &user.id).await?;
    let org = &membership.organization;
    let (left, revoked) = take_out(state, &org.id, &user.id, |me, owners| {
        if me.role == Role::Owner && owners <= 1 {
            Err(AppError::validation(
                "organization",
                format!(
                    "You are the last Owner of {}. Make another member Owner before you leave.",
                    org.name
                ),
            ))
        } else {
            Ok(())
        }
    })
    .await?;
    record_team_event(
        state,
        &user.id,
        &org.id,
        EventKind::OrgMemberLeft,
        client,
        serde_json::json!({"member": user.email, "role": left.role.label()}),
    )
    .await?;
    record_key_changes(state, &user.id, &org.id, &revoked, None, client).await
}

/// Removes a member and revokes their API keys in one team change, once
/// `allowed` (given the member and the number of owners) agrees.
async fn take_out(
    state: &AppState,
    org_id: &str,
    user_id: &str,
    allowed: impl FnOnce(&orgs::TeamMember, i64) -> Result<(), AppError>,
) -> Result<(orgs::TeamMember, Vec<ChangedKey>), AppError> {
    let mut tx = orgs::lock_team(&state.pool, org_id).await?;
    let (member, owners) = orgs::member_and_owners(&mut tx, org_id, user_id).await?;
    let member = member.ok_or(AppError::NotFound)?;
    allowed(&member, owners)?;
    orgs::remove(&mut tx, org_id, user_id).await?;
    let revoked = revoke_all_in(&mut tx, user_id, state.now()).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    Ok((member, revoked))
}

/// Adds `user_id` to `org_id` as `role` without an invitation (single
/// sign-on's just-in-time members): `false` when they already belong to an
/// organization. Their API keys are capped to the role, and the join is a
/// team event saying how it happened (`via`).
pub async fn join_directly(
    state: &AppState,
    org_id: &str,
    member: (&str, &str),
    role: Role,
    via: &str,
    client: &ClientMeta,
) -> Result<bool, AppError> {
    let (user_id, email) = member;
    let mut tx = orgs::lock_team(&state.pool, org_id).await?;
    if !orgs::add_member(&mut tx, org_id, user_id, role, state.now()).await? {
        return Ok(false);
    }
    let reduced = cap_keys_in(state, &mut tx, user_id, role).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    record_team_event(
        state,
        user_id,
        org_id,
        EventKind::OrgMemberJoined,
        client,
        serde_json::json!({"member": email, "role": role.label(), "via": via}),
    )
    .await?;
    record_key_changes(state, user_id, org_id, &reduced, Some(role), client).await?;
    Ok(true)
}
