//! The `passkeys` and `passkey_ceremonies` tables.

use anyhow::Context;
use sqlx::AnyPool;

/// A registered passkey as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredPasskey {
    pub id: String,
    pub user_id: String,
    pub credential_id: String,
    pub name: String,
    /// webauthn-rs's `Passkey` as JSON.
    pub credential: String,
    pub aaguid: String,
    pub backed_up: i64,
    pub created_at: i64,
    pub created_session_id: Option<String>,
    pub last_used_at: Option<i64>,
    pub last_used_device: String,
    pub last_used_location: String,
    pub suspected_clone_at: Option<i64>,
}

const PASSKEY_COLUMNS: &str = "id, user_id, credential_id, name, credential, aaguid, backed_up,
    created_at, created_session_id, last_used_at, last_used_device, last_used_location,
    suspected_clone_at";

/// A passkey about to be stored.
pub struct NewPasskey<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub credential_id: &'a str,
    pub name: &'a str,
    pub credential: &'a str,
    pub aaguid: &'a str,
    pub backed_up: bool,
    pub session_id: &'a str,
    pub now: i64,
}

/// Stores a new passkey; false when its credential id is registered
/// already (to this account or another), which stores nothing.
pub async fn insert(pool: &AnyPool, passkey: &NewPasskey<'_>) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO passkeys (id, user_id, credential_id, name, credential, aaguid, backed_up,
             created_at, created_session_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (credential_id) DO NOTHING",
    )
    .bind(passkey.id)
    .bind(passkey.user_id)
    .bind(passkey.credential_id)
    .bind(passkey.name)
    .bind(passkey.credential)
    .bind(passkey.aaguid)
    .bind(i64::from(passkey.backed_up))
    .bind(passkey.now)
    .bind(passkey.session_id)
    .execute(pool)
    .await
    .context("Failed to store the passkey")?;
    Ok(result.rows_affected() == 1)
}

/// The account's passkeys, newest first.
pub async fn list(pool: &AnyPool, user_id: &str) -> anyhow::Result<Vec<StoredPasskey>> {
    sqlx::query_as(&format!(
        "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
    ))
    .bind(user_id)
    .fetch_all(pool)
    .await
    .context("Failed to list the passkeys")
}

/// The passkey with this credential id, whoever owns it.
pub async fn find_by_credential_id(
    pool: &AnyPool,
    credential_id: &str,
) -> anyhow::Result<Option<StoredPasskey>> {
    sqlx::query_as(&format!(
        "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE credential_id = $1"
    ))
    .bind(credential_id)
    .fetch_optional(pool)
    .await
    .context("Failed to find the passkey")
}

/// Records a sign-in with the passkey: its updated record (counter,
/// backup state), when and from where.
pub async fn record_use(
    pool: &AnyPool,
    id: &str,
    credential: &str,
    backed_up: bool,
    used: (i64, &str, &str),
) -> anyhow::Result<()> {
    let (at, device, location) = used;
    sqlx::query(
        "UPDATE passkeys SET credential = $2, backed_up = $3, last_used_at = $4,
             last_used_device = $5, last_used_location = $6
         WHERE id = $1",
    )
    .bind(id)
    .bind(credential)
    .bind(i64::from(backed_up))
    .bind(at)
    .bind(device)
    .bind(location)
    .execute(pool)
    .await
    .context("Failed to record the passkey's use")?;
    Ok(())
}

/// Records "Not now" to the offer to add a passkey.
pub async fn dismiss_offer(pool: &AnyPool, user_id: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE users SET passkey_offer_dismissed_at = $2 WHERE id = $1")
        .bind(user_id)
        .bind(now)
        .execute(pool)
        .await
        .context("Failed to dismiss the passkey offer")?;
    Ok(())
}

/// Marks a passkey whose signature counter went backwards.
pub async fn mark_suspected_clone(pool: &AnyPool, id: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE passkeys SET suspected_clone_at = $2 WHERE id = $1")
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .context("Failed to flag the passkey")?;
    Ok(())
}

/// Renames one of the account's passkeys; false when it has none by that id.
pub async fn rename(pool: &AnyPool, user_id: &str, id: &str, name: &str) -> anyhow::Result<bool> {
    let result = sqlx::query("UPDATE passkeys SET name = $3 WHERE id = $2 AND user_id = $1")
        .bind(user_id)
        .bind(id)
        .bind(name)
        .execute(pool)
        .await
        .context("Failed to rename the passkey")?;
    Ok(result.rows_affected() == 1)
}

/// Deletes these passkeys of the account; returns how many went.
pub async fn delete_ids(pool: &AnyPool, user_id: &str, ids: &[String]) -> anyhow::Result<u64> {
    let mut deleted = 0;
    for id in ids {
        deleted += sqlx::query("DELETE FROM passkeys WHERE id = $2 AND user_id = $1")
            .bind(user_id)
            .bind(id)
            .execute(pool)
            .await
            .context("Failed to delete the passkey")?
            .rows_affected();
    }
    Ok(deleted)
}

/// What a ceremony is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[derive(strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Purpose {
    Register,
    SignIn,
    /// The second step of a password sign-in, bound to its challenge.
    SecondFactor,
    /// Confirming a sensitive action, bound to the session.
    Sudo,
}

/// A ceremony as stored, its state still sealed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredCeremony {
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub state: String,
}

/// A ceremony about to be stored.
pub struct NewCeremony<'a> {
    pub id: &'a str,
    pub purpose: Purpose,
    pub user_id: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub sealed_state: &'a str,
    pub now: i64,
    pub expires_at: i64,
}

pub async fn insert_ceremony(pool: &AnyPool, ceremony: &NewCeremony<'_>) -> anyhow::Result<()> {
    let purpose: &'static str = ceremony.purpose.into();
    sqlx::query(
        "INSERT INTO passkey_ceremonies (id, purpose, user_id, session_id, state, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(ceremony.id)
    .bind(purpose)
    .bind(ceremony.user_id)
    .bind(ceremony.session_id)
    .bind(ceremony.sealed_state)
    .bind(ceremony.now)
    .bind(ceremony.expires_at)
    .execute(pool)
    .await
    .context("Failed to store the passkey ceremony")?;
    Ok(())
}

/// Takes the unexpired ceremony with this id and purpose: it is deleted
/// in the same statement, so of two answers racing for it only one gets it.
pub async fn take_ceremony(
    pool: &AnyPool,
    id: &str,
    purpose: Purpose,
    now: i64,
) -> anyhow::Result<Option<StoredCeremony>> {
    let purpose: &'static str = purpose.into();
    sqlx::query_as(
        "DELETE FROM passkey_ceremonies WHERE id = $1 AND purpose = $2 AND expires_at > $3
         RETURNING user_id, session_id, state",
    )
    .bind(id)
    .bind(purpose)
    .bind(now)
    .fetch_optional(pool)
    .await
    .context("Failed to take the passkey ceremony")
}

/// Deletes ceremonies past their expiry; returns how many.
pub async fn prune_ceremonies(pool: &AnyPool, now: i64) -> anyhow::Result<u64> {
    let result = sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at <= $1")
        .bind(now)
        .execute(pool)
        .await
        .context("Failed to prune passkey ceremonies")?;
    Ok(result.rows_affected())
}
