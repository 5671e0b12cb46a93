//! SCIM `dateTime` values (RFC 7643 §2.3.5): an xsd:dateTime, such as
//! `2008-01-23T04:56:22Z`, with optional fractional seconds and an optional offset (none
//! means UTC). Filters compare them chronologically (RFC 7644 §3.4.2.2), not as text.

use crate::ctx::{UnixTime, format_datetime, parse_date};

/// Nanoseconds since the epoch of the xsd:dateTime `s`, or `None` when it is not one (or
/// is before 1970).
pub fn parse(s: &str) -> Option<i128> {
    let (date, time) = s.split_once(['T', 't'])?;
    let midnight = i128::from(parse_date(date)?);
    let (clock, offset) = match time.find(['Z', 'z', '+', '-']) {
        Some(i) => (time.get(..i)?, time.get(i..)?),
        None => (time, ""),
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, f)) => (hms, Some(f)),
        None => (clock, None),
    };
    let two = |t: Option<&str>, max: i128| -> Option<i128> {
        let t = t?;
        let n: i128 =
            (t.len() == 2 && t.bytes().all(|c| c.is_ascii_digit())).then(|| t.parse().ok())??;
        (n <= max).then_some(n)
    };
    let mut parts = hms.split(':');
    let (h, m, sec) = (
        two(parts.next(), 23)?,
        two(parts.next(), 59)?,
        two(parts.next(), 60)?,
    );
    if parts.next().is_some() {
        return None;
    }
    let nanos = match fraction {
        None => 0,
        Some(f) if !f.is_empty() && f.bytes().all(|c| c.is_ascii_digit()) => {
            // Nine digits of precision; further digits are below a nanosecond.
            let digits: String = f.chars().chain(std::iter::repeat('0')).take(9).collect();
            digits.parse::<i128>().ok()?
        }
        Some(_) => return None,
    };
    let offset_secs = match offset {
        "" | "Z" | "z" => 0,
        o => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let (oh, om) = o.get(1..)?.split_once(':')?;
            sign * (two(Some(oh), 23)? * 3600 + two(Some(om), 59)? * 60)
        }
    };
    let secs = midnight + h * 3600 + m * 60 + sec - offset_secs;
    Some(secs * 1_000_000_000 + nanos)
}

/// The xsd:dateTime of `t` in UTC, as `meta.created` and `meta.lastModified` carry it.
pub fn format(t: UnixTime) -> String {
    format_datetime(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let base = parse("2011-05-13T04:42:34Z").unwrap();
        assert_eq!(base, 1_305_261_754 * 1_000_000_000);
        assert_eq!(
            parse("2011-05-13T04:42:34").unwrap(),
            base,
            "no offset is UTC"
        );
        assert_eq!(parse("2011-05-13T06:42:34+02:00").unwrap(), base);
        assert_eq!(parse("2011-05-12T23:42:34-05:00").unwrap(), base);
        assert_eq!(parse("2011-05-13T04:42:34.5Z").unwrap(), base + 500_000_000);
        assert_eq!(
            parse("2011-05-13T04:42:34.1234567891Z").unwrap(),
            base + 123_456_789
        );
        assert_eq!(parse(&format(1_305_261_754)).unwrap(), base);
        for bad in [
            "",
            "2011-05-13",
            "2011-05-13T4:42:34Z",
            "2011-05-13T24:00:00Z",
            "2011-05-13T04:42Z",
            "2011-05-13T04:42:34.Z",
            "2011-05-13T04:42:34+0200",
            "2011-13-13T04:42:34Z",
            "2011-05-13T04:42:34:00Z",
            "2011-05-13T04:42:3é",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
