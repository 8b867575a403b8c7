//! Team server functions. Each acts on the caller's own organization (a
//! person belongs to at most one), so no organization id is ever taken from
//! the request; members and invitations are looked up inside it.

use super::{InvitationPreview, Team};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::{
    Role, TwoFactorRequirement, parse_grace_days,
    server::{self, check_user_id, gate, invitations, members, passkey_gate, policy},
};
#[cfg(feature = "ssr")]
use crate::{
    recovery::server::links::parse_link_token,
    server::auth::{app_state, client_meta, current_session, request_parts, require_user},
    two_factor::server::sudo::confirm_sudo,
};
#[cfg(feature = "ssr")]
use invitations::check_invitation_id;
#[cfg(feature = "ssr")]
use policy::OrgPolicy;

/// A checkbox's value: absent when unticked, "on" when ticked.
#[cfg(feature = "ssr")]
pub fn checkbox(value: Option<String>) -> Result<bool, AppError> {
    match value.as_deref() {
        None => Ok(false),
        Some("on" | "true") => Ok(true),
        Some(_) => Err(AppError::validation(
            "policy",
            "That setting value is not valid.",
        )),
    }
}

#[cfg(feature = "ssr")]
fn parse_role(text: &str) -> Result<Role, AppError> {
    text.trim()
        .parse::<Role>()
        .ok()
        .ok_or_else(|| AppError::validation("role", "Choose a role."))
}

/// The caller's organization, role, members and (for Owners and Admins)
/// pending invitations; `None` outside any organization.
#[server(endpoint = "get_team", output = crate::codec::Json)]
pub async fn get_team() -> Result<Option<Team>, AppError> {
    let session = require_user().await?;
    members::team(&app_state()?, &session.user.id).await
}

/// Creates an organization with the caller as Owner, then opens the Team
/// page, or the 2FA set-up first when the new Owner has no 2FA yet.
#[server(endpoint = "create_organization", output = crate::codec::Json)]
pub async fn create_organization(name: String) -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    members::create_organization(&state, &session.user, &name, &client_meta()?).await?;
    let next = match gate::two_factor_requirement(&state, &session.user.id, state.now()).await? {
        TwoFactorRequirement::Enforced { .. } => super::TWO_FACTOR_SETUP_PATH,
        _ => "/settings/team",
    };
    leptos_axum::redirect(next);
    Ok(())
}

/// Invites `email` as `role` (admin, member or viewer); Owners and Admins.
#[server(endpoint = "invite_member", output = crate::codec::Json)]
pub async fn invite_member(email: String, role: String) -> Result<(), AppError> {
    let session = require_user().await?;
    let role = parse_role(&role)?;
    invitations::invite_member(&app_state()?, &session.user, &email, role, &client_meta()?).await
}

/// Withdraws a pending invitation; Owners and Admins.
#[server(endpoint = "revoke_invitation", output = crate::codec::Json)]
pub async fn revoke_invitation(invitation_id: String) -> Result<(), AppError> {
    let session = require_user().await?;
    let invitation_id = check_invitation_id(&invitation_id)?;
    let (state, client) = (app_state()?, client_meta()?);
    invitations::revoke_invitation(&state, &session.user, &invitation_id, &client).await
}

/// Gives a member another role; Owners (any role) and Admins (not Owner).
#[server(endpoint = "change_member_role", output = crate::codec::Json)]
pub async fn change_member_role(user_id: String, role: String) -> Result<(), AppError> {
    let session = require_user().await?;
    let user_id = check_user_id(&user_id)?;
    let role = parse_role(&role)?;
    members::change_member_role(
        &app_state()?,
        &session.user,
        &user_id,
        role,
        &client_meta()?,
    )
    .await
}

/// Removes a member and revokes their API keys; Owners and Admins.
#[server(endpoint = "remove_member", output = crate::codec::Json)]
pub async fn remove_member(user_id: String) -> Result<(), AppError> {
    let session = require_user().await?;
    let user_id = check_user_id(&user_id)?;
    members::remove_member(&app_state()?, &session.user, &user_id, &client_meta()?).await
}

/// Leaves the caller's organization (not as its last Owner).
#[server(endpoint = "leave_organization", output = crate::codec::Json)]
pub async fn leave_organization() -> Result<(), AppError> {
    let session = require_user().await?;
    members::leave_organization(&app_state()?, &session.user, &client_meta()?).await
}

