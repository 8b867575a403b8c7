//! The one error type every server function returns and every view matches.
//!
//! Internal detail never travels in it: the server logs the cause and sends
//! `Internal`, so a browser learns what it may act on and nothing more.

use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What went wrong, in terms a user (and the UI) can act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AppError {
    /// A code (TOTP, SMS, backup) was wrong or already used.
    InvalidCode,
    /// Email or password did not match; deliberately says nothing more.
    InvalidCredentials,
    /// Too many attempts; try again after this many seconds.
    RateLimited {
        retry_after: u64,
    },
    /// The action needs a recent re-entry of the password ("sudo mode").
    ReauthRequired,
    /// The caller is not signed in (or the session ended).
    Unauthenticated,
    /// The server is too busy for this now; try again after this many seconds.
    Unavailable {
        retry_after: u64,
    },
    NotFound,
    Forbidden,
    /// The caller's organization requires two-factor authentication and the
    /// grace period is over: only setting it up is allowed.
    TwoFactorRequired,
    /// The caller is an Owner or Admin of an organization that requires a
    /// passkey of them, and the grace period is over: only adding one is
    /// allowed.
    PasskeyRequired,
    /// The account's email address is not confirmed yet, and the action
    /// (API keys, teams, SMS) needs a confirmed one.
    EmailUnverified,
    /// One input was refused; `field` names the form field.
    Validation {
        field: String,
        message: String,
    },
    /// Something failed on the server; the details are in the server log.
    Internal,
}

/// The outcome of a form posted before the Wasm loaded: which server
/// function ran and how it ended, carried to the next page in a cookie.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FormFlash {
    /// The server function's path, e.g. `/api/sign_in`.
    pub action: String,
    pub error: Option<AppError>,
}

impl AppError {
    /// A validation error for one form field.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError::Validation {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::InvalidCode => write!(f, "That code is not valid."),
            AppError::InvalidCredentials => write!(f, "Email or password is incorrect."),
            AppError::RateLimited { retry_after } => {
                let minutes = retry_after.div_ceil(60);
                let hours = retry_after.div_ceil(3600);
                if *retry_after > 2 * 3600 {
                    write!(f, "Too many attempts. Try again in {hours} hours.")
                } else if *retry_after < 60 {
                    write!(f, "Too many attempts. Try again in {retry_after} seconds.")
                } else if minutes == 1 {
                    write!(f, "Too many attempts. Try again in a minute.")
                } else {
                    write!(f, "Too many attempts. Try again in {minutes} minutes.")
                }
            }
            AppError::ReauthRequired => {
                write!(f, "Please confirm your password to continue.")
            }
            AppError::Unauthenticated => write!(f, "Please sign in to continue."),
            AppError::Unavailable { retry_after } => write!(
                f,
                "The server is busy right now. Try again in {retry_after} seconds."
            ),
            AppError::NotFound => write!(f, "Not found."),
            AppError::Forbidden => write!(f, "You do not have permission to do that."),
            AppError::TwoFactorRequired => write!(
                f,
                "Your organization requires two-factor authentication. Set it up to continue."
            ),
            AppError::PasskeyRequired => write!(
                f,
                "Your organization requires a passkey for Owners and Admins. Add one in Settings → Authentication."
            ),
            AppError::EmailUnverified => write!(
                f,
                "Confirm your email address first: open the link we sent you, or send a new one from the banner at the top."
            ),
            AppError::Validation { message, .. } => write!(f, "{message}"),
            AppError::Internal => write!(
                f,
                "Something went wrong on our side. Please try again in a moment."
            ),
        }
    }
}

impl std::error::Error for AppError {}

#[cfg(feature = "ssr")]
impl AppError {
    /// The HTTP status that matches the error, so clients need not parse bodies.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            AppError::InvalidCode | AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::InvalidCredentials | AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::ReauthRequired
            | AppError::Forbidden
            | AppError::TwoFactorRequired
            | AppError::PasskeyRequired
            | AppError::EmailUnverified => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// An unexpected failure on the server: logged once, with its chain of
/// causes, and sent to the browser as the opaque `Internal` — or, when the
/// database cannot be reached or is saturated, as `Unavailable`, which
/// clients may retry.
#[cfg(feature = "ssr")]
impl From<anyhow::Error> for AppError {
    fn from(error: anyhow::Error) -> Self {
        if crate::server::db::is_unavailable(&error) {
            tracing::warn!(error = ?error, "database unavailable");
            return AppError::Unavailable {
                retry_after: crate::server::db::RETRY_AFTER_SECS,
            };
        }
        tracing::error!(error = ?error, "internal error");
        AppError::Internal
    }
}

impl FromServerFnError for AppError {
    type Encoder = crate::codec::JsonText;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not even decode are hostile or broken input.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::validation("form", "The request was malformed.")
            }
            // On the server this is a body that is not even text (invalid
            // UTF-8); in the browser, a reply it cannot read.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(_) => {
                AppError::validation("form", "The request was malformed.")
            }
            ServerFnErrorErr::Request(_) => AppError::validation(
                "form",
                "Could not reach the server. Check your connection and try again.",
            ),
            _ => AppError::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_message_rounds_up_to_minutes() {
        assert_eq!(
            AppError::RateLimited { retry_after: 30 }.to_string(),
            "Too many attempts. Try again in 30 seconds."
        );
        assert_eq!(
            AppError::RateLimited { retry_after: 61 }.to_string(),
            "Too many attempts. Try again in 2 minutes."
        );
    }

    #[test]
    fn errors_round_trip_through_json() {
        let error = AppError::validation("password", "Too short");
        let json = serde_json::to_string(&error).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), error);
    }
}
