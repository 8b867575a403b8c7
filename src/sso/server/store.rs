//! The `sso_connections`, `sso_domains` and `sso_identities` tables, and
//! the organization's SSO columns (enforcement, session lifetimes).

use anyhow::Context;
use sqlx::{AnyPool, FromRow};

/// An organization's SSO settings as stored; secrets stay sealed.
#[derive(Clone, FromRow)]
pub struct StoredConnection {
    pub org_id: String,
    pub display_name: String,
    pub issuer: Option<String>,
    pub client_id: Option<String>,
    pub client_secret_sealed: Option<String>,
    pub activated_at: Option<i64>,
    pub pending_issuer: Option<String>,
    pub pending_client_id: Option<String>,
    pub pending_client_secret_sealed: Option<String>,
    pub pending_since: Option<i64>,
    pub last_tested_at: Option<i64>,
    pub discovery: Option<String>,
}

const CONNECTION_COLUMNS: &str = "org_id, display_name, issuer, client_id, client_secret_sealed,
    activated_at, pending_issuer, pending_client_id, pending_client_secret_sealed, pending_since,
    last_tested_at, discovery";

/// The organization's SSO settings, if it has any.
pub async fn find(pool: &AnyPool, org_id: &str) -> anyhow::Result<Option<StoredConnection>> {
    sqlx::query_as(&format!(
        "SELECT {CONNECTION_COLUMNS} FROM sso_connections WHERE org_id = $1"
    ))
    .bind(org_id)
    .fetch_optional(pool)
    .await
    .context("Failed to read the SSO settings")
}

/// Settings to try out, as the Owner saved them.
pub struct PendingSettings<'a> {
    pub org_id: &'a str,
    pub display_name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub secret_sealed: &'a str,
    pub discovery: &'a str,
    pub now: i64,
}

/// Saves settings as pending (the active ones, if any, keep working).
pub async fn save_pending(pool: &AnyPool, settings: &PendingSettings<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO sso_connections (org_id, display_name, pending_issuer, pending_client_id,
             pending_client_secret_sealed, pending_since, discovery, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $6)
         ON CONFLICT (org_id) DO UPDATE SET display_name = $2, pending_issuer = $3,
             pending_client_id = $4, pending_client_secret_sealed = $5, pending_since = $6,
             discovery = $7, updated_at = $6",
    )
    .bind(settings.org_id)
    .bind(settings.display_name)
    .bind(settings.issuer)
    .bind(settings.client_id)
    .bind(settings.secret_sealed)
    .bind(settings.now)
    .bind(settings.discovery)
    .execute(pool)
    .await
    .context("Failed to save the SSO settings")?;
    Ok(())
}

/// Makes the pending settings saved at `pending_since` the active ones;
/// `false` when they changed meanwhile (the test proved other settings).
pub async fn activate_pending(
    pool: &AnyPool,
    org_id: &str,
    pending_since: i64,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "UPDATE sso_connections SET issuer = pending_issuer, client_id = pending_client_id,
             client_secret_sealed = pending_client_secret_sealed, activated_at = $3,
             last_tested_at = $3, updated_at = $3, pending_issuer = NULL,
             pending_client_id = NULL, pending_client_secret_sealed = NULL, pending_since = NULL
         WHERE org_id = $1 AND pending_since = $2",
    )
    .bind(org_id)
    .bind(pending_since)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to activate the SSO settings")?;
    Ok(result.rows_affected() == 1)
}

/// Records a successful test of the active settings.
pub async fn mark_tested(pool: &AnyPool, org_id: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query("UPDATE sso_connections SET last_tested_at = $2 WHERE org_id = $1")
        .bind(org_id)
        .bind(now)
        .execute(pool)
        .await
        .context("Failed to record the SSO test")?;
    Ok(())
}

/// A claimed domain.
#[derive(Clone, FromRow)]
pub struct StoredDomain {
    pub domain: String,
    pub token: String,
    pub created_at: i64,
    pub verified_at: Option<i64>,
    pub checked_at: Option<i64>,
    /// Daily re-checks in a row that found the record gone.
    pub missed_checks: i64,
}

/// The organization's domains, verified first.
pub async fn domains(pool: &AnyPool, org_id: &str) -> anyhow::Result<Vec<StoredDomain>> {
    sqlx::query_as(
        "SELECT domain, token, created_at, verified_at, checked_at, missed_checks FROM sso_domains
         WHERE org_id = $1 ORDER BY verified_at IS NULL, domain",
    )
    .bind(org_id)
    .fetch_all(pool)
    .await
    .context("Failed to list the SSO domains")
}