/// Sets the organization's name and 2FA policy; Owners only. `production`
/// and `require_two_factor` are checkbox values ("on" when ticked).
#[server(endpoint = "update_org_policy", output = crate::codec::Json)]
pub async fn update_org_policy(
    name: String,
    production: Option<String>,
    require_two_factor: Option<String>,
    grace_days: String,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let name =
        super::clean_org_name(&name).map_err(|message| AppError::validation("name", message))?;
    let grace_days = parse_grace_days(&grace_days)
        .map_err(|message| AppError::validation("grace_days", message))?;
    let policy = OrgPolicy {
        name,
        production: checkbox(production)?,
        require_two_factor: checkbox(require_two_factor)?,
        grace_days,
    };
    policy::update_org_policy(&app_state()?, &session.user, policy, &client_meta()?).await
}

/// Turns "require a passkey for Owners and Admins" on (`require_passkey`
/// ticked) or off; Owners only, in sudo mode (`password`, and `code` with
/// 2FA). Turning it on starts the organization's grace period.
#[server(endpoint = "update_passkey_policy", output = crate::codec::Json)]
pub async fn update_passkey_policy(
    require_passkey: Option<String>,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let require_passkey = checkbox(require_passkey)?;
    let state = app_state()?;
    let client = client_meta()?;
    // Before sudo mode: a refusal must not open or use up its window.
    server::owner_membership(&state, &session.user.id).await?;
    confirm_sudo(&state, &session, password, code, &client).await?;
    policy::update_passkey_policy(&state, &session.user, require_passkey, &client).await
}

/// Mails members without 2FA a reminder: one member (`user_id`) or all of
/// them; Owners and Admins. Returns how many were reminded.
#[server(endpoint = "remind_two_factor", output = crate::codec::Json)]
pub async fn remind_two_factor(user_id: Option<String>) -> Result<usize, AppError> {
    let session = require_user().await?;
    let only = match user_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(id) => Some(check_user_id(id)?),
    };
    let (state, client) = (app_state()?, client_meta()?);
    policy::remind_about_two_factor(&state, &session.user, only.as_deref(), &client).await
}

/// What an invitation link offers; works signed out too.
#[server(endpoint = "preview_invitation", output = crate::codec::Json)]
pub async fn preview_invitation(token: String) -> Result<InvitationPreview, AppError> {
    let token = parse_link_token(&token)?;
    let session = current_session().await?;
    let user = session.as_ref().map(|session| &session.user);
    invitations::preview_invitation(&app_state()?, &token, user).await
}

/// Accepts an invitation as the signed-in, invited account and opens the Team page.
#[server(endpoint = "accept_invitation", output = crate::codec::Json)]
pub async fn accept_invitation(token: String) -> Result<(), AppError> {
    let session = require_user().await?;
    let token = parse_link_token(&token)?;
    invitations::accept_invitation(&app_state()?, &session.user, &token, &client_meta()?).await?;
    leptos_axum::redirect("/settings/team?joined=1");
    Ok(())
}

/// Whether the caller's organization requires 2FA of them, and by when.
#[server(endpoint = "two_factor_requirement", output = crate::codec::Json)]
pub async fn get_two_factor_requirement() -> Result<super::TwoFactorRequirement, AppError> {
    let session = require_user().await?;
    if let Some(resolved) = request_parts()?
        .extensions
        .get::<gate::ResolvedRequirement>()
    {
        return Ok(resolved.0.clone());
    }
    let state = app_state()?;
    gate::two_factor_requirement(&state, &session.user.id, state.now()).await
}

/// Whether the caller's organization requires a passkey of them (Owners
/// and Admins), and by when.
#[server(endpoint = "passkey_requirement", output = crate::codec::Json)]
pub async fn get_passkey_requirement() -> Result<super::PasskeyRequirement, AppError> {
    let session = require_user().await?;
    if let Some(resolved) = request_parts()?
        .extensions
        .get::<passkey_gate::ResolvedPasskeyRequirement>()
    {
        return Ok(resolved.0.clone());
    }
    let state = app_state()?;
    passkey_gate::passkey_requirement(&state, &session.user.id, state.now()).await
}

/// Deletes the caller's organization (Owners only): `confirm` is its exact
/// name, and sudo mode applies (`password`, and `code` with 2FA). Members
/// leave, their API keys are revoked, and they are told by email.
#[server(endpoint = "delete_organization", output = crate::codec::Json)]
pub async fn delete_organization(
    confirm: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let client = client_meta()?;
    // Before sudo mode: a refusal must not open or use up its window.
    server::owner_membership(&state, &session.user.id).await?;
    confirm_sudo(&state, &session, password, code, &client).await?;
    server::delete::delete_organization(&state, &session.user, &confirm, &client).await
}
