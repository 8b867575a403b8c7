//! The end of an SSO round trip. Nothing is believed until the browser's
//! sealed flow cookie matches (its `state`, not expired; a test also needs
//! the Owner's session that started it and the settings saved then), the
//! identity provider redeems the code against our PKCE verifier and its ID
//! token verifies with our nonce. Every failure lands on a page that says
//! what happened and records an event.

use super::flow::{
    CALLBACKS_PER_IP, DEFAULT_NEXT, FLOW_PROVIDER, active, card_with, redirect_uri, sign_in_page,
    under_test,
};
use super::refusal::Refusal;
use super::{Change, record_change, sign_in, store};
use crate::error::AppError;
use crate::login_history::server::record::record_event_in;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::{AuthSession, current_session, request_parts, set_cookie};
use crate::server::client::ClientMeta;
use crate::server::identity::flow::{FlowTicket, Intent, code_for_ticket, names_other_issuer};
use crate::server::identity::settings::ProviderKind;
use crate::server::state::AppState;
use crate::sso::SsoProblem;
use crate::team::Role;
use crate::team::server::my_membership;

/// What the identity provider put in the callback URL.
pub struct Answer {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub iss: Option<String>,
}

/// Finishes the round trip the flow cookie describes; always ends in a
/// redirect.
pub async fn finish(state: &AppState, answer: Answer, client: &ClientMeta) -> Result<(), AppError> {
    let headers = request_parts()?.headers;
    let ticket = state.flow_ticket(&headers, FLOW_PROVIDER);
    // The ticket is good for one callback, whatever becomes of it.
    set_cookie(&state.clearing_flow_cookie())?;
    let Some(ticket) = ticket else {
        record_event_in(
            state,
            None,
            None,
            EventKind::SsoSignIn,
            Outcome::Failure,
            client,
            serde_json::json!({"reason": "no_flow"}),
        )
        .await?;
        let page = match current_session().await? {
            Some(_) => card_with(SsoProblem::Expired.as_str()),
            None => sign_in_page(SsoProblem::Expired),
        };
        leptos_axum::redirect(&page);
        return Ok(());
    };
    let org_id = ticket.org_id.clone().unwrap_or_default();
    let intent = ticket.intent;
    let outcome = complete(state, &answer, ticket, client).await?;
    match (intent, outcome) {
        (Intent::SsoTest, Ok(Completed::Tested { session, email })) => {
            let what = format!(
                "“Test connection” succeeded (signed in as {email}): these single sign-on settings are now the ones members sign in with."
            );
            record_change(
                state,
                Change {
                    actor: &session,
                    org_id: &org_id,
                    kind: EventKind::SsoTested,
                    what: &what,
                },
                Outcome::Success,
                client,
                serde_json::json!({"email": email}),
            )
            .await?;
            leptos_axum::redirect(&card_with("passed"));
        }
        (_, Ok(_)) => {}
        (Intent::SsoTest, Err(refusal)) => {
            record_event_in(
                state,
                current_session().await?.map(|s| s.user.id).as_deref(),
                Some(&org_id)
                    .filter(|id| !id.is_empty())
                    .map(String::as_str),
                EventKind::SsoTested,
                Outcome::Failure,
                client,
                serde_json::json!({"reason": refusal.reason}),
            )
            .await?;
            leptos_axum::redirect(&card_with(refusal.problem.as_str()));
        }
        (_, Err(refusal)) => {
            record_event_in(
                state,
                refusal.user_id.as_deref(),
                Some(&org_id)
                    .filter(|id| !id.is_empty())
                    .map(String::as_str),
                EventKind::SsoSignIn,
                Outcome::Failure,
                client,
                serde_json::json!({"reason": refusal.reason}),
            )
            .await?;
            leptos_axum::redirect(&sign_in_page(refusal.problem));
        }
    }
    Ok(())
}

/// How a callback that passed every check ended.
enum Completed {
    SignedIn,
    Tested { session: AuthSession, email: String },
}

async fn complete(
    state: &AppState,
    answer: &Answer,
    ticket: FlowTicket,
    client: &ClientMeta,
) -> Result<Result<Completed, Refusal>, AppError> {
    let code = match code_for_ticket(
        &ticket,
        answer.error.as_deref(),
        answer.state.as_deref(),
        answer.code.as_deref(),
    ) {
        Ok(code) => code,
        Err(problem) => return Ok(Err(Refusal::from(problem))),
    };
    let Some(org_id) = ticket.org_id.as_deref() else {
        return Ok(Err(Refusal::new(SsoProblem::Expired, "wrong_flow")));
    };
    let tester = match ticket.intent {
        Intent::SsoSignIn => None,
        Intent::SsoTest => match current_session().await? {
            Some(session) if Some(&session.session_id) == ticket.session_id.as_ref() => {
                match my_membership(state, &session.user.id).await {
                    Ok(m) if m.role == Role::Owner && m.organization.id == org_id => Some(session),
                    _ => return Ok(Err(Refusal::new(SsoProblem::Expired, "not_owner"))),
                }
            }
            _ => return Ok(Err(Refusal::new(SsoProblem::Expired, "session_changed"))),
        },
        Intent::SignIn | Intent::Connect => {
            return Ok(Err(Refusal::new(SsoProblem::Expired, "wrong_flow")));
        }
    };
    if state
        .hit_limit(CALLBACKS_PER_IP, &client.ip_bucket(), state.now())
        .await
        .is_err()
    {
        return Ok(Err(Refusal::new(
            SsoProblem::TooManyAttempts,
            "callback_limit",
        )));
    }
    let Some(stored) = store::find(&state.pool, org_id).await? else {
        return Ok(Err(Refusal::new(
            SsoProblem::NotConfigured,
            "not_configured",
        )));
    };
    let settings = match tester {
        Some(_) => under_test(state, &stored, ticket.settings_saved_at)?,
        None => active(state, &stored)?,
    };
    let Some(settings) = settings else {
        return Ok(Err(Refusal::new(SsoProblem::Expired, "settings_changed")));
    };
    if let ProviderKind::Oidc { issuer } = &settings.kind
        && names_other_issuer(answer.iss.as_deref(), issuer)
    {
        return Ok(Err(Refusal::new(
            SsoProblem::Unverifiable,
            "issuer_mismatch",
        )));
    }
    let identity = match state
        .identity
        .sso_identify(
            &settings,
            &redirect_uri(state),
            code,
            &ticket.verifier,
            &ticket.nonce,
        )
        .await
    {
        Ok(identity) => identity,
        Err(failure) => return Ok(Err(Refusal::from(failure))),
    };
    match tester {
        Some(session) => {
            let now = state.now();
            let current = match ticket.settings_saved_at {
                Some(saved_at) => {
                    store::activate_pending(&state.pool, org_id, saved_at, now).await?
                }
                None => {
                    store::mark_tested(&state.pool, org_id, now).await?;
                    true
                }
            };
            if !current {
                return Ok(Err(Refusal::new(SsoProblem::Expired, "settings_changed")));
            }
            Ok(Ok(Completed::Tested {
                email: identity.email.clone().unwrap_or(identity.subject),
                session,
            }))
        }
        None => {
            let next = if ticket.next.is_empty() {
                DEFAULT_NEXT
            } else {
                &ticket.next
            };
            let label = stored.display_name.clone();
            Ok(
                sign_in::sign_in_or_join(state, (org_id, &label), &identity, next, client)
                    .await?
                    .map(|()| Completed::SignedIn),
            )
        }
    }
}
