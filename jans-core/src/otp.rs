//! One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238), the secrets' base32 text (RFC
//! 4648 §6) and the `otpauth://` key URI authenticator apps scan (Google Authenticator's
//! Key Uri Format, which every app reads). Pure functions: the time comes from the caller,
//! single use of a time step is the store's ([`crate::repo::otp`]).

use hmac::{Hmac, Mac};
use subtle::ConstantTimeEq;

/// The HMAC of an OTP (RFC 6238 §1.2: SHA-1 by default, SHA-256 and SHA-512 allowed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, Default)]
pub enum OtpAlgorithm {
    /// HMAC-SHA-1, what every authenticator app supports.
    #[default]
    #[serde(rename = "SHA1")]
    Sha1,
    /// HMAC-SHA-256.
    #[serde(rename = "SHA256")]
    Sha256,
    /// HMAC-SHA-512.
    #[serde(rename = "SHA512")]
    Sha512,
}

impl OtpAlgorithm {
    /// The name in a key URI.
    pub fn as_str(self) -> &'static str {
        match self {
            OtpAlgorithm::Sha1 => "SHA1",
            OtpAlgorithm::Sha256 => "SHA256",
            OtpAlgorithm::Sha512 => "SHA512",
        }
    }

    fn mac(self, key: &[u8], msg: &[u8]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], msg: &[u8]) -> Vec<u8> {
            // HMAC takes a key of any length (RFC 2104 §2).
            match <M as hmac::digest::KeyInit>::new_from_slice(key) {
                Ok(mut m) => {
                    m.update(msg);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        }
        match self {
            OtpAlgorithm::Sha1 => run::<Hmac<sha1::Sha1>>(key, msg),
            OtpAlgorithm::Sha256 => run::<Hmac<sha2::Sha256>>(key, msg),
            OtpAlgorithm::Sha512 => run::<Hmac<sha2::Sha512>>(key, msg),
        }
    }
}

/// Fewest and most digits a code has (RFC 4226 §5.3: at least 6).
pub const DIGITS: std::ops::RangeInclusive<u32> = 6..=8;

/// RFC 4226 §5.3: HOTP of `secret` at `counter`, `digits` long (6 to 8).
pub fn hotp(secret: &[u8], counter: u64, digits: u32, alg: OtpAlgorithm) -> u32 {
    let mac = alg.mac(secret, &counter.to_be_bytes());
    // Dynamic truncation: the low 4 bits of the last byte say where 31 bits are read.
    let offset = usize::from(mac.last().copied().unwrap_or(0) & 0x0f);
    let word = mac
        .get(offset..offset + 4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes)
        & 0x7fff_ffff;
    word % 10u32.pow(digits.clamp(*DIGITS.start(), *DIGITS.end()))
}

/// A code as the user types it: exactly `digits` ASCII digits (spaces ignored).
fn parse_code(code: &str, digits: u32) -> Option<u32> {
    let d: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if d.len() != digits as usize || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    d.parse().ok()
}

/// Whether `code` is the HOTP of `secret` at `counter`, compared in constant time.
pub fn hotp_matches(
    secret: &[u8],
    counter: u64,
    code: &str,
    digits: u32,
    alg: OtpAlgorithm,
) -> bool {
    let Some(given) = parse_code(code, digits) else {
        return false;
    };
    let want = hotp(secret, counter, digits, alg);
    bool::from(given.to_be_bytes().ct_eq(&want.to_be_bytes()))
}

/// A TOTP key's parameters (RFC 6238 §4: `X` the period, `T0` the epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Totp {
    /// The HMAC.
    pub alg: OtpAlgorithm,
    /// Digits per code.
    pub digits: u32,
    /// Seconds per step (30).
    pub period: u64,
}

impl Default for Totp {
    fn default() -> Self {
        Totp {
            alg: OtpAlgorithm::Sha1,
            digits: 6,
            period: 30,
        }
    }
}

impl Totp {
    /// The time step at `now` (RFC 6238 §4.2, `T0` = 0).
    pub fn step(&self, now: u64) -> u64 {
        now / self.period.max(1)
    }

    /// The code of `secret` at `now`.
    pub fn code(&self, secret: &[u8], now: u64) -> u32 {
        hotp(secret, self.step(now), self.digits, self.alg)
    }

    /// The step `code` belongs to, looking `window` steps either side of now (RFC 6238 §5.2:
    /// one step of clock drift each way is the usual allowance). Every step is computed, so
    /// the time taken does not say which matched.
    pub fn verify(&self, secret: &[u8], code: &str, now: u64, window: u64) -> Option<u64> {
        let current = self.step(now);
        let mut found = None;
        for step in current.saturating_sub(window)..=current.saturating_add(window) {
            if hotp_matches(secret, step, code, self.digits, self.alg) && found.is_none() {
                found = Some(step);
            }
        }
        found
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 §6 base32, without padding (as key URIs carry secrets).
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in bytes {
        buffer = (buffer << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let i = ((buffer >> bits) & 31) as usize;
            out.push(char::from(BASE32.get(i).copied().unwrap_or(b'A')));
        }
    }
    if bits > 0 {
        let i = ((buffer << (5 - bits)) & 31) as usize;
        out.push(char::from(BASE32.get(i).copied().unwrap_or(b'A')));
    }
    out
}

/// RFC 4648 §6 base32, case-insensitive, spaces and padding ignored; `None` for anything
/// else.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let v = BASE32
            .iter()
            .position(|b| char::from(*b) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// Percent-encode `s` for a URI path or query value (RFC 3986 §2.3: unreserved kept).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The `otpauth://totp/ISSUER:ACCOUNT?secret=..&issuer=..&algorithm=..&digits=..&period=..`
/// URI of a TOTP key, which an authenticator app reads from a QR code.
pub fn totp_uri(issuer: &str, account: &str, secret: &[u8], totp: &Totp) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm={}&digits={}&period={}",
        encode(issuer),
        encode(account),
        base32_encode(secret),
        encode(issuer),
        totp.alg.as_str(),
        totp.digits,
        totp.period
    )
}

