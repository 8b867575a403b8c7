//! Backup codes for a form posted without the Wasm: the confirming POST
//! keeps them sealed for one minute, bound to the session, behind a cookie;
//! the page it redirects to takes them out once and shows them.

use crate::error::AppError;
use crate::server::auth::AuthSession;
use crate::server::auth::cookies::cookie_values;
use crate::server::crypto::{RandomToken, sealing};
use crate::server::state::AppState;
use anyhow::Context;
use http::HeaderMap;
use sqlx::Row;

/// How long the codes wait for the page.
const REVEAL_TTL_MS: i64 = 60 * 1000;
const SEAL_PURPOSE: &str = "one-time-reveal";

/// The cookie's name: host-only and secure over HTTPS.
fn cookie_name(state: &AppState) -> &'static str {
    if state.config.public_url.https {
        "__Host-ss_reveal"
    } else {
        "ss_reveal"
    }
}

/// Seals `codes` for this session's next page; returns the `Set-Cookie`
/// value that points to them.
pub async fn keep_for_next_page(
    state: &AppState,
    session: &AuthSession,
    codes: &[String],
) -> Result<String, AppError> {
    let token = RandomToken::generate();
    let plain = serde_json::to_vec(codes).map_err(anyhow::Error::from)?;
    let sealed = sealing::seal(
        &state.key,
        SEAL_PURPOSE,
        session.session_id.as_bytes(),
        &plain,
    )?;
    sqlx::query(
        "INSERT INTO one_time_reveals (token_hash, user_id, session_id, sealed, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token.hash())
    .bind(&session.user.id)
    .bind(&session.session_id)
    .bind(sealed)
    .bind(state.now() + REVEAL_TTL_MS)
    .execute(&state.pool)
    .await
    .context("Failed to keep the codes for the next page")?;
    Ok(state.cookie_line(cookie_name(state), token.expose(), REVEAL_TTL_MS / 1000))
}

/// Takes the codes the request's cookie points to, once, if they belong to
/// this session and are under a minute old. Returns them with the
/// `Set-Cookie` value that clears the cookie.
pub async fn take_for_this_page(
    state: &AppState,
    session: &AuthSession,
    headers: &HeaderMap,
) -> Result<Option<(Vec<String>, String)>, AppError> {
    let Some(token) = cookie_values(headers, cookie_name(state)).find_map(RandomToken::parse)
    else {
        return Ok(None);
    };
    let clearing = state.cookie_line(cookie_name(state), "", 0);
    let row = sqlx::query(
        "DELETE FROM one_time_reveals
         WHERE token_hash = $1 AND user_id = $2 AND session_id = $3 AND expires_at > $4
         RETURNING sealed",
    )
    .bind(token.hash())
    .bind(&session.user.id)
    .bind(&session.session_id)
    .bind(state.now())
    .fetch_optional(&state.pool)
    .await
    .context("Failed to take the codes")?;
    let Some(row) = row else {
        return Ok(None);
    };
    let sealed: String = row.try_get("sealed").map_err(anyhow::Error::from)?;
    let plain = sealing::open(
        &state.key,
        SEAL_PURPOSE,
        session.session_id.as_bytes(),
        &sealed,
    )?;
    let codes: Vec<String> = serde_json::from_slice(&plain).map_err(anyhow::Error::from)?;
    Ok(Some((codes, clearing)))
}
