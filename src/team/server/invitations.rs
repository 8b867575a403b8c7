//! Invitations by email: a single-use 256-bit link, valid for 7 days, stored
//! only as SHA-256, mailed through the queue. Accepting checks the account,
//! the role's 2FA need and that the person is in no other organization.

use crate::account::{CurrentUser, email_problem, normalize_email};
use crate::error::AppError;
use crate::ids::is_uuid_shaped;
use crate::login_history::EventKind;
use crate::login_history::server::record::record_team_event;
use crate::server::client::ClientMeta;
use crate::server::crypto::RandomToken;
use crate::server::db::new_id;
use crate::server::mail::compose::LinkMail;
use crate::server::mail::{Mail, compose};
use crate::server::rate_limit::WindowLimit;
use crate::server::state::AppState;
use crate::team::server::policy::{cap_keys_in, record_key_changes};
use crate::team::server::store::invitations::{NewInvitation, StoredInvitation};
use crate::team::server::{managing_membership, store as orgs};
use crate::team::{INVITATION_TTL_MS, InvitationPreview, Role};
use crate::time::{DAY_MS, HOUR_MS, utc_datetime};
use crate::two_factor::server::active_method;

/// How many invitations one organization may send a day.
pub const INVITATIONS_PER_DAY: i64 = 50;

/// Invitation ids are UUIDs; anything else is refused before the database.
pub fn check_invitation_id(id: &str) -> Result<String, AppError> {
    let id = id.trim().to_ascii_lowercase();
    if is_uuid_shaped(&id) {
        Ok(id)
    } else {
        Err(AppError::validation(
            "invitation_id",
            "That invitation id is not valid.",
        ))
    }
}

/// Why a well-formed invitation link cannot be used, in words the invitee can act on.
fn unusable(invitation: Option<&StoredInvitation>, now: i64) -> Option<AppError> {
    let message = match invitation {
        None => "This invitation link is not valid. Ask for a new invitation.".to_string(),
        Some(i) if i.accepted_at.is_some() => {
            "This invitation was already used. Ask for a new one if you still need to join."
                .to_string()
        }
        Some(i) if i.revoked_at.is_some() => format!(
            "This invitation to {} was withdrawn or replaced by a newer one. Use the latest email, or ask for a new invitation.",
            i.org_name
        ),
        Some(i) if i.expires_at <= now => format!(
            "This invitation to {} expired on {}. Ask an Owner or Admin for a new one.",
            i.org_name,
            utc_datetime(i.expires_at)
        ),
        Some(_) => return None,
    };
    Some(AppError::validation("token", message))
}

/// `ja…@example.com`: enough for the invitee to recognise, little for anyone else.
fn email_hint(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let shown: String = local.chars().take(2).collect();
            format!("{shown}…@{domain}")
        }
        None => "…".into(),
    }
}

/// The invitation email: who invites (by their confirmed address), as what,
/// and the link. The invitee has not opted in to anything, so no text the
/// inviter chose (their name, the organization's name) goes in; the page
/// the link opens shows those.
fn invitation_mail(
    actor: &CurrentUser,
    email: &str,
    role: Role,
    url: String,
    expires_at: i64,
) -> Mail {
    compose::link_mail(&LinkMail {
        to: email.to_string(),
        recipient_name: String::new(),
        subject: "You are invited to join a team".into(),
        intro: format!(
            "{} invited you to join their organization on {} as {}: {} The link shows the organization before you decide.",
            actor.email,
            compose::PRODUCT,
            role.label(),
            role.description()
        ),
        button: "See the invitation".into(),
        url,
        expiry: format!(
            "The link works once, until {} (7 days).",
            utc_datetime(expires_at)
        ),
        footer: "If you did not expect this, ignore this email: nothing happens unless you accept."
            .into(),
    })
}

/// Invitations one account may send; with the per-IP and service-wide
/// limits, no fresh account or organization can turn them into a mail relay.
pub const INVITATIONS_PER_ACCOUNT: WindowLimit = WindowLimit {
    name: "invite-user",
    limit: 20,
    window_ms: HOUR_MS,
};
/// Invitations sent from one IP address (an IPv6 /64).
pub const INVITATIONS_PER_IP: WindowLimit = WindowLimit {
    name: "invite-ip",
    limit: 40,
    window_ms: HOUR_MS,
};
/// Invitations sent on the whole service.
pub const INVITATIONS_GLOBAL: WindowLimit = WindowLimit {
    name: "invite-all",
    limit: 1000,
    window_ms: HOUR_MS,
};

