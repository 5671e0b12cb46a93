//! The names a certificate carries — its subject distinguished name and its subject
//! alternative names — and how a configured name is matched against them: what RFC 8705
//! §2.1.2 asks of `tls_client_auth` (`tls_client_auth_subject_dn`, `…_san_dns`, `…_san_uri`,
//! `…_san_ip`, `…_san_email`).
//!
//! A distinguished name is written as RFC 4514 says (most specific RDN first, `,` between
//! RDNs, `+` inside a multi-valued one, `\` escapes). Two names match when they have the
//! same RDNs in the same order, each with the same attribute types and values; values are
//! compared as the directory's `caseIgnoreMatch` does (RFC 4517 §4.2.11: case folded,
//! leading and trailing spaces dropped, inner runs of spaces as one).

use ::der::{Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;

use super::Certificate;

/// Longest distinguished name or alternative name accepted from configuration.
pub const MAX_NAME_LEN: usize = 1024;

/// Attribute type names of RFC 4514 §3 and the ones in common use, with their OIDs.
const ATTRIBUTE_TYPES: [(&str, &str); 14] = [
    ("CN", "2.5.4.3"),
    ("L", "2.5.4.7"),
    ("ST", "2.5.4.8"),
    ("O", "2.5.4.10"),
    ("OU", "2.5.4.11"),
    ("C", "2.5.4.6"),
    ("STREET", "2.5.4.9"),
    ("DC", "0.9.2342.19200300.100.1.25"),
    ("UID", "0.9.2342.19200300.100.1.1"),
    ("SERIALNUMBER", "2.5.4.5"),
    ("EMAILADDRESS", "1.2.840.113549.1.9.1"),
    ("E", "1.2.840.113549.1.9.1"),
    ("TITLE", "2.5.4.12"),
    ("ORGANIZATIONIDENTIFIER", "2.5.4.97"),
];

/// One attribute of a relative distinguished name: its type (dotted OID) and its value,
/// normalized for comparison.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Attribute {
    oid: String,
    value: String,
}

/// A distinguished name as a list of RDNs, most specific first (RFC 4514 order), each a
/// sorted set of attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DistinguishedName(Vec<Vec<Attribute>>);

/// Why a configured name does not read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a distinguished name (RFC 4514): {0}")]
pub struct NameError(pub &'static str);

/// RFC 4517 §4.2.11 with the insignificant-space rules of RFC 4518 §2.6.1, simplified:
/// case folded, outer spaces dropped, inner runs of spaces as one.
fn normalize(value: &str) -> String {
    value
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Split `s` at each `sep` that is not escaped by a backslash.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == sep {
            parts.push(s.get(start..i).unwrap_or_default());
            start = i + c.len_utf8();
        }
    }
    parts.push(s.get(start..).unwrap_or_default());
    parts
}

/// RFC 4514 §3 `string`: undo `\` escapes (a special character, or two hex digits of a
/// UTF-8 byte).
fn unescape(value: &str) -> Result<String, NameError> {
    let mut bytes = Vec::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        let next = chars.next().ok_or(NameError("a trailing backslash"))?;
        if let Some(hi) = next.to_digit(16) {
            let lo = chars
                .next()
                .and_then(|l| l.to_digit(16))
                .ok_or(NameError("a backslash before one hex digit"))?;
            bytes.push(u8::try_from(hi * 16 + lo).map_err(|_| NameError("bad escape"))?);
        } else {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(next.encode_utf8(&mut buf).as_bytes());
        }
    }
    String::from_utf8(bytes).map_err(|_| NameError("escapes that are not UTF-8"))
}

fn attribute_oid(name: &str) -> Result<String, NameError> {
    let name = name.trim();
    if let Some((_, oid)) = ATTRIBUTE_TYPES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
    {
        return Ok((*oid).to_owned());
    }
    let dotted = name
        .strip_prefix("OID.")
        .or_else(|| name.strip_prefix("oid."))
        .unwrap_or(name);
    const_oid::ObjectIdentifier::new(dotted)
        .map(|o| o.to_string())
        .map_err(|_| NameError("an unknown attribute type"))
}

