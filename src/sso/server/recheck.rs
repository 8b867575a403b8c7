//! Verified domains are looked up again every day. A domain can change
//! hands, and the organization that proved it once must not go on vouching
//! for addresses on it: after `MISSES_BEFORE_LAPSE` daily look-ups in a row
//! that find our record definitely gone, the domain stops being verified.
//! Its addresses then no longer sign in through that organization's
//! identity provider, "Require SSO" no longer covers them, and whoever
//! holds the domain now may prove it. A look-up that gets no answer (DNS
//! down) counts neither way. Owners are mailed at the first miss and at
//! the lapse.

use crate::error::AppError;
use crate::login_history::server::record::prepare_org_event;
use crate::login_history::{EventKind, Outcome};
use crate::server::client::ClientMeta;
use crate::server::db::begin_write;
use crate::server::dns::DnsFailure;
use crate::server::mail::queue::{SealedMail, enqueue};
use crate::server::state::AppState;
use crate::sso::{MISSES_BEFORE_LAPSE, RECHECK_INTERVAL_MS, TXT_RECORD_LABEL, TXT_VALUE_PREFIX};
use crate::time::utc_datetime;
use anyhow::Context;
use futures::StreamExt;
use sqlx::FromRow;

/// Verified domains re-checked in one round, the longest unchecked first.
const BATCH: i64 = 100;

/// Look-ups of one round waiting for DNS at once: a DNS server that has
/// gone quiet costs a round its deadline a few times, not once per domain.
const LOOKUPS_AT_ONCE: usize = 16;

/// What the TXT record at a domain's verification name holds.
pub enum Lookup {
    /// Our value, so the domain is still proved.
    Ours,
    /// A verification record with another value.
    OtherValue,
    /// No such name, or no record with our value.
    Missing,
    /// DNS gave no answer: nothing is known.
    Unanswered,
}

/// The record's name for `domain`.
pub fn record_name(domain: &str) -> String {
    format!("{TXT_RECORD_LABEL}.{domain}")
}

/// The record's value for a domain claimed with `token`.
pub fn record_value(token: &str) -> String {
    format!("{TXT_VALUE_PREFIX}{token}")
}

/// Asks DNS whether `domain` still carries the record for `token`.
pub async fn look_up(state: &AppState, domain: &str, token: &str) -> Lookup {
    let expected = record_value(token);
    match state.dns.txt(&record_name(domain)).await {
        Ok(values) if values.iter().any(|value| value.trim() == expected) => Lookup::Ours,
        Ok(values)
            if values
                .iter()
                .any(|value| value.starts_with(TXT_VALUE_PREFIX)) =>
        {
            Lookup::OtherValue
        }
        Ok(_) | Err(DnsFailure::NotFound) => Lookup::Missing,
        Err(DnsFailure::Unavailable(_)) => Lookup::Unanswered,
    }
}

/// A verified domain whose daily check is due.
#[derive(FromRow)]
struct DueDomain {
    org_id: String,
    domain: String,
    token: String,
    checked_at: i64,
    missed_checks: i64,
}

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Round {
    /// Domains whose record was found.
    pub kept: usize,
    /// Domains whose record was gone, still verified.
    pub missed: usize,
    /// Domains that stopped being verified.
    pub lapsed: usize,
    /// Look-ups DNS did not answer.
    pub unanswered: usize,
    /// Checks that could not be stored (the database refused): nothing of
    /// them was kept, so the domain is taken again in the next round.
    pub failed: usize,
    /// Due domains left for the next round because the database became
    /// unavailable during this one (their checks would all have failed).
    pub postponed: usize,
}

