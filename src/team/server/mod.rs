//! Organizations on the server: the Team page's data, creating an
//! organization, changing roles, removing and leaving. Every change is a
//! team event and runs with the organization's row locked, so the last-owner
//! rule holds under concurrent changes. Invitations, the 2FA and passkey
//! policies (and their gates) and the API-key caps are in the submodules.

pub mod delete;
pub mod gate;
pub mod invitations;
pub mod members;
pub mod passkey_gate;
pub mod policy;
pub mod store;

/// How another room reads a membership from a row that joins `memberships m`
/// and `organizations o`.
use crate::error::AppError;
use crate::ids::is_uuid_shaped;
use crate::server::mail::compose;
use crate::server::mail::compose::LinkMail;
use crate::server::state::AppState;
use crate::team::server::store as orgs;
use crate::team::{Membership, Role};

pub use store::{ORG_COLUMNS, membership_from};

/// User ids are UUIDs; anything else is refused before the database.
pub fn check_user_id(user_id: &str) -> Result<String, AppError> {
    let user_id = user_id.trim().to_ascii_lowercase();
    if is_uuid_shaped(&user_id) {
        Ok(user_id)
    } else {
        Err(AppError::validation(
            "user_id",
            "That member id is not valid.",
        ))
    }
}

/// Mails a member about a change to their membership that someone else
/// made (role changed, removed, organization deleted).
pub async fn team_notice(
    state: &AppState,
    to: (&str, &str),
    subject: String,
    what: String,
) -> Result<(), AppError> {
    let (email, name) = to;
    let mail = compose::link_mail(&LinkMail {
        to: email.to_string(),
        recipient_name: name.to_string(),
        subject,
        intro: what,
        button: "Open your team settings".into(),
        url: format!("{}/settings/team", state.config.public_url.origin),
        expiry: "Your own account and its security settings are unchanged.".into(),
        footer: "If you think this is a mistake, contact an Owner of the organization.".into(),
    });
    state.enqueue_mail(&mail, None).await?;
    Ok(())
}

/// Everyone in the organization with their 2FA method, usable passkeys and
/// last activity, owners first.
pub async fn members_of(
    state: &AppState,
    org_id: &str,
    now: i64,
) -> Result<Vec<orgs::StoredMember>, AppError> {
    Ok(orgs::members(&state.pool, org_id, now).await?)
}

/// The caller's organization and role; `NotFound` for someone outside any.
pub async fn my_membership(state: &AppState, user_id: &str) -> Result<Membership, AppError> {
    orgs::membership(&state.pool, user_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// The caller's membership when they are an Owner.
pub async fn owner_membership(state: &AppState, user_id: &str) -> Result<Membership, AppError> {
    let membership = my_membership(state, user_id).await?;
    if membership.role == Role::Owner {
        Ok(membership)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The caller's membership when their role manages the team.
pub async fn managing_membership(state: &AppState, user_id: &str) -> Result<Membership, AppError> {
    let membership = my_membership(state, user_id).await?;
    if membership.role.manages_team() {
        Ok(membership)
    } else {
        Err(AppError::Forbidden)
    }
}
