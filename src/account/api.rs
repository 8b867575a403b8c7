//! Account server functions: the public HTTP API of sign-up, sign-in,
//! sign-out, password change and the account overview.

use super::{ConfirmedAddress, CurrentUser, SecurityOverview, StrengthReport};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use super::{
    EMAIL_MAX_CHARS, NAME_MAX_CHARS, PASSWORD_MAX_CHARS, email_problem, name_problem,
    normalize_email, safe_next_path,
    server::{self, NewAccount, sign_in::Credentials},
};
#[cfg(feature = "ssr")]
use crate::{
    recovery::server::links::parse_link_token,
    server::{
        auth::{
            app_state, client_meta, current_session, posted_without_script, require_user,
            set_cookie,
        },
        password::Password,
    },
    team::clean_org_name,
};

/// Judges a candidate password the way sign-up and password change will,
/// for the live strength meter. Rate-limited per IP; the signed-in user's
/// email and name are used as context when present.
#[server(endpoint = "password_strength", output = crate::codec::Json)]
pub async fn password_strength(
    password: String,
    email: Option<String>,
    name: Option<String>,
) -> Result<StrengthReport, AppError> {
    let (email, name) = match current_session().await? {
        Some(session) => (session.user.email, session.user.name),
        None => (
            normalize_email(&email.unwrap_or_default())
                .chars()
                .take(EMAIL_MAX_CHARS)
                .collect(),
            name.unwrap_or_default()
                .chars()
                .take(NAME_MAX_CHARS)
                .collect(),
        ),
    };
    let password = Password::new(&password);
    server::password_strength(&app_state()?, &password, &email, &name, &client_meta()?).await
}

/// Creates an account and mails the link that confirms its address (or,
/// when the address already has an account, mails that instead: the answer
/// is the same). Signs nobody in: the browser goes to the sign-in page,
/// which says to check the inbox, keeping `next`. With `organization`, the
/// account creates that organization, as its Owner, once confirmed.
#[server(endpoint = "sign_up", output = crate::codec::Json)]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    organization: Option<String>,
    next: Option<String>,
) -> Result<(), AppError> {
    let name = name.trim().to_string();
    if let Some(problem) = name_problem(&name) {
        return Err(AppError::validation("name", problem));
    }
    let organization = match organization.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(org) => Some(
            clean_org_name(org).map_err(|message| AppError::validation("organization", message))?,
        ),
    };
    let email = normalize_email(&email);
    if let Some(problem) = email_problem(&email) {
        return Err(AppError::validation("email", problem));
    }
    let next = safe_next_path(next.as_deref().unwrap_or_default());
    let account = NewAccount {
        name,
        email,
        password: Password::new(&password),
        organization,
        next: next.clone(),
    };
    server::sign_up(&app_state()?, account, &client_meta()?).await?;
    leptos_axum::redirect(&super::sign_in_after(&next, "signup=sent"));
    Ok(())
}

/// Confirms the account's address with the mailed link. A form posted
/// without the Wasm goes on to the sign-in page (keeping `next`): the link's
/// page sends no referrer to come back to.
#[server(endpoint = "confirm_email_address", output = crate::codec::Json)]
pub async fn confirm_email_address(
    token: String,
    next: Option<String>,
) -> Result<ConfirmedAddress, AppError> {
    let token = parse_link_token(&token)?;
    let confirmed =
        server::verification::confirm_address(&app_state()?, &token, &client_meta()?).await?;
    if posted_without_script() {
        let next = safe_next_path(next.as_deref().unwrap_or_default());
        leptos_axum::redirect(&super::sign_in_after(&next, "verified=1"));
    }
    Ok(confirmed)
}

/// Mails the signed-in account a new link to confirm its address.
#[server(endpoint = "resend_email_verification", output = crate::codec::Json)]
pub async fn resend_email_verification() -> Result<(), AppError> {
    let session = require_user().await?;
    server::verification::resend_verification(&app_state()?, &session).await
}

/// Signs in with email and password. Failures say only "Email or password is
/// incorrect", cost the same time whether or not the account exists, and are
/// limited per email (with back-off) and per IP.
#[server(endpoint = "sign_in", output = crate::codec::Json)]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let email = normalize_email(&email);
    if email.chars().count() > EMAIL_MAX_CHARS {
        return Err(AppError::validation(
            "email",
            "That email address is too long.",
        ));
    }
    if password.chars().count() > PASSWORD_MAX_CHARS {
        return Err(AppError::validation(
            "password",
            "Passwords are at most 128 characters.",
        ));
    }
    let credentials = Credentials {
        email,
        password,
        next: safe_next_path(next.as_deref().unwrap_or_default()),
    };
    server::sign_in::sign_in(&app_state()?, credentials, &client_meta()?).await
}

/// Ends the current session on the server, clears the cookie and goes to the sign-in page.
#[server(endpoint = "sign_out", output = crate::codec::Json)]
pub async fn sign_out() -> Result<(), AppError> {
    let state = app_state()?;
    if let Some(session) = current_session().await? {
        server::sign_out(&state, &session, &client_meta()?).await?;
    }
    set_cookie(&state.clearing_cookie())?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Changes the password after checking the current one; ends every other
/// session and gives this one a new token.
#[server(endpoint = "change_password", output = crate::codec::Json)]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let new_password = Password::new(&new_password);
    let (state, client) = (app_state()?, client_meta()?);
    server::change_password(&state, &session, &current_password, new_password, &client).await
}

/// The signed-in user, or `None` when signed out.
#[server(endpoint = "current_user", output = crate::codec::Json)]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    Ok(current_session().await?.map(|session| session.user))
}

/// The account summary shown at the top of the security page.
#[server(endpoint = "security_overview", output = crate::codec::Json)]
pub async fn get_security_overview() -> Result<SecurityOverview, AppError> {
    let session = require_user().await?;
    server::overview(&app_state()?, &session).await
}
