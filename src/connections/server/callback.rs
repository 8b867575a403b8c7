//! The end of a round trip: the provider sends the browser back with a
//! `code` and our `state`. Nothing is believed until the browser's sealed
//! flow cookie matches (this provider, this `state`, not expired; a
//! connection also needs the same session that started it), the provider
//! redeems the code against our PKCE verifier, and, for OpenID Connect, the
//! ID token verifies with our nonce. Every failure lands on a page that says
//! what happened, records an event, and links nothing.

use super::refusal::Refusal;
use super::sign_in::sign_in_with;
use super::{choice, record_connection_event, store};
use crate::connections::{ConnectionProblem, ProviderChoice};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::{current_session, request_parts, set_cookie};
use crate::server::client::ClientMeta;
use crate::server::db::new_id;
use crate::server::identity::ProviderIdentity;
use crate::server::identity::flow::{FlowTicket, Intent, code_for_ticket, names_other_issuer};
use crate::server::identity::settings::{ProviderKind, ProviderSettings};
use crate::server::rate_limit::WindowLimit;
use crate::server::state::AppState;
use crate::time::MINUTE_MS;

/// Callbacks that reach a provider, per IP address.
pub const CALLBACKS_PER_IP: WindowLimit = WindowLimit {
    name: "oauth-callback-ip",
    limit: 30,
    window_ms: 10 * MINUTE_MS,
};

/// What the provider put in the callback URL.
pub struct ProviderAnswer {
    pub provider: String,
    pub code: Option<String>,
    pub state: Option<String>,
    /// OAuth's `error` (e.g. `access_denied`); its text is never shown.
    pub error: Option<String>,
    /// The issuer that answered (RFC 9207), when the provider names it.
    pub iss: Option<String>,
}

/// Finishes the round trip the flow cookie describes; always ends in a
/// redirect (to `next`, the 2FA challenge, or a page naming the problem).
pub async fn finish(
    state: &AppState,
    answer: ProviderAnswer,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let headers = request_parts()?.headers;
    let provider = state
        .identity
        .find(&answer.provider)
        .filter(|_| crate::connections::provider_key_problem(&answer.provider).is_none());
    let ticket = provider.and_then(|provider| state.flow_ticket(&headers, &provider.key));
    // The ticket is good for one callback, whatever becomes of it.
    set_cookie(&state.clearing_flow_cookie())?;
    let Some(settings) = provider else {
        let unknown = Refusal::new(ConnectionProblem::UnknownProvider, "unknown_provider");
        return refuse(state, None, &unknown, None, client).await;
    };
    let provider = choice(settings);
    let intent = ticket.as_ref().map(|ticket| ticket.intent);
    let outcome = match ticket {
        None => Err(Refusal::new(ConnectionProblem::Expired, "no_flow")),
        Some(ticket) => complete(state, settings, &provider, &answer, ticket, client).await?,
    };
    match outcome {
        Ok(()) => Ok(()),
        Err(refusal) => refuse(state, Some(&provider), &refusal, intent, client).await,
    }
}