/// Invites `email` with `role` (Owners and Admins; Admins cannot invite
/// Owners) and mails the link. A newer invitation to the same address
/// replaces the older one.
#[tracing::instrument(skip(state, actor, email, client), fields(actor = %actor.id))]
pub async fn invite_member(
    state: &AppState,
    actor: &CurrentUser,
    email: &str,
    role: Role,
    client: &ClientMeta,
) -> Result<(), AppError> {
    actor.require_verified_email()?;
    let membership = managing_membership(state, &actor.id).await?;
    let org = &membership.organization;
    if role == Role::Owner {
        return Err(AppError::validation(
            "role",
            "Invite people as Admin, Member or Viewer; make them Owner once they have joined.",
        ));
    }
    if !membership.role.may_manage(role) {
        return Err(AppError::Forbidden);
    }
    let email = normalize_email(email);
    if let Some(problem) = email_problem(&email) {
        return Err(AppError::validation("email", problem));
    }
    let now = state.now();
    let members = orgs::members(&state.pool, &org.id, now).await?;
    if members.iter().any(|member| member.email == email) {
        return Err(AppError::validation(
            "email",
            format!("{email} is already a member of {}.", org.name),
        ));
    }
    let sent_today =
        orgs::invitations::invitations_since(&state.pool, &org.id, now - DAY_MS).await?;
    if sent_today >= INVITATIONS_PER_DAY {
        return Err(AppError::RateLimited {
            retry_after: 60 * 60,
        });
    }
    state
        .hit_limit(INVITATIONS_PER_ACCOUNT, &actor.id, now)
        .await?;
    state
        .hit_limit(INVITATIONS_PER_IP, &client.ip_bucket(), now)
        .await?;
    state.hit_limit(INVITATIONS_GLOBAL, "all", now).await?;
    let token = RandomToken::generate();
    let expires_at = now + INVITATION_TTL_MS;
    orgs::invitations::insert_invitation(
        &state.pool,
        &NewInvitation {
            id: &new_id(),
            org_id: &org.id,
            email: &email,
            role,
            token_hash: &token.hash(),
            invited_by: &actor.id,
            now,
            expires_at,
        },
    )
    .await?;
    let url = format!(
        "{}/join?token={}",
        state.config.public_url.origin,
        token.expose()
    );
    let mail = invitation_mail(actor, &email, role, url, expires_at);
    state.enqueue_mail(&mail, None).await?;
    record_team_event(
        state,
        &actor.id,
        &org.id,
        EventKind::OrgMemberInvited,
        client,
        serde_json::json!({"email": email, "role": role.label()}),
    )
    .await
}

/// Withdraws every pending invitation `user_id` sent (a recovery: an
/// intruder must not keep a way in for someone else); returns how many.
pub async fn withdraw_invitations_sent_by(
    state: &AppState,
    user_id: &str,
) -> Result<u64, AppError> {
    Ok(orgs::invitations::revoke_sent_by(&state.pool, user_id, state.now()).await?)
}

/// Withdraws a pending invitation (Owners and Admins).
pub async fn revoke_invitation(
    state: &AppState,
    actor: &CurrentUser,
    invitation_id: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let membership = managing_membership(state, &actor.id).await?;
    let org = &membership.organization;
    let email =
        orgs::invitations::revoke_invitation(&state.pool, &org.id, invitation_id, state.now())
            .await?
            .ok_or(AppError::NotFound)?;
    record_team_event(
        state,
        &actor.id,
        &org.id,
        EventKind::OrgInvitationRevoked,
        client,
        serde_json::json!({"email": email}),
    )
    .await
}

/// What an invitation link offers, or why it cannot be used. The invited
/// address is named only to the account it was sent to.
pub async fn preview_invitation(
    state: &AppState,
    token: &RandomToken,
    signed_in: Option<&CurrentUser>,
) -> Result<InvitationPreview, AppError> {
    let now = state.now();
    let invitation = orgs::invitations::invitation_by_token(&state.pool, &token.hash()).await?;
    if let Some(error) = unusable(invitation.as_ref(), now) {
        return Err(error);
    }
    let invitation = invitation.ok_or(AppError::NotFound)?;
    let for_me = signed_in.map(|user| user.email == invitation.email);
    Ok(InvitationPreview {
        organization: invitation.org_name,
        role: invitation.role,
        invited_by: invitation.invited_by,
        expires_at: invitation.expires_at,
        email_hint: if for_me == Some(true) {
            invitation.email
        } else {
            email_hint(&invitation.email)
        },
        for_signed_in_account: for_me,
    })
}

