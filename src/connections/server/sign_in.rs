//! Signing in with a provider identity: only the account that connected it
//! signs in, through our 2FA challenge when 2FA is on. An identity nobody
//! connected creates a new account when the provider has verified its
//! address and no account here has it; it never joins an existing account
//! by email (that would let whoever controls a provider account with your
//! address, or an account made there before yours, into yours).

use super::refusal::Refusal;
use super::{record_connection_event, store};
use crate::account::{email_problem, normalize_email};
use crate::connections::{ConnectionProblem, ProviderChoice};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::sessions::begin_session;
use crate::server::auth::single_sign_on::sso_requirement;
use crate::server::auth::store::users;
use crate::server::client::ClientMeta;
use crate::server::db::new_id;
use crate::server::identity::ProviderIdentity;
use crate::server::identity::account::insert_passwordless_user;
use crate::server::rate_limit;
use crate::server::state::AppState;
use crate::sessions::{FirstFactor, SignInMethod};
use crate::two_factor::server::active_method;
use crate::two_factor::server::challenge::start_sign_in_challenge;

/// Signs in the account that connected `identity`, or creates one.
pub async fn sign_in_with(
    state: &AppState,
    provider: &ProviderChoice,
    identity: &ProviderIdentity,
    next: &str,
    client: &ClientMeta,
) -> Result<Result<(), Refusal>, AppError> {
    let Some(connection) =
        store::find_by_subject(&state.pool, &provider.key, &identity.subject).await?
    else {
        return create_account(state, provider, identity, next, client).await;
    };
    let user_id = connection.user_id;
    let (must_reset, _) = users::recovery_flags(&state.pool, &user_id).await?;
    if must_reset {
        return Ok(Err(Refusal {
            problem: ConnectionProblem::ResetRequired,
            reason: "must_reset_password",
            user_id: Some(user_id),
        }));
    }
    if sso_requirement(&state.pool, &user_id).await?.is_some() {
        return Ok(Err(Refusal {
            problem: ConnectionProblem::SsoRequired,
            reason: "sso_required",
            user_id: Some(user_id),
        }));
    }
    let now = state.now();
    store::record_use(&state.pool, &connection.id, now).await?;
    record_event(
        state,
        Some(&user_id),
        EventKind::OAuthSignIn,
        Outcome::Success,
        client,
        serde_json::json!({"provider": provider.key, "provider_label": provider.label}),
    )
    .await?;
    let first = FirstFactor::Provider(provider.label.clone());
    if active_method(state, &user_id).await?.is_some() {
        // The provider's own second factor is not ours: our challenge follows.
        start_sign_in_challenge(state, &user_id, first, next, now).await?;
    } else {
        begin_session(
            state,
            &user_id,
            client,
            SignInMethod::provider(&provider.label),
            next,
        )
        .await?;
    }
    Ok(Ok(()))
}

/// A new account for an identity nobody connected: only with an address
/// the provider verified and no account here holds. The account's address
/// counts as confirmed; it has no password until it sets one.
async fn create_account(
    state: &AppState,
    provider: &ProviderChoice,
    identity: &ProviderIdentity,
    next: &str,
    client: &ClientMeta,
) -> Result<Result<(), Refusal>, AppError> {
    let email = identity
        .email
        .as_deref()
        .map(normalize_email)
        .filter(|email| email_problem(email).is_none());
    let Some(email) = email.filter(|_| identity.email_verified) else {
        return Ok(Err(Refusal::new(
            ConnectionProblem::UnverifiedEmail,
            "unverified_email",
        )));
    };
    if let Some(existing) = users::find_by_email(&state.pool, &email).await? {
        return Ok(Err(Refusal {
            problem: ConnectionProblem::KnownEmail,
            reason: "email_has_account",
            user_id: Some(existing.user.id),
        }));
    }
    let now = state.now();
    if state
        .hit_limit(rate_limit::SIGN_UPS_PER_IP, &client.ip_bucket(), now)
        .await
        .is_err()
    {
        return Ok(Err(Refusal::new(
            ConnectionProblem::TooManyAttempts,
            "sign_up_limit",
        )));
    }
    let Some(user) = insert_passwordless_user(state, identity, &email).await? else {
        // Someone took the address a moment ago.
        return Ok(Err(Refusal::new(
            ConnectionProblem::KnownEmail,
            "email_has_account",
        )));
    };
    let connected = store::insert(
        &state.pool,
        &store::NewConnection {
            id: &new_id(),
            user_id: &user.id,
            provider: &provider.key,
            subject: &identity.subject,
            account_label: &identity.account_label,
            now,
            session_id: None,
            used_now: true,
        },
    )
    .await?;
    if !connected {
        // The same identity finished a sign-up in parallel: this one goes.
        users::delete(&state.pool, &user.id).await?;
        return Ok(Err(Refusal::new(
            ConnectionProblem::ConnectedElsewhere,
            "sign_up_race",
        )));
    }
    record_event(
        state,
        Some(&user.id),
        EventKind::SignUp,
        Outcome::Success,
        client,
        serde_json::json!({"provider": provider.key, "provider_label": provider.label}),
    )
    .await?;
    record_connection_event(
        state,
        &user.id,
        EventKind::OAuthConnected,
        provider,
        &identity.account_label,
        "sign_up",
        client,
    )
    .await?;
    begin_session(
        state,
        &user.id,
        client,
        SignInMethod::provider(&provider.label),
        next,
    )
    .await?;
    Ok(Ok(()))
}