impl std::str::FromStr for DistinguishedName {
    type Err = NameError;

    /// Read an RFC 4514 string. Values given as `#` and hex (BER) are not read.
    fn from_str(s: &str) -> Result<Self, NameError> {
        if s.len() > MAX_NAME_LEN {
            return Err(NameError("too long"));
        }
        if s.trim().is_empty() {
            return Err(NameError("empty"));
        }
        let mut rdns = Vec::new();
        for rdn in split_unescaped(s, ',') {
            let mut attrs = Vec::new();
            for atv in split_unescaped(rdn, '+') {
                let (name, value) = atv.split_once('=').ok_or(NameError("an RDN without `=`"))?;
                let value = value.trim_start();
                if value.starts_with('#') {
                    return Err(NameError("hex-encoded values are not supported"));
                }
                attrs.push(Attribute {
                    oid: attribute_oid(name)?,
                    value: normalize(&unescape(value)?),
                });
            }
            attrs.sort();
            rdns.push(attrs);
        }
        Ok(DistinguishedName(rdns))
    }
}

/// The text of a directory string value, when it is one this reads (UTF8String,
/// PrintableString, IA5String, TeletexString as Latin-1, BMPString).
fn directory_string(value: &::der::Any) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String => {
            String::from_utf8(bytes.to_vec()).ok()
        }
        Tag::TeletexString => Some(bytes.iter().map(|b| char::from(*b)).collect()),
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p.first().copied()?, p.get(1).copied()?]).into())
                .collect::<Option<Vec<u16>>>()?;
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

impl DistinguishedName {
    /// The subject of `cert`, in RFC 4514 order; `None` when an attribute's value is not a
    /// string this reads.
    pub fn subject_of(cert: &Certificate) -> Option<DistinguishedName> {
        let mut rdns = Vec::new();
        for rdn in cert.cert.tbs_certificate().subject().iter_rdn() {
            let mut attrs = Vec::new();
            for atv in rdn.iter() {
                attrs.push(Attribute {
                    oid: atv.oid.to_string(),
                    value: normalize(&directory_string(&atv.value)?),
                });
            }
            attrs.sort();
            rdns.push(attrs);
        }
        rdns.reverse();
        Some(DistinguishedName(rdns))
    }
}

/// A subject alternative name (RFC 5280 §4.2.1.6) of the kinds RFC 8705 matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AltName {
    /// dNSName.
    Dns(String),
    /// uniformResourceIdentifier.
    Uri(String),
    /// iPAddress.
    Ip(std::net::IpAddr),
    /// rfc822Name.
    Email(String),
}

