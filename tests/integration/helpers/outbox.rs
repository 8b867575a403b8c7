//! What the test servers sent: the development outbox's mail and the SMS
//! outbox, read as the developer would read them.

use super::TestApp;
use sqlx::Row;
use std::time::Duration;

impl TestApp {
    /// The six-digit code in the newest text message.
    pub async fn last_sms_code(&self) -> String {
        let body: String =
            sqlx::query("SELECT body FROM sms_outbox ORDER BY created_at DESC, id DESC LIMIT 1")
                .fetch_one(&self.pool)
                .await
                .unwrap()
                .get(0);
        body.split(|c: char| !c.is_ascii_digit())
            .find(|part| part.len() == 6)
            .expect("a 6-digit code")
            .to_string()
    }

    /// The newest mail to `to` whose subject contains `subject`, as the
    /// outbox wrote it (headers and both parts, soft line breaks undone), or
    /// `None` when there is none. Waits (ten seconds at most) for the worker
    /// to deliver a queued one: the queue itself holds sealed bodies only.
    pub async fn try_mail_to(&self, to: &str, subject: &str) -> Option<String> {
        let newest = sqlx::query(
            "SELECT id FROM mail_queue WHERE recipient = $1 AND subject LIKE $2
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(to)
        .bind(format!("%{subject}%"))
        .fetch_optional(&self.pool)
        .await
        .unwrap()?;
        let id: String = newest.get("id");
        let path = self.data_dir().join("outbox").join(format!("{id}.eml"));
        for _ in 0..200 {
            if let Ok(message) = std::fs::read_to_string(&path) {
                return Some(
                    message
                        .replace("=\r\n", "")
                        .replace("=\n", "")
                        .replace("=3D", "="),
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("mail {id} to {to} was queued but never reached the outbox");
    }

    /// Like `try_mail_to`, for a mail that must be there; also waits (ten
    /// seconds at most) for one the server queues in the background, such as
    /// the reset link sent after the answer so its timing tells nothing.
    pub async fn mail_to(&self, to: &str, subject: &str) -> String {
        for _ in 0..200 {
            if let Some(message) = self.try_mail_to(to, subject).await {
                return message;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no mail to {to} about {subject}");
    }
}

/// The token of the first link in `message` that opens `path`.
pub fn link_token(message: &str, path: &str) -> String {
    let start = message
        .find(&format!("{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {message}"))
        + path.len()
        + "?token=".len();
    message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
