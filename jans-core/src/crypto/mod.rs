//! The `CryptoProvider` seam (DESIGN.md §5): every asymmetric signature, verification and key
//! generation goes through a provider value, as in rustls. Two providers exist:
//! [`rustcrypto`] (pure Rust) and `aws_lc` (aws-lc-rs), chosen by cargo feature.

use std::fmt;
use std::sync::Arc;

use crate::ctx::Random;
use crate::jose::{Algorithm, Jwk};

#[cfg(feature = "aws_lc")]
pub mod aws_lc;
#[cfg(feature = "aws_lc")]
mod aws_lc_enc;
mod encryption;
pub use encryption::{Curve, DecryptionKey, DecryptionKeyType, OaepHash};
pub(crate) use encryption::{RecipientParts, der_tlv};
mod jwk_keys;
#[cfg(feature = "rustcrypto")]
pub mod rustcrypto;
#[cfg(feature = "rustcrypto")]
mod rustcrypto_enc;
/// A provider's key bound to the one algorithm it is used with (RFC 7518 §3.1: a key
/// serves one `alg`). Debug output names the algorithm and never the key material.
pub(crate) struct AlgKey<K> {
    pub(crate) alg: crate::jose::Algorithm,
    pub(crate) key: K,
}

impl<K> std::fmt::Debug for AlgKey<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlgKey")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
pub(crate) mod tests;

