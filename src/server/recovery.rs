//! Account recovery on the server: single-use links (reset, email change,
//! "This wasn't me"), the new-device sign-in notice and what "This wasn't me"
//! does.

use crate::error::AppError;
use crate::login_history::{EventKind, Outcome};
use crate::server::auth::store::{sessions, users};
use crate::server::client::{ClientMeta, Origin};
use crate::server::crypto::RandomToken;
use crate::server::mail::Mail;
use crate::server::mail::compose::{self, LinkMail};
use crate::server::rate_limit::WindowLimit;
use crate::server::state::AppState;
use crate::server::store::account_tokens::{self, Purpose, TokenUse};
use crate::time::now_ms;
use sqlx::Row;

const MINUTE_MS: i64 = 60 * 1000;
/// How long a password-reset link works.
pub const RESET_TTL_MS: i64 = 30 * MINUTE_MS;
/// How long an email-change confirmation works.
pub const EMAIL_CHANGE_TTL_MS: i64 = 24 * 60 * MINUTE_MS;
/// How long a "This wasn't me" link works.
pub const NOT_ME_TTL_MS: i64 = 7 * 24 * 60 * MINUTE_MS;

/// Reset requests per email address, whether or not it has an account.
pub const RESETS_PER_EMAIL: WindowLimit = WindowLimit {
    name: "reset-email",
    limit: 5,
    window_ms: 60 * MINUTE_MS,
};
/// Reset requests per IP address.
pub const RESETS_PER_IP: WindowLimit = WindowLimit {
    name: "reset-ip",
    limit: 20,
    window_ms: 60 * MINUTE_MS,
};

/// Where each kind of link opens.
fn link_path(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::PasswordReset => "/reset-password",
        Purpose::EmailChange => "/confirm-email",
        Purpose::NotMe => "/this-wasnt-me",
    }
}

/// A link token from the page's query, or a clear error.
pub fn parse_link_token(token: &str) -> Result<RandomToken, AppError> {
    RandomToken::parse(token.trim()).ok_or_else(|| {
        AppError::validation(
            "token",
            "This link is incomplete or damaged. Open it from the email again, or ask for a new one.",
        )
    })
}

/// The error for a link that is well formed but unusable.
pub fn spent_link(what: &str) -> AppError {
    AppError::validation(
        "token",
        format!("This {what} link has expired or was already used. Ask for a new one."),
    )
}

/// Who a security notice goes to.
#[derive(Clone, Copy, Debug)]
pub struct Recipient<'a> {
    pub user_id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
}

impl AppState {
    /// Stores a new single-use link and returns its absolute URL.
    pub async fn issue_link(
        &self,
        purpose: Purpose,
        user_id: &str,
        subject: &str,
        ttl_ms: i64,
    ) -> Result<String, AppError> {
        let token = RandomToken::generate();
        let now = now_ms();
        account_tokens::insert(
            &self.pool,
            &token.hash(),
            purpose,
            user_id,
            subject,
            now,
            now + ttl_ms,
        )
        .await?;
        Ok(format!(
            "{}{}?token={}",
            self.config.public_url.origin,
            link_path(purpose),
            token.expose()
        ))
    }

    /// Uses a link once; `None` when it is unknown, used or expired.
    pub async fn consume_link(
        &self,
        purpose: Purpose,
        token: &RandomToken,
    ) -> Result<Option<TokenUse>, AppError> {
        account_tokens::consume(&self.pool, &token.hash(), purpose, now_ms())
            .await
            .map_err(AppError::from)
    }

    /// Whether a link would still work, without using it.
    pub async fn peek_link(
        &self,
        purpose: Purpose,
        token: &RandomToken,
    ) -> Result<Option<TokenUse>, AppError> {
        account_tokens::peek(&self.pool, &token.hash(), purpose, now_ms())
            .await
            .map_err(AppError::from)
    }

    /// Sends a reset link if `email` has an account; otherwise does nothing.
    /// Runs after the response, so both cases answer alike and in the same time.
    #[tracing::instrument(skip_all)]
    pub async fn send_password_reset(
        &self,
        email: &str,
        client: &ClientMeta,
    ) -> anyhow::Result<()> {
        let Some(account) = users::find_by_email(&self.pool, email).await? else {
            return Ok(());
        };
        let user = account.user;
        self.mail_reset_link(&user.id, &user.email, &user.name, client, "requested")
            .await
            .map_err(|error| anyhow::anyhow!("could not send the reset link: {error}"))?;
        Ok(())
    }

    /// Retires older reset links, mails a new one and records the request.
    async fn mail_reset_link(
        &self,
        user_id: &str,
        email: &str,
        name: &str,
        client: &ClientMeta,
        reason: &str,
    ) -> Result<(), AppError> {
        account_tokens::retire_unused(&self.pool, user_id, Purpose::PasswordReset, now_ms())
            .await?;
        let url = self
            .issue_link(Purpose::PasswordReset, user_id, "", RESET_TTL_MS)
            .await?;
        let mail = compose::link_mail(&LinkMail {
            to: email.to_string(),
            recipient_name: name.to_string(),
            subject: "Reset your password".into(),
            intro: "Someone, hopefully you, asked to reset the password of your StatusStack account. Choose a new one with this link:".into(),
            button: "Choose a new password".into(),
            url,
            expiry: "The link works once, for 30 minutes.".into(),
            footer: "If you did not ask for this, ignore this email: your password stays as it is.".into(),
        });
        self.enqueue_mail(&mail, None).await?;
        crate::login_history::server::record::record_event(
            &self,
            Some(user_id),
            EventKind::PasswordResetRequested,
            Outcome::Success,
            client,
            serde_json::json!({ "reason": reason }),
        )
        .await
    }

