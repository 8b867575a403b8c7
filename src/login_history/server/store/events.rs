//! The `security_events` table: append-only; nothing here updates a row.

use crate::login_history::{EventKind, Outcome};
use crate::server::client::Origin;
use crate::server::db::new_id;
use crate::server::mail::queue::enqueue;
use anyhow::Context;
use sqlx::{AnyPool, Row};

/// Appends an event inside the caller's transaction (triggers count it in
/// its day's counts in the same statement), so the change it records and
/// the event commit together or not at all; `notice` is queued in it too,
/// keyed by the event, so it goes out exactly once and only if the event
/// was recorded. Returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    user_id: Option<&str>,
    org_id: Option<&str>,
    kind: EventKind,
    outcome: Outcome,
    origin: &Origin<'_>,
    detail: serde_json::Value,
    now: i64,
    notice: Option<&crate::server::mail::queue::SealedMail>,
) -> anyhow::Result<String> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO security_events (id, user_id, kind, outcome, occurred_at, ip, user_agent,
             detail, device, location, category, org_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&id)
    .bind(user_id)
    .bind(kind.as_str())
    .bind(outcome.as_str())
    .bind(now)
    .bind(stored_address(&origin.client.ip))
    .bind(&origin.client.user_agent)
    .bind(detail.to_string())
    .bind(&origin.device)
    .bind(&origin.location)
    .bind(kind.category().as_str())
    .bind(org_id)
    .execute(&mut **tx)
    .await
    .with_context(|| format!("Failed to record {} event", kind.as_str()))?;
    if let Some(mail) = notice {
        enqueue(&mut **tx, mail, Some(&format!("event:{id}")), now).await?;
    }
    Ok(id)
}

/// The address as the history stores it: an IP address in Rust's canonical
/// form, "unknown", or nothing for an event no client caused (a background
/// check). The text search relies on it: text no address could hold is
/// looked for in the device and location only
/// ([`super::search::may_match_address`]).
fn stored_address(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.to_canonical().to_string(),
        Err(_) if ip.is_empty() => String::new(),
        Err(_) => super::search::UNKNOWN_ADDRESS.to_string(),
    }
}

/// The user's `recent` latest successful sign-ins, newest first (time,
/// ip), and how many sign-ins failed since `failed_since`: one statement.
pub async fn sign_in_summary(
    pool: &AnyPool,
    user_id: &str,
    recent: i64,
    failed_since: i64,
) -> anyhow::Result<(Vec<(i64, String)>, i64)> {
    let rows = sqlx::query(
        "SELECT occurred_at, ip, CAST(NULL AS BIGINT) AS failed FROM (
             SELECT occurred_at, ip FROM security_events
             WHERE user_id = $1 AND kind = $2
             ORDER BY occurred_at DESC, id DESC LIMIT $3) recent
         UNION ALL
         SELECT CAST(NULL AS BIGINT), CAST(NULL AS TEXT), COUNT(*) FROM security_events
         WHERE user_id = $1 AND kind = $4 AND occurred_at >= $5",
    )
    .bind(user_id)
    .bind(EventKind::SignIn.as_str())
    .bind(recent)
    .bind(EventKind::SignInFailed.as_str())
    .bind(failed_since)
    .fetch_all(pool)
    .await
    .context("Failed to summarise sign-ins")?;
    let mut sign_ins = Vec::new();
    let mut failed = 0;
    for row in &rows {
        match row.try_get::<Option<i64>, _>("failed")? {
            Some(count) => failed = count,
            None => sign_ins.push((row.try_get("occurred_at")?, row.try_get("ip")?)),
        }
    }
    // UNION ALL promises no order: newest first again.
    sign_ins.sort_by_key(|sign_in: &(i64, String)| std::cmp::Reverse(sign_in.0));
    Ok((sign_ins, failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_address_is_a_canonical_ip_unknown_or_nothing() {
        assert_eq!(stored_address("203.0.113.7"), "203.0.113.7");
        assert_eq!(stored_address("2001:DB8:0::1"), "2001:db8::1");
        assert_eq!(stored_address("::ffff:10.0.0.1"), "10.0.0.1");
        assert_eq!(stored_address("unknown"), "unknown");
        assert_eq!(stored_address("Berlin <script>"), "unknown");
        assert_eq!(stored_address(""), "");
        for stored in ["2001:db8::1", "10.0.0.1", "unknown", ""] {
            assert!(super::super::search::may_match_address(stored), "{stored}");
        }
    }
}
