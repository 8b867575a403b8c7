//! Single sign-on on the server: the Owner's card (`overview`), saving the
//! identity provider's settings (`settings`), domains (`domains`),
//! enforcement and session lifetimes (`policy`), and the round trips to
//! the identity provider (`flow`, signing in through it in `sign_in`).
//! Every change is an organization event and mails its Owners.

pub mod callback;
pub mod domains;
pub mod flow;
pub mod policy;
pub mod recheck;
mod refusal;
pub mod settings;
mod sign_in;
pub mod store;

use super::{DomainRow, IdpSettings, SsoOverview};
use crate::error::AppError;
use crate::login_history::server::record::record_event_in;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::AuthSession;
use crate::server::auth::single_sign_on::sso_requirement;
use crate::server::auth::store::users;
use crate::server::client::ClientMeta;
use crate::server::mail::Mail;
use crate::server::mail::compose::{self, LinkMail};
use crate::server::state::AppState;
use crate::team::Role;
use crate::team::server::{members_of, my_membership, owner_membership};
use crate::time::{HOUR_MS, MINUTE_MS};
use crate::two_factor::server::sudo_factor;

/// Where the card sits on the Authentication page.
pub const CARD_PATH: &str = "/settings/authentication#single-sign-on";

/// The Owner's "Single sign-on" card; `None` for anyone who is not an
/// Owner of an organization.
pub async fn overview(
    state: &AppState,
    session: &AuthSession,
) -> Result<Option<SsoOverview>, AppError> {
    let user_id = &session.user.id;
    let membership = match owner_membership(state, user_id).await {
        Ok(membership) => membership,
        Err(AppError::NotFound | AppError::Forbidden) => return Ok(None),
        Err(error) => return Err(error),
    };
    let org = &membership.organization;
    let now = state.now();
    let stored = store::find(&state.pool, &org.id).await?;
    let policy = store::policy(&state.pool, &org.id).await?;
    let break_glass_id = policy
        .sso_break_glass_user_id
        .clone()
        .filter(|_| policy.sso_enforced != 0);
    // Turning enforcement on keeps the caller's sign-in as break-glass.
    let would_keep = break_glass_id.clone().unwrap_or_else(|| user_id.clone());
    let (sessions_to_end, members_to_sign_out) =
        store::non_sso_sessions(&state.pool, &org.id, Some(&would_keep), now).await?;
    let members = members_of(state, &org.id, now).await?;
    let break_glass = break_glass_id.and_then(|id| {
        members
            .iter()
            .find(|member| member.user_id == id)
            .map(|member| format!("{} ({})", member.name, member.email))
    });
    let caller_can_break_glass = users::password_set(&state.pool, user_id).await?
        && members
            .iter()
            .any(|member| &member.user_id == user_id && member.two_factor_method.is_some());
    let domains = store::domains(&state.pool, &org.id)
        .await?
        .into_iter()
        .map(|domain| DomainRow {
            record_name: recheck::record_name(&domain.domain),
            record_value: recheck::record_value(&domain.token),
            domain: domain.domain,
            added_at: domain.created_at,
            verified_at: domain.verified_at,
            checked_at: domain.checked_at,
            missed_checks: domain.missed_checks,
        })
        .collect();
    let settings = |issuer: &Option<String>, client_id: &Option<String>, since: Option<i64>| match (
        issuer, client_id, since,
    ) {
        (Some(issuer), Some(client_id), Some(since)) => Some(IdpSettings {
            issuer: issuer.clone(),
            client_id: client_id.clone(),
            since,
        }),
        _ => None,
    };
    Ok(Some(SsoOverview {
        org_name: org.name.clone(),
        redirect_uri: flow::redirect_uri(state),
        display_name: stored.as_ref().map(|s| s.display_name.clone()),
        active: stored
            .as_ref()
            .and_then(|s| settings(&s.issuer, &s.client_id, s.activated_at)),
        pending: stored
            .as_ref()
            .and_then(|s| settings(&s.pending_issuer, &s.pending_client_id, s.pending_since)),
        discovery: stored
            .as_ref()
            .and_then(|s| s.discovery.as_deref())
            .and_then(|json| serde_json::from_str(json).ok()),
        last_tested_at: stored.as_ref().and_then(|s| s.last_tested_at),
        domains,
        enforced: policy.sso_enforced != 0,
        allow_api_keys: policy.sso_allow_api_keys != 0,
        break_glass,
        caller_can_break_glass,
        sessions_to_end,
        members_to_sign_out,
        idle_minutes: policy.session_idle_ms.map(|ms| ms / MINUTE_MS),
        absolute_hours: policy.session_absolute_ms.map(|ms| ms / HOUR_MS),
        server_idle_minutes: state.config.session_idle_ms / MINUTE_MS,
        server_absolute_hours: state.config.session_absolute_ms / HOUR_MS,
        needs_sudo: session.require_recent_auth(now).is_err(),
        sudo_factor: sudo_factor(state, user_id).await?,
    }))
}

