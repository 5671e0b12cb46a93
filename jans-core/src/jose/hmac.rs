//! HMAC JWS algorithms HS256/HS384/HS512 (RFC 7518 §3.2), keyed by a shared secret such as a
//! `client_secret` (OIDC Core §10.1). Verification compares in constant time (DESIGN.md §6).

use hmac::{KeyInit, Mac as _};
use sha2::{Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq as _;

use super::{Algorithm, JoseError};
use crate::crypto::CryptoError;

macro_rules! mac {
    ($hash:ty, $key:expr, $msg:expr) => {{
        let mut m = <hmac::Hmac<$hash> as KeyInit>::new_from_slice($key)
            .map_err(|_| CryptoError::InvalidKey("HMAC key"))?;
        m.update($msg);
        Ok(m.finalize().into_bytes().to_vec())
    }};
}

/// The HMAC of `msg` under `key` for an `HS*` algorithm.
///
/// Empty keys are refused. RFC 7518 §3.2 asks for a key at least as long as the hash output;
/// enforcing that is the caller's policy (client secrets are issued at 256 bits, DESIGN.md §6).
pub fn sign(alg: Algorithm, key: &[u8], msg: &[u8]) -> Result<Vec<u8>, JoseError> {
    if key.is_empty() {
        return Err(CryptoError::InvalidKey("empty HMAC key").into());
    }
    match alg {
        Algorithm::HS256 => mac!(Sha256, key, msg),
        Algorithm::HS384 => mac!(Sha384, key, msg),
        Algorithm::HS512 => mac!(Sha512, key, msg),
        other => Err(CryptoError::Unsupported(other).into()),
    }
}

/// Check `tag` is the HMAC of `msg` under `key`, in constant time (RFC 7515 §5.2 step 8,
/// RFC 7518 §3.2). A wrong length is [`JoseError::BadSignature`] too.
pub fn verify(alg: Algorithm, key: &[u8], msg: &[u8], tag: &[u8]) -> Result<(), JoseError> {
    let expected = sign(alg, key, msg)?;
    if bool::from(expected.as_slice().ct_eq(tag)) {
        Ok(())
    } else {
        Err(JoseError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 (HMAC-SHA-256, key "Jefe").
    #[test]
    fn rfc4231_case2() {
        let tag = sign(Algorithm::HS256, b"Jefe", b"what do ya want for nothing?").unwrap();
        assert_eq!(
            crate::b64::encode(&tag),
            crate::b64::encode(&[
                0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
                0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
                0x64, 0xec, 0x38, 0x43
            ])
        );
        verify(
            Algorithm::HS256,
            b"Jefe",
            b"what do ya want for nothing?",
            &tag,
        )
        .unwrap();
    }

    #[test]
    fn lengths_and_rejections() {
        for (alg, len) in [
            (Algorithm::HS256, 32),
            (Algorithm::HS384, 48),
            (Algorithm::HS512, 64),
        ] {
            let tag = sign(alg, b"k", b"m").unwrap();
            assert_eq!(tag.len(), len);
            assert_eq!(verify(alg, b"k", b"m2", &tag), Err(JoseError::BadSignature));
            assert_eq!(verify(alg, b"k2", b"m", &tag), Err(JoseError::BadSignature));
            assert_eq!(
                verify(alg, b"k", b"m", &tag[1..]),
                Err(JoseError::BadSignature)
            );
            assert_eq!(verify(alg, b"k", b"m", &[]), Err(JoseError::BadSignature));
        }
        assert!(matches!(
            sign(Algorithm::HS256, b"", b"m"),
            Err(JoseError::Crypto(CryptoError::InvalidKey(_)))
        ));
        assert_eq!(
            sign(Algorithm::RS256, b"k", b"m"),
            Err(JoseError::Crypto(CryptoError::Unsupported(
                Algorithm::RS256
            )))
        );
    }
}
