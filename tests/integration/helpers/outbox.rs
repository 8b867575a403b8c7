//! What the test servers sent: the development outbox's mail and the SMS
//! outbox, read as the developer would read them.

use super::TestApp;
use sqlx::Row;
use std::time::Duration;

impl TestApp {
    /// Confirms the address `email` signed up with by the link mailed to it.
    /// Over SMTP (where only the test's SMTP server sees the message) a
    /// fresh link is issued the same way the sign-up issued its own.
    pub async fn confirm_address(&self, email: &str) {
        let token = if self.settings.get("MAIL_PROVIDER").map(String::as_str) == Some("smtp") {
            use statusstack::recovery::server::links::{LinkRequest, VERIFY_TTL_MS, issue_link};
            use statusstack::recovery::server::store::Purpose;
            let user_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(&self.pool)
                .await
                .unwrap();
            let link = LinkRequest {
                purpose: Purpose::EmailVerification,
                user_id: &user_id,
                subject: email,
                sent_to: email,
                session_id: None,
                ttl_ms: VERIFY_TTL_MS,
            };
            let url = issue_link(&self.state, &link).await.unwrap();
            link_token(&url, "/verify-email")
        } else {
            link_token(
                &self.mail_to(email, "Confirm your email address").await,
                "/verify-email",
            )
        };
        let reply = self
            .call("confirm_email_address", &[("token", &token)], None)
            .await;
        assert!(
            reply.error().is_none(),
            "confirming {email} failed: {}",
            reply.body
        );
    }

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
        // The worker marks a message sent once its file is written whole.
        for _ in 0..200 {
            let sent: Option<i64> =
                sqlx::query_scalar("SELECT sent_at FROM mail_queue WHERE id = $1")
                    .bind(&id)
                    .fetch_one(&self.pool)
                    .await
                    .unwrap();
            if sent.is_some() {
                let message = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
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
