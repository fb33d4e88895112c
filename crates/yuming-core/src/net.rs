//! Which addresses the platform may connect to on a tenant's behalf (webhooks, the filing
//! monitor's homepage fetch): only globally reachable unicast ones.
//!
//! Sources: the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and later
//! additions), the IPv4 multicast and reserved space, and the IPv6 address space registry
//! (only `2000::/3` is global unicast). A special-purpose block is refused as a whole even
//! where the registry marks a few addresses inside it as globally reachable (such as
//! `192.0.0.9/32` in `192.0.0.0/24`, or the sub-blocks of `2001::/23`): none of them is a web
//! server.
//!
//! IPv6 forms that carry an IPv4 address are refused whatever that address is — IPv4-mapped
//! (`::ffff:0:0/96`), IPv4-compatible (`::/96`, deprecated), 6to4 (`2002::/16`, deprecated) and
//! Teredo (`2001::/32`) — with one exception: the NAT64 well-known prefix `64:ff9b::/96`,
//! which DNS64 synthesises for IPv4-only names on IPv6-only hosts, is judged by the IPv4
//! address it embeds (RFC 6052), so `64:ff9b::7f00:1` is loopback and refused.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 blocks that are not globally reachable: (network, prefix length).
const IPV4_BLOCKED: [([u8; 4], u8); 15] = [
    ([0, 0, 0, 0], 8),       // "this network" (RFC 791)
    ([10, 0, 0, 0], 8),      // private (RFC 1918)
    ([100, 64, 0, 0], 10),   // shared address space, CGNAT (RFC 6598)
    ([127, 0, 0, 0], 8),     // loopback
    ([169, 254, 0, 0], 16),  // link-local (cloud metadata lives here)
    ([172, 16, 0, 0], 12),   // private
    ([192, 0, 0, 0], 24),    // IETF protocol assignments (RFC 6890)
    ([192, 0, 2, 0], 24),    // TEST-NET-1 (RFC 5737)
    ([192, 88, 99, 0], 24),  // 6to4 relay anycast, deprecated (RFC 7526)
    ([192, 168, 0, 0], 16),  // private
    ([198, 18, 0, 0], 15),   // benchmarking (RFC 2544)
    ([198, 51, 100, 0], 24), // TEST-NET-2
    ([203, 0, 113, 0], 24),  // TEST-NET-3
    ([224, 0, 0, 0], 4),     // multicast
    ([240, 0, 0, 0], 4),     // reserved, and 255.255.255.255 broadcast
];

/// IPv6 blocks inside `2000::/3` that are not globally reachable: (network, prefix length).
/// Everything outside `2000::/3` is refused anyway (loopback, unspecified, mapped, compatible,
/// `64:ff9b:1::/48`, `100::/64`, `5f00::/16`, `fc00::/7`, `fe80::/10`, `fec0::/10`, `ff00::/8`
/// and the unallocated space), except the NAT64 prefix, see the module documentation.
const IPV6_BLOCKED_IN_GLOBAL: [(u128, u8); 4] = [
    (0x2001_0000 << 96, 23), // IETF protocol assignments, Teredo 2001::/32 among them
    (0x2001_0db8 << 96, 32), // documentation (RFC 3849)
    (0x2002 << 112, 16),     // 6to4, deprecated (RFC 7526)
    (0x3fff << 112, 20),     // documentation (RFC 9637)
];

/// NAT64 well-known prefix `64:ff9b::/96` (RFC 6052).
const NAT64: (u128, u8) = (0x0064_ff9b << 96, 96);

/// Global unicast space `2000::/3`.
const GLOBAL_UNICAST: (u128, u8) = (0x2 << 124, 3);

fn in_v4(ip: Ipv4Addr, (net, len): ([u8; 4], u8)) -> bool {
    let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
    u32::from(ip) & mask == u32::from_be_bytes(net) & mask
}

fn in_v6(ip: Ipv6Addr, (net, len): (u128, u8)) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
    u128::from(ip) & mask == net & mask
}

