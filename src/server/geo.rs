//! Approximate location of an IP address, behind a small trait: MaxMind /
//! GeoLite2 City when `GEOIP_DB` points at one, otherwise none.

use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

/// Turns an address into "San Francisco, CA, US", "Local network" or "Unknown location".
pub trait GeoLocator: Send + Sync {
    fn locate(&self, ip: IpAddr) -> String;
}

pub const LOCAL_NETWORK: &str = "Local network";
pub const UNKNOWN_LOCATION: &str = "Unknown location";

/// No GeoIP database: every public address is "Unknown location".
pub struct NoLocator;

impl GeoLocator for NoLocator {
    fn locate(&self, ip: IpAddr) -> String {
        if crate::server::net::is_internal(ip) {
            LOCAL_NETWORK
        } else {
            UNKNOWN_LOCATION
        }
        .to_string()
    }
}

/// A MaxMind City database (GeoLite2-City or GeoIP2-City) read into memory.
pub struct MaxMindLocator {
    reader: maxminddb::Reader<Vec<u8>>,
}

impl MaxMindLocator {
    pub fn open(path: &Path) -> anyhow::Result<MaxMindLocator> {
        let reader = maxminddb::Reader::open_readfile(path)
            .map_err(|e| anyhow::anyhow!("GEOIP_DB: cannot read {}: {e}", path.display()))?;
        Ok(MaxMindLocator { reader })
    }
}

impl GeoLocator for MaxMindLocator {
    fn locate(&self, ip: IpAddr) -> String {
        if crate::server::net::is_internal(ip) {
            return LOCAL_NETWORK.into();
        }
        let city = match self.reader.lookup::<maxminddb::geoip2::City>(ip) {
            Ok(Some(city)) => city,
            _ => return UNKNOWN_LOCATION.into(),
        };
        let mut parts: Vec<String> = Vec::new();
        if let Some(name) = city
            .city
            .as_ref()
            .and_then(|c| c.names.as_ref())
            .and_then(|n| n.get("en"))
        {
            parts.push(name.to_string());
        }
        if let Some(code) = city
            .subdivisions
            .as_ref()
            .and_then(|s| s.first())
            .and_then(|s| s.iso_code)
        {
            parts.push(code.to_string());
        }
        if let Some(code) = city.country.as_ref().and_then(|c| c.iso_code) {
            parts.push(code.to_string());
        }
        if parts.is_empty() {
            UNKNOWN_LOCATION.into()
        } else {
            parts.join(", ")
        }
    }
}

/// The locator the configuration asks for.
pub fn from_config(path: Option<&Path>) -> anyhow::Result<Arc<dyn GeoLocator>> {
    Ok(match path {
        Some(path) => Arc::new(MaxMindLocator::open(path)?),
        None => Arc::new(NoLocator),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_loopback_addresses_are_local() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.10",
            "172.16.5.4",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:192.168.1.1",
        ] {
            assert_eq!(NoLocator.locate(ip.parse().unwrap()), LOCAL_NETWORK, "{ip}");
        }
        assert_eq!(
            NoLocator.locate("81.2.69.160".parse().unwrap()),
            UNKNOWN_LOCATION
        );
    }

    #[test]
    fn a_missing_database_file_is_a_clear_error() {
        let error = MaxMindLocator::open(Path::new("/nonexistent/GeoLite2-City.mmdb"))
            .err()
            .unwrap();
        assert!(error.to_string().starts_with("GEOIP_DB"), "{error}");
    }
}
