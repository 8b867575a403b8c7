//! What the security notices say: one layout, a plain-text and an HTML part,
//! with what happened, when, from which device and where, and what to do if
//! it was not the account's owner. No code, key or password ever goes in.

use super::Mail;
pub use super::notice_text::notice_text;

/// The product name every message carries.
pub const PRODUCT: &str = "StatusStack";

/// One security notice before it is laid out.
#[derive(Clone, Debug)]
pub struct Notice {
    pub to: String,
    pub recipient_name: String,
    pub subject: String,
    /// One sentence: what happened.
    pub headline: String,
    /// When, as the exact UTC time.
    pub when: String,
    pub device: String,
    pub location: String,
    pub ip: String,
    /// Absolute URL of the Security page.
    pub security_url: String,
    /// A single-use "This wasn't me" link.
    pub not_me_url: Option<String>,
}

/// A message whose point is one link (reset, confirm).
#[derive(Clone, Debug)]
pub struct LinkMail {
    pub to: String,
    pub recipient_name: String,
    pub subject: String,
    pub intro: String,
    pub button: String,
    pub url: String,
    pub expiry: String,
    pub footer: String,
}

/// Lays a notice out as a message with both parts.
pub fn security_notice(notice: &Notice) -> Mail {
    let Notice {
        to,
        recipient_name,
        subject,
        headline,
        when,
        device,
        location,
        ip,
        security_url,
        not_me_url,
    } = notice;
    let not_me_text = not_me_url
        .as_ref()
        .map(|url| format!("Not you? One click signs the intruder out and starts a password reset (the link works once, for 7 days):\n{url}\n\n"))
        .unwrap_or_default();
    let not_me_html = not_me_url
        .as_ref()
        .map(|url| format!("<p>{}<br><span style=\"color:#64748b;font-size:13px\">Signs the intruder out and starts a password reset. Works once, for 7 days.</span></p>", html_button(url, "This wasn't me", "#dc2626")))
        .unwrap_or_default();
    let text = format!(
        "{headline}\n\nWhen: {when}\nDevice: {device}\nLocation: {location} ({ip})\n\n\
         If this was you, there is nothing to do.\n\n{not_me_text}\
         If it was not you: change your password now, turn on two-factor authentication, \
         and review your active sessions and API keys at\n{security_url}"
    );
    let e = html_escape;
    let html = format!(
        "<p><strong>{}</strong></p>\
         <table style=\"border-collapse:collapse\">\
         <tr><td style=\"padding:2px 12px 2px 0;color:#64748b\">When</td><td>{}</td></tr>\
         <tr><td style=\"padding:2px 12px 2px 0;color:#64748b\">Device</td><td>{}</td></tr>\
         <tr><td style=\"padding:2px 12px 2px 0;color:#64748b\">Location</td><td>{} ({})</td></tr>\
         </table>\
         <p>If this was you, there is nothing to do.</p>{}\
         <p>If it was not you: change your password now, turn on two-factor authentication, and review your active sessions and API keys.</p>\
         <p><a href=\"{}\" style=\"color:#4f46e5\">Open your security settings</a></p>",
        e(headline),
        e(when),
        e(device),
        e(location),
        e(ip),
        not_me_html,
        e(security_url),
    );
    framed(to, recipient_name, subject, &text, &html)
}

/// Lays out a one-link message (reset, confirmation) with both parts.
pub fn link_mail(link: &LinkMail) -> Mail {
    let LinkMail {
        to,
        recipient_name,
        subject,
        intro,
        button,
        url,
        expiry,
        footer,
    } = link;
    let text = format!("{intro}\n\n{url}\n\n{expiry}\n\n{footer}");
    let e = html_escape;
    let html = format!(
        "<p>{}</p><p>{}</p><p style=\"color:#64748b;font-size:13px\">{}<br>{}</p>",
        e(intro),
        html_button(url, &e(button), "#4f46e5"),
        e(expiry),
        e(footer),
    );
    framed(to, recipient_name, subject, &text, &html)
}

/// The frame every message shares: subject prefix, greeting and signature
/// around the plain-text body, the HTML document and header around the HTML
/// body. An empty `recipient_name` greets without a name: mail to an address
/// that has not opted in carries no text another user chose.
fn framed(to: &str, recipient_name: &str, subject: &str, text: &str, html: &str) -> Mail {
    let greeting = if recipient_name.is_empty() {
        "Hello".to_string()
    } else {
        format!("Hi {recipient_name}")
    };
    Mail {
        to: to.to_string(),
        subject: format!("[{PRODUCT}] {subject}"),
        text: format!("{greeting},\n\n{text}\n\n— {PRODUCT} Security\n"),
        html: format!(
            "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;color:#0f172a;line-height:1.5\">\
             <p style=\"font-weight:600;color:#4f46e5\">{PRODUCT} Security</p>\
             <p>{},</p>{html}</body></html>",
            html_escape(&greeting)
        ),
    }
}

