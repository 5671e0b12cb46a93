//! Proof Key for Code Exchange (RFC 7636).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `code_challenge_method` (RFC 7636 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    /// `plain`: the challenge is the verifier.
    #[serde(rename = "plain")]
    Plain,
    /// `S256`: the challenge is base64url(SHA-256(verifier)).
    S256,
}

impl Method {
    /// Parse the parameter value.
    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "plain" => Some(Method::Plain),
            "S256" => Some(Method::S256),
            _ => None,
        }
    }
}

/// RFC 7636 §4.1: 43 to 128 characters of `[A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"`.
/// The same rule fits S256 challenges (43 base64url characters) and plain ones.
pub fn well_formed(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 7636 §4.6: does `verifier` answer `challenge`? Constant-time comparison.
pub fn verify(verifier: &str, challenge: &str, method: Method) -> bool {
    if !well_formed(verifier) {
        return false;
    }
    let computed = match method {
        Method::S256 => crate::b64::encode(&Sha256::digest(verifier.as_bytes())),
        Method::Plain => verifier.to_owned(),
    };
    bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    #[test]
    fn appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verify(verifier, challenge, Method::S256));
        assert!(!verify(verifier, challenge, Method::Plain));
        assert!(verify(verifier, verifier, Method::Plain));
        assert!(!verify(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj",
            challenge,
            Method::S256
        ));
        assert!(!verify("short", "short", Method::Plain));
        assert!(!well_formed(&"a".repeat(129)));
        assert!(!well_formed(&format!("{}+", "a".repeat(43))));
        assert_eq!(Method::parse("s256"), None);
    }
}