/// Re-checks the verified domains last checked a day ago or longer (at
/// most `BATCH` of them).
pub async fn recheck_due(state: &AppState) -> Result<Round, AppError> {
    let now = state.now();
    let due: Vec<DueDomain> = sqlx::query_as(
        "SELECT org_id, domain, token, checked_at, missed_checks FROM sso_domains
         WHERE verified_at IS NOT NULL AND checked_at <= $1
         ORDER BY checked_at LIMIT $2",
    )
    .bind(now - RECHECK_INTERVAL_MS)
    .bind(BATCH)
    .fetch_all(&state.pool)
    .await
    .context("Failed to list the domains due for a check")?;
    let mut round = Round {
        postponed: due.len(),
        ..Round::default()
    };
    let mut looked_up = futures::stream::iter(due)
        .map(|domain| async move {
            let found = look_up(state, &domain.domain, &domain.token).await;
            (domain, found)
        })
        .buffer_unordered(LOOKUPS_AT_ONCE);
    // Stored one at a time as the answers come; one domain's failure is
    // logged and leaves the others' checks standing.
    while let Some((domain, found)) = looked_up.next().await {
        round.postponed -= 1;
        match record(state, &domain, &found, now).await {
            Ok(Recorded::Kept) => round.kept += 1,
            Ok(Recorded::Missed) => round.missed += 1,
            Ok(Recorded::Lapsed) => round.lapsed += 1,
            Ok(Recorded::Unanswered) => round.unanswered += 1,
            Ok(Recorded::Superseded) => {}
            // Out of reach or saturated: every other check would wait out
            // the pool's timeout and fail the same way, so the rest (and
            // their look-ups) wait for the next round.
            Err(error @ AppError::Unavailable { .. }) => {
                tracing::error!(error = ?error, domain = %domain.domain, postponed = round.postponed,
                    "the database is unavailable; the domains' re-checks wait for the next round");
                round.failed += 1;
                break;
            }
            Err(error) => {
                tracing::error!(error = ?error, domain = %domain.domain, "could not record a domain re-check");
                round.failed += 1;
            }
        }
    }
    if round.missed + round.lapsed + round.unanswered + round.failed + round.postponed > 0 {
        tracing::warn!(?round, "verified SSO domains re-checked");
    }
    Ok(round)
}

/// Looks the record of an Owner's verified domain up now ("Check now")
/// and, when it is there, clears the misses. Only the daily check counts a
/// miss, so checking by hand can never end a verification.
pub async fn check_now(
    state: &AppState,
    org_id: &str,
    stored: &super::store::StoredDomain,
) -> Result<Lookup, AppError> {
    let found = look_up(state, &stored.domain, &stored.token).await;
    if let (Lookup::Ours, Some(checked_at)) = (&found, stored.checked_at) {
        let row = (org_id, stored.domain.as_str(), checked_at);
        store_check(&state.pool, row, KEEP_SQL, 0, state.now()).await?;
    }
    Ok(found)
}

#[derive(PartialEq, Eq)]
enum Recorded {
    Kept,
    Missed,
    Lapsed,
    Unanswered,
    /// Another check, a removal or a re-verification got there first.
    Superseded,
}

