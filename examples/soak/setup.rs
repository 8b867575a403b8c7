//! The accounts and the key the traffic uses, made the way a user makes
//! them: sign-up, the confirmation link from the outbox, sign-in, a key.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// The password of every soak account: long and strong enough for the policy.
pub const PASSWORD: &str = "quantum marmalade orbits silently";
/// The session cookie's name over plain http.
pub const SESSION_COOKIE: &str = "ss_session";

/// What the traffic needs: the reader's session and key, and the accounts
/// that sign in and out over and over.
pub struct Accounts {
    /// `ss_session=...` of the account whose pages, server functions,
    /// API and exports are loaded.
    pub reader_cookie: String,
    /// A Read-only API key of the reader.
    pub api_token: String,
    /// The addresses the sign-ins take turns on.
    pub sign_in_emails: Vec<String>,
}

/// A client for one server: its base URL and `Origin`.
#[derive(Clone)]
pub struct Server {
    pub http: reqwest::Client,
    pub base: String,
}

impl Server {
    /// Posts a server function as the browser's fetch does (same origin, form
    /// body, JSON answer); returns the response, whatever its status.
    pub async fn call(
        &self,
        name: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = self
            .http
            .post(format!("{}/api/{name}", self.base))
            .header("origin", &self.base)
            .header("accept", "application/json")
            .form(form);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await
    }
}

/// The session cookie (`name=value`) a response set, if any.
pub fn session_cookie(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let prefix = format!("{SESSION_COOKIE}=");
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter(|line| line.starts_with(&prefix))
        .filter_map(|line| line.split(';').next())
        .find(|pair| pair.len() > prefix.len())
        .map(str::to_string)
}

/// Signs up the reader and `sign_in_accounts` more accounts, confirms each
/// through its mailed link, signs the reader in and gives it a Read key.
pub async fn prepare(
    server: &Server,
    outbox: &Path,
    sign_in_accounts: usize,
) -> Result<Accounts, String> {
    let reader = "soak-reader@example.com";
    create_account(server, outbox, "Soak Reader", reader).await?;
    let mut sign_in_emails = Vec::new();
    for n in 1..=sign_in_accounts {
        let email = format!("soak-sign-in-{n}@example.com");
        create_account(server, outbox, &format!("Soak Sign-in {n}"), &email).await?;
        sign_in_emails.push(email);
    }
    let reader_cookie = sign_in(server, reader).await?;
    let form = [("name", "soak"), ("permission", "read"), ("expiry", "90")];
    let reply = server
        .call("create_api_key", &form, Some(&reader_cookie))
        .await
        .map_err(|e| format!("create_api_key: {e}"))?;
    let status = reply.status();
    let body = reply.text().await.map_err(|e| e.to_string())?;
    let api_token = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|json| json["token"].as_str().map(str::to_string))
        .ok_or_else(|| format!("create_api_key answered {status}: {body}"))?;
    Ok(Accounts {
        reader_cookie,
        api_token,
        sign_in_emails,
    })
}

/// Signs in with the soak password; returns the session cookie.
pub async fn sign_in(server: &Server, email: &str) -> Result<String, String> {
    let reply = server
        .call("sign_in", &[("email", email), ("password", PASSWORD)], None)
        .await
        .map_err(|e| format!("sign_in {email}: {e}"))?;
    let status = reply.status();
    match session_cookie(reply.headers()) {
        Some(cookie) if status.as_u16() < 400 => Ok(cookie),
        _ => Err(format!(
            "sign_in {email} answered {status} without a session: {}",
            reply.text().await.unwrap_or_default()
        )),
    }
}

/// Signs up `email` and confirms it with the link the server mailed.
async fn create_account(
    server: &Server,
    outbox: &Path,
    name: &str,
    email: &str,
) -> Result<(), String> {
    let form = [("name", name), ("email", email), ("password", PASSWORD)];
    let reply = server
        .call("sign_up", &form, None)
        .await
        .map_err(|e| format!("sign_up {email}: {e}"))?;
    if reply.status().as_u16() >= 400 {
        return Err(format!(
            "sign_up {email} answered {}: {}",
            reply.status(),
            reply.text().await.unwrap_or_default()
        ));
    }
    let token = outbox_link_token(outbox, email, "/verify-email").await?;
    let reply = server
        .call("confirm_email_address", &[("token", &token)], None)
        .await
        .map_err(|e| format!("confirm_email_address {email}: {e}"))?;
    if reply.status().as_u16() >= 400 {
        return Err(format!(
            "confirming {email} answered {}: {}",
            reply.status(),
            reply.text().await.unwrap_or_default()
        ));
    }
    Ok(())
}

/// The token of the `path` link in the newest outbox mail to `email`;
/// waits up to ten seconds for the mail worker to write it.
async fn outbox_link_token(outbox: &Path, email: &str, path: &str) -> Result<String, String> {
    let marker = format!("{path}?token=");
    for _ in 0..100 {
        let mut newest: Option<(SystemTime, String)> = None;
        for entry in std::fs::read_dir(outbox).into_iter().flatten().flatten() {
            let file = entry.path();
            if file.extension().and_then(|e| e.to_str()) != Some("eml") {
                continue;
            }
            let Ok(raw) = std::fs::read_to_string(&file) else {
                continue;
            };
            // Quoted-printable soft line breaks would split the link.
            let text = raw
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=");
            let to_email = text
                .lines()
                .any(|line| line.starts_with("To:") && line.contains(email));
            let Some(start) = text.find(&marker).filter(|_| to_email) else {
                continue;
            };
            let token: String = text[start + marker.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            if newest.as_ref().is_none_or(|(time, _)| modified > *time) {
                newest = Some((modified, token));
            }
        }
        if let Some((_, token)) = newest {
            return Ok(token);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "no {path} link for {email} in {}",
        outbox.display()
    ))
}