/// Errors from a crypto provider. Messages never contain key material.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CryptoError {
    /// The provider does not implement this algorithm (or it is symmetric).
    #[error("unsupported algorithm {0}")]
    Unsupported(Algorithm),
    /// The key does not fit the algorithm (wrong kty/crv, RSA modulus under 2048 bits, bad encoding).
    #[error("invalid key: {0}")]
    InvalidKey(&'static str),
    /// The signature did not verify.
    #[error("signature verification failed")]
    BadSignature,
    /// The underlying library failed to sign or generate.
    #[error("crypto operation failed: {0}")]
    Failed(&'static str),
}

/// A cryptographic back end. Object safe; shared as `Arc<dyn CryptoProvider>`.
pub trait CryptoProvider: Send + Sync + fmt::Debug {
    /// Short name: `"rustcrypto"` or `"aws_lc"`.
    fn name(&self) -> &'static str;

    /// Generate a new key pair for an asymmetric `alg` (RSA keys are 2048 bits).
    fn generate(
        &self,
        alg: Algorithm,
        rng: &dyn Random,
    ) -> Result<Arc<dyn SigningKey>, CryptoError>;

    /// Load a private key from PKCS#8 v1/v2 DER (what [`SigningKey::to_pkcs8_der`] wrote).
    fn signing_key_from_pkcs8(
        &self,
        alg: Algorithm,
        der: &[u8],
    ) -> Result<Arc<dyn SigningKey>, CryptoError>;

    /// Load a private key from a private JWK (RFC 7518 §6.2.2 / §6.3.2, RFC 8037 §2).
    fn signing_key_from_jwk(
        &self,
        alg: Algorithm,
        jwk: &serde_json::Value,
    ) -> Result<Arc<dyn SigningKey>, CryptoError>;

    /// A verifier for `alg` from a public JWK. The JWK's `kty`/`crv` must fit `alg`
    /// (RFC 7518 §3); RSA moduli under 2048 bits are refused.
    fn verifying_key(
        &self,
        alg: Algorithm,
        jwk: &Jwk,
    ) -> Result<Arc<dyn VerifyingKey>, CryptoError>;

    /// Verify an RSASSA-PKCS1-v1_5 signature with SHA-1 (COSE `RS1`, -65535; RFC 8812 §2
    /// deprecates it) by the RSA key `jwk`: what older TPMs sign attestations with
    /// (WebAuthn Level 3 §8.3). Verification only, and never a JOSE algorithm: it is not
    /// an [`Algorithm`], so no token can name it.
    fn verify_legacy_rs1(&self, jwk: &Jwk, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError>;

    /// Verify an ECDSA signature (ASN.1 DER `Ecdsa-Sig-Value`) by the EC key `jwk`
    /// over `msg` hashed with `hash`, whatever the curve: X.509 pairs curves and hashes
    /// freely (RFC 5758 §3.2), as JOSE algorithms do not (Apple's WebAuthn CA, a P-384 key,
    /// signs with SHA-256).
    fn verify_ecdsa(
        &self,
        jwk: &Jwk,
        hash: Hash,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError>;

    /// RSAES-OAEP encryption of `msg` (a content key) to the RSA public JWK `jwk`
    /// (RFC 7518 §4.3); any `use` of the key must be `enc`.
    fn rsa_oaep_encrypt(
        &self,
        jwk: &Jwk,
        hash: OaepHash,
        msg: &[u8],
        rng: &dyn Random,
    ) -> Result<Vec<u8>, CryptoError>;

    /// An ephemeral-static ECDH with the EC public JWK `jwk` (RFC 7518 §4.6): a new key pair
    /// on its curve, whose public half is returned as the `epk` JWK, and the shared secret `Z`.
    fn ecdh_ephemeral(&self, jwk: &Jwk, rng: &dyn Random) -> Result<(Jwk, Vec<u8>), CryptoError>;

    /// Generate a decryption key (RSA keys are 2048 bits).
    fn generate_decryption_key(
        &self,
        key_type: DecryptionKeyType,
        rng: &dyn Random,
    ) -> Result<Arc<dyn DecryptionKey>, CryptoError>;

    /// Load a decryption key from PKCS#8 DER (what [`DecryptionKey::to_pkcs8_der`] wrote).
    fn decryption_key_from_pkcs8(
        &self,
        key_type: DecryptionKeyType,
        der: &[u8],
    ) -> Result<Arc<dyn DecryptionKey>, CryptoError>;

    /// Load a decryption key from a private RSA or EC JWK (RFC 7518 §6.2.2, §6.3.2).
    fn decryption_key_from_jwk(
        &self,
        jwk: &serde_json::Value,
    ) -> Result<Arc<dyn DecryptionKey>, CryptoError>;
}

/// A hash function, for [`CryptoProvider::verify_ecdsa`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256
    Sha256,
    /// SHA-384
    Sha384,
    /// SHA-512
    Sha512,
}

/// The JOSE algorithm of the EC key `jwk`'s curve (whose `r || s` width it fixes).
pub fn ec_algorithm(jwk: &Jwk) -> Result<Algorithm, CryptoError> {
    match jwk.crv.as_deref() {
        Some("P-256") => Ok(Algorithm::ES256),
        Some("P-384") => Ok(Algorithm::ES384),
        Some("P-521") => Ok(Algorithm::ES512),
        _ => Err(CryptoError::InvalidKey("not a NIST P curve")),
    }
}

/// A private key bound to one algorithm.
pub trait SigningKey: Send + Sync + fmt::Debug {
    /// The one algorithm this key signs with.
    fn algorithm(&self) -> Algorithm;
    /// The JWS signature over `msg` (RFC 7518 §3: ECDSA as fixed-size `R || S`).
    fn sign(&self, msg: &[u8], rng: &dyn Random) -> Result<Vec<u8>, CryptoError>;
    /// The public half as a JWK with `kty`, key parameters, `alg` and `use: "sig"`; no `kid`.
    fn public_jwk(&self) -> Jwk;
    /// The private key as PKCS#8 DER, for encrypted storage.
    fn to_pkcs8_der(&self) -> Result<Vec<u8>, CryptoError>;
}

/// A public key bound to one algorithm.
pub trait VerifyingKey: Send + Sync + fmt::Debug {
    /// The one algorithm this key verifies.
    fn algorithm(&self) -> Algorithm;
    /// Ok when `sig` is a valid JWS signature of `msg`.
    fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError>;
}

/// The provider the build prefers: `aws_lc` when enabled, else `rustcrypto`.
pub fn default_provider() -> Arc<dyn CryptoProvider> {
    #[cfg(feature = "aws_lc")]
    {
        Arc::new(aws_lc::AwsLcProvider)
    }
    #[cfg(all(not(feature = "aws_lc"), feature = "rustcrypto"))]
    {
        Arc::new(rustcrypto::RustCryptoProvider)
    }
}

#[cfg(not(any(feature = "aws_lc", feature = "rustcrypto")))]
compile_error!("enable at least one crypto provider feature: `rustcrypto` or `aws_lc`");