/// The caller's organization id, when they are its Owner.
async fn owned_org(state: &AppState, session: &AuthSession) -> Result<String, AppError> {
    Ok(owner_membership(state, &session.user.id)
        .await?
        .organization
        .id)
}

/// Records an SSO change as an event of the organization and of the
/// Owner who made it, and mails every Owner about it.
async fn record_change(
    state: &AppState,
    change: Change<'_>,
    outcome: Outcome,
    client: &ClientMeta,
    detail: serde_json::Value,
) -> Result<(), AppError> {
    record_event_in(
        state,
        Some(&change.actor.user.id),
        Some(change.org_id),
        change.kind,
        outcome,
        client,
        detail,
    )
    .await?;
    if outcome == Outcome::Success {
        mail_owners(state, change.org_id, change.actor, change.what).await?;
    }
    Ok(())
}

/// One SSO change for `record_change`.
struct Change<'a> {
    actor: &'a AuthSession,
    org_id: &'a str,
    kind: EventKind,
    /// The sentence the Owners' mail begins with.
    what: &'a str,
}

/// Tells every Owner of the organization what changed and who changed it.
async fn mail_owners(
    state: &AppState,
    org_id: &str,
    actor: &AuthSession,
    what: &str,
) -> Result<(), AppError> {
    let intro = format!(
        "{what} Changed by {} ({}). Review it in Settings → Authentication → Single sign-on.",
        actor.user.name, actor.user.email
    );
    let mails = mails_to_owners(
        state,
        org_id,
        "Your organization's single sign-on changed",
        &intro,
        "Your own account and its security settings are unchanged.",
    )
    .await?;
    for mail in &mails {
        state.enqueue_mail(mail, None).await?;
    }
    Ok(())
}

/// One mail to each Owner of the organization about its single sign-on,
/// whose button opens the Single sign-on card.
pub(super) async fn mails_to_owners(
    state: &AppState,
    org_id: &str,
    subject: &str,
    intro: &str,
    expiry: &str,
) -> Result<Vec<Mail>, AppError> {
    let members = members_of(state, org_id, state.now()).await?;
    let url = format!(
        "{}/settings/authentication#single-sign-on",
        state.config.public_url.origin
    );
    Ok(members
        .iter()
        .filter(|member| member.role == Role::Owner)
        .map(|owner| {
            compose::link_mail(&LinkMail {
                to: owner.email.clone(),
                recipient_name: owner.name.clone(),
                subject: subject.to_string(),
                intro: intro.to_string(),
                button: "Open single sign-on settings".into(),
                url: url.clone(),
                expiry: expiry.into(),
                footer: "You get this because you are an Owner of the organization.".into(),
            })
        })
        .collect())
}

/// The organization's SSO as a member who is not an Owner sees it: `None`
/// outside an organization, for Owners (they get the whole card) and while
/// no SSO is active.
pub async fn member_view(
    state: &AppState,
    session: &AuthSession,
) -> Result<Option<super::MemberSso>, AppError> {
    let membership = match my_membership(state, &session.user.id).await {
        Ok(membership) => membership,
        Err(AppError::NotFound) => return Ok(None),
        Err(error) => return Err(error),
    };
    if membership.role == Role::Owner {
        return Ok(None);
    }
    let org = &membership.organization;
    let Some(stored) = store::find(&state.pool, &org.id).await? else {
        return Ok(None);
    };
    if stored.activated_at.is_none() {
        return Ok(None);
    }
    let policy = store::policy(&state.pool, &org.id).await?;
    let covered = sso_requirement(&state.pool, &session.user.id)
        .await?
        .is_some();
    Ok(Some(super::MemberSso {
        organization: org.name.clone(),
        provider: stored.display_name,
        required: policy.sso_enforced != 0,
        covered,
    }))
}

/// Which organization's active SSO serves `email`'s domain.
pub async fn choice_for(
    state: &AppState,
    email: &str,
    client: &ClientMeta,
) -> Result<Option<super::SsoChoice>, AppError> {
    state
        .hit_limit(
            crate::server::rate_limit::SSO_LOOKUPS_PER_IP,
            &client.ip_bucket(),
            state.now(),
        )
        .await?;
    let email = crate::account::normalize_email(email);
    let Some(domain) = super::email_domain(&email) else {
        return Ok(None);
    };
    Ok(store::sso_for_domain(&state.pool, &domain)
        .await?
        .map(|found| super::SsoChoice {
            display_name: found.display_name,
            domain,
            required: found.sso_enforced != 0,
        }))
}
