//! Account recovery: forgot password, change email, "This wasn't me", and
//! the notice preferences. The email itself is `server/mail`.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use serde::{Deserialize, Serialize};

/// The Security page's "Email and notifications" section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailSettings {
    pub email: String,
    /// Whether a sign-in from a new device is mailed.
    pub new_sign_in_notices: bool,
    /// Changing the email asks for the password (no recent sign-in).
    pub needs_password: bool,
    pub sudo_factor: Option<crate::two_factor::Method>,
}