/// The checks and the work once the browser holds a ticket for this
/// provider. `Ok(Err(_))` is a refusal to show; `Err(_)` a server fault.
async fn complete(
    state: &AppState,
    settings: &ProviderSettings,
    provider: &ProviderChoice,
    answer: &ProviderAnswer,
    ticket: FlowTicket,
    client: &ClientMeta,
) -> Result<Result<(), Refusal>, AppError> {
    let code = match code_for_ticket(
        &ticket,
        answer.error.as_deref(),
        answer.state.as_deref(),
        answer.code.as_deref(),
    ) {
        Ok(code) => code,
        Err(problem) => return Ok(Err(Refusal::from(problem))),
    };
    let session = match ticket.intent {
        Intent::SignIn => None,
        Intent::SsoSignIn | Intent::SsoTest => {
            return Ok(Err(Refusal::new(ConnectionProblem::Expired, "wrong_flow")));
        }
        Intent::Connect => match current_session().await? {
            Some(session) if Some(&session.session_id) == ticket.session_id.as_ref() => {
                Some(session)
            }
            _ => {
                return Ok(Err(Refusal::new(
                    ConnectionProblem::Expired,
                    "session_changed",
                )));
            }
        },
    };
    // A ticket can be presented again until it expires (the cookie is
    // only the browser's); each presentation that reaches the provider is
    // counted per IP address, so a copied ticket cannot make us call a
    // provider without end.
    if state
        .hit_limit(CALLBACKS_PER_IP, &client.ip_bucket(), state.now())
        .await
        .is_err()
    {
        return Ok(Err(Refusal::new(
            ConnectionProblem::TooManyAttempts,
            "callback_limit",
        )));
    }
    if let ProviderKind::Oidc { issuer } = &settings.kind
        && names_other_issuer(answer.iss.as_deref(), issuer)
    {
        // Another provider's answer sent to this provider's callback (a mix-up).
        return Ok(Err(Refusal::new(
            ConnectionProblem::Unverifiable,
            "issuer_mismatch",
        )));
    }
    let identity = match state
        .identity
        .identify(settings, code, &ticket.verifier, &ticket.nonce)
        .await
    {
        Ok(identity) => identity,
        Err(failure) => {
            let mut refusal = Refusal::from(failure);
            refusal.user_id = session.as_ref().map(|session| session.user.id.clone());
            return Ok(Err(refusal));
        }
    };
    match session {
        Some(session) => {
            connect(
                state,
                provider,
                &identity,
                &session.user.id,
                &session.session_id,
                client,
            )
            .await
        }
        None => sign_in_with(state, provider, &identity, &ticket.next, client).await,
    }
}

/// Connects `identity` to the signed-in account, unless it belongs to
/// another account or this one already has a connection there.
async fn connect(
    state: &AppState,
    provider: &ProviderChoice,
    identity: &ProviderIdentity,
    user_id: &str,
    session_id: &str,
    client: &ClientMeta,
) -> Result<Result<(), Refusal>, AppError> {
    let taken = |problem, reason| {
        Ok(Err(Refusal {
            problem,
            reason,
            user_id: Some(user_id.to_string()),
        }))
    };
    if let Some(existing) =
        store::find_by_subject(&state.pool, &provider.key, &identity.subject).await?
    {
        return if existing.user_id == user_id {
            taken(ConnectionProblem::AlreadyConnected, "already_connected")
        } else {
            taken(ConnectionProblem::ConnectedElsewhere, "connected_elsewhere")
        };
    }
    let inserted = store::insert(
        &state.pool,
        &store::NewConnection {
            id: &new_id(),
            user_id,
            provider: &provider.key,
            subject: &identity.subject,
            account_label: &identity.account_label,
            now: state.now(),
            session_id: Some(session_id),
            used_now: false,
        },
    )
    .await?;
    if !inserted {
        // Another connection at this provider, or a race for the identity.
        return taken(ConnectionProblem::AlreadyConnected, "already_connected");
    }
    record_connection_event(
        state,
        user_id,
        EventKind::OAuthConnected,
        provider,
        &identity.account_label,
        "connected",
        client,
    )
    .await?;
    leptos_axum::redirect(&format!(
        "/settings/authentication?connected={}#connections",
        provider.key
    ));
    Ok(Ok(()))
}

/// Records the refusal and sends the browser where it can read it: the
/// Authentication page for a connection (or a signed-in browser), else
/// the sign-in page.
async fn refuse(
    state: &AppState,
    provider: Option<&ProviderChoice>,
    refusal: &Refusal,
    intent: Option<Intent>,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let kind = match intent {
        Some(Intent::Connect) => EventKind::OAuthConnected,
        _ => EventKind::OAuthSignIn,
    };
    record_event(
        state,
        refusal.user_id.as_deref(),
        kind,
        Outcome::Failure,
        client,
        serde_json::json!({
            "provider": provider.map(|provider| provider.key.as_str()),
            "provider_label": provider.map(|provider| provider.label.as_str()),
            "reason": refusal.reason,
        }),
    )
    .await?;
    let key = provider.map_or("", |provider| provider.key.as_str());
    let problem = refusal.problem.as_str();
    let signed_in = intent == Some(Intent::Connect) || current_session().await?.is_some();
    let page = if signed_in {
        format!("/settings/authentication?oauth_error={problem}&provider={key}#connections")
    } else {
        format!("/login?oauth_error={problem}&provider={key}")
    };
    leptos_axum::redirect(&page);
    Ok(())
}
