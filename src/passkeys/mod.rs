//! Passkeys (WebAuthn): a phishing-resistant way to sign in without a
//! password. The types here are shared by the Authentication page, the
//! sign-in page and their server functions.

pub mod api;
#[cfg(feature = "ssr")]
pub mod server;
pub mod view;

use crate::two_factor::SudoFactor;
use serde::{Deserialize, Serialize};

/// A passkey's name, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// The most an authenticator's answer may weigh, in bytes of JSON: a real
/// one is about 1–2 KB; anything past this is refused before it is parsed.
pub const CREDENTIAL_MAX_BYTES: usize = 16 * 1024;
/// The most passkeys one account may register.
pub const MAX_PER_ACCOUNT: usize = 20;

/// Trims a passkey's name and checks it: not empty, at most
/// `NAME_MAX_CHARS`, no control characters.
pub fn clean_passkey_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("Give the passkey a name, e.g. \"Work laptop\".".into());
    }
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(format!(
            "A passkey's name is at most {NAME_MAX_CHARS} characters."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("A passkey's name cannot contain control characters.".into());
    }
    Ok(name.to_string())
}

/// One registered passkey as the Authentication page lists it. Holds
/// nothing of the key itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PasskeyInfo {
    pub id: String,
    pub name: String,
    /// Unix milliseconds.
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    /// "Chrome on macOS · Berlin, Germany" of the last sign-in with it.
    pub last_used_from: Option<String>,
    /// Synced to a cloud account (iCloud Keychain, Google Password Manager,
    /// a password manager) rather than bound to one device.
    pub backed_up: bool,
    /// Its signature counter went backwards (two devices hold the same
    /// key): it no longer signs in.
    pub suspected_clone: bool,
}

/// The account's passkeys, newest first, and whether adding one would ask
/// for the password again (sudo mode).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PasskeysOverview {
    pub passkeys: Vec<PasskeyInfo>,
    pub needs_password: bool,
    /// The second factor whose code sudo mode asks for with the password.
    pub sudo_factor: SudoFactor,
}

/// A ceremony under way: the handle to send back with the authenticator's
/// answer, and the options (WebAuthn's JSON) to hand to
/// `navigator.credentials`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ceremony {
    pub handle: String,
    pub options: String,
}

/// The offer to add a passkey, made for a while after a sign-in to an
/// account without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeyOffer {
    /// Adding one would ask for the password first (the sudo window closed).
    pub needs_password: bool,
}

/// How long after a sign-in the offer is made.
pub const OFFER_AFTER_SIGN_IN_MINUTES: i64 = 30;
/// How long "Not now" keeps the offer away.
pub const OFFER_SNOOZE_DAYS: i64 = 30;

impl Ceremony {
    /// The handle and the options, as the browser's ceremony runner takes them.
    pub fn into_parts(self) -> (String, String) {
        (self.handle, self.options)
    }
}
