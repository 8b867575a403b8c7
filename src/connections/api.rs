//! Connected-account server functions: the list and connecting or
//! disconnecting (sudo mode) for the signed-in user; the providers and the
//! start of a sign-in for the sign-in page; and the providers' callback.

use super::{ConnectionsOverview, ProviderChoice};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::server::{self, callback};
#[cfg(feature = "ssr")]
use crate::account::safe_next_path;
#[cfg(feature = "ssr")]
use crate::server::auth::{app_state, client_meta, require_user};
#[cfg(feature = "ssr")]
use crate::server::identity::flow::Intent;

/// The configured providers and the signed-in user's connections, with
/// what connecting or disconnecting would ask.
#[server(endpoint = "list_connections", output = crate::codec::Json)]
pub async fn list_connections() -> Result<ConnectionsOverview, AppError> {
    let session = require_user().await?;
    server::overview(&app_state()?, &session).await
}

/// Starts connecting `provider` to the signed-in account, in sudo mode
/// (`password`, and `code` when 2FA is on, unless the session
/// re-authenticated recently): the browser goes to the provider.
#[server(endpoint = "connect_provider", output = crate::codec::Json)]
pub async fn connect_provider(
    provider: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let sudo = server::Sudo { password, code };
    server::start_connect(&app_state()?, &session, &provider, sudo, &client_meta()?).await
}

/// Disconnects the user's account at `provider`, in sudo mode; refused
/// when it is the last way left to sign in.
#[server(endpoint = "disconnect_provider", output = crate::codec::Json)]
pub async fn disconnect_provider(
    provider: String,
    password: Option<String>,
    code: Option<String>,
) -> Result<(), AppError> {
    let session = require_user().await?;
    let sudo = server::Sudo { password, code };
    server::disconnect(&app_state()?, &session, &provider, sudo, &client_meta()?).await
}

/// The providers the sign-in page offers.
#[server(endpoint = "sign_in_providers", output = crate::codec::Json)]
pub async fn sign_in_providers() -> Result<Vec<ProviderChoice>, AppError> {
    Ok(server::choices(&app_state()?))
}

/// Starts signing in with `provider`: the browser goes to the provider and
/// comes back to `next` (a local path) once signed in.
#[server(endpoint = "start_provider_sign_in", output = crate::codec::Json)]
pub async fn start_provider_sign_in(
    provider: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let next = safe_next_path(next.as_deref().unwrap_or_default());
    server::start(
        &app_state()?,
        &provider,
        Intent::SignIn,
        &next,
        None,
        &client_meta()?,
    )
    .await
}

/// Where a provider sends the browser back (reached through
/// `/auth/oauth/{provider}/callback`): finishes the sign-in or connection
/// the browser's flow cookie describes, or lands on a page that says what
/// went wrong. Always a redirect.
#[server(endpoint = "oauth_callback", input = GetUrl, output = crate::codec::Json)]
pub async fn oauth_callback(
    provider: String,
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    iss: Option<String>,
) -> Result<(), AppError> {
    let answer = callback::ProviderAnswer {
        provider,
        code,
        state,
        error,
        iss,
    };
    callback::finish(&app_state()?, answer, &client_meta()?).await
}
