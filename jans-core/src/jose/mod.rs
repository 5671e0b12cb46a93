//! JOSE: JWS compact serialization (RFC 7515), JWE (RFC 7516), JWK/JWKS (RFC 7517), algorithms (RFC 7518,
//! RFC 8037) and JWT claim checks (RFC 7519). Our own implementation: `alg` comes from the key
//! and the caller's policy, never from the token header alone (DESIGN.md §5).

mod alg;
pub mod hmac;
pub mod jwe;
mod jwk;
pub mod jws;
pub mod jwt;
mod key_alg;

pub use alg::{Algorithm, KeyType};
pub use jwk::{Jwk, Jwks};
pub use key_alg::KeyAlgorithm;

use crate::crypto::CryptoError;

/// Everything that can be wrong with a JOSE object. Messages never contain key material.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoseError {
    /// Not a well-formed compact JWS / JWK; names the part.
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// The object exceeds our size bounds.
    #[error("JOSE object too large")]
    TooLarge,
    /// `alg: none` (RFC 7518 §3.6) is never accepted.
    #[error("unsecured JWS (alg none) rejected")]
    AlgNone,
    /// An `alg` we do not implement or the caller's policy does not allow.
    #[error("algorithm not allowed: {0}")]
    AlgorithmNotAllowed(String),
    /// RFC 7515 §4.1.11: a `crit` header we do not understand.
    #[error("unknown critical header {0}")]
    UnknownCrit(String),
    /// The header `alg` does not match the key's algorithm (e.g. HS/RS confusion).
    #[error("header alg does not match the key")]
    KeyMismatch,
    /// No key with the header's `kid`, or no single candidate key.
    #[error("no matching key")]
    KeyNotFound,
    /// Signature invalid.
    #[error("bad signature")]
    BadSignature,
    /// A JWE did not decrypt: wrong key, tampered header, key, IV, ciphertext or tag. One
    /// error for all, so nothing tells them apart (RFC 7516 §11.4, §11.5).
    #[error("JWE decryption failed")]
    Decryption,
    /// A JWT claim check failed; names the claim (RFC 7519 §4.1).
    #[error("invalid claim {0}")]
    InvalidClaim(&'static str),
    /// Crypto provider failure.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
}
