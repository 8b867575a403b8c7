//! Sudo mode: sensitive actions pass while the session re-authenticated
//! recently; otherwise they need the password and, with 2FA on, a code.

use super::store;
use super::verify::{CodePurpose, sudo_binding};
use crate::error::AppError;
use crate::server::auth::AuthSession;
use crate::server::auth::sessions::rotate_session;
use crate::server::client::ClientMeta;
use crate::server::state::AppState;
use crate::two_factor::server::verify::verify_second_factor;

/// Sudo mode: passes while the session re-authenticated within the window;
/// otherwise needs the password, and a second-factor code when 2FA is on,
/// and then opens a new window.
pub async fn confirm_sudo(
    state: &AppState,
    session: &AuthSession,
    password: Option<String>,
    code: Option<String>,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let now = state.now();
    let password = password.filter(|p| !p.is_empty());
    let Some(password) = password else {
        let Err(error) = session.require_recent_auth(now) else {
            return Ok(());
        };
        let record = store::get(&state.pool, &session.user.id).await?;
        return Err(if record.password_set {
            error
        } else {
            no_password()
        });
    };
    let record = store::get(&state.pool, &session.user.id).await?;
    if !record.password_set {
        // Its stored hash is of a secret nobody holds: no attempt to count,
        // and "incorrect" would send the person looking for a password.
        return Err(no_password());
    }
    let wrong_password = || AppError::validation("password", "Your password is incorrect.");
    if password.chars().count() > crate::account::PASSWORD_MAX_CHARS {
        return Err(wrong_password());
    }
    if !state
        .verify_own_password(&session.user, &password, &client.ip_bucket(), now)
        .await?
    {
        return Err(wrong_password());
    }
    if record.method.is_some() {
        let code = code.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
            AppError::validation(
                "code",
                "Enter a code from your second factor, or a backup code.",
            )
        })?;
        verify_second_factor(
            state,
            &session.user.id,
            &code,
            &sudo_binding(&session.session_id),
            CodePurpose::Sudo,
            client,
        )
        .await
        .map_err(|error| match error {
            AppError::InvalidCode => AppError::validation("code", "That code is not valid."),
            other => other,
        })?;
    }
    rotate_session(state, session, true).await
}

/// The refusal for an account made from a sign-in provider, which has no
/// password to confirm with until a reset link sets one.
fn no_password() -> AppError {
    AppError::validation(
        "password",
        "Your account has no password yet: confirm with a passkey, or use “Forgot your password?” on the sign-in page, which emails you a link to set one.",
    )
}
