//! Account server functions: the public HTTP API of sign-up, sign-in,
//! sign-out, password change and the account overview.

use super::{CurrentUser, SecurityOverview, StrengthReport};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::login_history::{EventKind, Outcome};
#[cfg(feature = "ssr")]
use crate::server::auth::store::{sessions, users};
#[cfg(feature = "ssr")]
use crate::server::auth::{app_state, client_meta, require_user, set_cookie};
#[cfg(feature = "ssr")]
use crate::server::password::{Password, PolicyContext};
#[cfg(feature = "ssr")]
use crate::server::{auth, password, rate_limit};
#[cfg(feature = "ssr")]
use crate::sessions::SignInMethod;
#[cfg(feature = "ssr")]
use crate::time::now_ms;

/// Judges a candidate password the way sign-up and password change will,
/// for the live strength meter. Rate-limited per IP; the signed-in user's
/// email and name are used as context when present.
#[server(endpoint = "password_strength")]
pub async fn password_strength(
    password: String,
    email: Option<String>,
    name: Option<String>,
) -> Result<StrengthReport, AppError> {
    let state = app_state()?;
    let client = client_meta()?;
    state
        .hit_limit(rate_limit::STRENGTH_CHECKS_PER_IP, &client.ip, now_ms())
        .await?;
    let signed_in = auth::current_session().await?;
    let (email, name) = match signed_in {
        Some(session) => (session.user.email, session.user.name),
        None => (
            super::normalize_email(&email.unwrap_or_default())
                .chars()
                .take(super::EMAIL_MAX_CHARS)
                .collect(),
            name.unwrap_or_default()
                .chars()
                .take(super::NAME_MAX_CHARS)
                .collect(),
        ),
    };
    let password = Password::new(&password);
    Ok(password::evaluate(
        password.expose(),
        &PolicyContext {
            email: &email,
            name: &name,
        },
    ))
}

/// Creates an account and signs it in, then sends the browser to `next`
/// (the security page by default). With `organization`, the account also
/// creates that organization and becomes its Owner.
#[server(endpoint = "sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    organization: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    let state = app_state()?;
    let client = client_meta()?;
    let now = now_ms();
    let name = name.trim().to_string();
    if let Some(problem) = super::name_problem(&name) {
        return Err(AppError::validation("name", problem));
    }
    let organization = match organization.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(org) => Some(
            crate::team::clean_org_name(org)
                .map_err(|message| AppError::validation("organization", message))?,
        ),
    };
    let next = super::safe_next_path(next.as_deref().unwrap_or_default());
    let email = super::normalize_email(&email);
    if let Some(problem) = super::email_problem(&email) {
        return Err(AppError::validation("email", problem));
    }
    let password = Password::new(&password);
    let verdict = password::evaluate(
        password.expose(),
        &PolicyContext {
            email: &email,
            name: &name,
        },
    );
    if let Some(problem) = verdict.problem {
        return Err(AppError::validation("password", problem));
    }
    state
        .hit_limit(rate_limit::SIGN_UPS_PER_IP, &client.ip, now)
        .await?;
    if users::find_by_email(&state.pool, &email).await?.is_some() {
        return Err(duplicate_email());
    }
    let hash = password::hash_password(password).await?;
    let user = CurrentUser {
        id: crate::server::db::new_id(),
        name,
        email,
        password_changed_at: now,
        created_at: now,
    };
    if !users::insert(&state.pool, &user, &hash).await? {
        return Err(duplicate_email());
    }
    crate::server::password::remember_score(&state, &user.id, verdict.score).await;
    crate::login_history::server::record::record_event(
        &state,
        Some(&user.id),
        EventKind::SignUp,
        Outcome::Success,
        &client,
        serde_json::json!({}),
    )
    .await?;
    if let Some(organization) = organization {
        crate::team::server::create_organization(&state, &user, &organization, &client).await?;
    }
    auth::sessions::begin_session(&state, &user.id, &client, SignInMethod::PASSWORD, &next).await?;
    Ok(())
}

#[cfg(feature = "ssr")]
fn duplicate_email() -> AppError {
    AppError::validation(
        "email",
        "An account with this email already exists. Sign in instead.",
    )
}

