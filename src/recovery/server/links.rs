//! Single-use links mailed to the account: password reset, email change and
//! its cancel, address verification and "This wasn't me". Only the token's
//! hash is stored; each works once.

use super::store;
pub use super::store::Purpose;
use super::store::TokenUse;
use crate::error::AppError;
use crate::server::crypto::RandomToken;
use crate::server::state::AppState;
use crate::time::{DAY_MS, MINUTE_MS};

/// How long a password-reset link works.
pub const RESET_TTL_MS: i64 = 30 * MINUTE_MS;
/// How long an email-change confirmation works.
pub const EMAIL_CHANGE_TTL_MS: i64 = DAY_MS;
/// How long a "This wasn't me" link works.
pub const NOT_ME_TTL_MS: i64 = 7 * DAY_MS;
/// How long an address-verification link works.
pub const VERIFY_TTL_MS: i64 = 3 * DAY_MS;

/// Where each kind of link opens.
fn link_path(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::PasswordReset => "/reset-password",
        Purpose::EmailChange => "/confirm-email",
        Purpose::EmailChangeCancel => "/cancel-email-change",
        Purpose::EmailVerification => "/verify-email",
        Purpose::NotMe => "/this-wasnt-me",
    }
}

/// A link token from the page's query, or a clear error.
pub fn parse_link_token(token: &str) -> Result<RandomToken, AppError> {
    RandomToken::parse(token.trim()).ok_or_else(|| {
        AppError::validation(
            "token",
            "This link is incomplete or damaged. Open it from the email again, or ask for a new one.",
        )
    })
}

/// The error for a link that is well formed but unusable.
pub fn spent_link(what: &str) -> AppError {
    AppError::validation(
        "token",
        format!("This {what} link has expired or was already used. Ask for a new one."),
    )
}

/// A link to mail.
pub struct LinkRequest<'a> {
    pub purpose: Purpose,
    pub user_id: &'a str,
    /// The new email (email change), the session ("This wasn't me") or the
    /// address being verified.
    pub subject: &'a str,
    /// The address the link is mailed to.
    pub sent_to: &'a str,
    /// The signed-in session that asked for it, if one did.
    pub session_id: Option<&'a str>,
    pub ttl_ms: i64,
}

/// Stores a new single-use link and returns its absolute URL.
pub async fn issue_link(state: &AppState, link: &LinkRequest<'_>) -> Result<String, AppError> {
    let token = RandomToken::generate();
    let now = state.now();
    store::insert(
        &state.pool,
        &store::NewToken {
            token_hash: &token.hash(),
            purpose: link.purpose,
            user_id: link.user_id,
            subject: link.subject,
            sent_to: link.sent_to,
            session_id: link.session_id,
            now,
            expires_at: now + link.ttl_ms,
        },
    )
    .await?;
    Ok(format!(
        "{}{}?token={}",
        state.config.public_url.origin,
        link_path(link.purpose),
        token.expose()
    ))
}

/// Retires the user's unused links of `purpose` (a newer one replaces them).
pub async fn retire_links(
    state: &AppState,
    user_id: &str,
    purpose: Purpose,
) -> Result<(), AppError> {
    Ok(store::retire_unused(&state.pool, user_id, purpose, state.now()).await?)
}

/// Uses a link once; `None` when it is unknown, used or expired.
pub async fn consume_link(
    state: &AppState,
    purpose: Purpose,
    token: &RandomToken,
) -> Result<Option<TokenUse>, AppError> {
    store::consume(&state.pool, &token.hash(), purpose, state.now())
        .await
        .map_err(AppError::from)
}

/// Whether a link would still work, without using it.
pub async fn peek_link(
    state: &AppState,
    purpose: Purpose,
    token: &RandomToken,
) -> Result<Option<TokenUse>, AppError> {
    store::peek(&state.pool, &token.hash(), purpose, state.now())
        .await
        .map_err(AppError::from)
}
