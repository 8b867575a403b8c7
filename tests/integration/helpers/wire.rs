//! Requests on the wire: sending with a bounded time, reading the reply,
//! and form encoding.

use reqwest::header::HeaderMap;
use statusstack::error::AppError;

/// What a server function call returned.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    /// The shared error type the server sent, if the call failed.
    pub fn error(&self) -> Option<AppError> {
        (self.status >= 400 && self.headers.contains_key("serverfnerror"))
            .then(|| serde_json::from_str(&self.body).unwrap_or(AppError::Internal))
    }

    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// The session cookie's value from Set-Cookie, if the reply set one.
    pub fn session_cookie(&self, name: &str) -> Option<String> {
        self.set_cookie_line(name)
            .and_then(|line| line.split(';').next().map(|pair| pair.trim().to_string()))
            .filter(|pair| pair.len() > name.len() + 1)
    }

    /// The whole Set-Cookie line for `name`: the last one, as a browser
    /// applies them in order.
    pub fn set_cookie_line(&self, name: &str) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .rfind(|line| line.starts_with(&format!("{name}=")))
            .map(String::from)
    }
}

pub async fn send(mut request: reqwest::RequestBuilder, cookie: Option<&str>) -> Reply {
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let started = std::time::Instant::now();
    let response = request.send().await.unwrap_or_else(|e| {
        panic!(
            "request failed after {:?}: {}",
            started.elapsed(),
            error_chain(&e)
        )
    });
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let url = response.url().path().to_string();
    let mut response = response;
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => break,
            // What arrived before the stall names the part of the page that never came.
            Err(e) => panic!(
                "reading the {status} response body of {url} failed after {:?}: {}\n\
                 the last of the {} bytes that arrived:\n{}",
                started.elapsed(),
                error_chain(&e),
                bytes.len(),
                String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(3000)..])
            ),
        }
    }
    let body = String::from_utf8_lossy(&bytes).into_owned();
    Reply {
        status,
        headers,
        body,
    }
}

/// An error with every cause, so a failure says whether it was a timeout,
/// a reset connection or something else.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

pub fn encode_form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