/// Stores one check's result, only if nothing changed the domain since it
/// was read (two instances checking at once count one miss), with the
/// event and the Owners' mail of a first miss or a lapse in the same
/// transaction: a check is kept whole or not at all.
async fn record(
    state: &AppState,
    domain: &DueDomain,
    found: &Lookup,
    now: i64,
) -> Result<Recorded, AppError> {
    let missed = domain.missed_checks + 1;
    let (sql, missed_checks, outcome) = match found {
        Lookup::Ours => (KEEP_SQL, 0, Recorded::Kept),
        Lookup::Unanswered => (KEEP_SQL, domain.missed_checks, Recorded::Unanswered),
        Lookup::OtherValue | Lookup::Missing if missed >= MISSES_BEFORE_LAPSE => {
            (LAPSE_SQL, 0, Recorded::Lapsed)
        }
        Lookup::OtherValue | Lookup::Missing => (KEEP_SQL, missed, Recorded::Missed),
    };
    let row = (
        domain.org_id.as_str(),
        domain.domain.as_str(),
        domain.checked_at,
    );
    let kind = match outcome {
        Recorded::Missed => EventKind::SsoDomainVerified,
        Recorded::Lapsed => EventKind::SsoDomainLapsed,
        Recorded::Kept | Recorded::Unanswered | Recorded::Superseded => {
            let stored = store_check(&state.pool, row, sql, missed_checks, now).await?;
            return Ok(if stored {
                outcome
            } else {
                Recorded::Superseded
            });
        }
    };
    // Read before the transaction, which never waits for a second connection.
    let mails = if outcome == Recorded::Lapsed || missed == 1 {
        owner_mails(state, domain, outcome == Recorded::Lapsed, now).await?
    } else {
        Vec::new()
    };
    let no_client = ClientMeta::default();
    let event = prepare_org_event(
        state,
        &domain.org_id,
        kind,
        Outcome::Failure,
        &no_client,
        serde_json::json!({"domain": domain.domain, "reason": "record_missing", "missed_checks": missed}),
    )
    .await?;
    let mut tx = begin_write(&state.pool)
        .await
        .map_err(anyhow::Error::from)?;
    if !store_check(&mut *tx, row, sql, missed_checks, now).await? {
        return Ok(Recorded::Superseded);
    }
    for mail in &mails {
        enqueue(&mut *tx, mail, None, now).await?;
    }
    event.record_and_commit(state, tx).await?;
    if !mails.is_empty() {
        state.mail_wakeup.notify_one();
    }
    Ok(outcome)
}

/// A check that leaves the domain verified.
const KEEP_SQL: &str = "UPDATE sso_domains SET checked_at = $4, missed_checks = $5
     WHERE org_id = $1 AND domain = $2 AND checked_at = $3 AND verified_at IS NOT NULL";
/// The check that ends the verification.
const LAPSE_SQL: &str =
    "UPDATE sso_domains SET checked_at = $4, missed_checks = $5, verified_at = NULL
     WHERE org_id = $1 AND domain = $2 AND checked_at = $3 AND verified_at IS NOT NULL";

/// Runs `sql` on the row (organization, domain, `checked_at` as read);
/// `false` when the row changed since it was read.
async fn store_check<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    (org_id, domain, checked_at): (&str, &str, i64),
    sql: &str,
    missed_checks: i64,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(sql)
        .bind(org_id)
        .bind(domain)
        .bind(checked_at)
        .bind(now)
        .bind(missed_checks)
        .execute(executor)
        .await
        .context("Failed to record the domain re-check")?;
    Ok(result.rows_affected() == 1)
}

/// The mails telling every Owner that the record is gone (with the
/// deadline), or that the domain is no longer verified, sealed for the queue.
async fn owner_mails(
    state: &AppState,
    domain: &DueDomain,
    lapsed: bool,
    now: i64,
) -> Result<Vec<SealedMail>, AppError> {
    let name = record_name(&domain.domain);
    let value = record_value(&domain.token);
    let (subject, intro) = if lapsed {
        (
            format!("{} is no longer verified for single sign-on", domain.domain),
            format!(
                "We looked for the TXT record at {name} on {MISSES_BEFORE_LAPSE} days in a row and it was gone, so {} is no longer verified. Addresses on it no longer sign in through your identity provider and “Require SSO” no longer covers them. If you still hold the domain, create the record again and verify it.",
                domain.domain
            ),
        )
    } else {
        let deadline = now + (MISSES_BEFORE_LAPSE - 1) * RECHECK_INTERVAL_MS;
        (
            format!("The DNS record that proves {} is missing", domain.domain),
            format!(
                "Our daily check found no TXT record at {name} with {value}. Put it back: if it is still missing on {} (UTC), {} stops being verified and its addresses no longer sign in through your identity provider.",
                utc_datetime(deadline),
                domain.domain
            ),
        )
    };
    let mails = super::mails_to_owners(
        state,
        &domain.org_id,
        &subject,
        &intro,
        "We check verified domains once a day.",
    )
    .await?;
    let sealed = mails.iter().map(|mail| SealedMail::seal(&state.key, mail));
    Ok(sealed.collect::<anyhow::Result<_>>()?)
}
