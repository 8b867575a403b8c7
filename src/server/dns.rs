//! DNS TXT look-ups behind a small trait, for verified domains: the Owner
//! publishes a TXT record we show, and "Verify" asks DNS for it. Production
//! uses the system's resolvers (`/etc/resolv.conf`), or only `DNS_NAMESERVER`
//! when set (tests and the end-to-end suite point it at a loopback fake).

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData};
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// How long one query may wait for its answer.
const QUERY_TIMEOUT: Duration = Duration::from_secs(3);
/// The whole look-up, retries included, never holds a request longer than this.
const LOOKUP_DEADLINE: Duration = Duration::from_secs(8);
/// The port `DNS_NAMESERVER` gets when it names only an address.
const DEFAULT_DNS_PORT: u16 = 53;

/// Why a TXT look-up gave no records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsFailure {
    /// The name does not exist (NXDOMAIN) or has no TXT records: a definite "no".
    NotFound,
    /// No definite answer (timeout, SERVFAIL, unreachable): try again later.
    Unavailable(&'static str),
}

impl std::fmt::Display for DnsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DnsFailure::NotFound => f.write_str("no TXT record found"),
            DnsFailure::Unavailable(reason) => write!(f, "DNS unavailable: {reason}"),
        }
    }
}

impl std::error::Error for DnsFailure {}

/// The future [`TxtResolver::txt`] returns.
pub type TxtFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<String>, DnsFailure>> + Send + 'a>>;

/// Looks up TXT records.
pub trait TxtResolver: Send + Sync {
    /// Every TXT record of `name` (taken as fully qualified), each record's
    /// character-strings joined into one string, in the order DNS gave them.
    fn txt<'a>(&'a self, name: &'a str) -> TxtFuture<'a>;
}

/// Asks real DNS servers, through `hickory-resolver`, with nothing cached: a
/// "Verify" right after the record was created must not see a stale "no".
pub struct SystemResolver {
    resolver: TokioResolver,
}

impl SystemResolver {
    /// With `Some(addr)`, asks only that server (UDP, TCP when a reply is
    /// truncated) once; with `None`, the servers in `/etc/resolv.conf`.
    pub fn new(nameserver: Option<SocketAddr>) -> anyhow::Result<Self> {
        let provider = TokioRuntimeProvider::default();
        let mut builder = match nameserver {
            Some(addr) => {
                let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                for connection in &mut server.connections {
                    connection.port = addr.port();
                }
                let config = ResolverConfig::from_name_servers(vec![server]);
                let mut builder = TokioResolver::builder_with_config(config, provider);
                // hickory counts retries: 0 is a single attempt.
                builder.options_mut().attempts = 0;
                builder
            }
            None => {
                let mut builder = TokioResolver::builder(provider).map_err(|e| {
                    anyhow::anyhow!("DNS: cannot use the system resolver configuration: {e}")
                })?;
                let options = builder.options_mut();
                options.attempts = options.attempts.min(1);
                builder
            }
        };
        without_cache(builder.options_mut());
        let resolver = builder
            .build()
            .map_err(|e| anyhow::anyhow!("DNS: cannot build the resolver: {e}"))?;
        Ok(SystemResolver { resolver })
    }

    async fn lookup(&self, name: &str) -> Result<Vec<String>, DnsFailure> {
        let Some(query) = query_name(name) else {
            // No such name can exist, so it has no records.
            return Err(DnsFailure::NotFound);
        };
        let lookup = tokio::time::timeout(LOOKUP_DEADLINE, self.resolver.txt_lookup(query))
            .await
            .map_err(|_| DnsFailure::Unavailable("timed out"))?;
        match lookup {
            Ok(lookup) => {
                let values = txt_values(lookup.answers().iter().map(|record| &record.data));
                if values.is_empty() {
                    Err(DnsFailure::NotFound)
                } else {
                    Ok(values)
                }
            }
            Err(error) => {
                let failure = classify(&error);
                if failure != DnsFailure::NotFound {
                    tracing::warn!(name, error = %error, "TXT look-up failed");
                }
                Err(failure)
            }
        }
    }
}

impl TxtResolver for SystemResolver {
    fn txt<'a>(&'a self, name: &'a str) -> TxtFuture<'a> {
        Box::pin(self.lookup(name))
    }
}

/// Stands in when the system resolver configuration cannot be read, so the
/// server still starts; every look-up is `Unavailable`.
pub struct NoResolver;

impl TxtResolver for NoResolver {
    fn txt<'a>(&'a self, _name: &'a str) -> TxtFuture<'a> {
        Box::pin(async { Err(DnsFailure::Unavailable("no DNS resolver configured")) })
    }
}

/// The resolver the configuration asks for: only `nameserver` when given
/// (an error if it cannot be used), else the system's, else [`NoResolver`].
pub fn from_config(nameserver: Option<SocketAddr>) -> anyhow::Result<Arc<dyn TxtResolver>> {
    match SystemResolver::new(nameserver) {
        Ok(resolver) => Ok(Arc::new(resolver)),
        Err(error) if nameserver.is_none() => {
            tracing::error!(error = %error, "DNS look-ups are off: set DNS_NAMESERVER");
            Ok(Arc::new(NoResolver))
        }
        Err(error) => Err(error),
    }
}

