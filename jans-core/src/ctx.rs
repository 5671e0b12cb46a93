//! The only ambient facts the core sees: time, randomness and the request id.
//!
//! `jans-core` never reads a clock or draws randomness on its own (DESIGN.md §3): the host
//! builds a [`Ctx`] per request and passes it in, so tests can drive whole ceremonies with a
//! fake clock and a seeded generator.

use std::fmt;
use std::sync::Arc;

/// A source of cryptographically secure random bytes.
///
/// Hosts implement it over the operating system's generator; tests over a seeded CSPRNG.
pub trait Random: Send + Sync {
    /// Fill `dest` with random bytes.
    fn fill(&self, dest: &mut [u8]);
}

impl fmt::Debug for dyn Random {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Random")
    }
}

/// Seconds since the Unix epoch, the unit of every JWT time claim (RFC 7519 §2 NumericDate).
pub type UnixTime = u64;

/// Per-request context: the current time, a random source and the request id for logs.
#[derive(Clone, Debug)]
pub struct Ctx {
    /// The current time in seconds since the Unix epoch.
    pub now: UnixTime,
    /// Where every random byte the core needs comes from.
    pub rng: Arc<dyn Random>,
    /// Correlates log lines of one request; never secret.
    pub request_id: String,
}

impl Ctx {
    /// A context at `now` drawing from `rng`.
    pub fn new(now: UnixTime, rng: Arc<dyn Random>, request_id: impl Into<String>) -> Self {
        Ctx {
            now,
            rng,
            request_id: request_id.into(),
        }
    }

    /// `n` random bytes.
    pub fn random_bytes(&self, n: usize) -> Vec<u8> {
        let mut v = vec![0u8; n];
        self.rng.fill(&mut v);
        v
    }

    /// A URL-safe random token with `bytes` bytes of entropy (base64url, no padding).
    pub fn random_token(&self, bytes: usize) -> String {
        crate::b64::encode(&self.random_bytes(bytes))
    }
}

/// Format 16 random bytes as an RFC 9562 version-4 UUID string.
pub fn uuid_from(bytes: &[u8]) -> String {
    let mut b = [0u8; 16];
    for (d, s) in b.iter_mut().zip(bytes) {
        *d = *s;
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, x) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{x:02x}"));
    }
    out
}

/// Seconds since the epoch of the start of the UTC day `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<UnixTime> {
    let b = s.as_bytes();
    if b.len() != 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from the civil date (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days.checked_mul(86_400)?).ok()
}

/// The UTC (year, month, day) holding `t` (H. Hinnant, "chrono-Compatible Low-Level Date
/// Algorithms": civil from days).
pub fn civil_date(t: UnixTime) -> (i64, i64, i64) {
    let days = i64::try_from(t / 86_400).unwrap_or(0) + 719_468;
    let era = days.div_euclid(146_097);
    let doe = days - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DD` of the UTC day holding `t`.
pub fn format_date(t: UnixTime) -> String {
    let (y, m, d) = civil_date(t);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Seconds since the epoch of an RFC 3339 UTC time as [`format_datetime`] writes it
/// (`YYYY-MM-DDTHH:MM:SSZ`).
pub fn parse_datetime(s: &str) -> Option<UnixTime> {
    let (date, time) = s.strip_suffix('Z')?.split_once('T')?;
    let day = parse_date(date)?;
    let mut parts = time.split(':').map(|p| {
        (p.len() == 2 && p.bytes().all(|c| c.is_ascii_digit()))
            .then(|| p.parse::<u64>().ok())
            .flatten()
    });
    let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(day + h * 3600 + m * 60 + sec)
}

/// RFC 3339 UTC (`YYYY-MM-DDTHH:MM:SSZ`) of `t`.
pub fn format_datetime(t: UnixTime) -> String {
    let s = t % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(t),
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}
