//! 256-bit random bearer tokens, stored only as their SHA-256.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random 256-bit token (session cookie, later reset links). Never `Debug`-printed.
pub struct RandomToken(String);

impl std::fmt::Debug for RandomToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RandomToken(redacted)")
    }
}

impl RandomToken {
    /// 32 bytes from the OS generator, base64url without padding (43 characters).
    pub fn generate() -> RandomToken {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        RandomToken(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only text shaped like a token we issued; anything else is refused
    /// before it reaches the database.
    pub fn parse(text: &str) -> Option<RandomToken> {
        let decoded = URL_SAFE_NO_PAD.decode(text.as_bytes()).ok()?;
        (decoded.len() == 32 && text.len() == 43).then(|| RandomToken(text.to_string()))
    }

    /// The value to hand to the client, exactly once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database stores.
    pub fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

/// SHA-256 as lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_43_chars_unique_and_parse_back() {
        let a = RandomToken::generate();
        let b = RandomToken::generate();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a.expose(), b.expose());
        assert_eq!(RandomToken::parse(a.expose()).unwrap().hash(), a.hash());
    }

    #[test]
    fn malformed_tokens_are_refused() {
        for bad in ["", "short", &"a".repeat(44), &"!".repeat(43), "a b"] {
            assert!(RandomToken::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn sha256_matches_a_known_vector() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
