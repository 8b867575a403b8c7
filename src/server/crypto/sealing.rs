//! Sealing secrets at rest with AES-256-GCM under a per-purpose sub-key of
//! the server key.

use super::keys::ServerKey;
use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;

const VERSION_PREFIX: &str = "v1.";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
// Kept apart from the purposes used with `ServerKey::mac_hex`, so a purpose
// name reused by mistake never makes one sub-key serve both HMAC and AES.
const SUB_KEY_DOMAIN: &str = "aes-256-gcm-seal:";

/// Encrypts `plaintext` with AES-256-GCM under the server sub-key for `purpose`, binding
/// `associated` (e.g. the user id) as AAD; returns "v1." + base64url-no-pad(12-byte random
/// nonce || ciphertext+tag).
pub fn seal(
    key: &ServerKey,
    purpose: &str,
    associated: &[u8],
    plaintext: &[u8],
) -> anyhow::Result<String> {
    let cipher = cipher_for(key, purpose)?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: associated,
            },
        )
        .map_err(|_| anyhow::anyhow!("Failed to seal data for {purpose}"))?;
    let mut framed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    framed.extend_from_slice(&nonce);
    framed.extend_from_slice(&ciphertext);
    Ok(format!(
        "{VERSION_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(framed)
    ))
}

/// Reverses `seal`; fails on a wrong key, purpose, associated data, version or any tampering.
pub fn open(
    key: &ServerKey,
    purpose: &str,
    associated: &[u8],
    sealed: &str,
) -> anyhow::Result<Vec<u8>> {
    let body = sealed
        .strip_prefix(VERSION_PREFIX)
        .context("Sealed data has an unknown version")?;
    let framed = URL_SAFE_NO_PAD
        .decode(body)
        .context("Sealed data is not valid base64url")?;
    if framed.len() < NONCE_LEN + TAG_LEN {
        anyhow::bail!("Sealed data is too short");
    }
    let (nonce, ciphertext) = framed.split_at(NONCE_LEN);
    let cipher = cipher_for(key, purpose)?;
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: associated,
            },
        )
        .map_err(|_| anyhow::anyhow!("Sealed data for {purpose} failed authentication"))
}

fn cipher_for(key: &ServerKey, purpose: &str) -> anyhow::Result<Aes256Gcm> {
    let sub_key = key.derive(&format!("{SUB_KEY_DOMAIN}{purpose}"));
    Aes256Gcm::new_from_slice(&sub_key).map_err(|_| anyhow::anyhow!("Invalid AES-256 key length"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ServerKey {
        ServerKey::from_hex(&"42".repeat(32)).unwrap()
    }

    const SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn round_trip() {
        let sealed = seal(&key(), "totp", b"user-1", SECRET).unwrap();
        assert!(sealed.starts_with("v1."));
        assert_eq!(open(&key(), "totp", b"user-1", &sealed).unwrap(), SECRET);
        // 12-byte nonce + plaintext + 16-byte tag, base64url without padding.
        assert_eq!(sealed.len(), 3 + (12 + SECRET.len() + 16).div_ceil(3) * 4);
    }

    #[test]
    fn empty_plaintext_round_trips() {
        let sealed = seal(&key(), "totp", b"", b"").unwrap();
        assert_eq!(open(&key(), "totp", b"", &sealed).unwrap(), b"");
    }

    #[test]
    fn wrong_associated_data_fails() {
        let sealed = seal(&key(), "totp", b"user-1", SECRET).unwrap();
        assert!(open(&key(), "totp", b"user-2", &sealed).is_err());
        assert!(open(&key(), "totp", b"", &sealed).is_err());
    }

    #[test]
    fn wrong_purpose_fails() {
        let sealed = seal(&key(), "totp", b"user-1", SECRET).unwrap();
        assert!(open(&key(), "sms", b"user-1", &sealed).is_err());
    }

    #[test]
    fn wrong_key_fails() {
        let sealed = seal(&key(), "totp", b"user-1", SECRET).unwrap();
        let other = ServerKey::from_hex(&"43".repeat(32)).unwrap();
        assert!(open(&other, "totp", b"user-1", &sealed).is_err());
    }

    #[test]
    fn flipped_byte_fails() {
        let sealed = seal(&key(), "totp", b"user-1", SECRET).unwrap();
        let framed = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
        for index in 0..framed.len() {
            let mut tampered = framed.clone();
            tampered[index] ^= 0x01;
            let text = format!("v1.{}", URL_SAFE_NO_PAD.encode(&tampered));
            assert!(
                open(&key(), "totp", b"user-1", &text).is_err(),
                "byte {index}"
            );
        }
    }

    #[test]
    fn bad_version_truncation_and_encoding_fail() {
        let sealed = seal(&key(), "totp", b"user-1", SECRET).unwrap();
        let v2 = sealed.replacen("v1.", "v2.", 1);
        assert!(open(&key(), "totp", b"user-1", &v2).is_err());
        assert!(open(&key(), "totp", b"user-1", &sealed[3..]).is_err());
        assert!(open(&key(), "totp", b"user-1", &sealed[..sealed.len() - 4]).is_err());
        assert!(open(&key(), "totp", b"user-1", "v1.").is_err());
        assert!(open(&key(), "totp", b"user-1", "v1.AAAA").is_err());
        assert!(open(&key(), "totp", b"user-1", "v1.!!!!").is_err());
        assert!(open(&key(), "totp", b"user-1", "").is_err());
    }

    #[test]
    fn two_seals_of_the_same_plaintext_differ() {
        let a = seal(&key(), "totp", b"user-1", SECRET).unwrap();
        let b = seal(&key(), "totp", b"user-1", SECRET).unwrap();
        assert_ne!(a, b);
        assert_ne!(a[3..19], b[3..19], "nonces differ");
    }

    #[test]
    fn sealed_text_does_not_contain_the_plaintext() {
        let sealed = seal(&key(), "totp", b"user-1", SECRET).unwrap();
        let base32 = super::super::totp::TotpSecret::from_bytes(SECRET)
            .unwrap()
            .base32();
        for needle in [
            hex::encode(SECRET),
            base32.clone(),
            base32.to_lowercase(),
            URL_SAFE_NO_PAD.encode(SECRET),
            String::from_utf8(SECRET.to_vec()).unwrap(),
        ] {
            assert!(!sealed.contains(&needle), "{needle}");
            assert!(!sealed.contains(&needle[..8]), "{needle}");
        }
    }
}
