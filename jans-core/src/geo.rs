//! An IP-to-country table: the country a sign-in comes from, for Casa's "unknown location"
//! policy. The host reads the file (the core does no I/O) and hands the table to the
//! engine ([`crate::EngineBuilder::ip_countries`]); without one, no location is known.
//!
//! The file is CSV of address ranges, one per line, `first,last,country` — the layout of
//! DB-IP's free "IP to Country Lite" (`1.0.0.0,1.0.0.255,AU`, IPv6 too) and of
//! IP2Location's LITE DB1 (`"16777216","16777471","AU","Australia"`: addresses as decimal
//! numbers, fields quoted, a country name after the code). Countries are ISO 3166-1
//! alpha-2 codes; `-` and `ZZ` (unknown) are skipped.

use std::net::{IpAddr, Ipv4Addr};

/// Why a table did not read: the line and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct TableError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Address ranges and their countries, sorted, for lookups by binary search.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpCountries {
    /// `(first, last, country)`, IPv4 as IPv4-mapped IPv6, sorted by `first`, disjoint.
    ranges: Vec<(u128, u128, [u8; 2])>,
}

/// Longest line read (a country name after the code fits easily).
const MAX_LINE: usize = 512;

fn address(field: &str) -> Option<u128> {
    if let Ok(ip) = field.parse::<IpAddr>() {
        return Some(key(ip));
    }
    // IP2Location: decimal numbers; IPv4 ones fit 32 bits.
    let n: u128 = field.parse().ok()?;
    Some(match u32::try_from(n) {
        Ok(v4) => key(IpAddr::V4(Ipv4Addr::from(v4))),
        Err(_) => n,
    })
}

/// An address as the table keys it: IPv4 as IPv4-mapped IPv6 (RFC 4291 §2.5.5.2).
fn key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => u128::from(v4.to_ipv6_mapped()),
            None => u128::from(v6),
        },
    }
}

impl IpCountries {
    /// Read a table from the file's bytes. Blank lines and `#` comments are skipped; a
    /// line that does not read, or ranges that overlap, refuse the whole table.
    pub fn parse(text: &[u8]) -> Result<IpCountries, TableError> {
        let text = std::str::from_utf8(text).map_err(|e| TableError {
            line: text
                .get(..e.valid_up_to())
                .map_or(1, |t| t.iter().filter(|b| **b == b'\n').count() + 1),
            message: "not UTF-8".to_owned(),
        })?;
        let mut ranges = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let bad = |message: &str| TableError {
                line: i + 1,
                message: message.to_owned(),
            };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line.len() > MAX_LINE {
                return Err(bad("the line is too long"));
            }
            let mut fields = line.split(',').map(|f| f.trim().trim_matches('"'));
            let (Some(first), Some(last), Some(country)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad("expected first,last,country"));
            };
            let (Some(first), Some(last)) = (address(first), address(last)) else {
                return Err(bad("an address does not read"));
            };
            if last < first {
                return Err(bad("the range ends before it starts"));
            }
            if country == "-" || country.eq_ignore_ascii_case("ZZ") {
                continue;
            }
            let code = match country.as_bytes() {
                [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                    [a.to_ascii_uppercase(), b.to_ascii_uppercase()]
                }
                _ => return Err(bad("the country is not a two-letter code")),
            };
            ranges.push((first, last, code));
        }
        ranges.sort_unstable();
        if let Some(at) = ranges
            .windows(2)
            .position(|w| matches!(w, [a, b] if b.0 <= a.1))
        {
            return Err(TableError {
                line: 0,
                message: format!("two ranges overlap (the {}th and the next, sorted)", at + 1),
            });
        }
        Ok(IpCountries { ranges })
    }

    /// The country `ip` is in, as its two-letter code, when the table knows.
    pub fn country(&self, ip: IpAddr) -> Option<String> {
        let k = key(ip);
        let at = self.ranges.partition_point(|(first, _, _)| *first <= k);
        let (_, last, code) = self.ranges.get(at.checked_sub(1)?)?;
        (k <= *last).then(|| String::from_utf8_lossy(code).into_owned())
    }

    /// How many ranges it holds.
    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn both_layouts_read_and_look_up() {
        let t = IpCountries::parse(
            b"# DB-IP layout\n1.0.0.0,1.0.0.255,AU\n2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,jp\n\n\
              \"16777472\",\"16778239\",\"CN\",\"China\"\n5.0.0.0,5.0.0.9,-\n",
        )
        .unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t.country(ip("1.0.0.7")).as_deref(), Some("AU"));
        assert_eq!(t.country(ip("::ffff:1.0.0.7")).as_deref(), Some("AU"));
        assert_eq!(t.country(ip("1.0.1.0")).as_deref(), Some("CN"));
        assert_eq!(t.country(ip("1.0.3.255")).as_deref(), Some("CN"));
        assert_eq!(t.country(ip("1.0.4.0")), None);
        assert_eq!(t.country(ip("2001:200::1")).as_deref(), Some("JP"));
        assert_eq!(t.country(ip("5.0.0.1")), None);
        assert_eq!(t.country(ip("0.0.0.1")), None);
        assert_eq!(t.country(ip("::")), None);
    }

    #[test]
    fn bad_tables_are_refused_with_their_line() {
        for (text, line) in [
            (&b"1.0.0.0,1.0.0.255\n"[..], 1),
            (b"1.0.0.0,1.0.0.255,AU\nx,1.0.0.1,AU\n", 2),
            (b"1.0.0.9,1.0.0.1,AU\n", 1),
            (b"1.0.0.0,1.0.0.255,AUS\n", 1),
            (b"1.0.0.0,1.0.0.255,AU\n1.0.0.128,1.0.1.0,NZ\n", 0),
            (b"1.0.0.0,1.0.0.255,A\xff\n", 1),
        ] {
            assert_eq!(IpCountries::parse(text).unwrap_err().line, line);
        }
    }
}
