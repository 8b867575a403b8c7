//! The mail queue: `enqueue` from requests, a worker that delivers due
//! messages with exponential back-off, and a claim that keeps two instances
//! from sending the same message. Bodies hold single-use links, so they are
//! sealed with the server key while queued and erased once delivered.

use super::Mail;
use crate::server::crypto::keys::ServerKey;
use crate::server::crypto::sealing;
use crate::server::db::new_id;
use crate::server::state::AppState;
use anyhow::Context;
use sqlx::{AnyPool, Row};
use std::time::Duration;

/// How often the worker looks for due mail when nobody wakes it.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// A claimed message is retried after this if its sender never reports back.
const CLAIM_MS: i64 = 5 * 60 * 1000;
/// The longest wait between two attempts.
const MAX_BACKOFF_MS: i64 = 60 * 60 * 1000;
/// Messages one round picks up.
const BATCH: i64 = 20;

const BODY_SEAL_PURPOSE: &str = "mail-body";

/// A message ready for the queue: its bodies sealed to its row id.
pub struct SealedMail {
    id: String,
    to: String,
    subject: String,
    text: String,
    html: String,
}

impl SealedMail {
    /// Seals both bodies of `mail` under the server key, bound to a fresh
    /// queue id, so a copy of the database reads no link.
    pub fn seal(key: &ServerKey, mail: &Mail) -> anyhow::Result<SealedMail> {
        let id = new_id();
        let seal =
            |body: &str| sealing::seal(key, BODY_SEAL_PURPOSE, id.as_bytes(), body.as_bytes());
        Ok(SealedMail {
            text: seal(&mail.text)?,
            html: seal(&mail.html)?,
            to: mail.to.clone(),
            subject: mail.subject.clone(),
            id,
        })
    }
}

fn open_body(key: &ServerKey, id: &str, sealed: &str) -> anyhow::Result<String> {
    let bytes = sealing::open(key, BODY_SEAL_PURPOSE, id.as_bytes(), sealed)?;
    String::from_utf8(bytes).context("a sealed mail body is not UTF-8")
}

/// A queued message as the worker reads it.
pub struct QueuedMail {
    pub id: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub mail: Mail,
}

/// Queues `mail`; with a `dedupe_key` a second message with the same key is
/// dropped (returns false). Never fails because SMTP is slow or down.
pub async fn enqueue<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    mail: &SealedMail,
    dedupe_key: Option<&str>,
    now: i64,
) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO mail_queue (id, recipient, subject, text_body, html_body, dedupe_key,
             created_at, next_attempt_at, sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 1)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&mail.id)
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.text)
    .bind(&mail.html)
    .bind(dedupe_key)
    .bind(now)
    .execute(executor)
    .await
    .context("Failed to queue mail")?;
    Ok(result.rows_affected() == 1)
}

async fn due(pool: &AnyPool, key: &ServerKey, now: i64) -> anyhow::Result<Vec<QueuedMail>> {
    let rows = sqlx::query(
        "SELECT id, recipient, subject, text_body, html_body, attempts, next_attempt_at, sealed
         FROM mail_queue WHERE sent_at IS NULL AND next_attempt_at <= $1
         ORDER BY next_attempt_at LIMIT $2",
    )
    .bind(now)
    .bind(BATCH)
    .fetch_all(pool)
    .await
    .context("Failed to read due mail")?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            let (text, html): (String, String) =
                (row.try_get("text_body")?, row.try_get("html_body")?);
            // Rows queued before sealing began are read as they were stored.
            let (text, html) = if row.try_get::<i64, _>("sealed")? == 1 {
                (open_body(key, &id, &text)?, open_body(key, &id, &html)?)
            } else {
                (text, html)
            };
            Ok(QueuedMail {
                attempts: row.try_get("attempts")?,
                next_attempt_at: row.try_get("next_attempt_at")?,
                mail: Mail {
                    to: row.try_get("recipient")?,
                    subject: row.try_get("subject")?,
                    text,
                    html,
                },
                id,
            })
        })
        .collect()
}

