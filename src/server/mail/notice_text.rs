//! What each security event's notice says: its subject and headline.

use crate::login_history::{EventKind, Outcome};

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