    /// A security notice to `to` about what `origin` did, with a "This wasn't
    /// me" link that ends `not_me_session` ('' = every session).
    pub async fn security_notice(
        &self,
        to: &Recipient<'_>,
        subject: String,
        headline: String,
        origin: &Origin<'_>,
        not_me_session: &str,
    ) -> Result<Mail, AppError> {
        let not_me = self
            .issue_link(Purpose::NotMe, to.user_id, not_me_session, NOT_ME_TTL_MS)
            .await?;
        Ok(compose::security_notice(&compose::Notice {
            to: to.email.to_string(),
            recipient_name: to.name.to_string(),
            subject,
            headline,
            when: crate::time::utc_datetime(now_ms()),
            device: origin.device.to_string(),
            location: origin.location.to_string(),
            ip: origin.client.ip.clone(),
            security_url: format!("{}/settings/security", self.config.public_url.origin),
            not_me_url: Some(not_me),
        }))
    }

    /// Mails a security notice about something that is not an event of its own
    /// (e.g. to the old address), with a "This wasn't me" link for all sessions.
    pub async fn mail_notice(
        &self,
        to: &Recipient<'_>,
        subject: String,
        headline: String,
        client: &ClientMeta,
    ) -> Result<(), AppError> {
        let (device, location) = self.device_and_location(client);
        let origin = Origin {
            client,
            device: &device,
            location: &location,
        };
        let mail = self
            .security_notice(to, subject, headline, &origin, "")
            .await?;
        self.enqueue_mail(&mail, None).await?;
        Ok(())
    }

    /// Whether this sign-in comes from a device and location the account has
    /// not signed in (or signed up) from before, and the owner wants to know.
    pub async fn is_unfamiliar_sign_in(
        &self,
        user_id: &str,
        client: &ClientMeta,
    ) -> Result<bool, AppError> {
        let (_, notify) = users::recovery_flags(&self.pool, user_id).await?;
        if !notify {
            return Ok(false);
        }
        let (device, location) = self.device_and_location(client);
        let row = sqlx::query(
            "SELECT
                 SUM(CASE WHEN device = $2 AND location = $3 THEN 1 ELSE 0 END) AS same,
                 COUNT(*) AS earlier
             FROM security_events
             WHERE user_id = $1 AND kind IN ('sign_in', 'sign_up') AND outcome = 'success'",
        )
        .bind(user_id)
        .bind(&device)
        .bind(&location)
        .fetch_one(&self.pool)
        .await
        .map_err(anyhow::Error::from)?;
        let earlier: i64 = row.try_get("earlier").map_err(anyhow::Error::from)?;
        let same: Option<i64> = row.try_get("same").map_err(anyhow::Error::from)?;
        Ok(earlier > 0 && same.unwrap_or(0) == 0)
    }

    /// Mails the new-device notice with a "This wasn't me" link for this session.
    pub async fn notify_new_sign_in(
        &self,
        user_id: &str,
        session_id: &str,
        client: &ClientMeta,
    ) -> Result<(), AppError> {
        let Some(account) = users::find_by_id(&self.pool, user_id).await? else {
            return Ok(());
        };
        let (device, location) = self.device_and_location(client);
        let origin = Origin {
            client,
            device: &device,
            location: &location,
        };
        let recipient = Recipient {
            user_id,
            email: &account.user.email,
            name: &account.user.name,
        };
        let mail = self
            .security_notice(
                &recipient,
                "New sign-in to your account".into(),
                format!("Your account was signed in to from a new device: {device}."),
                &origin,
                session_id,
            )
            .await?;
        self.enqueue_mail(&mail, Some(&format!("sign-in:{session_id}")))
            .await?;
        Ok(())
    }

    /// "This wasn't me": ends the named session (or every session), requires
    /// a password reset before the next sign-in, records a flagged event and
    /// mails a reset link. Returns how many sessions ended.
    pub async fn report_not_me(
        &self,
        token: &RandomToken,
        client: &ClientMeta,
    ) -> Result<u64, AppError> {
        let used = self
            .consume_link(Purpose::NotMe, token)
            .await?
            .ok_or_else(|| spent_link("“This wasn't me”"))?;
        let now = now_ms();
        let ended = if used.subject.is_empty() {
            sessions::revoke_all_except(&self.pool, &used.user_id, "", now).await?
        } else {
            u64::from(
                sessions::revoke_own(&self.pool, &used.user_id, &used.subject, now)
                    .await?
                    .is_some(),
            )
        };
        users::set_must_reset_password(&self.pool, &used.user_id, true).await?;
        crate::login_history::server::record::record_event(
            &self,
            Some(&used.user_id),
            EventKind::ReportedNotMe,
            Outcome::Failure,
            client,
            serde_json::json!({
                "scope": if used.subject.is_empty() { "all_sessions" } else { "one_session" },
                "sessions_ended": ended,
                "flagged": true,
            }),
        )
        .await?;
        if let Some(account) = users::find_by_id(&self.pool, &used.user_id).await? {
            self.mail_reset_link(
                &used.user_id,
                &account.user.email,
                &account.user.name,
                client,
                "reported_not_me",
            )
            .await?;
        }
        Ok(ended)
    }
}