/// Takes a message for this worker; false when another instance was first.
async fn claim(pool: &AnyPool, queued: &QueuedMail, now: i64) -> anyhow::Result<bool> {
    let result = sqlx::query(
        "UPDATE mail_queue SET next_attempt_at = $3
         WHERE id = $1 AND next_attempt_at = $2 AND sent_at IS NULL",
    )
    .bind(&queued.id)
    .bind(queued.next_attempt_at)
    .bind(now + CLAIM_MS)
    .execute(pool)
    .await
    .context("Failed to claim mail")?;
    Ok(result.rows_affected() == 1)
}

/// Marks a message delivered and erases its bodies: the row stays as the
/// record of what was sent to whom, without the links.
async fn mark_sent(pool: &AnyPool, id: &str, now: i64) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE mail_queue SET sent_at = $2, attempts = attempts + 1, text_body = '', html_body = ''
         WHERE id = $1",
    )
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .context("Failed to mark mail sent")?;
    Ok(())
}

async fn mark_failed(
    pool: &AnyPool,
    id: &str,
    next_attempt_at: i64,
    error: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE mail_queue SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3
         WHERE id = $1",
    )
    .bind(id)
    .bind(next_attempt_at)
    .bind(error)
    .execute(pool)
    .await
    .context("Failed to record a failed delivery")?;
    Ok(())
}

/// Deletes mail delivered before `before`; undelivered mail stays.
pub async fn prune_sent(pool: &AnyPool, before: i64) -> anyhow::Result<u64> {
    let result = sqlx::query("DELETE FROM mail_queue WHERE sent_at IS NOT NULL AND sent_at < $1")
        .bind(before)
        .execute(pool)
        .await
        .context("Failed to prune delivered mail")?;
    Ok(result.rows_affected())
}

/// The wait before attempt `attempts + 1`: the base, doubling, at most an hour.
pub fn backoff_ms(base: Duration, attempts: i64) -> i64 {
    let base = base.as_millis() as i64;
    base.saturating_mul(1 << attempts.clamp(0, 20))
        .min(MAX_BACKOFF_MS)
}

/// Delivers what is due now; returns how many went out.
pub async fn deliver_due(state: &AppState) -> anyhow::Result<usize> {
    let mut sent = 0;
    for queued in due(&state.pool, &state.key, state.now()).await? {
        if !claim(&state.pool, &queued, state.now()).await? {
            continue;
        }
        match state.mail.send(&queued.id, &queued.mail).await {
            Ok(()) => {
                mark_sent(&state.pool, &queued.id, state.now()).await?;
                sent += 1;
            }
            Err(error) => {
                let wait = backoff_ms(state.config.mail.retry_base, queued.attempts);
                tracing::warn!(
                    mail_id = %queued.id,
                    attempts = queued.attempts + 1,
                    retry_in_ms = wait,
                    error = %format!("{error:#}"),
                    "mail delivery failed; it stays queued"
                );
                let message: String = format!("{error:#}").chars().take(500).collect();
                mark_failed(&state.pool, &queued.id, state.now() + wait, &message).await?;
            }
        }
    }
    Ok(sent)
}

/// Runs the delivery loop for as long as the server runs; `enqueue_mail`
/// wakes it at once.
pub fn spawn_worker(state: AppState) {
    tokio::spawn(async move {
        loop {
            if let Err(error) = deliver_due(&state).await {
                tracing::warn!(error = ?error, "the mail worker could not read the queue");
            }
            let _ = tokio::time::timeout(POLL_EVERY, state.mail_wakeup.notified()).await;
        }
    });
}

impl AppState {
    /// Queues a message and wakes the worker; `dedupe_key` sends it once.
    pub async fn enqueue_mail(
        &self,
        mail: &Mail,
        dedupe_key: Option<&str>,
    ) -> anyhow::Result<bool> {
        let sealed = SealedMail::seal(&self.key, mail)?;
        let queued = enqueue(&self.pool, &sealed, dedupe_key, self.now()).await?;
        self.mail_wakeup.notify_one();
        Ok(queued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_cap_at_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff_ms(base, 0), 30_000);
        assert_eq!(backoff_ms(base, 1), 60_000);
        assert_eq!(backoff_ms(base, 3), 240_000);
        assert_eq!(backoff_ms(base, 10), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(base, 10_000), MAX_BACKOFF_MS);
    }
}
