//! Email behind a trait: a development outbox (the default: `.eml` files under
//! the data directory, nothing leaves the machine) or SMTP with lettre. Mail
//! is never sent from a request: it is queued in the database (`queue.rs`) and
//! delivered by a background worker with retries.

pub mod compose;
mod notice_text;
pub mod queue;
pub mod settings;

use anyhow::Context;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

pub use settings::{
    MailSettings, SmtpPassword, SmtpSecurity, SmtpSettings, mail_settings_from_lookup,
};

/// A message ready to go: one recipient, a plain-text and an HTML part.
#[derive(Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

// The bodies may hold a single-use link; only the envelope is printed.
impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// The future [`MailSender::send`] returns: resolves once the message is handed over.
pub type MailFuture<'a> = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>;

/// Hands one message to its destination. Must not log bodies.
pub trait MailSender: Send + Sync {
    /// Delivers `mail` (queue id `id`); resolves once it was accepted.
    fn send<'a>(&'a self, id: &'a str, mail: &'a Mail) -> MailFuture<'a>;
    /// A short name for logs ("outbox", "smtp").
    fn name(&self) -> &'static str;
}

/// Builds the RFC 5322 message with both parts.
fn build_message(from: &Mailbox, mail: &Mail) -> anyhow::Result<Message> {
    let to: Mailbox = mail
        .to
        .parse()
        .with_context(|| format!("invalid recipient address {:?}", mail.to))?;
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            mail.html.clone(),
        ))
        .context("building the message failed")
}

/// Default: writes each message as `<data dir>/outbox/<id>.eml` and logs a
/// warning that it was not delivered. The directory is never served.
pub struct OutboxMailer {
    dir: PathBuf,
    from: Mailbox,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf, from: Mailbox) -> OutboxMailer {
        OutboxMailer { dir, from }
    }

    async fn write(&self, id: &str, mail: &Mail) -> anyhow::Result<()> {
        let message = build_message(&self.from, mail)?;
        tokio::fs::create_dir_all(&self.dir)
            .await
            .with_context(|| format!("creating {} failed", self.dir.display()))?;
        let path = self.dir.join(format!("{id}.eml"));
        tokio::fs::write(&path, message.formatted())
            .await
            .with_context(|| format!("writing {} failed", path.display()))?;
        tracing::warn!(
            to = %mail.to,
            subject = %mail.subject,
            file = %path.display(),
            "MAIL NOT DELIVERED (outbox): set MAIL_PROVIDER=smtp to send real email"
        );
        Ok(())
    }
}

impl MailSender for OutboxMailer {
    fn send<'a>(&'a self, id: &'a str, mail: &'a Mail) -> MailFuture<'a> {
        Box::pin(self.write(id, mail))
    }

    fn name(&self) -> &'static str {
        "outbox"
    }
}

/// SMTP through lettre: STARTTLS (default), implicit TLS or plain (only for a
/// relay on the same machine), with optional credentials and a timeout.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(settings: &SmtpSettings, from: Mailbox) -> anyhow::Result<SmtpMailer> {
        let builder = match settings.security {
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .context("SMTP_HOST is not usable for STARTTLS")?
            }
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .context("SMTP_HOST is not usable for TLS")?,
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
        };
        let mut builder = builder.port(settings.port).timeout(Some(settings.timeout));
        if let (Some(user), Some(password)) = (&settings.username, &settings.password) {
            builder =
                builder.credentials(lettre::transport::smtp::authentication::Credentials::new(
                    user.clone(),
                    password.expose().to_string(),
                ));
        }
        Ok(SmtpMailer {
            transport: builder.build(),
            from,
        })
    }

    async fn deliver(&self, mail: &Mail) -> anyhow::Result<()> {
        let message = build_message(&self.from, mail)?;
        self.transport
            .send(message)
            .await
            .context("the SMTP server did not accept the message")?;
        Ok(())
    }
}

impl MailSender for SmtpMailer {
    fn send<'a>(&'a self, _id: &'a str, mail: &'a Mail) -> MailFuture<'a> {
        Box::pin(self.deliver(mail))
    }

    fn name(&self) -> &'static str {
        "smtp"
    }
}

/// The configured sender.
pub fn build_sender(
    settings: &MailSettings,
    data_dir: &std::path::Path,
) -> anyhow::Result<Arc<dyn MailSender>> {
    let from: Mailbox = settings
        .from
        .parse()
        .with_context(|| format!("MAIL_FROM {:?} is not an address", settings.from))?;
    Ok(match &settings.smtp {
        None => Arc::new(OutboxMailer::new(data_dir.join("outbox"), from)),
        Some(smtp) => Arc::new(SmtpMailer::new(smtp, from)?),
    })
}