/// Whether the platform may connect to `ip` on a tenant's behalf: a globally reachable
/// unicast address (see the module documentation for the rules).
pub fn is_global(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn is_global_v4(ip: Ipv4Addr) -> bool {
    !IPV4_BLOCKED.iter().any(|&block| in_v4(ip, block))
}

fn is_global_v6(ip: Ipv6Addr) -> bool {
    if in_v6(ip, NAT64) {
        let [.., a, b, c, d] = ip.octets();
        return is_global_v4(Ipv4Addr::new(a, b, c, d));
    }
    in_v6(ip, GLOBAL_UNICAST) && !IPV6_BLOCKED_IN_GLOBAL.iter().any(|&b| in_v6(ip, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (address, globally reachable), every listed range with its first and last address and
    /// the neighbours just outside it where those are global.
    const CASES: &[(&str, bool)] = &[
        // 0.0.0.0/8
        ("0.0.0.0", false),
        ("0.255.255.255", false),
        ("1.0.0.0", true),
        // 10/8
        ("9.255.255.255", true),
        ("10.0.0.0", false),
        ("10.255.255.255", false),
        ("11.0.0.0", true),
        // 100.64/10
        ("100.63.255.255", true),
        ("100.64.0.0", false),
        ("100.127.255.255", false),
        ("100.128.0.0", true),
        // 127/8
        ("126.255.255.255", true),
        ("127.0.0.1", false),
        ("127.255.255.255", false),
        ("128.0.0.0", true),
        // 169.254/16
        ("169.253.255.255", true),
        ("169.254.0.0", false),
        ("169.254.169.254", false),
        ("169.254.255.255", false),
        ("169.255.0.0", true),
        // 172.16/12
        ("172.15.255.255", true),
        ("172.16.0.0", false),
        ("172.31.255.255", false),
        ("172.32.0.0", true),
        // 192.0.0/24 and 192.0.2/24
        ("191.255.255.255", true),
        ("192.0.0.0", false),
        ("192.0.0.8", false),
        ("192.0.0.255", false),
        ("192.0.1.0", true),
        ("192.0.2.0", false),
        ("192.0.2.255", false),
        ("192.0.3.0", true),
        // 192.88.99/24
        ("192.88.98.255", true),
        ("192.88.99.1", false),
        ("192.88.100.0", true),
        // 192.168/16
        ("192.167.255.255", true),
        ("192.168.0.0", false),
        ("192.168.255.255", false),
        ("192.169.0.0", true),
        // 198.18/15
        ("198.17.255.255", true),
        ("198.18.0.0", false),
        ("198.19.255.255", false),
        ("198.20.0.0", true),
        // 198.51.100/24
        ("198.51.99.255", true),
        ("198.51.100.0", false),
        ("198.51.100.255", false),
        ("198.51.101.0", true),
        // 203.0.113/24
        ("203.0.112.255", true),
        ("203.0.113.0", false),
        ("203.0.113.255", false),
        ("203.0.114.0", true),
        // 224/4 and 240/4 (with the broadcast address)
        ("223.255.255.255", true),
        ("224.0.0.0", false),
        ("239.255.255.255", false),
        ("240.0.0.0", false),
        ("255.255.255.254", false),
        ("255.255.255.255", false),
        // Ordinary public IPv4.
        ("8.8.8.8", true),
        ("114.114.114.114", true),
        // ::/128, ::1, IPv4-compatible ::a.b.c.d (public or not)
        ("::", false),
        ("::1", false),
        ("::127.0.0.1", false),
        ("::8.8.8.8", false),
        // ::ffff:0:0/96 mapped (public or not)
        ("::ffff:127.0.0.1", false),
        ("::ffff:10.0.0.1", false),
        ("::ffff:8.8.8.8", false),
        // NAT64 64:ff9b::/96: judged by the embedded IPv4 address
        ("64:ff9b::7f00:1", false),
        ("64:ff9b::a9fe:a9fe", false),
        ("64:ff9b::c000:0208", false),
        ("64:ff9b::808:808", true),
        ("64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("64:ff9b:0:0:0:1::", false),
        // 64:ff9b:1::/48 local-use NAT64
        ("64:ff9b:1::", false),
        ("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", false),
        // 100::/64 discard-only
        ("100::", false),
        ("100::ffff:ffff:ffff:ffff", false),
        // 2000::/3 edges
        ("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("2000::", true),
        ("3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ("4000::", false),
        // 2001::/23 (Teredo 2001::/32 with a private or public IPv4 inside)
        ("2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ("2001::", false),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", false),
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", false),
        ("2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("2001:200::", true),
        // 2001:db8::/32
        ("2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ("2001:db8::", false),
        ("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("2001:db9::", true),
        // 6to4 2002::/16 (embedding 127.0.0.1 or 8.8.8.8)
        ("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ("2002::", false),
        ("2002:7f00:1::1", false),
        ("2002:808:808::1", false),
        ("2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("2003::", true),
        // 3fff::/20
        ("3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
        ("3fff::", false),
        ("3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("3fff:1000::", true),
        // 5f00::/16 SRv6 SIDs
        ("5f00::", false),
        ("5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        // fc00::/7 unique local
        ("fc00::", false),
        ("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        // fe80::/10 link-local, fec0::/10 site-local (deprecated)
        ("fe80::", false),
        ("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        ("fec0::", false),
        ("feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        // ff00::/8 multicast
        ("ff00::", false),
        ("ff02::1", false),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false),
        // Ordinary public IPv6.
        ("2400:3200::1", true),
        ("2606:4700:4700::1111", true),
        ("2620:4f:8000::1", true),
    ];

    #[test]
    fn special_purpose_ranges_are_not_global() {
        let mut wrong = Vec::new();
        for &(text, global) in CASES {
            let ip: IpAddr = text.parse().unwrap_or_else(|_| panic!("{text} parses"));
            if is_global(ip) != global {
                wrong.push(text);
            }
        }
        assert!(wrong.is_empty(), "misjudged: {wrong:?}");
    }
}
