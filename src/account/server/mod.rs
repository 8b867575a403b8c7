//! Accounts on the server: sign-up and confirming its address, sign-in,
//! sign-out, password changes and the account overview.

pub mod rest;
pub mod sign_in;
pub mod verification;

use crate::account::{CurrentUser, SecurityOverview, StrengthReport};
use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::server::sign_in_summary;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::AuthSession;
use crate::server::auth::sessions::rotate_session;
use crate::server::auth::store::{sessions, users};
use crate::server::client::ClientMeta;
use crate::server::db::new_id;
use crate::server::password::{Password, PolicyContext};
use crate::server::state::AppState;
use crate::server::{password, rate_limit};
use crate::sessions::review_due;
use crate::time::DAY_MS;
use crate::two_factor::server::active_method;

/// A sign-up as the form sent it, each field already checked for shape.
pub struct NewAccount {
    pub name: String,
    pub email: String,
    pub password: Password,
    pub organization: Option<String>,
    pub next: String,
}

/// Judges `password` the way sign-up and password change will, for the live
/// strength meter, with the account's own email and name as context.
/// Rate-limited per IP.
pub async fn password_strength(
    state: &AppState,
    password: &Password,
    email: &str,
    name: &str,
    client: &ClientMeta,
) -> Result<StrengthReport, AppError> {
    state
        .hit_limit(
            rate_limit::STRENGTH_CHECKS_PER_IP,
            &client.ip_bucket(),
            state.now(),
        )
        .await?;
    Ok(password::evaluate(
        password.expose(),
        &PolicyContext { email, name },
    ))
}

/// Creates an account whose address a mailed link confirms (with the
/// organization to create once it is), or, when the address already has an
/// account, mails that address instead. Either way it answers alike, in
/// about the same time (the password is hashed in both), and signs nobody
/// in: the page says to check the inbox. Limited per IP, and the mails per
/// address and on the whole service.
pub async fn sign_up(
    state: &AppState,
    account: NewAccount,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let now = state.now();
    let verdict = password::evaluate(
        account.password.expose(),
        &PolicyContext {
            email: &account.email,
            name: &account.name,
        },
    );
    if let Some(problem) = verdict.problem {
        return Err(AppError::validation("password", problem));
    }
    state
        .hit_limit(rate_limit::SIGN_UPS_PER_IP, &client.ip_bucket(), now)
        .await?;
    state
        .hit_limit(verification::SIGN_UP_MAILS_GLOBAL, "all", now)
        .await?;
    let hash = password::hash_password(&state.password_gate, account.password).await?;
    // Past the per-address limit the answer stays the same; only the mail stops.
    let may_mail = state
        .hit_limit(verification::SIGN_UP_MAILS_PER_EMAIL, &account.email, now)
        .await
        .is_ok();
    let user = CurrentUser {
        id: new_id(),
        name: account.name,
        email: account.email,
        password_changed_at: now,
        created_at: now,
        email_verified: false,
        has_password: true,
    };
    let inserted =
        users::insert(&state.pool, &user, &hash, account.organization.as_deref()).await?;
    if !inserted {
        let Some(existing) = users::find_by_email(&state.pool, &user.email).await? else {
            return Err(AppError::Internal);
        };
        record_event(
            state,
            Some(&existing.user.id),
            EventKind::SignUp,
            Outcome::Failure,
            client,
            serde_json::json!({"reason": "address_taken"}),
        )
        .await?;
        if may_mail {
            verification::mail_address_taken(state, &existing, client).await?;
        }
        return Ok(());
    }
    password::score::remember_score(state, &user.id, verdict.score).await;
    record_event(
        state,
        Some(&user.id),
        EventKind::SignUp,
        Outcome::Success,
        client,
        serde_json::json!({}),
    )
    .await?;
    if may_mail {
        verification::mail_verification_link(state, &user, &account.next).await?;
    }
    Ok(())
}

/// Ends `session` on the server; the caller clears the cookie.
pub async fn sign_out(
    state: &AppState,
    session: &AuthSession,
    client: &ClientMeta,
) -> Result<(), AppError> {
    sessions::revoke(&state.pool, &session.session_id, state.now()).await?;
    record_event(
        state,
        Some(&session.user.id),
        EventKind::SignOut,
        Outcome::Success,
        client,
        serde_json::json!({}),
    )
    .await
}

/// Changes the password after checking the current one; ends every other
/// session and gives this one a new token.
pub async fn change_password(
    state: &AppState,
    session: &AuthSession,
    current_password: &str,
    new_password: Password,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let now = state.now();
    let user = &session.user;
    let wrong = || AppError::validation("current_password", "Your current password is incorrect.");
    if current_password.chars().count() > crate::account::PASSWORD_MAX_CHARS {
        return Err(wrong());
    }
    if !users::password_set(&state.pool, &user.id).await? {
        // An account made from a sign-in provider: there is no current
        // password to give, and the emailed link is how one is set.
        return Err(AppError::validation(
            "current_password",
            "Your account has no password yet. Use “Forgot your password?” on the sign-in page: we email you a link to set one.",
        ));
    }
    if !state
        .verify_own_password(user, current_password, &client.ip_bucket(), now)
        .await?
    {
        record_event(
            state,
            Some(&user.id),
            EventKind::PasswordChanged,
            Outcome::Failure,
            client,
            serde_json::json!({"reason": "wrong_current_password"}),
        )
        .await?;
        return Err(wrong());
    }
    if new_password.expose() == Password::new(current_password).expose() {
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
    let hash = password::hash_password(&state.password_gate, new_password).await?;
    users::update_password_hash(&state.pool, &user.id, &hash, Some(now)).await?;
    password::score::remember_score(state, &user.id, verdict.score).await;
    let ended =
        sessions::revoke_all_except(&state.pool, &user.id, &session.session_id, now).await?;
    // A password change is a privilege change, but not a re-authentication
    // for sudo mode: it asked for the password only, never the second factor.
    rotate_session(state, session, false).await?;
    record_event(
        state,
        Some(&user.id),
        EventKind::PasswordChanged,
        Outcome::Success,
        client,
        serde_json::json!({"other_sessions_ended": ended}),
    )
    .await
}

/// The account summary shown at the top of the security page.
pub async fn overview(
    state: &AppState,
    session: &AuthSession,
) -> Result<SecurityOverview, AppError> {
    let now = state.now();
    let user_id = &session.user.id;
    let active_sessions =
        sessions::list_live(&state.pool, user_id, now, state.config.session_idle_ms)
            .await?
            .len() as i64;
    let (sign_ins, recent_failed_sign_ins) =
        sign_in_summary(state, user_id, 2, now - 30 * DAY_MS).await?;
    let reviewed_at = users::sessions_reviewed_at(&state.pool, user_id).await?;
    let two_factor = active_method(state, user_id).await?;
    Ok(SecurityOverview {
        two_factor,
        sessions_review_due: review_due(reviewed_at, session.user.created_at, now),
        user: session.user.clone(),
        active_sessions,
        previous_sign_in: sign_ins.into_iter().nth(1),
        recent_failed_sign_ins,
    })
}
