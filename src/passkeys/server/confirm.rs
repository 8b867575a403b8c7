//! A passkey as proof that the account holder is present: the second step
//! of a password sign-in (instead of a code), and sudo mode (instead of
//! the password and code). Each ceremony offers only the account's own
//! passkeys and is bound to the challenge or session that asked.

use super::assertion::{finish_for_account, start_for_account};
use super::store::Purpose;
use crate::error::AppError;
use crate::passkeys::Ceremony;
use crate::server::auth::AuthSession;
use crate::server::auth::sessions::rotate_session;
use crate::server::client::ClientMeta;
use crate::server::state::AppState;
use crate::sessions::SecondFactorUsed;
use crate::two_factor::server::challenge::{complete, current_challenge};

/// Starts the second step of a sign-in with a passkey, for the browser
/// holding a sign-in challenge (after a correct password).
pub async fn start_second_factor(state: &AppState) -> Result<Ceremony, AppError> {
    let challenge = current_challenge(state).await?;
    start_for_account(
        state,
        &challenge.user_id,
        Purpose::SecondFactor,
        &challenge.id,
    )
    .await
}

/// Passes the sign-in challenge with the authenticator's answer: only the
/// browser holding the challenge that started the ceremony may. Then the
/// session begins, recorded as password + passkey; returns where to go.
pub async fn finish_second_factor(
    state: &AppState,
    handle: &str,
    answer: &str,
    client: &ClientMeta,
) -> Result<String, AppError> {
    let challenge = current_challenge(state).await?;
    finish_for_account(
        state,
        &challenge.user_id,
        Purpose::SecondFactor,
        &challenge.id,
        (handle, answer),
        client,
    )
    .await?;
    complete(state, &challenge, SecondFactorUsed::Passkey, client).await?;
    Ok(challenge.next_path)
}

/// Starts confirming a sensitive action with a passkey (sudo mode).
pub async fn start_sudo(state: &AppState, session: &AuthSession) -> Result<Ceremony, AppError> {
    start_for_account(state, &session.user.id, Purpose::Sudo, &session.session_id).await
}

/// Opens the sudo window with the authenticator's answer, as the password
/// and code would: the session gets a new token marked re-authenticated.
pub async fn finish_sudo(
    state: &AppState,
    session: &AuthSession,
    handle: &str,
    answer: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    finish_for_account(
        state,
        &session.user.id,
        Purpose::Sudo,
        &session.session_id,
        (handle, answer),
        client,
    )
    .await?;
    rotate_session(state, session, true).await
}
