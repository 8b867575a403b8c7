//! "Require SSO for members" and the members' session lifetimes. Turning
//! the requirement on ends the covered members' sessions that did not
//! begin with SSO (the card says how many first) and keeps the Owner who
//! turns it on as the break-glass sign-in: they must have a password and
//! 2FA, so the organization is never locked out by its identity provider.

use super::{Change, owned_org, record_change, store};
use crate::error::AppError;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::AuthSession;
use crate::server::auth::store::users;
use crate::server::client::ClientMeta;
use crate::server::state::AppState;
use crate::sso::{MIN_ABSOLUTE_HOURS, MIN_IDLE_MINUTES};
use crate::time::{HOUR_MS, MINUTE_MS};
use crate::two_factor::server::active_method;
use crate::two_factor::server::sudo::confirm_sudo;

/// What the enforcement form sent.
pub struct EnforcementForm {
    pub enforced: bool,
    pub allow_api_keys: bool,
    pub password: Option<String>,
    pub code: Option<String>,
}

/// Turns "Require SSO" on or off (sudo mode); returns how many sessions
/// ended.
pub async fn set_enforcement(
    state: &AppState,
    session: &AuthSession,
    form: EnforcementForm,
    client: &ClientMeta,
) -> Result<u64, AppError> {
    let org_id = owned_org(state, session).await?;
    let user_id = &session.user.id;
    let before = store::policy(&state.pool, &org_id).await?;
    let connection = store::find(&state.pool, &org_id).await?;
    let active = connection
        .as_ref()
        .is_some_and(|c| c.activated_at.is_some());
    let break_glass = if form.enforced {
        if !active {
            return Err(AppError::validation(
                "enforced",
                "Single sign-on must be tested and active before it can be required.",
            ));
        }
        if store::domains(&state.pool, &org_id)
            .await?
            .iter()
            .all(|domain| domain.verified_at.is_none())
        {
            return Err(AppError::validation(
                "enforced",
                "Verify at least one domain first: the requirement covers members on verified domains.",
            ));
        }
        // An Owner already keeping the break-glass sign-in keeps it.
        match before
            .sso_break_glass_user_id
            .clone()
            .filter(|_| before.sso_enforced != 0)
        {
            Some(kept) => Some(kept),
            None => {
                if !users::password_set(&state.pool, user_id).await?
                    || active_method(state, user_id).await?.is_none()
                {
                    return Err(AppError::validation(
                        "enforced",
                        "You keep a password + two-factor sign-in while SSO is required, in case the identity provider is down: set a password and turn on two-factor authentication first.",
                    ));
                }
                Some(user_id.clone())
            }
        }
    } else {
        None
    };
    confirm_sudo(state, session, form.password, form.code, client).await?;
    store::set_enforcement(
        &state.pool,
        &org_id,
        form.enforced,
        form.allow_api_keys,
        break_glass.as_deref(),
    )
    .await?;
    let ended = if form.enforced {
        store::end_non_sso_sessions(&state.pool, &org_id, break_glass.as_deref(), state.now())
            .await?
    } else {
        0
    };
    let what = match (form.enforced, form.allow_api_keys) {
        (true, true) => format!(
            "Single sign-on is now required for members on your verified domains; {ended} of their other sessions were signed out. Their API keys keep working. {} keeps a password + 2FA sign-in.",
            session.user.name
        ),
        (true, false) => format!(
            "Single sign-on is now required for members on your verified domains; {ended} of their other sessions were signed out, and their API keys stop working. {} keeps a password + 2FA sign-in.",
            session.user.name
        ),
        (false, _) => {
            "Single sign-on is no longer required: members may sign in any way they have set up."
                .to_string()
        }
    };
    record_change(
        state,
        Change {
            actor: session,
            org_id: &org_id,
            kind: EventKind::SsoEnforcementChanged,
            what: &what,
        },
        Outcome::Success,
        client,
        serde_json::json!({
            "enforced": form.enforced,
            "allow_api_keys": form.allow_api_keys,
            "sessions_ended": ended,
            "break_glass_user_id": break_glass,
        }),
    )
    .await?;
    Ok(ended)
}

/// What the session form sent: blank keeps the server's lifetime.
pub struct SessionForm {
    pub idle_minutes: Option<i64>,
    pub absolute_hours: Option<i64>,
    pub password: Option<String>,
    pub code: Option<String>,
}

/// Sets shorter session lifetimes for the organization's members (sudo
/// mode): each between its minimum and the server's own.
pub async fn set_session_lifetimes(
    state: &AppState,
    session: &AuthSession,
    form: SessionForm,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let org_id = owned_org(state, session).await?;
    let server_idle = state.config.session_idle_ms / MINUTE_MS;
    let server_absolute = state.config.session_absolute_ms / HOUR_MS;
    if let Some(minutes) = form.idle_minutes
        && !(MIN_IDLE_MINUTES..=server_idle).contains(&minutes)
    {
        return Err(AppError::validation(
            "idle_minutes",
            format!(
                "Enter {MIN_IDLE_MINUTES} to {server_idle} minutes, or leave it blank for the server's {server_idle}."
            ),
        ));
    }
    if let Some(hours) = form.absolute_hours
        && !(MIN_ABSOLUTE_HOURS..=server_absolute).contains(&hours)
    {
        return Err(AppError::validation(
            "absolute_hours",
            format!(
                "Enter {MIN_ABSOLUTE_HOURS} to {server_absolute} hours, or leave it blank for the server's {server_absolute}."
            ),
        ));
    }
    confirm_sudo(state, session, form.password, form.code, client).await?;
    let idle_ms = form.idle_minutes.map(|minutes| minutes * MINUTE_MS);
    let absolute_ms = form.absolute_hours.map(|hours| hours * HOUR_MS);
    store::set_session_policy(&state.pool, &org_id, idle_ms, absolute_ms).await?;
    let describe = |value: Option<i64>, unit: &str, default: i64| match value {
        Some(value) => format!("{value} {unit}"),
        None => format!("the server's {default} {unit}"),
    };
    let what = format!(
        "Members' sessions now end after {} without activity and {} after sign-in at the latest.",
        describe(form.idle_minutes, "minutes", server_idle),
        describe(form.absolute_hours, "hours", server_absolute)
    );
    record_change(
        state,
        Change {
            actor: session,
            org_id: &org_id,
            kind: EventKind::SsoSessionPolicyChanged,
            what: &what,
        },
        Outcome::Success,
        client,
        serde_json::json!({"idle_minutes": form.idle_minutes, "absolute_hours": form.absolute_hours}),
    )
    .await
}