/// The `otpauth://hotp/...&counter=N` URI of an HOTP key.
pub fn hotp_uri(
    issuer: &str,
    account: &str,
    secret: &[u8],
    counter: u64,
    digits: u32,
    alg: OtpAlgorithm,
) -> String {
    format!(
        "otpauth://hotp/{}:{}?secret={}&issuer={}&algorithm={}&digits={}&counter={}",
        encode(issuer),
        encode(account),
        base32_encode(secret),
        encode(issuer),
        alg.as_str(),
        digits,
        counter
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA1_KEY: &[u8] = b"12345678901234567890";
    const SHA256_KEY: &[u8] = b"12345678901234567890123456789012";
    const SHA512_KEY: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    /// RFC 4226 Appendix D.
    #[test]
    fn hotp_matches_rfc_4226_appendix_d() {
        let want = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, code) in want.iter().enumerate() {
            assert_eq!(hotp(SHA1_KEY, counter as u64, 6, OtpAlgorithm::Sha1), *code);
        }
        assert!(hotp_matches(SHA1_KEY, 1, "287082", 6, OtpAlgorithm::Sha1));
        assert!(hotp_matches(SHA1_KEY, 1, "287 082", 6, OtpAlgorithm::Sha1));
        for bad in ["287083", "28708", "2870822", "28708a", "", "+87082"] {
            assert!(
                !hotp_matches(SHA1_KEY, 1, bad, 6, OtpAlgorithm::Sha1),
                "{bad}"
            );
        }
    }

    /// RFC 6238 Appendix B, 8 digits, every algorithm.
    #[test]
    fn totp_matches_rfc_6238_appendix_b() {
        let table: [(u64, u32, u32, u32); 6] = [
            (59, 94287082, 46119246, 90693936),
            (1111111109, 7081804, 68084774, 25091201),
            (1111111111, 14050471, 67062674, 99943326),
            (1234567890, 89005924, 91819424, 93441116),
            (2000000000, 69279037, 90698825, 38618901),
            (20000000000, 65353130, 77737706, 47863826),
        ];
        for (time, sha1, sha256, sha512) in table {
            for (alg, key, want) in [
                (OtpAlgorithm::Sha1, SHA1_KEY, sha1),
                (OtpAlgorithm::Sha256, SHA256_KEY, sha256),
                (OtpAlgorithm::Sha512, SHA512_KEY, sha512),
            ] {
                let t = Totp {
                    alg,
                    digits: 8,
                    period: 30,
                };
                assert_eq!(t.code(key, time), want, "{alg:?} at {time}");
            }
        }
    }

    #[test]
    fn a_code_verifies_one_step_either_side_and_no_further() {
        let t = Totp::default();
        let now = 1_800_000_000;
        let code = |at: u64| format!("{:06}", t.code(SHA1_KEY, at));
        assert_eq!(t.verify(SHA1_KEY, &code(now), now, 1), Some(t.step(now)));
        assert_eq!(
            t.verify(SHA1_KEY, &code(now - 30), now, 1),
            Some(t.step(now) - 1)
        );
        assert_eq!(
            t.verify(SHA1_KEY, &code(now + 30), now, 1),
            Some(t.step(now) + 1)
        );
        assert_eq!(t.verify(SHA1_KEY, &code(now - 60), now, 1), None);
        assert_eq!(t.verify(SHA1_KEY, &code(now + 60), now, 1), None);
        assert_eq!(t.verify(SHA1_KEY, "000000x", now, 1), None);
    }

    /// RFC 4648 §10.
    #[test]
    fn base32_matches_rfc_4648() {
        for (plain, text) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(plain.as_bytes()), text);
            assert_eq!(base32_decode(text).unwrap(), plain.as_bytes());
        }
        assert_eq!(base32_decode("mzxw 6ytb oi======").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW1"), None);
    }

    #[test]
    fn key_uris_carry_every_parameter() {
        let uri = totp_uri(
            "Jans Casa",
            "alice@example.com",
            b"foobar",
            &Totp::default(),
        );
        assert_eq!(
            uri,
            "otpauth://totp/Jans%20Casa:alice%40example.com?secret=MZXW6YTBOI&issuer=Jans%20Casa&algorithm=SHA1&digits=6&period=30"
        );
        let uri = hotp_uri("I", "a", b"f", 7, 8, OtpAlgorithm::Sha256);
        assert!(uri.starts_with("otpauth://hotp/I:a?secret=MY&"));
        assert!(uri.ends_with("&algorithm=SHA256&digits=8&counter=7"));
    }
}