impl Certificate {
    /// Its subject, as RFC 4514 writes it (for logs and messages).
    pub fn subject_text(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    /// Its subject alternative names of the kinds [`AltName`] holds; others are skipped.
    pub fn alt_names(&self) -> Vec<AltName> {
        use ::der::Decode;
        let Some(ext) = self.extension("2.5.29.17") else {
            return Vec::new();
        };
        let Ok(names) = x509_cert::ext::pkix::SubjectAltName::from_der(ext.value) else {
            return Vec::new();
        };
        names
            .0
            .iter()
            .filter_map(|n| match n {
                GeneralName::DnsName(d) => Some(AltName::Dns(d.to_string())),
                GeneralName::UniformResourceIdentifier(u) => Some(AltName::Uri(u.to_string())),
                GeneralName::Rfc822Name(e) => Some(AltName::Email(e.to_string())),
                GeneralName::IpAddress(ip) => {
                    let b = ip.as_bytes();
                    <[u8; 4]>::try_from(b)
                        .map(std::net::IpAddr::from)
                        .or_else(|_| <[u8; 16]>::try_from(b).map(std::net::IpAddr::from))
                        .ok()
                        .map(AltName::Ip)
                }
                _ => None,
            })
            .collect()
    }
}

/// What a client registered its certificate to carry (RFC 8705 §2.1.2): exactly one of
/// these is set per client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expected<'a> {
    /// `tls_client_auth_subject_dn`.
    SubjectDn(&'a str),
    /// `tls_client_auth_san_dns`.
    SanDns(&'a str),
    /// `tls_client_auth_san_uri`.
    SanUri(&'a str),
    /// `tls_client_auth_san_ip`.
    SanIp(&'a str),
    /// `tls_client_auth_san_email`.
    SanEmail(&'a str),
}

impl Expected<'_> {
    /// Whether the value is well formed (checked when a client registers it).
    pub fn check(&self) -> Result<(), NameError> {
        match self {
            Expected::SubjectDn(dn) => dn.parse::<DistinguishedName>().map(|_| ()),
            Expected::SanIp(ip) => ip
                .parse::<std::net::IpAddr>()
                .map(|_| ())
                .map_err(|_| NameError("tls_client_auth_san_ip is not an IP address")),
            Expected::SanDns(v) | Expected::SanUri(v) | Expected::SanEmail(v) => {
                if v.is_empty() || v.len() > MAX_NAME_LEN {
                    Err(NameError("empty or too long"))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Whether `cert` carries this name: its subject is this DN, or one of its alternative
    /// names of this kind is this value (DNS names and the domain of an email address
    /// without regard to case; IP addresses as addresses).
    pub fn matches(&self, cert: &Certificate) -> bool {
        let alt = || cert.alt_names().into_iter();
        match self {
            Expected::SubjectDn(dn) => {
                match (
                    dn.parse::<DistinguishedName>(),
                    DistinguishedName::subject_of(cert),
                ) {
                    (Ok(want), Some(got)) => want == got,
                    _ => false,
                }
            }
            Expected::SanDns(want) => {
                alt().any(|n| matches!(n, AltName::Dns(d) if d.eq_ignore_ascii_case(want)))
            }
            Expected::SanUri(want) => alt().any(|n| matches!(n, AltName::Uri(u) if u == *want)),
            Expected::SanIp(want) => want
                .parse::<std::net::IpAddr>()
                .is_ok_and(|want| alt().any(|n| n == AltName::Ip(want))),
            Expected::SanEmail(want) => alt().any(|n| match n {
                AltName::Email(e) => same_email(&e, want),
                _ => false,
            }),
        }
    }
}

/// RFC 5280 §7.5: the local part compared exactly, the domain without regard to case.
fn same_email(a: &str, b: &str) -> bool {
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((la, da)), Some((lb, db))) => la == lb && da.eq_ignore_ascii_case(db),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinguished_names_compare_as_names_not_strings() {
        let a: DistinguishedName = "CN=Client One,O=Example\\, Inc.,C=US".parse().unwrap();
        let b: DistinguishedName = "cn=client  one, o = example\\2C inc. ,c=us"
            .parse()
            .unwrap();
        assert_eq!(a, b);
        let c: DistinguishedName = "C=US,O=Example\\, Inc.,CN=Client One".parse().unwrap();
        assert_ne!(a, c, "RDN order matters");
        let multi: DistinguishedName = "CN=x+UID=7,O=y".parse().unwrap();
        let swapped: DistinguishedName = "UID=7+CN=x,O=y".parse().unwrap();
        assert_eq!(multi, swapped, "a multi-valued RDN is a set");
        let oid: DistinguishedName = "2.5.4.3=x,OID.2.5.4.10=y".parse().unwrap();
        assert_eq!(oid, "CN=x,O=y".parse().unwrap());
    }

    #[test]
    fn malformed_names_are_refused() {
        for bad in [
            "",
            "CN",
            "XX=1",
            "CN=a\\",
            "CN=\\4",
            "CN=#0403616263",
            &"CN=a,".repeat(300),
        ] {
            assert!(bad.parse::<DistinguishedName>().is_err(), "{bad:?}");
        }
    }
}
