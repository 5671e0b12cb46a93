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
