//! Which IP addresses lie inside a network rather than on the public
//! Internet. One test serves the SSO client's guard against reaching inside
//! our own network on an Owner's say-so (SSRF) and the "Local network"
//! label of a sign-in's location.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is not a public Internet address: loopback, private,
/// link-local, shared (100.64/10), "this network" (0/8), IETF protocol
/// assignments (192.0.0/24), benchmarking (198.18/15), multicast, reserved
/// and broadcast; for IPv6 also unique-local, site-local and multicast, and
/// an IPv4 address carried inside IPv6 (mapped, compatible or behind the
/// NAT64 prefixes) counts as that IPv4 address.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_internal_v4(v4),
        IpAddr::V6(v6) => is_internal_v6(v6),
    }
}

fn is_internal_v4(v4: Ipv4Addr) -> bool {
    let [a, b, c, _] = v4.octets();
    a == 0
        || v4.is_loopback()
        || v4.is_private()
        || v4.is_link_local()
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b & 0xfe) == 18)
        // Multicast (224/4), reserved (240/4) and the broadcast address.
        || a >= 224
}

fn is_internal_v6(v6: Ipv6Addr) -> bool {
    let s = v6.segments();
    if v6.is_loopback() || v6.is_unspecified() {
        return true;
    }
    if let Some(v4) = v6.to_ipv4_mapped() {
        return is_internal_v4(v4);
    }
    let carried = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    // IPv4-compatible (::a.b.c.d) and the well-known NAT64 prefix
    // (64:ff9b::/96): a gateway would connect to the IPv4 address inside.
    if s[..6] == [0; 6] || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_internal_v4(carried);
    }
    // The local-use NAT64 prefix (64:ff9b:1::/48) only exists inside a network.
    (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] & 0xff00) == 0xff00
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_told_from_public_ones() {
        for internal in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "192.0.0.8",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "::ffff:10.0.0.1",
            "::ffff:127.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b::7f00:1",
            "64:ff9b:1::8.8.8.8",
        ] {
            let ip: IpAddr = internal.parse().unwrap();
            assert!(is_internal(ip), "{internal}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "100.128.0.1",
            "100.63.255.255",
            "192.0.2.1",
            "198.20.0.1",
            "223.255.255.255",
            "2606:2800:220:1::1",
            "::ffff:93.184.216.34",
            "64:ff9b::808:808",
            "2001:db8::1",
        ] {
            let ip: IpAddr = public.parse().unwrap();
            assert!(!is_internal(ip), "{public}");
        }
    }
}
