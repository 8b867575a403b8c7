//! What the security notices say: one layout, a plain-text and an HTML part,
//! with what happened, when, from which device and where, and what to do if
//! it was not the account's owner. No code, key or password ever goes in.

use super::Mail;
use crate::login_history::{EventKind, Outcome};

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

/// The subject and headline for events the owner is told about by email;
/// `None` for the rest. A change is told only when it happened; of failed
/// attempts, only the alarms (a replayed code, the 2FA lock after a right
/// password) are. `detail` is the event's JSON detail.
pub fn notice_text(
    kind: EventKind,
    outcome: Outcome,
    detail: &serde_json::Value,
) -> Option<(String, String)> {
    let alarm = matches!(
        kind,
        EventKind::TotpReuseRefused
            | EventKind::TwoFactorLockout
            | EventKind::PasskeyCloneSuspected
    );
    if (outcome == Outcome::Failure) != alarm {
        return None;
    }
    let text = |subject: &str, headline: &str| Some((subject.to_string(), headline.to_string()));
    match kind {
        EventKind::PasswordChanged => text(
            "Your password was changed",
            "The password of your StatusStack account was changed.",
        ),
        EventKind::PasswordReset => Some((
            "Your password was reset".to_string(),
            format!(
                "The password of your StatusStack account was reset with a link sent to this address.{}",
                undone_text(detail)
            ),
        )),
        EventKind::EmailChanged => {
            let to = detail
                .get("new_email")
                .and_then(serde_json::Value::as_str)?;
            if detail.get("undone").and_then(serde_json::Value::as_bool) == Some(true) {
                let from = detail
                    .get("old_email")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("another address");
                return Some((
                    "Your email address was restored".to_string(),
                    format!(
                        "The email address of your StatusStack account is {to} again: the recent change to {from} was undone by your recovery."
                    ),
                ));
            }
            Some((
                "Your email address was changed".to_string(),
                format!("The email address of your StatusStack account was changed to {to}."),
            ))
        }
        EventKind::TwoFactorEnabled => {
            let password_only: Vec<&str> = detail
                .get("sessions_without_2fa")
                .and_then(serde_json::Value::as_array)
                .map(|sessions| {
                    sessions
                        .iter()
                        .filter_map(serde_json::Value::as_str)
                        .collect()
                })
                .unwrap_or_default();
            let headline = if password_only.is_empty() {
                "Two-factor authentication was turned on for your account.".to_string()
            } else {
                format!(
                    "Two-factor authentication was turned on for your account. These sessions signed in with only your password and are still signed in: {}. If you do not recognise one, sign it out under Active Sessions on the Security page.",
                    password_only.join("; ")
                )
            };
            Some((
                "Two-factor authentication was turned on".to_string(),
                headline,
            ))
        }
        EventKind::TwoFactorDisabled => text(
            "Two-factor authentication was turned off",
            "Two-factor authentication was turned off for your account. Signing in now needs only your password.",
        ),
        EventKind::OAuthConnected | EventKind::OAuthDisconnected => {
            // A recovery's own mail lists the connections it removed; an
            // account made from the provider starts with its connection.
            let reason = detail.get("reason").and_then(serde_json::Value::as_str);
            if matches!(reason, Some("recovery" | "sign_up")) {
                return None;
            }
            let text_of = |key: &str| detail.get(key).and_then(serde_json::Value::as_str);
            let provider = text_of("provider_label").unwrap_or("A provider");
            let account = text_of("account").unwrap_or("an account");
            Some(if kind == EventKind::OAuthConnected {
                (
                    format!("{provider} was connected to your account"),
                    format!(
                        "The {provider} account “{account}” was connected to your StatusStack account. It can now sign in to it."
                    ),
                )
            } else {
                (
                    format!("{provider} was disconnected from your account"),
                    format!(
                        "The {provider} account “{account}” was disconnected from your StatusStack account. It no longer signs in to it."
                    ),
                )
            })
        }
        EventKind::PasskeyAdded | EventKind::PasskeyRemoved => {
            // A recovery's own mail lists the passkeys it removed.
            if detail.get("reason").and_then(serde_json::Value::as_str) == Some("recovery") {
                return None;
            }
            let name = detail
                .get("name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("Passkey");
            Some(if kind == EventKind::PasskeyAdded {
                (
                    "A passkey was added to your account".to_string(),
                    format!(
                        "A passkey named “{name}” was added to your account. It can sign in without your password."
                    ),
                )
            } else {
                (
                    "A passkey was removed from your account".to_string(),
                    format!("The passkey named “{name}” was removed from your account."),
                )
            })
        }
        EventKind::PasskeyCloneSuspected => {
            let name = detail
                .get("name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("Passkey");
            Some((
                "One of your passkeys may have been copied".to_string(),
                format!(
                    "The passkey named “{name}” answered with a signature counter lower than before, which happens when two devices hold the same key. We refused it and it will not sign in again; remove it and add a new one."
                ),
            ))
        }
        EventKind::TwoFactorMethodChanged => text(
            "Your two-factor method was changed",
            "The second factor of your account was changed.",
        ),
        EventKind::BackupCodesRegenerated => text(
            "New backup codes were generated",
            "New backup codes were generated for your account; the old ones no longer work.",
        ),
        EventKind::BackupCodeUsed => {
            let remaining = detail
                .get("remaining")
                .and_then(serde_json::Value::as_i64)?;
            (remaining <= 3).then(|| {
                (
                    format!(
                        "Only {remaining} backup code{} left",
                        if remaining == 1 { "" } else { "s" }
                    ),
                    format!(
                        "A backup code was used to sign in or confirm an action. {remaining} unused code{} remain{}; generate new ones on the Security page.",
                        if remaining == 1 { "" } else { "s" },
                        if remaining == 1 { "s" } else { "" }
                    ),
                )
            })
        }
        EventKind::TwoFactorLockout
            if detail.get("purpose").and_then(serde_json::Value::as_str) == Some("sign_in") =>
        {
            let escalated =
                detail.get("escalated").and_then(serde_json::Value::as_bool) == Some(true);
            let lock = if escalated {
                " This has happened again and again, so two-factor sign-in now stays locked for 24 hours; resetting your password with the link below unlocks it at once."
            } else {
                ""
            };
            Some((
                "Someone knows your password".to_string(),
                format!(
                    "Someone signed in to your account with your password, then entered wrong two-factor codes until the sign-in locked. Your second factor stopped them, but they know your password: change it on the Security page now.{lock}"
                ),
            ))
        }
        EventKind::TotpReuseRefused => text(
            "A reused authenticator code was refused",
            "Someone entered an authenticator code that had already been used. It was refused. If it was not you, someone may know your password and be watching your codes.",
        ),
        EventKind::ApiKeyCreated
            if detail.get("permission").and_then(serde_json::Value::as_str) == Some("admin") =>
        {
            let name = detail
                .get("name")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("unnamed");
            Some((
                "An Admin API key was created".to_string(),
                format!(
                    "An API key with Admin permission, “{name}”, was created for your account. Admin keys can create and revoke other keys."
                ),
            ))
        }
        _ => None,
    }
}

/// " It also: …" with the lines of what a recovery undid (`detail.undone`).
fn undone_text(detail: &serde_json::Value) -> String {
    let lines: Vec<&str> = detail
        .get("undone")
        .and_then(serde_json::Value::as_array)
        .map(|lines| lines.iter().filter_map(serde_json::Value::as_str).collect())
        .unwrap_or_default();
    if lines.is_empty() {
        String::new()
    } else {
        format!(
            " The reset also undid what an intruder could have left: {}",
            lines.join(" ")
        )
    }
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
