//! Outbound HTTP as an injected seam (DESIGN.md §3): the core never opens a socket. Hosts
//! implement [`HttpClient`] (the `jans` binary over reqwest with timeouts and size limits);
//! tests use a canned one.
//!
//! Every fetch carries the [`AddressPolicy`] of the configuration in force (DESIGN.md §6):
//! a host checks each address it would connect to — after DNS resolution, and again on
//! every redirect — and refuses loopback, private, link-local and other non-public
//! addresses unless the operator allowed them (`outboundBlockPrivateIp`,
//! `outboundAllowedAddresses`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use async_trait::async_trait;

/// Largest response body the core accepts from a fetch (a JWKS, a sector document).
pub const MAX_FETCH_BYTES: usize = 256 * 1024;

/// A fetched response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body, at most [`MAX_FETCH_BYTES`].
    pub body: Vec<u8>,
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The host has no outbound HTTP (embedders that did not provide one).
    #[error("outbound HTTP is not available")]
    Disabled,
    /// Connection, TLS or timeout failure.
    #[error("fetch failed: {0}")]
    Failed(String),
    /// The body exceeded [`MAX_FETCH_BYTES`].
    #[error("response too large")]
    TooLarge,
    /// The URL, or an address it resolves or redirects to, is not one fetches may reach.
    #[error("refused: {0}")]
    Refused(String),
}

/// Outbound HTTP. Implementations bound sizes ([`MAX_FETCH_BYTES`]) and times, follow few
/// redirects, and connect only to addresses `policy` allows.
#[async_trait]
pub trait HttpClient: Send + Sync + std::fmt::Debug {
    /// GET `url` with `Accept: application/json`.
    async fn get(&self, url: &str, policy: &AddressPolicy) -> Result<HttpResponse, HttpError>;
    /// GET `url`, any content type, for a body of at most `limit` bytes (FIDO metadata
    /// BLOBs and CRLs, larger than a JSON document). Hosts that do not override it fetch
    /// with [`HttpClient::get`] and its [`MAX_FETCH_BYTES`].
    async fn get_large(
        &self,
        url: &str,
        policy: &AddressPolicy,
        limit: usize,
    ) -> Result<HttpResponse, HttpError> {
        let _ = limit;
        self.get(url, policy).await
    }
    /// POST an `application/x-www-form-urlencoded` body to `url` (back-channel logout).
    async fn post_form(
        &self,
        url: &str,
        body: &str,
        policy: &AddressPolicy,
    ) -> Result<HttpResponse, HttpError>;
    /// POST an `application/json` body to `url` with `Authorization: Bearer {bearer}` (CIBA
    /// ping and push notifications, OpenID CIBA Core §10.2, §10.3). Hosts that do not
    /// implement it refuse.
    async fn post_json(
        &self,
        url: &str,
        bearer: &str,
        body: &[u8],
        policy: &AddressPolicy,
    ) -> Result<HttpResponse, HttpError> {
        let _ = (url, bearer, body, policy);
        Err(HttpError::Refused(
            "this host does not send JSON notifications".to_owned(),
        ))
    }
}

/// Which peer addresses outbound fetches may reach.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AddressPolicy {
    /// Refuse every address that is not publicly routable ([`is_public`]).
    pub block_private: bool,
    /// Addresses allowed even so (an internal JWKS host the operator trusts).
    pub allow: Vec<Cidr>,
}

impl Default for AddressPolicy {
    fn default() -> Self {
        AddressPolicy {
            block_private: true,
            allow: Vec::new(),
        }
    }
}

impl AddressPolicy {
    /// Whether a fetch may connect to `ip`.
    pub fn allows(&self, ip: IpAddr) -> bool {
        !self.block_private || is_public(ip) || self.allow.iter().any(|c| c.contains(ip))
    }
}

