//! Who is calling: the client IP (with or without trusting a proxy), and a
//! readable device label from the user agent.

use crate::server::state::AppState;
use crate::sessions::DeviceKind;
use http::HeaderMap;
use std::net::{IpAddr, SocketAddr};

/// Who did it and from where.
#[derive(Clone, Debug, Default)]
pub struct ClientMeta {
    pub ip: String,
    pub user_agent: String,
}

impl ClientMeta {
    /// The key per-address limits count under: the address for IPv4, its
    /// /64 network for IPv6, where one subscriber holds a whole /64 and could
    /// otherwise take a fresh budget for every address in it.
    pub fn ip_bucket(&self) -> String {
        match self.ip.parse::<IpAddr>() {
            Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
            _ => self.ip.clone(),
        }
    }
}

/// Where the event came from, with the device and location parsed when it is recorded.
#[derive(Clone, Debug)]
pub struct Origin<'a> {
    pub client: &'a ClientMeta,
    /// "Firefox on Linux".
    pub device: String,
    /// "London, GB", "Local network" or "Unknown location".
    pub location: String,
}

impl AppState {
    /// The approximate location of an address as stored text.
    pub fn locate(&self, ip: &str) -> String {
        match ip.parse() {
            Ok(ip) => self.geo.locate(ip),
            Err(_) => crate::server::geo::UNKNOWN_LOCATION.to_string(),
        }
    }

    /// Where a client is: its device label and location, as events and
    /// notices show it.
    pub fn origin<'a>(&self, client: &'a ClientMeta) -> Origin<'a> {
        Origin {
            client,
            device: device_label(&client.user_agent).0,
            location: self.locate(&client.ip),
        }
    }
}

/// The client's address. With `trust_proxy` off, `X-Forwarded-For` is ignored
/// (anyone can send it). With it on, the header's last entry is used: that is
/// the one our own proxy appended; entries before it are the client's claims.
pub fn client_ip(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trust_proxy: bool,
) -> Option<IpAddr> {
    if trust_proxy {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|entry| !entry.is_empty())
            .and_then(|entry| entry.parse::<IpAddr>().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    peer.map(|addr| addr.ip())
}

/// "Chrome on macOS", "Safari on iPhone", "API client", with the device kind.
pub fn device_label(user_agent: &str) -> (String, DeviceKind) {
    let user_agent = user_agent.trim();
    if user_agent.is_empty() {
        return ("Unknown device".into(), DeviceKind::Unknown);
    }
    let parsed = woothee::parser::Parser::new().parse(user_agent);
    let Some(result) = parsed else {
        return if user_agent.starts_with("Mozilla/") {
            ("Unknown browser".into(), DeviceKind::Desktop)
        } else {
            ("API client".into(), DeviceKind::Api)
        };
    };
    if result.category == "crawler" {
        return (format!("{} (bot)", result.name), DeviceKind::Bot);
    }
    let os = os_label(result.os, user_agent);
    let kind = match result.category {
        "smartphone" | "mobilephone" if result.os == "iPad" || user_agent.contains("Tablet") => {
            DeviceKind::Tablet
        }
        "smartphone" | "mobilephone" => DeviceKind::Mobile,
        "pc" => DeviceKind::Desktop,
        _ if !user_agent.starts_with("Mozilla/") => {
            return ("API client".into(), DeviceKind::Api);
        }
        _ => DeviceKind::Unknown,
    };
    let browser = match result.name {
        "UNKNOWN" => "Unknown browser",
        "Internet Explorer" if user_agent.contains("Edge/") => "Edge",
        name => name,
    };
    (format!("{browser} on {os}"), kind)
}

fn os_label(os: &str, user_agent: &str) -> String {
    if os.starts_with("Windows") {
        return "Windows".into();
    }
    match os {
        "Mac OSX" => "macOS".into(),
        "iPhone" | "iPod" => "iPhone".into(),
        "iPad" => "iPad".into(),
        "Android" if user_agent.contains("Tablet") || !user_agent.contains("Mobile") => {
            "Android tablet".into()
        }
        "ChromeOS" => "ChromeOS".into(),
        "UNKNOWN" => "an unknown system".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// Real user agents and the label each must get (the closing note's table).
    pub const USER_AGENTS: &[(&str, &str)] = &[
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Chrome on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Chrome on Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox on Windows",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
            "Safari on macOS",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
            "Safari on iPhone",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
            "Safari on iPad",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
            "Chrome on Linux",
        ),
        (
            "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
            "Firefox on Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
            "Opera on Windows",
        ),
        (
            "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
            "Firefox on Android",
        ),
        ("curl/8.5.0", "API client"),
        ("python-requests/2.31.0", "API client"),
        (
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Googlebot (bot)",
        ),
        (
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "bingbot (bot)",
        ),
        ("", "Unknown device"),
    ];

    #[test]
    fn real_user_agents_get_readable_labels() {
        let mut wrong = Vec::new();
        for (user_agent, expected) in USER_AGENTS {
            let (label, _) = device_label(user_agent);
            if label != *expected {
                wrong.push(format!("{expected:?} but got {label:?} for {user_agent}"));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn device_kinds_follow_the_category() {
        assert_eq!(device_label(USER_AGENTS[0].0).1, DeviceKind::Desktop);
        assert_eq!(device_label(USER_AGENTS[4].0).1, DeviceKind::Mobile);
        assert_eq!(device_label("curl/8.5.0").1, DeviceKind::Api);
        assert_eq!(device_label(USER_AGENTS[14].0).1, DeviceKind::Bot);
    }

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn forwarded_headers_are_ignored_unless_trusted() {
        let peer: SocketAddr = "10.0.0.5:40000".parse().unwrap();
        let spoofed = forwarded(&["1.2.3.4"]);
        assert_eq!(
            client_ip(Some(peer), &spoofed, false).unwrap().to_string(),
            "10.0.0.5"
        );
        assert_eq!(
            client_ip(Some(peer), &HeaderMap::new(), true)
                .unwrap()
                .to_string(),
            "10.0.0.5"
        );
    }

    #[test]
    fn a_trusted_proxy_entry_wins_over_client_supplied_ones() {
        let peer: SocketAddr = "10.0.0.5:40000".parse().unwrap();
        // The client claimed 6.6.6.6; our proxy appended the real 81.2.69.160.
        let headers = forwarded(&["6.6.6.6, 81.2.69.160"]);
        assert_eq!(
            client_ip(Some(peer), &headers, true).unwrap().to_string(),
            "81.2.69.160"
        );
        let split = forwarded(&["6.6.6.6", "2001:db8::1"]);
        assert_eq!(
            client_ip(Some(peer), &split, true).unwrap().to_string(),
            "2001:db8::1"
        );
        let garbage = forwarded(&["not-an-ip"]);
        assert_eq!(
            client_ip(Some(peer), &garbage, true).unwrap().to_string(),
            "10.0.0.5"
        );
    }
}
