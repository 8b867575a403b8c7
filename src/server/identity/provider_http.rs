//! The HTTP client that talks to identity providers. For the providers an
//! organization's Owner names (SSO), it reaches public addresses only:
//! whatever a host name's DNS says, now or at the next lookup (DNS
//! rebinding), and whatever address a discovery document names, the server
//! never connects inside its own network on an Owner's say-so.

use crate::server::net::is_internal;
use openidconnect::{AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Resolves host names with the system's resolver and keeps only public
/// addresses; a name left with none fails to resolve.
struct PublicAddressesOnly;

impl Resolve for PublicAddressesOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found.filter(|addr| !is_internal(addr.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// An HTTP client for identity providers: no redirects (a provider's
/// answer is taken as given), a timeout, and with `public_only` no
/// connection to an internal address, by name (the resolver) or by an IP
/// literal in the URL (checked here, as no resolver sees those).
pub struct ProviderHttp {
    client: reqwest::Client,
    public_only: bool,
}

impl ProviderHttp {
    pub fn new(timeout: Duration, public_only: bool) -> anyhow::Result<ProviderHttp> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout);
        if public_only {
            // A proxy would resolve names itself, past the check.
            builder = builder
                .no_proxy()
                .dns_resolver(Arc::new(PublicAddressesOnly));
        }
        Ok(ProviderHttp {
            client: builder.build()?,
            public_only,
        })
    }

    /// The underlying client, for requests made without `openidconnect`.
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }
}

/// Whether a URL's host is an internal IP literal (`[::1]` included).
fn names_internal_ip(host: &str) -> bool {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(is_internal)
}

impl<'c> AsyncHttpClient<'c> for ProviderHttp {
    type Error = HttpClientError<reqwest::Error>;
    type Future =
        Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            if self.public_only && request.uri().host().is_some_and(names_internal_ip) {
                return Err(HttpClientError::Other(format!(
                    "{} is an internal address",
                    request.uri().host().unwrap_or_default()
                )));
            }
            self.client.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A web server on loopback that answers every request with 200 and
    /// counts the connections it was given.
    async fn loopback_server() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let mut buffer = [0u8; 1024];
                let _ = stream.read(&mut buffer).await;
                let _ = stream
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}",
                    )
                    .await;
            }
        });
        (port, accepted)
    }

    fn get(url: &str) -> HttpRequest {
        http::Request::get(url).body(Vec::new()).unwrap()
    }

    #[tokio::test]
    async fn an_owners_provider_cannot_make_the_server_connect_inside_its_network() {
        let (port, accepted) = loopback_server().await;
        let guarded = ProviderHttp::new(Duration::from_secs(5), true).unwrap();
        for url in [
            // A name whose DNS answers with a loopback address.
            format!("http://localhost:{port}/.well-known/openid-configuration"),
            // IP literals, as a discovery document may name its endpoints.
            format!("http://127.0.0.1:{port}/token"),
            format!("http://[::ffff:127.0.0.1]:{port}/jwks"),
        ] {
            let refused = guarded.call(get(&url)).await;
            assert!(refused.is_err(), "{url} was fetched");
        }
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 0);

        // The same requests go through for configured providers and in
        // development, so the test's server was reachable all along.
        let open = ProviderHttp::new(Duration::from_secs(5), false).unwrap();
        let reply = open
            .call(get(&format!("http://localhost:{port}/token")))
            .await
            .unwrap();
        assert_eq!(reply.status(), 200);
        assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn an_internal_ip_literal_is_told_from_a_host_name() {
        assert!(names_internal_ip("[::1]"));
        assert!(names_internal_ip("[64:ff9b::7f00:1]"));
        assert!(names_internal_ip("169.254.169.254"));
        assert!(!names_internal_ip("[2606:2800:220:1::1]"));
        assert!(!names_internal_ip("login.example.com"));
    }
}