/// Claims `domain` for the organization; `false` when it already has it.
pub async fn insert_domain(
    pool: &AnyPool,
    org_id: &str,
    domain: &str,
    token: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO sso_domains (org_id, domain, token, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, domain) DO NOTHING",
    )
    .bind(org_id)
    .bind(domain)
    .bind(token)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to add the SSO domain")?;
    Ok(result.rows_affected() == 1)
}

/// The organization that has verified `domain`, if any.
pub async fn verified_by(pool: &AnyPool, domain: &str) -> anyhow::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT org_id FROM sso_domains WHERE domain = $1 AND verified_at IS NOT NULL",
    )
    .bind(domain)
    .fetch_optional(pool)
    .await
    .context("Failed to look up a verified domain")
}

/// Records a check of the domain's record; with `verified` it becomes
/// verified. `false` when another organization verified it first (the
/// unique index refuses a second).
pub async fn record_check(
    pool: &AnyPool,
    org_id: &str,
    domain: &str,
    verified: bool,
    now: i64,
) -> anyhow::Result<bool> {
    let sql = if verified {
        "UPDATE sso_domains SET checked_at = $3, verified_at = $3, missed_checks = 0
         WHERE org_id = $1 AND domain = $2
           AND NOT EXISTS (SELECT 1 FROM sso_domains other
                           WHERE other.domain = $2 AND other.verified_at IS NOT NULL)"
    } else {
        "UPDATE sso_domains SET checked_at = $3 WHERE org_id = $1 AND domain = $2"
    };
    match sqlx::query(sql)
        .bind(org_id)
        .bind(domain)
        .bind(now)
        .execute(pool)
        .await
    {
        Ok(result) => Ok(result.rows_affected() == 1),
        // Two organizations verifying at the same moment: the index decides.
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(false),
        Err(error) => Err(error).context("Failed to record the domain check"),
    }
}

/// Removes a claimed domain; `false` when the organization had no such one.
pub async fn remove_domain(pool: &AnyPool, org_id: &str, domain: &str) -> anyhow::Result<bool> {
    let result = sqlx::query("DELETE FROM sso_domains WHERE org_id = $1 AND domain = $2")
        .bind(org_id)
        .bind(domain)
        .execute(pool)
        .await
        .context("Failed to remove the SSO domain")?;
    Ok(result.rows_affected() == 1)
}

/// The organization whose active SSO serves addresses on `domain`.
#[derive(Clone, FromRow)]
pub struct DomainSso {
    pub org_id: String,
    pub display_name: String,
    pub sso_enforced: i64,
}

/// Which organization's SSO serves `domain`: verified there, with active
/// settings.
pub async fn sso_for_domain(pool: &AnyPool, domain: &str) -> anyhow::Result<Option<DomainSso>> {
    sqlx::query_as(
        "SELECT c.org_id, c.display_name, o.sso_enforced
         FROM sso_domains d
         JOIN sso_connections c ON c.org_id = d.org_id
         JOIN organizations o ON o.id = d.org_id
         WHERE d.domain = $1 AND d.verified_at IS NOT NULL AND c.activated_at IS NOT NULL",
    )
    .bind(domain)
    .fetch_optional(pool)
    .await
    .context("Failed to look up SSO for a domain")
}

/// The account the identity provider's `subject` signed in to before.
pub async fn identity_user(
    pool: &AnyPool,
    org_id: &str,
    subject: &str,
) -> anyhow::Result<Option<String>> {
    sqlx::query_scalar("SELECT user_id FROM sso_identities WHERE org_id = $1 AND subject = $2")
        .bind(org_id)
        .bind(subject)
        .fetch_optional(pool)
        .await
        .context("Failed to look up an SSO identity")
}

/// Links `subject` to `user_id`; `false` when either is linked already.
pub async fn link_identity(
    pool: &AnyPool,
    org_id: &str,
    subject: &str,
    user_id: &str,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO sso_identities (org_id, subject, user_id, created_at, last_used_at)
         VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING",
    )
    .bind(org_id)
    .bind(subject)
    .bind(user_id)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to link an SSO identity")?;
    Ok(result.rows_affected() == 1)
}

/// Records that `subject` signed in.
pub async fn touch_identity(
    pool: &AnyPool,
    org_id: &str,
    subject: &str,
    now: i64,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE sso_identities SET last_used_at = $3 WHERE org_id = $1 AND subject = $2")
        .bind(org_id)
        .bind(subject)
        .bind(now)
        .execute(pool)
        .await
        .context("Failed to record an SSO sign-in")?;
    Ok(())
}

/// The organization's SSO policy columns.
#[derive(Clone, FromRow)]
pub struct StoredPolicy {
    pub sso_enforced: i64,
    pub sso_allow_api_keys: i64,
    pub sso_break_glass_user_id: Option<String>,
    pub session_idle_ms: Option<i64>,
    pub session_absolute_ms: Option<i64>,
}

