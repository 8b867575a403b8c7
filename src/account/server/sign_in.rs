//! Signing in with email and password: limited per IP and per email (with
//! back-off), the same answer and the same time whether or not the account
//! exists, then the second factor when 2FA is on, else the session.

use crate::error::AppError;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::recovery::server::reset::{RESETS_PER_EMAIL, ResetMail, mail_reset_link};
use crate::server::auth::sessions::begin_session;
use crate::server::auth::single_sign_on::sso_requirement;
use crate::server::auth::store::users;
use crate::server::auth::store::users::UserWithHash;
use crate::server::client::ClientMeta;
use crate::server::password;
use crate::server::password::Password;
use crate::server::state::AppState;
use crate::sessions::{FirstFactor, SignInMethod};
use crate::two_factor::server::active_method;
use crate::two_factor::server::challenge::start_sign_in_challenge;

/// What the sign-in form sent, its shape already checked.
pub struct Credentials {
    /// Normalised.
    pub email: String,
    pub password: String,
    /// A local path to go to afterwards.
    pub next: String,
}

/// Signs in: the account whose password matches goes on to its second
/// factor or straight into a new session; anything else is
/// `InvalidCredentials` and counts against the email and the IP address.
pub async fn sign_in(
    state: &AppState,
    credentials: Credentials,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let now = state.now();
    let email = &credentials.email;
    // A hashing slot first: when the queue is full the answer is 503 at once,
    // before any database work.
    let slot = state.password_gate.enter().await?;
    // Counted before the password is checked, so parallel guesses share one budget.
    let attempt = state
        .take_password_attempt(email, &client.ip_bucket(), now)
        .await?;
    let account = users::find_by_email(&state.pool, email).await?;
    let stored_hash = account.as_ref().map(|a| a.password_hash.clone());
    let matches =
        password::verify_password_in(slot, Password::new(&credentials.password), stored_hash)
            .await?;
    let account = match account {
        Some(account) if matches => account,
        unmatched => {
            let (known, reason) = match &unmatched {
                Some(account) => (Some(account.user.id.as_str()), "wrong_password"),
                None => (None, "unknown_account"),
            };
            return Err(refuse(state, known, reason, attempt, client).await?);
        }
    };
    let (must_reset, _) = users::recovery_flags(&state.pool, &account.user.id).await?;
    if must_reset {
        // Answered like a wrong password, so the reply never confirms that
        // the password was right; the owner gets a fresh reset link instead.
        mail_reset_link_once(state, &account, client).await?;
        return Err(refuse(
            state,
            Some(&account.user.id),
            "wrong_password",
            attempt,
            client,
        )
        .await?);
    }
    // A member "Require SSO" covers gets the same answer as a wrong
    // password, so a guess here cannot confirm their password (the sign-in
    // page offers their organization's SSO once the address is typed). It
    // comes before `password_accepted`, so a right password does not clear
    // the run of failures either.
    if sso_requirement(&state.pool, &account.user.id)
        .await?
        .is_some()
    {
        return Err(refuse(
            state,
            Some(&account.user.id),
            "sso_required",
            attempt,
            client,
        )
        .await?);
    }
    state.password_accepted(email, &client.ip_bucket()).await?;
    password::score::remember_strength(state, &account.user, &credentials.password).await;
    upgrade_hash(state, &account, &credentials.password).await?;
    let user_id = &account.user.id;
    if active_method(state, user_id).await?.is_some() {
        // No session yet: the browser only gets a short-lived challenge.
        return start_sign_in_challenge(
            state,
            user_id,
            FirstFactor::Password,
            &credentials.next,
            now,
        )
        .await;
    }
    begin_session(
        state,
        user_id,
        client,
        SignInMethod::PASSWORD,
        &credentials.next,
    )
    .await
}

/// Records a failed sign-in (already counted as attempt `attempt` of its
/// run) with its reason, for the account's own history, and gives the one
/// answer every failure gets.
async fn refuse(
    state: &AppState,
    user_id: Option<&str>,
    reason: &str,
    attempt: i64,
    client: &ClientMeta,
) -> Result<AppError, AppError> {
    let failures = attempt;
    record_event(
        state,
        user_id,
        EventKind::SignInFailed,
        Outcome::Failure,
        client,
        serde_json::json!({"reason": reason, "consecutive_failures": failures}),
    )
    .await?;
    Ok(AppError::InvalidCredentials)
}

/// Re-hashes a password stored with weaker parameters, now that it is in clear.
async fn upgrade_hash(
    state: &AppState,
    account: &UserWithHash,
    password: &str,
) -> Result<(), AppError> {
    if password::needs_rehash(&account.password_hash) {
        let fresh = password::hash_password(&state.password_gate, Password::new(password)).await?;
        users::update_password_hash(&state.pool, &account.user.id, &fresh, None).await?;
    }
    Ok(())
}

/// Mails a reset link to an account that must reset its password before it
/// may sign in, within the reset links' own per-address limit.
async fn mail_reset_link_once(
    state: &AppState,
    account: &UserWithHash,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let user = &account.user;
    if state
        .hit_limit(RESETS_PER_EMAIL, &user.email, state.now())
        .await
        .is_err()
    {
        return Ok(());
    }
    let mailing = ResetMail {
        user_id: &user.id,
        to: &user.email,
        name: &user.name,
        reason: "must_reset",
        undone: &[],
    };
    mail_reset_link(state, &mailing, client).await
}
