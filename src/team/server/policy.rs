//! The organization's security policy on the server: who must have 2FA and
//! from when (the gate is gate.rs), the policy settings (with the passkey
//! rule, whose gate is passkey_gate.rs), 2FA reminders, and the API keys a
//! role change lowers.

use crate::account::CurrentUser;
use crate::api_keys::server::{ChangedKey, reduce_to_cap};
use crate::error::AppError;
use crate::login_history::server::record::{record_event_in, record_team_event};
use crate::login_history::{EventKind, Outcome};
use crate::server::client::ClientMeta;
use crate::server::mail::compose;
use crate::server::mail::compose::LinkMail;
use crate::server::state::AppState;
use crate::team::server::{managing_membership, owner_membership, store as orgs};
use crate::team::{Organization, REMINDER_INTERVAL_MS, Role};
use crate::time::utc_datetime;
use sqlx::{Any, Transaction};

/// Changes the organization's name and 2FA policy (Owners only). Turning
/// production or "require 2FA" on starts the grace period now.
#[tracing::instrument(skip(state, actor, client), fields(actor = %actor.id))]
pub async fn update_org_policy(
    state: &AppState,
    actor: &CurrentUser,
    wanted: OrgPolicy,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let membership = owner_membership(state, &actor.id).await?;
    let before = membership.organization;
    let now = state.now();
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
    orgs::update_policy(&state.pool, &after).await?;
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
    record_team_event(
        state,
        &actor.id,
        &after.id,
        EventKind::OrgPolicyChanged,
        client,
        serde_json::Value::Object(changes),
    )
    .await
}

/// Turns the organization's "require a passkey for Owners and Admins" rule
/// on or off (Owners only; the server function asks for sudo mode first).
/// Turning it on starts the organization's grace period now, and needs a
/// passkey of the Owner first: the rule covers them too.
#[tracing::instrument(skip(state, actor, client), fields(actor = %actor.id))]
pub async fn update_passkey_policy(
    state: &AppState,
    actor: &CurrentUser,
    require_passkey: bool,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let membership = owner_membership(state, &actor.id).await?;
    let org = membership.organization;
    if org.require_passkey == require_passkey {
        return Ok(());
    }
    if require_passkey && !membership.has_passkey {
        return Err(AppError::validation(
            "policy",
            "Add a passkey to your own account first (Settings → Authentication): the rule covers you too.",
        ));
    }
    let since = require_passkey.then(|| state.now());
    orgs::update_passkey_policy(&state.pool, &org.id, since).await?;
    record_team_event(
        state,
        &actor.id,
        &org.id,
        EventKind::OrgPolicyChanged,
        client,
        serde_json::json!({"require_passkey": require_passkey}),
    )
    .await
}

/// Mails members without 2FA a reminder (all of them, or the one given),
/// at most once a day each; returns how many were reminded.
#[tracing::instrument(skip(state, actor, client), fields(actor = %actor.id))]
pub async fn remind_about_two_factor(
    state: &AppState,
    actor: &CurrentUser,
    only: Option<&str>,
    client: &ClientMeta,
) -> Result<usize, AppError> {
    let membership = managing_membership(state, &actor.id).await?;
    let org = &membership.organization;
    let now = state.now();
    let members = orgs::members(&state.pool, &org.id, now).await?;
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
            &state.pool,
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
                utc_datetime(org.grace_deadline_for(member.joined_at))
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
                state.config.public_url.origin
            ),
            expiry: deadline,
            footer: "An authenticator app (recommended) or SMS, plus backup codes.".into(),
        });
        state.enqueue_mail(&mail, None).await?;
        record_team_event(
            state,
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

/// Lowers the user's keys to what `role` allows, inside a team change.
pub async fn cap_keys_in(
    _state: &AppState,
    tx: &mut Transaction<'static, Any>,
    user_id: &str,
    role: Role,
) -> anyhow::Result<Vec<ChangedKey>> {
    reduce_to_cap(tx, user_id, role.key_permission_cap()).await
}

/// Records, in the key owner's history and the organization's, the keys a
/// team change lowered (`role` is the new role) or revoked (`None`).
pub async fn record_key_changes(
    state: &AppState,
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
        record_event_in(
            state,
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

/// An owner's choice of name and 2FA policy.
#[derive(Clone, Debug)]
pub struct OrgPolicy {
    pub name: String,
    pub production: bool,
    pub require_two_factor: bool,
    pub grace_days: i64,
}