/// An address block, `192.0.2.0/24` or `2001:db8::/32` (a bare address is a /32 or /128).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Parse `addr` or `addr/prefix`; `None` when malformed.
    pub fn parse(s: &str) -> Option<Cidr> {
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (s.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// Whether `ip` is in the block (IPv4-mapped IPv6 addresses count as their IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// `::ffff:a.b.c.d` as `a.b.c.d`, so mapped addresses are judged as what they reach.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Whether `ip` is a publicly routable unicast address: not loopback, private (RFC 1918,
/// RFC 4193), link-local (RFC 3927, RFC 4291; cloud metadata services live there),
/// shared (RFC 6598), unspecified, broadcast, multicast, documentation or reserved; IPv4
/// addresses embedded in IPv6 (mapped, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged
/// as the IPv4 address they reach.
pub fn is_public(ip: IpAddr) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || a >= 240
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let seg = ip.segments();
    let [s0, s1, ..] = seg;
    if s0 == 0x64 && s1 == 0xff9b {
        // NAT64: the IPv4 address in the low 32 bits.
        let [.., hi, lo] = seg;
        return is_public_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    if s0 == 0x2002 {
        // 6to4: the IPv4 address in the second and third segments.
        let [_, hi, lo, ..] = seg;
        return is_public_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s0 & 0xfe00) == 0xfc00
        || (s0 & 0xffc0) == 0xfe80
        || (s0 & 0xffc0) == 0xfec0
        || (s0 == 0x2001 && s1 == 0x0db8)
        || (s0 == 0x0100 && seg.iter().skip(1).take(3).all(|s| *s == 0))
        || ip.to_ipv4().is_some())
}

/// Refuses every fetch; the default when the host gives none.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHttpClient;

#[async_trait]
impl HttpClient for NoHttpClient {
    async fn get(&self, _url: &str, _policy: &AddressPolicy) -> Result<HttpResponse, HttpError> {
        Err(HttpError::Disabled)
    }

    async fn post_form(
        &self,
        _url: &str,
        _body: &str,
        _policy: &AddressPolicy,
    ) -> Result<HttpResponse, HttpError> {
        Err(HttpError::Disabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_unicast_is_public() {
        for refused in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "100::1",
        ] {
            assert!(
                !is_public(ip(refused)),
                "{refused} must not count as public"
            );
        }
        for public in [
            "8.8.8.8",
            "1.1.1.1",
            "172.15.255.255",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "169.253.0.1",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(public)), "{public} is public");
        }
    }

    #[test]
    fn policy_and_cidrs() {
        let strict = AddressPolicy::default();
        assert!(!strict.allows(ip("127.0.0.1")));
        assert!(strict.allows(ip("8.8.8.8")));
        let open = AddressPolicy {
            block_private: false,
            allow: Vec::new(),
        };
        assert!(open.allows(ip("127.0.0.1")));
        let listed = AddressPolicy {
            block_private: true,
            allow: vec![
                Cidr::parse("10.1.0.0/16").unwrap(),
                Cidr::parse("127.0.0.2").unwrap(),
                Cidr::parse("fd00::/8").unwrap(),
            ],
        };
        assert!(listed.allows(ip("10.1.200.3")));
        assert!(!listed.allows(ip("10.2.0.1")));
        assert!(listed.allows(ip("127.0.0.2")));
        assert!(listed.allows(ip("::ffff:127.0.0.2")));
        assert!(!listed.allows(ip("127.0.0.1")));
        assert!(listed.allows(ip("fd12::1")));
        assert!(!listed.allows(ip("fe80::1")));
        assert_eq!(
            Cidr::parse("0.0.0.0/0").map(|c| c.contains(ip("1.2.3.4"))),
            Some(true)
        );
        for bad in [
            "",
            "10.0.0.0/33",
            "::/129",
            "host.example",
            "10.0.0.0/x",
            "1.2.3/8",
        ] {
            assert!(Cidr::parse(bad).is_none(), "{bad}");
        }
    }
}