/// A button-styled link; `label_html` is already HTML (escaped where it is data).
fn html_button(url: &str, label_html: &str, background: &str) -> String {
    format!(
        "<a href=\"{}\" style=\"display:inline-block;background:{background};color:#fff;padding:8px 14px;border-radius:8px;text-decoration:none;font-weight:600\">{label_html}</a>",
        html_escape(url)
    )
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login_history::{EventKind, Outcome};
    use serde_json::json;

    fn notice() -> Notice {
        Notice {
            to: "ada@example.com".into(),
            recipient_name: "Ada <script>".into(),
            subject: "Your password was changed".into(),
            headline: "The password was changed.".into(),
            when: "2026-11-27 07:00 UTC".into(),
            device: "Firefox on Linux".into(),
            location: "Berlin, DE".into(),
            ip: "203.0.113.9".into(),
            security_url: "https://status.example.com/settings/security".into(),
            not_me_url: Some("https://status.example.com/this-wasnt-me?token=abc".into()),
        }
    }

    #[test]
    fn both_parts_say_what_when_where_and_what_to_do() {
        let mail = security_notice(&notice());
        assert_eq!(mail.subject, "[StatusStack] Your password was changed");
        for part in [&mail.text, &mail.html] {
            for needle in [
                "2026-11-27 07:00 UTC",
                "Firefox on Linux",
                "Berlin, DE",
                "203.0.113.9",
                "If it was not you",
                "https://status.example.com/settings/security",
            ] {
                assert!(part.contains(needle), "{needle} missing");
            }
        }
        assert!(mail.html.contains("Ada &lt;script&gt;") && !mail.html.contains("<script>"));
        assert!(
            mail.text.contains("this-wasnt-me?token=abc") && mail.html.contains("This wasn't me")
        );
    }

    #[test]
    fn only_security_changes_are_mailed() {
        let ok = Outcome::Success;
        assert!(notice_text(EventKind::PasswordChanged, ok, &json!({})).is_some());
        assert!(
            notice_text(EventKind::PasswordChanged, Outcome::Failure, &json!({})).is_none(),
            "a failed change changed nothing"
        );
        assert!(notice_text(EventKind::SignIn, ok, &json!({})).is_none());
        let connected = json!({"provider_label": "GitHub", "account": "octocat"});
        let (subject, headline) = notice_text(EventKind::OAuthConnected, ok, &connected).unwrap();
        assert_eq!(subject, "GitHub was connected to your account");
        assert!(headline.contains("“octocat”"), "{headline}");
        assert!(notice_text(EventKind::OAuthDisconnected, ok, &connected).is_some());
        let recovered = json!({"provider_label": "GitHub", "reason": "recovery"});
        assert!(notice_text(EventKind::OAuthDisconnected, ok, &recovered).is_none());
        assert!(notice_text(EventKind::OAuthSignIn, ok, &connected).is_none());
        let (subject, headline) =
            notice_text(EventKind::PasskeyAdded, ok, &json!({"name": "YubiKey 5"})).unwrap();
        assert_eq!(subject, "A passkey was added to your account");
        assert!(headline.contains("“YubiKey 5”"), "{headline}");
        let removed = json!({"name": "Old phone", "reason": "removed"});
        assert!(notice_text(EventKind::PasskeyRemoved, ok, &removed).is_some());
        let recovered = json!({"name": "Intruder", "reason": "recovery"});
        assert!(notice_text(EventKind::PasskeyRemoved, ok, &recovered).is_none());
        let clone = json!({"name": "Phone"});
        assert!(notice_text(EventKind::PasskeyCloneSuspected, Outcome::Failure, &clone).is_some());
        assert!(notice_text(EventKind::BackupCodeUsed, ok, &json!({"remaining": 4})).is_none());
        let (subject, _) =
            notice_text(EventKind::BackupCodeUsed, ok, &json!({"remaining": 1})).unwrap();
        assert_eq!(subject, "Only 1 backup code left");
        assert!(
            notice_text(EventKind::ApiKeyCreated, ok, &json!({"permission": "read"})).is_none()
        );
        let (_, headline) = notice_text(
            EventKind::ApiKeyCreated,
            ok,
            &json!({"permission": "admin", "name": "ci"}),
        )
        .unwrap();
        assert!(headline.contains("“ci”"));
    }
}
