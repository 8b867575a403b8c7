//! Signing in through an organization's SSO. The identity provider's word
//! counts only for addresses it verified on a domain the organization
//! verified. The subject it signed in before is that account again;
//! otherwise the account with that address (confirmed) is linked, or a new
//! one is made (just in time), and a person in no organization joins this
//! one as Member. With 2FA on, our challenge follows.

use super::refusal::Refusal;
use super::store;
use crate::account::{email_problem, normalize_email};
use crate::error::AppError;
use crate::login_history::server::record::record_event_in;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::sessions::begin_session;
use crate::server::auth::store::users;
use crate::server::client::ClientMeta;
use crate::server::identity::ProviderIdentity;
use crate::server::identity::account::insert_passwordless_user;
use crate::server::rate_limit;
use crate::server::state::AppState;
use crate::sessions::{FirstFactor, SignInMethod};
use crate::sso::{SsoProblem, email_domain};
use crate::team::Role;
use crate::team::server::members::join_directly;
use crate::team::server::my_membership;
use crate::two_factor::server::active_method;
use crate::two_factor::server::challenge::start_sign_in_challenge;

/// Signs `identity` in to `org`'s member account, making or joining it
/// first when needed.
pub async fn sign_in_or_join(
    state: &AppState,
    org: (&str, &str),
    identity: &ProviderIdentity,
    next: &str,
    client: &ClientMeta,
) -> Result<Result<(), Refusal>, AppError> {
    let (org_id, label) = org;
    let email = identity
        .email
        .as_deref()
        .map(normalize_email)
        .filter(|email| email_problem(email).is_none());
    let Some(email) = email.filter(|_| identity.email_verified) else {
        return Ok(Err(Refusal::new(
            SsoProblem::UnverifiedEmail,
            "unverified_email",
        )));
    };
    let domain = email_domain(&email).unwrap_or_default();
    if store::verified_by(&state.pool, &domain).await?.as_deref() != Some(org_id) {
        return Ok(Err(Refusal::new(
            SsoProblem::UnverifiedDomain,
            "unverified_domain",
        )));
    }
    let user_id = match account_for(state, org_id, identity, &email, client).await? {
        Ok(user_id) => user_id,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let refuse = |problem, reason| {
        Ok(Err(Refusal {
            problem,
            reason,
            user_id: Some(user_id.clone()),
        }))
    };
    let (must_reset, _) = users::recovery_flags(&state.pool, &user_id).await?;
    if must_reset {
        return refuse(SsoProblem::ResetRequired, "must_reset_password");
    }
    match join(state, org_id, &user_id, &email, client).await? {
        Joined::Yes => {}
        Joined::OtherOrganization => {
            return refuse(SsoProblem::OtherOrganization, "other_organization");
        }
    }
    let now = state.now();
    if !store::link_identity(&state.pool, org_id, &identity.subject, &user_id, now).await?
        && store::identity_user(&state.pool, org_id, &identity.subject)
            .await?
            .as_deref()
            != Some(user_id.as_str())
    {
        // The account signed in before as another person at the identity
        // provider: two identities never share one account.
        return refuse(SsoProblem::Unverifiable, "account_linked_to_other_subject");
    }
    store::touch_identity(&state.pool, org_id, &identity.subject, now).await?;
    record_event_in(
        state,
        Some(&user_id),
        Some(org_id),
        EventKind::SsoSignIn,
        Outcome::Success,
        client,
        serde_json::json!({"provider_label": label, "email": email}),
    )
    .await?;
    if active_method(state, &user_id).await?.is_some() {
        start_sign_in_challenge(
            state,
            &user_id,
            FirstFactor::SingleSignOn(label.to_string()),
            next,
            now,
        )
        .await?;
    } else {
        begin_session(
            state,
            &user_id,
            client,
            SignInMethod::single_sign_on(label),
            next,
        )
        .await?;
    }
    Ok(Ok(()))
}

/// The account this identity is: the one it signed in to before, else the
/// confirmed account with its address, else a new one.
async fn account_for(
    state: &AppState,
    org_id: &str,
    identity: &ProviderIdentity,
    email: &str,
    client: &ClientMeta,
) -> Result<Result<String, Refusal>, AppError> {
    if let Some(user_id) = store::identity_user(&state.pool, org_id, &identity.subject).await? {
        return Ok(Ok(user_id));
    }
    if let Some(existing) = users::find_by_email(&state.pool, email).await? {
        if !existing.user.email_verified {
            // Whoever signed up with the address never proved it: linking
            // would hand the real person's SSO to that account's password.
            return Ok(Err(Refusal {
                problem: SsoProblem::UnconfirmedAccount,
                reason: "unconfirmed_account",
                user_id: Some(existing.user.id),
            }));
        }
        return Ok(Ok(existing.user.id));
    }
    create_account(state, identity, email, client).await
}

/// A new account with the address the identity provider verified: no
/// password until a reset link sets one.
async fn create_account(
    state: &AppState,
    identity: &ProviderIdentity,
    email: &str,
    client: &ClientMeta,
) -> Result<Result<String, Refusal>, AppError> {
    let now = state.now();
    if state
        .hit_limit(rate_limit::SIGN_UPS_PER_IP, &client.ip_bucket(), now)
        .await
        .is_err()
    {
        return Ok(Err(Refusal::new(
            SsoProblem::TooManyAttempts,
            "sign_up_limit",
        )));
    }
    let Some(user) = insert_passwordless_user(state, identity, email).await? else {
        // The address was taken a moment ago: that account is the one.
        return match users::find_by_email(&state.pool, email).await? {
            Some(existing) if existing.user.email_verified => Ok(Ok(existing.user.id)),
            _ => Ok(Err(Refusal::new(
                SsoProblem::UnconfirmedAccount,
                "sign_up_race",
            ))),
        };
    };
    crate::login_history::server::record::record_event(
        state,
        Some(&user.id),
        EventKind::SignUp,
        Outcome::Success,
        client,
        serde_json::json!({"method": "sso"}),
    )
    .await?;
    Ok(Ok(user.id))
}

enum Joined {
    Yes,
    OtherOrganization,
}

/// Makes the account a member of `org_id` (as Member) unless it is one.
async fn join(
    state: &AppState,
    org_id: &str,
    user_id: &str,
    email: &str,
    client: &ClientMeta,
) -> Result<Joined, AppError> {
    match my_membership(state, user_id).await {
        Ok(current) if current.organization.id == org_id => return Ok(Joined::Yes),
        Ok(_) => return Ok(Joined::OtherOrganization),
        Err(AppError::NotFound) => {}
        Err(error) => return Err(error),
    }
    if join_directly(state, org_id, (user_id, email), Role::Member, "sso", client).await? {
        Ok(Joined::Yes)
    } else {
        Ok(Joined::OtherOrganization)
    }
}