/// Joins the invitation's organization: once, by the invited account,
/// with 2FA when the role needs it, from outside any other organization.
/// Returns the organization's name.
#[tracing::instrument(skip(state, user, token, client), fields(user = %user.id))]
pub async fn accept_invitation(
    state: &AppState,
    user: &CurrentUser,
    token: &RandomToken,
    client: &ClientMeta,
) -> Result<String, AppError> {
    user.require_verified_email()?;
    let now = state.now();
    let invitation = orgs::invitations::invitation_by_token(&state.pool, &token.hash()).await?;
    if let Some(error) = unusable(invitation.as_ref(), now) {
        return Err(error);
    }
    let invitation = invitation.ok_or(AppError::NotFound)?;
    if invitation.email != user.email {
        return Err(AppError::validation(
            "token",
            format!(
                "This invitation was sent to {}, and you are signed in as {}. Sign in with the invited address to accept it.",
                email_hint(&invitation.email),
                user.email
            ),
        ));
    }
    if let Some(current) = orgs::membership(&state.pool, &user.id).await? {
        return Err(AppError::validation(
            "token",
            format!(
                "You already belong to {}. Leave it before you join {}.",
                current.organization.name, invitation.org_name
            ),
        ));
    }
    if invitation.role.requires_two_factor() && active_method(state, &user.id).await?.is_none() {
        return Err(AppError::validation(
            "token",
            format!(
                "This invitation makes you {} of {}, which needs two-factor authentication. Turn it on in Settings → Security, then open the link again.",
                invitation.role.label(),
                invitation.org_name
            ),
        ));
    }
    let mut tx = orgs::lock_team(&state.pool, &invitation.org_id).await?;
    if !orgs::invitations::consume_invitation(&mut tx, &invitation.id, &user.id, now).await? {
        return Err(AppError::validation(
            "token",
            "This invitation was used or withdrawn a moment ago. Ask for a new one.",
        ));
    }
    if !orgs::add_member(&mut tx, &invitation.org_id, &user.id, invitation.role, now).await? {
        return Err(AppError::validation(
            "token",
            "You already belong to an organization. Leave it before you join another.",
        ));
    }
    let reduced = cap_keys_in(state, &mut tx, &user.id, invitation.role).await?;
    tx.commit().await.map_err(anyhow::Error::from)?;
    record_team_event(
        state,
        &user.id,
        &invitation.org_id,
        EventKind::OrgMemberJoined,
        client,
        serde_json::json!({"member": user.email, "role": invitation.role.label()}),
    )
    .await?;
    record_key_changes(
        state,
        &user.id,
        &invitation.org_id,
        &reduced,
        Some(invitation.role),
        client,
    )
    .await?;
    Ok(invitation.org_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_hints_show_little() {
        assert_eq!(email_hint("jane@example.com"), "ja…@example.com");
        assert_eq!(email_hint("j@x.io"), "j…@x.io");
    }

    #[test]
    fn unusable_invitations_say_why() {
        let base = StoredInvitation {
            id: "i".into(),
            org_id: "o".into(),
            org_name: "Acme".into(),
            email: "a@b.io".into(),
            role: Role::Member,
            invited_by: "Owner".into(),
            created_at: 0,
            expires_at: 100,
            accepted_at: None,
            revoked_at: None,
        };
        assert!(unusable(Some(&base), 99).is_none());
        let says = |invitation: Option<&StoredInvitation>, now| match unusable(invitation, now) {
            Some(AppError::Validation { message, .. }) => message,
            other => panic!("{other:?}"),
        };
        assert!(says(Some(&base), 100).contains("expired"));
        assert!(says(None, 0).contains("not valid"));
        let used = StoredInvitation {
            accepted_at: Some(5),
            ..base.clone()
        };
        assert!(says(Some(&used), 0).contains("already used"));
        let revoked = StoredInvitation {
            revoked_at: Some(5),
            ..base
        };
        assert!(says(Some(&revoked), 0).contains("withdrawn"));
    }
}
