//! Hand-built JSON Web Tokens signed with the committed test key, so the
//! fake provider can also issue the broken ones a real provider never would.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use serde_json::Value;
use std::sync::OnceLock;

/// The `kid` of the test key in the fake provider's JWKS and token headers.
pub const TEST_KEY_ID: &str = "fake-oidc-test-key";

/// The committed RSA key `tests/fixtures/oidc-test-rsa.pem` (PKCS#1). It is a
/// test-only key, generated for this repository, that signs nothing but the
/// fake provider's ID tokens.
pub fn test_signing_key() -> &'static CoreRsaPrivateSigningKey {
    static KEY: OnceLock<CoreRsaPrivateSigningKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/oidc-test-rsa.pem"
        );
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // The file starts with a few lines of explanation; the PEM parser
        // wants the armour alone.
        let start = text
            .find("-----BEGIN")
            .expect("a PEM block in the test key file");
        CoreRsaPrivateSigningKey::from_pem(
            &text[start..],
            Some(JsonWebKeyId::new(TEST_KEY_ID.into())),
        )
        .expect("the test key is a PKCS#1 RSA key")
    })
}

/// The JWKS document holding the test key's public half.
pub fn test_jwks() -> Value {
    let key: CoreJsonWebKey = test_signing_key().as_verification_key();
    serde_json::to_value(CoreJsonWebKeySet::new(vec![key])).expect("JWKS serialises")
}

/// An RS256 JWT of `claims`, signed with the test key.
pub fn sign_rs256(claims: &Value) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": TEST_KEY_ID});
    let signing_input = format!("{}.{}", encode_part(&header), encode_part(claims));
    let signature = test_signing_key()
        .sign(
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            signing_input.as_bytes(),
        )
        .expect("RS256 signing");
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// An unsigned JWT of `claims`: header `{"alg":"none"}` and an empty signature.
pub fn unsigned(claims: &Value) -> String {
    let header = serde_json::json!({"alg": "none"});
    format!("{}.{}.", encode_part(&header), encode_part(claims))
}

/// `token` with one bit of its signature flipped: well-formed, but no longer
/// matching its header and claims.
pub fn with_corrupt_signature(token: &str) -> String {
    let (signing_input, signature) = token.rsplit_once('.').expect("a JWS");
    let mut signature = URL_SAFE_NO_PAD
        .decode(signature)
        .expect("base64url signature");
    let middle = signature.len() / 2;
    signature[middle] ^= 0x01;
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// Splits a compact JWT into its decoded header, decoded claims and raw
/// signature bytes, without verifying anything.
pub fn decode_jwt(token: &str) -> (Value, Value, Vec<u8>) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWT has three parts: {token}");
    let json = |part: &str| -> Value {
        let bytes = URL_SAFE_NO_PAD.decode(part).expect("base64url JWT part");
        serde_json::from_slice(&bytes).expect("JSON JWT part")
    };
    let signature = URL_SAFE_NO_PAD
        .decode(parts[2])
        .expect("base64url signature");
    (json(parts[0]), json(parts[1]), signature)
}

fn encode_part(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).expect("JSON serialises"))
}
