//! Security notices by email: what happened, when, from which device and
//! place, with a "This wasn't me" link; and the notice of a sign-in from a
//! device the account has not used before.

use super::links::NOT_ME_TTL_MS;
use super::store::Purpose;
use crate::error::AppError;
use crate::recovery::server::links::{LinkRequest, issue_link};
use crate::server::auth::store::users;
use crate::server::client::{ClientMeta, Origin};
use crate::server::mail::{Mail, compose};
use crate::server::state::AppState;
use crate::time::utc_datetime;
use sqlx::Row;

/// Who a security notice goes to.
#[derive(Clone, Copy, Debug)]
pub struct Recipient<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
}

/// A security notice to `to` about what `origin` did, with a "This wasn't
/// me" link that ends `not_me_session` ('' = every session).
pub async fn security_notice(
    state: &AppState,
    to: &Recipient<'_>,
    subject: String,
    headline: String,
    origin: &Origin<'_>,
    not_me_session: &str,
) -> Result<Mail, AppError> {
    let not_me = issue_link(
        state,
        &LinkRequest {
            purpose: Purpose::NotMe,
            user_id: to.user_id,
            subject: not_me_session,
            sent_to: to.email,
            session_id: None,
            ttl_ms: NOT_ME_TTL_MS,
        },
    )
    .await?;
    Ok(compose::security_notice(&compose::Notice {
        to: to.email.to_string(),
        recipient_name: to.name.to_string(),
        subject,
        headline,
        when: utc_datetime(state.now()),
        device: origin.device.clone(),
        location: origin.location.clone(),
        ip: origin.client.ip.clone(),
        security_url: format!("{}/settings/security", state.config.public_url.origin),
        not_me_url: Some(not_me),
    }))
}

/// Mails a security notice about something that is not an event of its own
/// (e.g. to the old address), with a "This wasn't me" link for all sessions.
pub async fn mail_notice(
    state: &AppState,
    to: &Recipient<'_>,
    subject: String,
    headline: String,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let origin = state.origin(client);
    let mail = security_notice(state, to, subject, headline, &origin, "").await?;
    state.enqueue_mail(&mail, None).await?;
    Ok(())
}

/// Whether this sign-in comes from a device and location the account has
/// not signed in (or signed up) from before, and the owner wants to know.
pub async fn is_unfamiliar_sign_in(
    state: &AppState,
    user_id: &str,
    client: &ClientMeta,
) -> Result<bool, AppError> {
    let (_, notify) = users::recovery_flags(&state.pool, user_id).await?;
    if !notify {
        return Ok(false);
    }
    let origin = state.origin(client);
    let row = sqlx::query(
        "SELECT
             SUM(CASE WHEN device = $2 AND location = $3 THEN 1 ELSE 0 END) AS same,
             COUNT(*) AS earlier
         FROM security_events
         WHERE user_id = $1 AND kind IN ('sign_in', 'sign_up') AND outcome = 'success'",
    )
    .bind(user_id)
    .bind(&origin.device)
    .bind(&origin.location)
    .fetch_one(&state.pool)
    .await
    .map_err(anyhow::Error::from)?;
    let earlier: i64 = row.try_get("earlier").map_err(anyhow::Error::from)?;
    let same: Option<i64> = row.try_get("same").map_err(anyhow::Error::from)?;
    Ok(earlier > 0 && same.unwrap_or(0) == 0)
}

/// Mails the new-device notice with a "This wasn't me" link for this session.
pub async fn notify_new_sign_in(
    state: &AppState,
    user_id: &str,
    session_id: &str,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let Some(account) = users::find_by_id(&state.pool, user_id).await? else {
        return Ok(());
    };
    let origin = state.origin(client);
    let recipient = Recipient {
        user_id,
        email: &account.user.email,
        name: &account.user.name,
    };
    let mail = security_notice(
        state,
        &recipient,
        "New sign-in to your account".into(),
        format!(
            "Your account was signed in to from a new device: {}.",
            origin.device
        ),
        &origin,
        session_id,
    )
    .await?;
    state
        .enqueue_mail(&mail, Some(&format!("sign-in:{session_id}")))
        .await?;
    Ok(())
}
