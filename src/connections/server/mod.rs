//! Connected accounts on the server: the list, starting a round trip to a
//! provider, disconnecting, and what a recovery removes. The callback that
//! ends a round trip is in `callback`, signing in through it in `sign_in`.

pub mod callback;
mod refusal;
mod sign_in;
pub mod store;

use super::{Connection, ConnectionsOverview, ProviderChoice, provider_key_problem};
use crate::error::AppError;
use crate::login_history::EventKind;
use crate::login_history::server::record::record_event;
use crate::server::auth::AuthSession;
use crate::server::auth::set_cookie;
use crate::server::auth::store::users;
use crate::server::client::ClientMeta;
use crate::server::identity::ProviderFailure;
use crate::server::identity::flow::{FLOW_TTL_MS, FlowTicket, Intent};
use crate::server::identity::settings::ProviderSettings;
use crate::server::rate_limit::WindowLimit;
use crate::server::state::AppState;
use crate::time::MINUTE_MS;
use crate::two_factor::server::sudo::confirm_sudo;
use crate::two_factor::server::sudo_factor;

/// Round trips started per IP address: each may make the server call the
/// provider once it comes back.
pub const STARTS_PER_IP: WindowLimit = WindowLimit {
    name: "oauth-start-ip",
    limit: 60,
    window_ms: 10 * MINUTE_MS,
};

/// The configured providers as the pages name them.
pub fn choices(state: &AppState) -> Vec<ProviderChoice> {
    state.identity.all().iter().map(choice).collect()
}

fn choice(provider: &ProviderSettings) -> ProviderChoice {
    ProviderChoice {
        key: provider.key.clone(),
        label: provider.label.clone(),
    }
}

/// How the pages name the provider of a stored connection: one connected
/// while it was configured is still listed (by its key) so it can go.
fn choice_for(state: &AppState, key: &str) -> ProviderChoice {
    match state.identity.find(key) {
        Some(provider) => choice(provider),
        None => ProviderChoice {
            key: key.to_string(),
            label: key.to_string(),
        },
    }
}

/// The configured provider `key`, or a validation error naming the field.
fn configured<'a>(state: &'a AppState, key: &str) -> Result<&'a ProviderSettings, AppError> {
    let unknown =
        || AppError::validation("provider", "That sign-in provider is not available here.");
    if provider_key_problem(key).is_some() {
        return Err(unknown());
    }
    state.identity.find(key).ok_or_else(unknown)
}

/// The Authentication page's list for the signed-in user.
pub async fn overview(
    state: &AppState,
    session: &AuthSession,
) -> Result<ConnectionsOverview, AppError> {
    let user_id = &session.user.id;
    let stored = store::list(&state.pool, user_id).await?;
    let connections = stored
        .into_iter()
        .map(|row| Connection {
            provider: choice_for(state, &row.provider),
            account: row.account_label,
            connected_at: row.created_at,
            last_used_at: row.last_used_at,
        })
        .collect();
    let sudo_factor = sudo_factor(state, user_id).await?;
    Ok(ConnectionsOverview {
        providers: choices(state),
        connections,
        has_password: users::password_set(&state.pool, user_id).await?,
        has_passkey: sudo_factor.passkey,
        sudo_factor,
        needs_sudo: session.require_recent_auth(state.now()).is_err(),
    })
}

/// The password and code of a sudo prompt, as sent.
pub struct Sudo {
    pub password: Option<String>,
    pub code: Option<String>,
}

/// Starts connecting `provider_key` to the signed-in account: the
/// provider is checked first (a refusal costs no sudo confirmation and
/// rotates nothing), then sudo mode, then the round trip.
pub async fn start_connect(
    state: &AppState,
    session: &AuthSession,
    provider_key: &str,
    sudo: Sudo,
    client: &ClientMeta,
) -> Result<(), AppError> {
    configured(state, provider_key)?;
    confirm_sudo(state, session, sudo.password, sudo.code, client).await?;
    start(
        state,
        provider_key,
        Intent::Connect,
        "/settings/authentication",
        Some(session),
        client,
    )
    .await
}

