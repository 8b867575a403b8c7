//! The JSON API and plain page loads, as a client other than the app's own
//! fetch makes them.

use super::TestApp;
use super::wire::{Reply, send};
use reqwest::header::HeaderValue;

impl TestApp {
    /// Calls the JSON API at `base` (this server's or another instance's)
    /// with these extra headers.
    pub async fn api_at(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &[u8])],
        body: Option<&str>,
    ) -> Reply {
        let mut request = self
            .http
            .request(method, format!("{base}{path}"))
            .header("user-agent", "api-client/2.0");
        for (name, value) in headers {
            request = request.header(*name, HeaderValue::from_bytes(value).unwrap());
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        send(request, None).await
    }

    /// Calls the JSON API with `Authorization: Bearer <token>`.
    pub async fn api(&self, method: reqwest::Method, path: &str, token: &str) -> Reply {
        let auth = format!("Bearer {token}");
        self.api_at(
            &self.base,
            method,
            path,
            &[("authorization", auth.as_bytes())],
            None,
        )
        .await
    }

    /// Downloads the Login History export as the page's own link does (a
    /// same-origin navigation); `query` is everything after the `?`.
    pub async fn export(&self, query: &str, cookie: Option<&str>) -> Reply {
        let url = format!("{}/settings/security/history/export?{query}", self.base);
        send(
            self.http.get(url).header("sec-fetch-site", "same-origin"),
            cookie,
        )
        .await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Reply {
        self.get_at(&self.base, path, cookie).await
    }

    /// Loads a page from the instance at `base`.
    pub async fn get_at(&self, base: &str, path: &str, cookie: Option<&str>) -> Reply {
        send(self.http.get(format!("{base}{path}")), cookie).await
    }
}
