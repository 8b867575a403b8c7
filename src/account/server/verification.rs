//! Confirming the address an account signs up with: the mailed link, what
//! a sign-up with a taken address mails instead, and sending the link again.
//! Until the address is confirmed the account has no API keys, teams or SMS.

use crate::account::{ConfirmedAddress, CurrentUser};
use crate::error::AppError;
use crate::ids::encode_query_component;
use crate::login_history::server::record::record_event;
use crate::login_history::{EventKind, Outcome};
use crate::recovery::server::links::{
    LinkRequest, Purpose, VERIFY_TTL_MS, consume_link, issue_link, retire_links, spent_link,
};
use crate::recovery::server::reset::{ResetMail, UNCONFIRMED_SIGN_UP, mail_reset_link};
use crate::server::auth::AuthSession;
use crate::server::auth::store::users::{self, UserWithHash};
use crate::server::client::ClientMeta;
use crate::server::crypto::RandomToken;
use crate::server::mail::compose::{LinkMail, link_mail};
use crate::server::rate_limit::WindowLimit;
use crate::server::state::AppState;
use crate::team::server::members::create_organization;
use crate::time::{HOUR_MS, utc_datetime};

/// Sign-up mails to one address (the link, or the "you already have an
/// account" notice): past it the sign-up still answers alike, unmailed.
pub const SIGN_UP_MAILS_PER_EMAIL: WindowLimit = WindowLimit {
    name: "sign-up-mail",
    limit: 3,
    window_ms: HOUR_MS,
};
/// Sign-up mails on the whole service.
pub const SIGN_UP_MAILS_GLOBAL: WindowLimit = WindowLimit {
    name: "sign-up-mail-all",
    limit: 1000,
    window_ms: HOUR_MS,
};
/// Verification links one account may ask for again.
pub const VERIFICATION_RESENDS_PER_ACCOUNT: WindowLimit = WindowLimit {
    name: "verify-resend",
    limit: 3,
    window_ms: HOUR_MS,
};

/// Mails `user` the link that confirms their address; `next` (a local path)
/// is where signing in afterwards leads. No text the sign-up chose goes in:
/// the address has not opted in to anything yet.
pub async fn mail_verification_link(
    state: &AppState,
    user: &CurrentUser,
    next: &str,
) -> Result<(), AppError> {
    retire_links(state, &user.id, Purpose::EmailVerification).await?;
    let mut url = issue_link(
        state,
        &LinkRequest {
            purpose: Purpose::EmailVerification,
            user_id: &user.id,
            subject: &user.email,
            sent_to: &user.email,
            session_id: None,
            ttl_ms: VERIFY_TTL_MS,
        },
    )
    .await?;
    if next != crate::account::DEFAULT_NEXT_PATH {
        url.push_str(&format!("&next={}", encode_query_component(next)));
    }
    let mail = link_mail(&LinkMail {
        to: user.email.clone(),
        recipient_name: String::new(),
        subject: "Confirm your email address".into(),
        intro: "Confirm this address to finish setting up your StatusStack account. Until you do, the account cannot create API keys, create or join a team, or use text messages.".into(),
        button: "Confirm my address".into(),
        url,
        expiry: "The link works once, for 3 days.".into(),
        footer: "If you did not sign up, ignore this email: nothing can be set up with this address until it is confirmed.".into(),
    });
    state.enqueue_mail(&mail, None).await?;
    Ok(())
}

/// What a sign-up with an address that already has an account mails that
/// address instead of creating anything: a confirmed account's owner hears
/// that someone tried; an account never confirmed gets a reset link that
/// lets the address's owner take it over and clears what was set up on it.
pub async fn mail_address_taken(
    state: &AppState,
    existing: &UserWithHash,
    client: &ClientMeta,
) -> Result<(), AppError> {
    let user = &existing.user;
    if !user.email_verified {
        let mailing = ResetMail {
            user_id: &user.id,
            to: &user.email,
            name: "",
            reason: UNCONFIRMED_SIGN_UP,
            undone: &[],
        };
        return mail_reset_link(state, &mailing, client).await;
    }
    let origin = state.origin(client);
    let mail = link_mail(&LinkMail {
        to: user.email.clone(),
        recipient_name: user.name.clone(),
        subject: "Someone tried to sign up with your address".into(),
        intro: format!(
            "At {} someone tried to create a StatusStack account with this address, from {}, {} ({}). You already have an account, so nothing was created. If it was you, sign in; if you forgot your password, reset it:",
            utc_datetime(state.now()),
            origin.device,
            origin.location,
            client.ip
        ),
        button: "Reset my password".into(),
        url: format!("{}/forgot-password", state.config.public_url.origin),
        expiry: String::new(),
        footer: "If it was not you, there is nothing to do: your account is unchanged.".into(),
    });
    state.enqueue_mail(&mail, None).await?;
    Ok(())
}

/// Confirms an address with the mailed link: the account may now create
/// API keys, teams and SMS factors, and the organization asked for at
/// sign-up is created.
pub async fn confirm_address(
    state: &AppState,
    token: &RandomToken,
    client: &ClientMeta,
) -> Result<ConfirmedAddress, AppError> {
    let spent = || spent_link("confirmation");
    let used = consume_link(state, Purpose::EmailVerification, token)
        .await?
        .ok_or_else(spent)?;
    let pending = users::confirm_email(&state.pool, &used.user_id, &used.subject, state.now())
        .await?
        .ok_or_else(spent)?;
    record_event(
        state,
        Some(&used.user_id),
        EventKind::EmailVerified,
        Outcome::Success,
        client,
        serde_json::json!({"email": used.subject}),
    )
    .await?;
    if let (Some(organization), Some(account)) = (
        pending,
        users::find_by_id(&state.pool, &used.user_id).await?,
    ) && let Err(error) = create_organization(state, &account.user, &organization, client).await
    {
        tracing::warn!(error = ?error, "the organization asked for at sign-up was not created");
    }
    Ok(ConfirmedAddress {
        email: used.subject,
    })
}

/// Mails the signed-in account a new confirmation link.
pub async fn resend_verification(state: &AppState, session: &AuthSession) -> Result<(), AppError> {
    if session.user.email_verified {
        return Err(AppError::validation(
            "email",
            "Your address is already confirmed.",
        ));
    }
    state
        .hit_limit(
            VERIFICATION_RESENDS_PER_ACCOUNT,
            &session.user.id,
            state.now(),
        )
        .await?;
    mail_verification_link(state, &session.user, crate::account::DEFAULT_NEXT_PATH).await
}
