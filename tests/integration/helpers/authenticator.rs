//! A software passkey for tests that need an account with one:
//! webauthn-authenticator-rs's `SoftPasskey`, which signs as a real
//! authenticator does, answering the server's options as a browser would.

use super::TestApp;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::Url;
use webauthn_rs_proto::{CreationChallengeResponse, PublicKeyCredentialCreationOptions};

/// A device that holds passkeys for this app's origin.
pub struct PasskeyDevice {
    authenticator: SoftPasskey,
    origin: Url,
}

impl PasskeyDevice {
    pub fn for_app(app: &TestApp) -> PasskeyDevice {
        PasskeyDevice {
            // `true`: it reports the user verified, as a PIN or biometric would.
            authenticator: SoftPasskey::new(true),
            origin: Url::parse(&app.state.config.public_url.origin).unwrap(),
        }
    }

    /// Answers creation options (the server's JSON) as
    /// `navigator.credentials.create` would.
    pub fn create(&mut self, options: &str) -> String {
        let mut public_key: PublicKeyCredentialCreationOptions =
            serde_json::from_str(options).unwrap();
        // The soft authenticator cannot store resident keys and refuses when
        // asked to; what it signs is the same either way.
        if let Some(selection) = public_key.authenticator_selection.as_mut() {
            selection.require_resident_key = false;
            selection.resident_key = None;
        }
        let answer = self
            .authenticator
            .do_registration(
                self.origin.clone(),
                CreationChallengeResponse { public_key },
            )
            .unwrap();
        serde_json::to_string(&answer).unwrap()
    }
}

/// Adds a passkey named `name` from `device` to the account signed in with
/// `cookie`. `sudo` is what sudo mode asks for (empty while the session
/// re-authenticated recently); `cookie` follows the token's rotation.
pub async fn register_passkey(
    app: &TestApp,
    cookie: &mut String,
    device: &mut PasskeyDevice,
    name: &str,
    sudo: &[(&str, &str)],
) {
    let reply = app
        .call_rotating("start_passkey_registration", sudo, cookie)
        .await;
    assert!(reply.error().is_none(), "{}", reply.body);
    let ceremony: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    let handle = ceremony["handle"].as_str().unwrap();
    let answer = device.create(ceremony["options"].as_str().unwrap());
    let reply = app
        .call(
            "finish_passkey_registration",
            &[("handle", handle), ("credential", &answer), ("name", name)],
            Some(cookie),
        )
        .await;
    assert!(reply.error().is_none(), "{}", reply.body);
}
