//! A software passkey for tests: webauthn-authenticator-rs's `SoftPasskey`,
//! which signs as a real authenticator does, answering the server's
//! options as a browser would.

use super::TestApp;
use base64::Engine;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs::prelude::Url;
use webauthn_rs_proto::{
    AllowCredentials, CreationChallengeResponse, PublicKeyCredentialCreationOptions,
    PublicKeyCredentialRequestOptions, RequestChallengeResponse,
};

/// A device holding passkeys, as a browser and its authenticator are.
pub struct PasskeyDevice {
    authenticator: SoftPasskey,
    origin: Url,
}

impl PasskeyDevice {
    /// A device on this app's own origin.
    pub fn for_app(app: &TestApp) -> PasskeyDevice {
        PasskeyDevice::at(&app.state.config.public_url.origin)
    }

    /// A device on `origin` (another site's, for a phishing attempt).
    pub fn at(origin: &str) -> PasskeyDevice {
        PasskeyDevice {
            // `true`: it reports the user verified, as a PIN or biometric would.
            authenticator: SoftPasskey::new(true),
            origin: Url::parse(origin).unwrap(),
        }
    }

    /// Answers creation options (the server's JSON) as
    /// `navigator.credentials.create` would.
    pub fn create(&mut self, options: &str) -> String {
        self.create_with(serde_json::from_str(options).unwrap())
    }

    pub fn create_with(&mut self, mut public_key: PublicKeyCredentialCreationOptions) -> String {
        // The soft authenticator cannot store resident keys and refuses when
        // asked to; what it returns is the same shape either way (residency
        // is the authenticator's business, not part of what is signed).
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

    /// Answers request options with the passkey `credential_id` (the one
    /// the user picks from the browser's list) for the account `user_id`.
    pub fn get(&mut self, options: &str, credential_id: &[u8], user_id: &str) -> String {
        let mut public_key: PublicKeyCredentialRequestOptions =
            serde_json::from_str(options).unwrap();
        public_key.allow_credentials = vec![AllowCredentials {
            type_: "public-key".into(),
            id: credential_id.to_vec(),
            transports: None,
        }];
        self.get_with(public_key, user_id)
    }

    pub fn get_with(
        &mut self,
        public_key: PublicKeyCredentialRequestOptions,
        user_id: &str,
    ) -> String {
        let mut answer = self
            .authenticator
            .do_authentication(
                self.origin.clone(),
                RequestChallengeResponse {
                    public_key,
                    mediation: None,
                },
            )
            .unwrap();
        // A discoverable passkey names its account; the user handle is not
        // signed, so setting it here is what the authenticator itself does.
        answer.response.user_handle =
            Some(uuid::Uuid::parse_str(user_id).unwrap().as_bytes().to_vec());
        serde_json::to_string(&answer).unwrap()
    }
}

/// Adds a passkey named `name` from `device` to the account signed in with
/// `cookie`; returns its credential id (raw bytes). `sudo` is what sudo
/// mode asks for (empty while the session re-authenticated recently);
/// `cookie` follows the token's rotation.
pub async fn register_passkey(
    app: &TestApp,
    cookie: &mut String,
    device: &mut PasskeyDevice,
    name: &str,
    sudo: &[(&str, &str)],
) -> Vec<u8> {
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
    let answer: serde_json::Value = serde_json::from_str(&answer).unwrap();
    base64_url(answer["rawId"].as_str().unwrap())
}

/// Bytes from WebAuthn's base64url (no padding).
pub fn base64_url(text: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}