/// Starts a round trip to `provider_key`: seals `state`, `nonce` and the
/// PKCE verifier into the flow cookie and sends the browser to the
/// provider. `session` is the signed-in caller of a `Connect`.
pub async fn start(
    state: &AppState,
    provider_key: &str,
    intent: Intent,
    next: &str,
    session: Option<&AuthSession>,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let provider = configured(state, provider_key)?;
    state
        .hit_limit(STARTS_PER_IP, &client.ip_bucket(), state.now())
        .await?;
    let authorization = state
        .identity
        .authorization(provider)
        .await
        .map_err(|failure| unavailable(provider, failure))?;
    let ticket = FlowTicket {
        provider: provider.key.clone(),
        intent,
        state: authorization.state,
        nonce: authorization.nonce,
        verifier: authorization.verifier,
        next: next.to_string(),
        session_id: session.map(|session| session.session_id.clone()),
        expires_at: state.now() + FLOW_TTL_MS,
        org_id: None,
        settings_saved_at: None,
    };
    set_cookie(&state.flow_cookie(&ticket)?)?;
    leptos_axum::redirect(&authorization.url);
    Ok(())
}

/// A provider that cannot start a round trip (its discovery failed).
fn unavailable(provider: &ProviderSettings, failure: ProviderFailure) -> AppError {
    tracing::warn!(
        provider = provider.key,
        reason = failure.reason(),
        "a provider could not start a sign-in"
    );
    AppError::validation(
        "provider",
        format!(
            "{} is not answering properly right now. Please try again in a few minutes.",
            provider.label
        ),
    )
}

/// Disconnects the account at `provider_key` in sudo mode, unless nothing
/// else could sign in afterwards (no password, no passkey, no other
/// connection). What would be refused is refused before sudo mode is
/// asked for.
pub async fn disconnect(
    state: &AppState,
    session: &AuthSession,
    provider_key: &str,
    sudo: Sudo,
    client: &ClientMeta,
) -> Result<(), AppError> {
    if provider_key_problem(provider_key).is_some() {
        return Err(AppError::NotFound);
    }
    let overview = overview(state, session).await?;
    let Some(connection) = overview
        .connections
        .iter()
        .find(|connection| connection.provider.key == provider_key)
    else {
        return Err(AppError::NotFound);
    };
    if !overview.can_disconnect() {
        return Err(AppError::validation(
            "provider",
            format!(
                "{} is your only way to sign in. Set a password (use “Forgot password?” on the sign-in page) or add a passkey first.",
                connection.provider.label
            ),
        ));
    }
    confirm_sudo(state, session, sudo.password, sudo.code, client).await?;
    if !store::delete_for_provider(&state.pool, &session.user.id, provider_key).await? {
        return Err(AppError::NotFound);
    }
    record_connection_event(
        state,
        &session.user.id,
        EventKind::OAuthDisconnected,
        &connection.provider,
        &connection.account,
        "disconnected",
        client,
    )
    .await
}

/// Records a connection's arrival or departure (its notice mails the owner
/// with a "This wasn't me" link).
async fn record_connection_event(
    state: &AppState,
    user_id: &str,
    kind: EventKind,
    provider: &ProviderChoice,
    account: &str,
    reason: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    record_event(
        state,
        Some(user_id),
        kind,
        crate::login_history::Outcome::Success,
        client,
        serde_json::json!({
            "provider": provider.key,
            "provider_label": provider.label,
            "account": account,
            "reason": reason,
        }),
    )
    .await
}

/// Removes the connections a recovery disowns: made by one of the ended
/// `sessions`, since `since` where the maker is unknown, or all with
/// `every`. Returns "GitHub (octocat)" for each, for the recovery's report.
pub async fn remove_disowned(
    state: &AppState,
    user_id: &str,
    sessions: &[String],
    since: Option<i64>,
    every: bool,
    client: &ClientMeta,
) -> Result<Vec<String>, AppError> {
    let disowned: Vec<store::StoredConnection> = store::list(&state.pool, user_id)
        .await?
        .into_iter()
        .filter(|row| {
            every
                || row
                    .created_session_id
                    .as_ref()
                    .is_some_and(|session| sessions.contains(session))
                || since.is_some_and(|since| row.created_at >= since)
        })
        .collect();
    let ids: Vec<String> = disowned.iter().map(|row| row.id.clone()).collect();
    store::delete_ids(&state.pool, user_id, &ids).await?;
    let mut removed = Vec::with_capacity(disowned.len());
    for row in disowned {
        let provider = choice_for(state, &row.provider);
        record_connection_event(
            state,
            user_id,
            EventKind::OAuthDisconnected,
            &provider,
            &row.account_label,
            "recovery",
            client,
        )
        .await?;
        removed.push(format!("{} ({})", provider.label, row.account_label));
    }
    Ok(removed)
}
