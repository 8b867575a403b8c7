//! Cryptography the server owns: the server key, random tokens, digests.

pub mod codes;
pub mod keys;
pub mod sealing;
pub mod tokens;
pub mod totp;

pub use keys::ServerKey;
pub use tokens::{RandomToken, sha256_hex};