/// Reads `DNS_NAMESERVER` (`ip:port`, or an address alone for port 53).
pub fn nameserver_from_lookup(
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<SocketAddr>, String> {
    let Some(text) = lookup("DNS_NAMESERVER") else {
        return Ok(None);
    };
    let value = text.trim();
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(Some(addr));
    }
    match value.parse::<IpAddr>() {
        Ok(ip) => Ok(Some(SocketAddr::new(ip, DEFAULT_DNS_PORT))),
        Err(_) => Err(format!(
            "DNS_NAMESERVER: {text:?} is not an address like 127.0.0.1:53"
        )),
    }
}

/// A resolver that asks every time: verification results must be current.
fn without_cache(options: &mut ResolverOpts) {
    options.timeout = QUERY_TIMEOUT;
    options.cache_size = 0;
    options.positive_max_ttl = Some(Duration::ZERO);
    options.negative_max_ttl = Some(Duration::ZERO);
    options.use_hosts_file = ResolveHosts::Never;
}

/// `name` as an absolute DNS name, so no search domain is ever appended.
fn query_name(name: &str) -> Option<Name> {
    let name = name.trim();
    if name.is_empty() || name == "." {
        return None;
    }
    let mut parsed = Name::from_utf8(name).ok()?;
    parsed.set_fqdn(true);
    Some(parsed)
}

/// Each TXT record as one string; other record types (a CNAME on the way) are skipped.
fn txt_values<'a>(records: impl Iterator<Item = &'a RData>) -> Vec<String> {
    records
        .filter_map(|data| match data {
            RData::TXT(txt) => {
                let bytes: Vec<u8> = txt
                    .txt_data
                    .iter()
                    .flat_map(|s| s.iter().copied())
                    .collect();
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            _ => None,
        })
        .collect()
}

/// Sorts a resolver error into a definite "no" or "ask again later".
fn classify(error: &NetError) -> DnsFailure {
    match error {
        _ if error.is_no_records_found() => DnsFailure::NotFound,
        NetError::Timeout => DnsFailure::Unavailable("timed out"),
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => {
            DnsFailure::Unavailable("server failure")
        }
        NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused)) => {
            DnsFailure::Unavailable("refused")
        }
        NetError::Io(_) | NetError::NoConnections => DnsFailure::Unavailable("unreachable"),
        _ => DnsFailure::Unavailable("lookup failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::rr::rdata::{A, TXT};
    use std::collections::HashMap;

    fn nameserver(value: &str) -> Result<Option<SocketAddr>, String> {
        let map = HashMap::from([("DNS_NAMESERVER".to_string(), value.to_string())]);
        nameserver_from_lookup(&|name| map.get(name).cloned())
    }

    #[test]
    fn nameserver_setting_takes_an_address_with_or_without_a_port() {
        assert_eq!(nameserver_from_lookup(&|_| None), Ok(None));
        assert_eq!(
            nameserver(" 127.0.0.1:3153 "),
            Ok(Some("127.0.0.1:3153".parse().unwrap()))
        );
        assert_eq!(
            nameserver("10.0.0.2"),
            Ok(Some("10.0.0.2:53".parse().unwrap()))
        );
        assert_eq!(
            nameserver("[::1]:5353"),
            Ok(Some("[::1]:5353".parse().unwrap()))
        );
        for bad in ["localhost:53", "127.0.0.1:port", "1.2.3.4:70000"] {
            let error = nameserver(bad).unwrap_err();
            assert!(error.starts_with("DNS_NAMESERVER: "), "{error}");
        }
    }

    #[test]
    fn names_are_asked_as_absolute_names() {
        let name = query_name("_statusstack.Example.com").unwrap();
        assert!(name.is_fqdn());
        assert_eq!(name.to_ascii(), "_statusstack.example.com.");
        assert!(query_name("example.com.").unwrap().is_fqdn());
        assert_eq!(query_name(""), None);
        assert_eq!(query_name(" . "), None);
    }

    #[test]
    fn each_record_becomes_one_string_and_other_types_are_skipped() {
        let records = [
            RData::TXT(TXT::new(vec!["v=one".into()])),
            RData::A(A::new(192, 0, 2, 1)),
            RData::TXT(TXT::new(vec!["a".repeat(255), "b".into()])),
        ];
        let values = txt_values(records.iter());
        assert_eq!(
            values,
            vec!["v=one".to_string(), format!("{}b", "a".repeat(255))]
        );
    }

    #[test]
    fn definite_answers_and_failures_are_told_apart() {
        assert_eq!(
            classify(&NetError::Timeout),
            DnsFailure::Unavailable("timed out")
        );
        assert_eq!(
            classify(&NetError::from(DnsError::ResponseCode(
                ResponseCode::ServFail
            ))),
            DnsFailure::Unavailable("server failure")
        );
        assert_eq!(
            classify(&NetError::NoConnections),
            DnsFailure::Unavailable("unreachable")
        );
    }

    #[tokio::test]
    async fn a_server_that_is_not_there_is_unavailable_not_a_no() {
        // A port nothing listens on: the kernel refuses at once.
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        drop(socket);
        let resolver = SystemResolver::new(Some(addr)).unwrap();
        let result = resolver.txt("example.com").await;
        assert!(
            matches!(result, Err(DnsFailure::Unavailable(_))),
            "{result:?}"
        );
    }

    #[tokio::test]
    async fn without_a_resolver_every_lookup_is_unavailable() {
        let result = NoResolver.txt("example.com").await;
        assert_eq!(
            result,
            Err(DnsFailure::Unavailable("no DNS resolver configured"))
        );
    }
}
