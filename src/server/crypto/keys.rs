//! The server key: 32 random bytes from `SECRET_KEY` or a 0600 file.
//!
//! Sub-keys are derived per purpose with HMAC, so one key never serves two uses.

use anyhow::Context;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::path::Path;

/// The server's master key. Deliberately neither `Debug`-printable nor `Serialize`.
#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(redacted)")
    }
}

impl ServerKey {
    /// Uses the inline hex key if given, otherwise reads (or creates) the key file.
    pub fn load(inline_hex: Option<&str>, file: &Path) -> anyhow::Result<ServerKey> {
        if let Some(hex_text) = inline_hex {
            return ServerKey::from_hex(hex_text).context("SECRET_KEY is not 64 hex characters");
        }
        if file.exists() {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("Failed to read SECRET_KEY_FILE {}", file.display()))?;
            return ServerKey::from_hex(text.trim()).with_context(|| {
                format!(
                    "SECRET_KEY_FILE {} does not hold 64 hex characters",
                    file.display()
                )
            });
        }
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("Failed to create {}", parent.display()))?;
        }
        write_private_file(file, &hex::encode(bytes))
            .with_context(|| format!("Failed to write SECRET_KEY_FILE {}", file.display()))?;
        tracing::info!(path = %file.display(), "generated a new server key");
        Ok(ServerKey(bytes))
    }

    pub(crate) fn from_hex(text: &str) -> anyhow::Result<ServerKey> {
        let bytes = hex::decode(text.trim())?;
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("wrong key length"))?;
        Ok(ServerKey(array))
    }

    /// HMAC-SHA-256 of `data` under the sub-key for `purpose`, as hex.
    pub fn mac_hex(&self, purpose: &str, data: &[u8]) -> String {
        let sub_key = self.derive(purpose);
        hex::encode(self.mac_raw(&sub_key, data))
    }

    /// The 32-byte sub-key for `purpose`: HMAC-SHA-256 of the purpose under the master key.
    pub(crate) fn derive(&self, purpose: &str) -> [u8; 32] {
        self.mac_raw(&self.0, purpose.as_bytes())
    }

    fn mac_raw(&self, key: &[u8], data: &[u8]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(data);
        mac.finalize().into_bytes().into()
    }
}

#[cfg(unix)]
fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_key_file_is_private_and_reloads_the_same_key() {
        let dir = std::env::temp_dir().join(format!("ss-key-{}", uuid::Uuid::now_v7()));
        let file = dir.join("secret.key");
        let first = ServerKey::load(None, &file).unwrap();
        let second = ServerKey::load(None, &file).unwrap();
        assert_eq!(first.mac_hex("t", b"x"), second.mac_hex("t", b"x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn purposes_derive_different_macs() {
        let key = ServerKey::from_hex(&"11".repeat(32)).unwrap();
        assert_ne!(key.mac_hex("a", b"x"), key.mac_hex("b", b"x"));
        assert_eq!(key.mac_hex("a", b"x").len(), 64);
    }

    #[test]
    fn derive_is_the_hmac_of_the_purpose_and_keys_mac_hex() {
        let key = ServerKey::from_hex(&"11".repeat(32)).unwrap();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[0x11; 32]).unwrap();
        mac.update(b"purpose");
        let expected: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(key.derive("purpose"), expected);
        assert_ne!(key.derive("purpose"), key.derive("other"));

        let mut outer = <Hmac<Sha256> as Mac>::new_from_slice(&expected).unwrap();
        outer.update(b"data");
        let expected_mac: [u8; 32] = outer.finalize().into_bytes().into();
        assert_eq!(key.mac_hex("purpose", b"data"), hex::encode(expected_mac));
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = ServerKey::from_hex(&"ab".repeat(32)).unwrap();
        assert!(!format!("{key:?}").contains("abab"));
    }
}
