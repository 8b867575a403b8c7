//! What a registration says about the authenticator: its model (AAGUID),
//! named from a small bundled table, and whether the passkey is synced.

use serde_cbor_2::Value;

/// Well-known passkey providers and security keys by AAGUID (from the
/// community list at github.com/passkeydeveloper/passkey-authenticator-aaguids).
const KNOWN: [(&str, &str); 16] = [
    (
        "ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4",
        "Google Password Manager",
    ),
    ("adce0002-35bc-c60a-648b-0b25f1f05503", "Chrome on Mac"),
    ("fbfc3007-154e-4ecc-8c0b-6e020557d7bd", "iCloud Keychain"),
    ("dd4ec289-e01d-41c9-bb89-70fa845d4bf2", "iCloud Keychain"),
    ("08987058-cadc-4b81-b6e1-30de50dcbe96", "Windows Hello"),
    ("9ddd1817-af5a-4672-a2b9-3e3dd95000a9", "Windows Hello"),
    ("6028b017-b1d4-4c02-b4b3-afcdafc96bb2", "Windows Hello"),
    ("bada5566-a7aa-401f-bd96-45619a55120d", "1Password"),
    ("d548826e-79b4-db40-a3d8-11116f7e8349", "Bitwarden"),
    ("531126d6-e717-415c-9320-3d9aa6981239", "Dashlane"),
    ("0ea242b4-43c4-4a1b-8b17-dd6d0b6baec6", "Keeper"),
    ("53414d53-554e-4700-0000-000000000000", "Samsung Pass"),
    ("cb69481e-8ff7-4039-93ec-0a2729a154a8", "YubiKey 5"),
    ("ee882879-721c-4913-9775-3dfcce97072a", "YubiKey 5 NFC"),
    ("2fc0579f-8113-47ea-b116-bb5a8db9202a", "YubiKey 5 NFC"),
    ("c5ef55ff-ad9a-4b9f-b580-adebafe026d0", "YubiKey 5Ci"),
];

/// The name a new passkey gets when its owner gives none.
pub const DEFAULT_NAME: &str = "Passkey";

// Flags of the authenticator data (WebAuthn §6.1).
const BACKED_UP: u8 = 0x10;
const ATTESTED_CREDENTIAL_DATA: u8 = 0x40;
// rpIdHash (32) + flags (1) + signCount (4), then the AAGUID (16).
const AAGUID_AT: usize = 37;

/// What the attestation object of a registration says about its
/// authenticator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticatorFacts {
    /// Lower-case hyphenated; all zeros when the authenticator does not say.
    pub aaguid: String,
    pub backed_up: bool,
}

impl AuthenticatorFacts {
    /// Reads the facts from a CBOR attestation object; `None` when it is
    /// not one (the registration was verified before, so this is a bug or
    /// an authenticator far outside the standard).
    pub fn from_attestation_object(bytes: &[u8]) -> Option<AuthenticatorFacts> {
        let Value::Map(entries) = serde_cbor_2::from_slice::<Value>(bytes).ok()? else {
            return None;
        };
        let auth_data = entries.iter().find_map(|(key, value)| match (key, value) {
            (Value::Text(key), Value::Bytes(data)) if key == "authData" => Some(data),
            _ => None,
        })?;
        let flags = *auth_data.get(32)?;
        let aaguid = if flags & ATTESTED_CREDENTIAL_DATA != 0 {
            let bytes: [u8; 16] = auth_data.get(AAGUID_AT..AAGUID_AT + 16)?.try_into().ok()?;
            uuid::Uuid::from_bytes(bytes).hyphenated().to_string()
        } else {
            uuid::Uuid::nil().hyphenated().to_string()
        };
        Some(AuthenticatorFacts {
            aaguid,
            backed_up: flags & BACKED_UP != 0,
        })
    }

    /// "iCloud Keychain", "YubiKey 5 NFC"…, or "Passkey" for a model we do
    /// not know.
    pub fn default_name(&self) -> &'static str {
        KNOWN
            .iter()
            .find(|(aaguid, _)| *aaguid == self.aaguid)
            .map_or(DEFAULT_NAME, |(_, name)| name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn attestation_object(flags: u8, aaguid: [u8; 16]) -> Vec<u8> {
        let mut auth_data = vec![7u8; 32];
        auth_data.push(flags);
        auth_data.extend_from_slice(&[0, 0, 0, 1]);
        auth_data.extend_from_slice(&aaguid);
        auth_data.extend_from_slice(&[0, 2, 9, 9]);
        let mut map = BTreeMap::new();
        map.insert(Value::Text("fmt".into()), Value::Text("none".into()));
        map.insert(Value::Text("attStmt".into()), Value::Map(BTreeMap::new()));
        map.insert(Value::Text("authData".into()), Value::Bytes(auth_data));
        serde_cbor_2::to_vec(&Value::Map(map)).unwrap()
    }

    #[test]
    fn a_known_model_is_named_and_a_synced_passkey_is_seen() {
        let icloud = uuid::Uuid::parse_str("fbfc3007-154e-4ecc-8c0b-6e020557d7bd").unwrap();
        let facts = AuthenticatorFacts::from_attestation_object(&attestation_object(
            0x45 | 0x08 | BACKED_UP,
            *icloud.as_bytes(),
        ))
        .unwrap();
        assert_eq!(facts.aaguid, "fbfc3007-154e-4ecc-8c0b-6e020557d7bd");
        assert!(facts.backed_up);
        assert_eq!(facts.default_name(), "iCloud Keychain");
    }

    #[test]
    fn an_unknown_or_silent_model_is_a_device_bound_passkey() {
        let facts = AuthenticatorFacts::from_attestation_object(&attestation_object(0x45, [3; 16]))
            .unwrap();
        assert!(!facts.backed_up);
        assert_eq!(facts.default_name(), DEFAULT_NAME);
        let silent =
            AuthenticatorFacts::from_attestation_object(&attestation_object(0x05, [3; 16]))
                .unwrap();
        assert_eq!(silent.aaguid, "00000000-0000-0000-0000-000000000000");
    }

    #[test]
    fn garbage_is_not_read() {
        assert_eq!(
            AuthenticatorFacts::from_attestation_object(b"not cbor"),
            None
        );
        let text = serde_cbor_2::to_vec(&Value::Text("authData".into())).unwrap();
        assert_eq!(AuthenticatorFacts::from_attestation_object(&text), None);
        let short = attestation_object(0x45, [1; 16]);
        assert!(AuthenticatorFacts::from_attestation_object(&short[..20]).is_none());
    }
}
