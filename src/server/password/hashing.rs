//! argon2id hashing at (at least) the OWASP parameters, off the async runtime.

use super::Password;
use super::gate::{HashGate, HashSlot};
use crate::error::AppError;
use anyhow::Context;
use argon2::password_hash::SaltString;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version};
use std::sync::LazyLock;

/// OWASP's argon2id minimum: 19 MiB memory, 2 passes, 1 lane.
pub const MEMORY_KIB: u32 = 19_456;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;

/// A PHC-format hash string as stored in `users.password_hash`.
#[derive(Clone)]
pub struct PasswordHashText(pub String);

fn hasher() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> anyhow::Result<PasswordHashText> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    let hash = hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))?;
    Ok(PasswordHashText(hash.to_string()))
}

/// A hash of a random password, verified against when the account does not
/// exist so that both cases cost the same time.
static DUMMY_HASH: LazyLock<Option<PasswordHashText>> =
    LazyLock::new(|| hash_blocking(&uuid::Uuid::now_v7().to_string()).ok());

/// Hashes a new password on the blocking pool, through `gate`.
#[tracing::instrument(skip_all)]
pub async fn hash_password(
    gate: &HashGate,
    password: Password,
) -> Result<PasswordHashText, AppError> {
    let _slot = gate.enter().await?;
    let hash = at_low_priority(move || hash_blocking(password.expose())).await??;
    Ok(hash)
}

/// How much lower than the server's own the hashing threads' CPU priority is.
const HASHING_NICENESS: i32 = 10;

/// Runs `work` on a thread of its own at a lower CPU priority, so that under
/// a sign-in flood the pages of people already signed in win the CPU; when
/// nothing else runs, hashing still gets all of it. The gate bounds how many
/// such threads exist at once.
async fn at_low_priority<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("argon2".into())
        .spawn(move || {
            lower_this_threads_priority();
            let _ = done.send(work());
        })
        .context("Failed to start a hashing thread")?;
    result.await.context("The hashing thread stopped")
}

/// On Linux the nice value is per thread: this one only.
#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    // SAFETY: setpriority only reads its integer arguments; `who` 0 is the
    // calling thread. A failure leaves the priority as it was.
    let result = unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICENESS) };
    if result != 0 {
        tracing::debug!("could not lower the hashing thread's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

/// Checks a password against a stored hash, or against a dummy hash when there
/// is none (unknown account), so timing does not reveal which.
#[tracing::instrument(skip_all)]
pub async fn verify_password(
    gate: &HashGate,
    password: Password,
    stored: Option<PasswordHashText>,
) -> Result<bool, AppError> {
    let slot = gate.enter().await?;
    verify_password_in(slot, password, stored).await
}

/// `verify_password` in a hashing slot the caller already holds: sign-in
/// takes it before counting the attempt, so a request refused for a full
/// queue costs no database write.
#[tracing::instrument(skip_all)]
pub async fn verify_password_in(
    _slot: HashSlot<'_>,
    password: Password,
    stored: Option<PasswordHashText>,
) -> Result<bool, AppError> {
    let verdict = at_low_priority(move || {
        let is_real = stored.is_some();
        let Some(hash) = stored.or_else(|| DUMMY_HASH.clone()) else {
            anyhow::bail!("dummy hash unavailable");
        };
        let parsed = PasswordHash::new(&hash.0)
            .map_err(|e| anyhow::anyhow!("stored password hash is malformed: {e}"))?;
        let matches = hasher()?
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok();
        Ok(is_real && matches)
    })
    .await??;
    Ok(verdict)
}

/// True when the stored hash was made with weaker settings than today's, so
/// it is replaced at the next successful sign-in.
pub fn needs_rehash(stored: &PasswordHashText) -> bool {
    let Ok(parsed) = PasswordHash::new(&stored.0) else {
        return true;
    };
    if parsed.algorithm != argon2::ARGON2ID_IDENT || parsed.version != Some(Version::V0x13 as u32) {
        return true;
    }
    let Ok(params) = Params::try_from(&parsed) else {
        return true;
    };
    params.m_cost() < MEMORY_KIB || params.t_cost() < ITERATIONS || params.p_cost() < PARALLELISM
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate() -> HashGate {
        HashGate::new(1, 4)
    }

    #[tokio::test]
    async fn hashes_verify_and_use_owasp_parameters() {
        let gate = gate();
        let hash = hash_password(&gate, Password::new("correct horse battery staple"))
            .await
            .unwrap();
        assert!(
            hash.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.0
        );
        assert!(!needs_rehash(&hash));
        assert!(
            verify_password(
                &gate,
                Password::new("correct horse battery staple"),
                Some(hash.clone())
            )
            .await
            .unwrap()
        );
        assert!(
            !verify_password(
                &gate,
                Password::new("correct horse battery stapl"),
                Some(hash)
            )
            .await
            .unwrap()
        );
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        assert!(
            !verify_password(&gate(), Password::new("anything at all"), None)
                .await
                .unwrap()
        );
    }

    #[test]
    fn weaker_or_foreign_hashes_need_rehash() {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw", &salt)
        .unwrap()
        .to_string();
        assert!(needs_rehash(&PasswordHashText(weak)));
        let argon2i = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(MEMORY_KIB, 2, 1, None).unwrap(),
        )
        .hash_password(b"pw", &salt)
        .unwrap()
        .to_string();
        assert!(needs_rehash(&PasswordHashText(argon2i)));
        assert!(needs_rehash(&PasswordHashText("not a hash".into())));
    }
}
