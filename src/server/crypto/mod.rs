//! Cryptography the server owns: the server key, random tokens, digests.

pub mod keys;
pub mod tokens;

pub use keys::ServerKey;
pub use tokens::{RandomToken, sha256_hex};