/// The organization's enforcement and session lifetimes.
pub async fn policy(pool: &AnyPool, org_id: &str) -> anyhow::Result<StoredPolicy> {
    sqlx::query_as(
        "SELECT sso_enforced, sso_allow_api_keys, sso_break_glass_user_id, session_idle_ms,
             session_absolute_ms FROM organizations WHERE id = $1",
    )
    .bind(org_id)
    .fetch_one(pool)
    .await
    .context("Failed to read the SSO policy")
}

/// Turns enforcement on or off, with the API-key rule and the break-glass
/// Owner.
pub async fn set_enforcement(
    pool: &AnyPool,
    org_id: &str,
    enforced: bool,
    allow_api_keys: bool,
    break_glass: Option<&str>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE organizations SET sso_enforced = $2, sso_allow_api_keys = $3,
             sso_break_glass_user_id = $4 WHERE id = $1",
    )
    .bind(org_id)
    .bind(i64::from(enforced))
    .bind(i64::from(allow_api_keys))
    .bind(break_glass)
    .execute(pool)
    .await
    .context("Failed to change SSO enforcement")?;
    Ok(())
}

/// Sets (or clears, with `None`) the members' shorter session lifetimes.
pub async fn set_session_policy(
    pool: &AnyPool,
    org_id: &str,
    idle_ms: Option<i64>,
    absolute_ms: Option<i64>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE organizations SET session_idle_ms = $2, session_absolute_ms = $3 WHERE id = $1",
    )
    .bind(org_id)
    .bind(idle_ms)
    .bind(absolute_ms)
    .execute(pool)
    .await
    .context("Failed to change the session lifetimes")?;
    Ok(())
}

/// The members "Require SSO" would cover: on a verified domain of the
/// organization, other than `break_glass`.
const COVERED_MEMBERS: &str = "SELECT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.org_id = $1 AND ($2 IS NULL OR m.user_id <> $2)
      AND EXISTS (SELECT 1 FROM sso_domains d WHERE d.org_id = m.org_id
                  AND d.verified_at IS NOT NULL AND u.email LIKE '%@' || d.domain)";

/// Live sessions of covered members that did not begin with SSO, and how
/// many members hold them.
pub async fn non_sso_sessions(
    pool: &AnyPool,
    org_id: &str,
    break_glass: Option<&str>,
    now: i64,
) -> anyhow::Result<(i64, i64)> {
    let (sessions, members): (i64, i64) = sqlx::query_as(&format!(
        "SELECT COUNT(*), COUNT(DISTINCT user_id) FROM sessions
         WHERE revoked_at IS NULL AND expires_at > $3 AND auth_method NOT LIKE 'sso:%'
           AND user_id IN ({COVERED_MEMBERS})"
    ))
    .bind(org_id)
    .bind(break_glass)
    .bind(now)
    .fetch_one(pool)
    .await
    .context("Failed to count the sessions SSO would end")?;
    Ok((sessions, members))
}

/// Ends those sessions; returns how many ended.
pub async fn end_non_sso_sessions(
    pool: &AnyPool,
    org_id: &str,
    break_glass: Option<&str>,
    now: i64,
) -> anyhow::Result<u64> {
    let result = sqlx::query(&format!(
        "UPDATE sessions SET revoked_at = $3
         WHERE revoked_at IS NULL AND expires_at > $3 AND auth_method NOT LIKE 'sso:%'
           AND user_id IN ({COVERED_MEMBERS})"
    ))
    .bind(org_id)
    .bind(break_glass)
    .bind(now)
    .execute(pool)
    .await
    .context("Failed to end the sessions SSO replaces")?;
    Ok(result.rows_affected())
}

/// Removes the organization's SSO: its settings, the identities linked
/// through it, and the requirement.
pub async fn remove_connection(pool: &AnyPool, org_id: &str) -> anyhow::Result<bool> {
    let mut tx = crate::server::db::begin_write(pool)
        .await
        .context("Failed to begin removing SSO")?;
    let removed = sqlx::query("DELETE FROM sso_connections WHERE org_id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await
        .context("Failed to remove the SSO settings")?
        .rows_affected();
    sqlx::query("DELETE FROM sso_identities WHERE org_id = $1")
        .bind(org_id)
        .execute(&mut *tx)
        .await
        .context("Failed to remove the SSO identities")?;
    sqlx::query(
        "UPDATE organizations SET sso_enforced = 0, sso_allow_api_keys = 1,
             sso_break_glass_user_id = NULL WHERE id = $1",
    )
    .bind(org_id)
    .execute(&mut *tx)
    .await
    .context("Failed to end the SSO requirement")?;
    tx.commit().await.context("Failed to commit removing SSO")?;
    Ok(removed == 1)
}