/// Signs in with email and password. Failures say only "Email or password is
/// incorrect", cost the same time whether or not the account exists, and are
/// limited per email (with back-off) and per IP.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let state = app_state()?;
    let client = client_meta()?;
    let now = now_ms();
    let email = super::normalize_email(&email);
    if email.chars().count() > super::EMAIL_MAX_CHARS {
        return Err(AppError::validation(
            "email",
            "That email address is too long.",
        ));
    }
    if password.chars().count() > super::PASSWORD_MAX_CHARS {
        return Err(AppError::validation(
            "password",
            "Passwords are at most 128 characters.",
        ));
    }
    state
        .check_limit(rate_limit::SIGN_IN_FAILURES_PER_IP, &client.ip, now)
        .await?;
    state.check_sign_in_backoff(&email, now).await?;
    let account = users::find_by_email(&state.pool, &email).await?;
    let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
    let user_id = account.as_ref().map(|a| a.user.id.clone());
    let matches = password::verify_password(Password::new(&password), stored_hash).await?;
    let Some(account) = account.filter(|_| matches) else {
        let failures = state
            .record_sign_in_failure(&email, &client.ip, now)
            .await?;
        let reason = if user_id.is_some() {
            "wrong_password"
        } else {
            "unknown_account"
        };
        crate::login_history::server::record::record_event(
            &state,
            user_id.as_deref(),
            EventKind::SignInFailed,
            Outcome::Failure,
            &client,
            serde_json::json!({"reason": reason, "consecutive_failures": failures}),
        )
        .await?;
        return Err(AppError::InvalidCredentials);
    };
    state.clear_sign_in_failures(&email).await?;
    crate::server::password::remember_strength(&state, &account.user, &password).await;
    let (must_reset, _) = users::recovery_flags(&state.pool, &account.user.id).await?;
    if must_reset {
        return Err(AppError::validation(
            "form",
            "For your safety, this account needs a new password before anyone can sign in. Use “Forgot your password?” below; we've also emailed you a reset link.",
        ));
    }
    if password::needs_rehash(&account.password_hash) {
        let fresh = password::hash_password(Password::new(&password)).await?;
        users::update_password_hash(&state.pool, &account.user.id, &fresh, None).await?;
    }
    let next = super::safe_next_path(next.as_deref().unwrap_or_default());
    let second_factor =
        crate::two_factor::server::store::get(&state.pool, &account.user.id).await?;
    if second_factor.method.is_some() {
        // No session yet: the browser only gets a short-lived challenge.
        return crate::two_factor::server::challenge::start_sign_in_challenge(
            &state,
            &account.user.id,
            &next,
            now,
        )
        .await;
    }
    auth::sessions::begin_session(
        &state,
        &account.user.id,
        &client,
        SignInMethod::PASSWORD,
        &next,
    )
    .await
}

/// Ends the current session on the server, clears the cookie and goes to the sign-in page.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let state = app_state()?;
    let client = client_meta()?;
    let now = now_ms();
    if let Some(session) = auth::current_session().await? {
        sessions::revoke(&state.pool, &session.session_id, now).await?;
        crate::login_history::server::record::record_event(
            &state,
            Some(&session.user.id),
            EventKind::SignOut,
            Outcome::Success,
            &client,
            serde_json::json!({}),
        )
        .await?;
    }
    set_cookie(&state.clearing_cookie())?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Changes the password after checking the current one; ends every other
/// session and gives this one a new token.
#[server(endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let client = client_meta()?;
    let now = now_ms();
    let user = &session.user;
    if current_password.chars().count() > super::PASSWORD_MAX_CHARS {
        return Err(AppError::validation(
            "current_password",
            "Your current password is incorrect.",
        ));
    }
    let matches = state
        .verify_own_password(user, &current_password, &client.ip, now)
        .await?;
    if !matches {
        crate::login_history::server::record::record_event(
            &state,
            Some(&user.id),
            EventKind::PasswordChanged,
            Outcome::Failure,
            &client,
            serde_json::json!({"reason": "wrong_current_password"}),
        )
        .await?;
        return Err(AppError::validation(
            "current_password",
            "Your current password is incorrect.",
        ));
    }
    let new_password = Password::new(&new_password);
    if new_password.expose() == Password::new(&current_password).expose() {
        return Err(AppError::validation(
            "new_password",
            "Choose a password different from your current one.",
        ));
    }
    let verdict = password::evaluate(
        new_password.expose(),
        &PolicyContext {
            email: &user.email,
            name: &user.name,
        },
    );
    if let Some(problem) = verdict.problem {
        return Err(AppError::validation("new_password", problem));
    }
    state.clear_sign_in_failures(&user.email).await?;
    let hash = password::hash_password(new_password).await?;
    users::update_password_hash(&state.pool, &user.id, &hash, Some(now)).await?;
    crate::server::password::remember_score(&state, &user.id, verdict.score).await;
    let ended =
        sessions::revoke_all_except(&state.pool, &user.id, &session.session_id, now).await?;
    let token = crate::server::crypto::RandomToken::generate();
    sessions::rotate_token(&state.pool, &session.session_id, &token.hash(), now).await?;
    set_cookie(&state.session_cookie(&token))?;
    crate::login_history::server::record::record_event(
        &state,
        Some(&user.id),
        EventKind::PasswordChanged,
        Outcome::Success,
        &client,
        serde_json::json!({"other_sessions_ended": ended}),
    )
    .await?;
    Ok(())
}

/// The signed-in user, or `None` when signed out.
#[server(endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(auth::current_session().await?.map(|session| session.user))
}

/// The account summary shown at the top of the security page.
#[server(endpoint = "security_overview")]
pub async fn get_security_overview() -> Result<SecurityOverview, AppError> {
    let session = require_user().await?;
    let state = app_state()?;
    let now = now_ms();
    let active_sessions = sessions::list_live(
        &state.pool,
        &session.user.id,
        now,
        state.config.session_idle_ms,
    )
    .await?
    .len() as i64;
    let sign_ins = crate::login_history::server::store::events::recent_sign_ins(
        &state.pool,
        &session.user.id,
        2,
    )
    .await?;
    let recent_failed_sign_ins = crate::login_history::server::store::events::count_since(
        &state.pool,
        &session.user.id,
        EventKind::SignInFailed,
        now - 30 * 24 * 60 * 60 * 1000,
    )
    .await?;
    let reviewed_at = users::sessions_reviewed_at(&state.pool, &session.user.id).await?;
    let two_factor =
        crate::two_factor::server::store::active_method(&state.pool, &session.user.id).await?;
    Ok(SecurityOverview {
        two_factor,
        sessions_review_due: crate::sessions::review_due(reviewed_at, session.user.created_at, now),
        user: session.user,
        active_sessions,
        previous_sign_in: sign_ins.into_iter().nth(1),
        recent_failed_sign_ins,
    })
}
