//! Who the client is when the platform runs behind reverse proxies.
//!
//! A connection's peer is the client unless the peer is a proxy the operator trusts
//! (`[http] trusted_proxies`). Then the client is the address the proxies recorded: the
//! `Forwarded` header (RFC 7239) if present, else `X-Forwarded-For`. Both list the hops
//! left to right, each proxy appending the address it received the request from, so the list
//! is read from the right: trusted proxies are skipped and the first untrusted address is the
//! client. Anything to the left of it was written by the client itself and proves nothing.
//! A malformed or missing entry stops the walk at the last trusted hop, so a client that
//! sends garbage is identified by the proxy that saw it, never by the garbage.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// The proxies whose forwarding headers are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// A `trusted_proxies` entry that is neither an address nor a CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or CIDR block (such as 10.0.0.0/8 or 2001:db8::/32)")]
pub struct InvalidProxy(pub String);

impl TrustedProxies {
    /// Parses addresses (`10.0.0.1`) and blocks (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<TrustedProxies, InvalidProxy> {
        entries
            .iter()
            .map(|entry| {
                let entry = entry.as_ref().trim();
                IpNet::from_str(entry)
                    .or_else(|_| IpAddr::from_str(entry).map(IpNet::from))
                    .map_err(|_| InvalidProxy(entry.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TrustedProxies)
    }

    /// Whether no proxy is trusted (the peer is always the client).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `address` is a trusted proxy. IPv4-mapped IPv6 peers (from a dual-stack
    /// listener) are compared as IPv4.
    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer`, given the request's `Forwarded` and `X-Forwarded-For`
    /// header values (every occurrence, in order).
    pub fn client(&self, peer: IpAddr, forwarded: &[&str], x_forwarded_for: &[&str]) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<Option<IpAddr>> = if forwarded.iter().any(|v| !v.trim().is_empty()) {
            forwarded
                .iter()
                .flat_map(|value| value.split(','))
                .map(forwarded_for_element)
                .collect()
        } else {
            x_forwarded_for
                .iter()
                .flat_map(|value| value.split(','))
                .map(|hop| parse_node(hop.trim()))
                .collect()
        };
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(address) => {
                    client = canonical(address);
                    if !self.trusts(client) {
                        return client;
                    }
                }
                None => return client,
            }
        }
        client
    }
}

fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The `for=` parameter of one `Forwarded` element (`for=192.0.2.1;proto=https`).
fn forwarded_for_element(element: &str) -> Option<IpAddr> {
    element.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("for")
            .then(|| parse_node(value.trim().trim_matches('"')))
            .flatten()
    })
}

/// A node as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`,
/// `[2001:db8::1]:4711` or a bare IPv6 address. Obfuscated and `unknown` nodes are `None`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        let (address, _) = rest.split_once(']')?;
        return address.parse().ok();
    }
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address);
    }
    let (address, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    address.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies() -> TrustedProxies {
        TrustedProxies::parse(&["10.0.0.0/8", "2001:db8::1"]).unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let p = proxies();
        assert_eq!(
            p.client(ip("203.0.113.9"), &[], &["198.51.100.1"]),
            ip("203.0.113.9")
        );
        assert_eq!(
            TrustedProxies::default().client(ip("10.1.1.1"), &[], &["198.51.100.1"]),
            ip("10.1.1.1")
        );
    }

    #[test]
    fn a_trusted_peer_forwards_the_rightmost_untrusted_hop() {
        let p = proxies();
        // The client wrote 1.2.3.4 itself; the first proxy saw 198.51.100.7.
        assert_eq!(
            p.client(ip("10.0.0.2"), &[], &["1.2.3.4, 198.51.100.7", "10.0.0.9"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            p.client(ip("2001:db8::1"), &[], &["[2001:db8::7]:443"]),
            ip("2001:db8::7")
        );
        assert_eq!(
            p.client(ip("10.0.0.2"), &[], &["198.51.100.7:5555"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn forwarded_wins_over_x_forwarded_for() {
        let p = proxies();
        assert_eq!(
            p.client(
                ip("10.0.0.2"),
                &["for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]:4711\""],
                &["198.51.100.1"]
            ),
            ip("2001:db8:cafe::17")
        );
    }

    #[test]
    fn garbage_or_unknown_hops_stop_at_the_last_trusted_address() {
        let p = proxies();
        assert_eq!(
            p.client(ip("10.0.0.2"), &[], &["not-an-ip"]),
            ip("10.0.0.2")
        );
        assert_eq!(
            p.client(ip("10.0.0.2"), &["for=unknown"], &[]),
            ip("10.0.0.2")
        );
        assert_eq!(
            p.client(ip("10.0.0.2"), &[], &["198.51.100.3, garbage, 10.0.0.5"]),
            ip("10.0.0.5")
        );
        // Only proxies all the way: the leftmost trusted one is as far as we can see.
        assert_eq!(p.client(ip("10.0.0.2"), &[], &["10.0.0.3"]), ip("10.0.0.3"));
        assert_eq!(p.client(ip("10.0.0.2"), &[], &[]), ip("10.0.0.2"));
    }

    #[test]
    fn mapped_ipv4_peers_compare_as_ipv4() {
        let p = proxies();
        assert_eq!(
            p.client(ip("::ffff:10.0.0.2"), &[], &["198.51.100.7"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn bad_entries_are_named() {
        assert_eq!(
            TrustedProxies::parse(&["10.0.0.0/8", "proxy.local"]),
            Err(InvalidProxy("proxy.local".into()))
        );
        assert!(TrustedProxies::parse::<&str>(&[]).unwrap().is_empty());
    }
}
