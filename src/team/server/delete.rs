//! Deleting an organization (its Owner, in sudo mode, typing its name): the
//! members leave, their API keys are revoked, pending invitations go, and
//! everyone is told by email. Team events stay in each person's history.

use crate::account::CurrentUser;
use crate::api_keys::server::revoke_all_in;
use crate::error::AppError;
use crate::login_history::EventKind;
use crate::login_history::server::record::record_team_event;
use crate::server::client::ClientMeta;
use crate::server::state::AppState;
use crate::team::server::policy::record_key_changes;
use crate::team::server::{owner_membership, store as orgs, team_notice};

/// Deletes the caller's organization. `confirm` must be its exact name;
/// sudo mode is checked by the server function first.
#[tracing::instrument(skip(state, actor, confirm, client), fields(actor = %actor.id))]
pub async fn delete_organization(
    state: &AppState,
    actor: &CurrentUser,
    confirm: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let membership = owner_membership(state, &actor.id).await?;
    let org = &membership.organization;
    if confirm.trim() != org.name {
        return Err(AppError::validation(
            "confirm",
            format!("Type the organization's name, {}, to confirm.", org.name),
        ));
    }
    let now = state.now();
    let members = orgs::members(&state.pool, &org.id, now).await?;
    let mut tx = orgs::lock_team(&state.pool, &org.id).await?;
    let mut revoked = Vec::new();
    for member in &members {
        let keys = revoke_all_in(&mut tx, &member.user_id, now).await?;
        revoked.push((member.user_id.clone(), keys));
    }
    orgs::delete(&mut tx, &org.id).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    record_team_event(
        state,
        &actor.id,
        &org.id,
        EventKind::OrgDeleted,
        client,
        serde_json::json!({"organization": org.name, "members": members.len()}),
    )
    .await?;
    for (user_id, keys) in &revoked {
        record_key_changes(state, user_id, &org.id, keys, None, client).await?;
    }
    for member in members.iter().filter(|member| member.user_id != actor.id) {
        team_notice(state,
            (&member.email, &member.name),
            format!("{} was deleted", org.name),
            format!(
                "{} deleted the organization {}. You are no longer a member, and the API keys you held in it were revoked.",
                actor.name, org.name
            ),
        )
        .await?;
    }
    Ok(())
}
