//! The asymmetric halves of JWE key management (RFC 7518 §4.3 RSAES-OAEP, §4.6 ECDH-ES) that
//! every [`CryptoProvider`](super::CryptoProvider) implements: encrypting a content key to a
//! recipient's public JWK, an ephemeral key agreement with it, and our own decryption keys.
//! The symmetric parts (AES key wrap, content encryption, the Concat KDF) are in
//! [`crate::jose::jwe`].

use std::fmt;

use super::CryptoError;
use super::jwk_keys::{self, PrivateJwk};
use crate::jose::{Algorithm, Jwk};

/// The hash of RSAES-OAEP and its MGF1 (RFC 8017 §7.1): `RSA-OAEP` uses SHA-1, `RSA-OAEP-256`
/// SHA-256 (RFC 7518 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OaepHash {
    /// SHA-1 (`RSA-OAEP`).
    Sha1,
    /// SHA-256 (`RSA-OAEP-256`).
    Sha256,
}

/// A NIST curve for ECDH-ES (RFC 7518 §4.6: P-256, P-384 and P-521).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Curve {
    /// P-256
    P256,
    /// P-384
    P384,
    /// P-521
    P521,
}

impl Curve {
    /// The JWK `crv` name (RFC 7518 §6.2.1.1).
    pub fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }

    /// The curve a JWK `crv` names.
    pub fn from_name(crv: &str) -> Option<Curve> {
        match crv {
            "P-256" => Some(Curve::P256),
            "P-384" => Some(Curve::P384),
            "P-521" => Some(Curve::P521),
            _ => None,
        }
    }

    /// The ECDSA algorithm on the same curve: it fixes the coordinate width.
    pub(crate) fn ecdsa(self) -> Algorithm {
        match self {
            Curve::P256 => Algorithm::ES256,
            Curve::P384 => Algorithm::ES384,
            Curve::P521 => Algorithm::ES512,
        }
    }
}

/// The kind of a decryption key: RSA (for RSAES-OAEP) or EC on a curve (for ECDH-ES).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DecryptionKeyType {
    /// An RSA key of at least 2048 bits.
    Rsa,
    /// An EC key on a NIST curve.
    Ec(Curve),
}

/// A private key that receives JWEs. Debug output never shows key material.
pub trait DecryptionKey: Send + Sync + fmt::Debug {
    /// What kind of key this is.
    fn key_type(&self) -> DecryptionKeyType;
    /// The public half as a JWK with `kty` and the key parameters only (no `alg`, `use`, `kid`).
    fn public_jwk(&self) -> Jwk;
    /// The private key as PKCS#8 DER, for sealed storage.
    fn to_pkcs8_der(&self) -> Result<Vec<u8>, CryptoError>;
    /// RSAES-OAEP decryption of an encrypted content key (RFC 7518 §4.3), blinded with
    /// `rng` where the provider takes one. Fails for EC keys.
    fn rsa_oaep_decrypt(
        &self,
        hash: OaepHash,
        ciphertext: &[u8],
        rng: &dyn crate::ctx::Random,
    ) -> Result<Vec<u8>, CryptoError>;
    /// The ECDH shared secret `Z` with the sender's ephemeral public key `epk` (RFC 7518
    /// §4.6.2), which must be a valid point on this key's curve. Fails for RSA keys.
    fn ecdh(&self, epk: &Jwk) -> Result<Vec<u8>, CryptoError>;
}

/// The key material of a recipient's public JWK: `kty`, `crv` and the members checked, and
/// any `use` must be `enc` (RFC 7517 §4.2).
pub(crate) enum RecipientParts {
    /// RSA: modulus (at least 2048 bits) and exponent, big-endian.
    Rsa {
        /// Modulus.
        n: Vec<u8>,
        /// Public exponent.
        e: Vec<u8>,
    },
    /// EC: the curve and the uncompressed SEC1 point.
    Ec(Curve, Vec<u8>),
}

/// The checked key material of a public encryption JWK.
pub(crate) fn recipient_parts(jwk: &Jwk) -> Result<RecipientParts, CryptoError> {
    if matches!(jwk.use_.as_deref(), Some(u) if u != "enc") {
        return Err(CryptoError::InvalidKey("JWK use is not enc"));
    }
    match jwk.kty.as_str() {
        "RSA" => {
            let n = jwk_keys::public_member(&jwk.n, "jwk n")?;
            let e = jwk_keys::public_member(&jwk.e, "jwk e")?;
            jwk_keys::check_rsa_modulus(&n)?;
            Ok(RecipientParts::Rsa { n, e })
        }
        "EC" => {
            let curve = jwk
                .crv
                .as_deref()
                .and_then(Curve::from_name)
                .ok_or(CryptoError::InvalidKey("EC curve for ECDH-ES"))?;
            let x = jwk_keys::public_member(&jwk.x, "jwk x")?;
            let y = jwk_keys::public_member(&jwk.y, "jwk y")?;
            let point = jwk_keys::uncompressed_point(curve.ecdsa(), &x, &y)?;
            Ok(RecipientParts::Ec(curve, point))
        }
        _ => Err(CryptoError::InvalidKey("JWK kty for encryption")),
    }
}

/// A public EC JWK `{kty, crv, x, y}` of an uncompressed point, as `epk` is sent.
pub(crate) fn ec_jwk(curve: Curve, point: &[u8]) -> Jwk {
    let mut jwk = jwk_keys::ec_public_jwk(curve.ecdsa(), point);
    jwk.alg = None;
    jwk.use_ = None;
    jwk
}

/// A public RSA JWK `{kty, n, e}`.
pub(crate) fn rsa_jwk(n: &[u8], e: &[u8]) -> Jwk {
    let mut jwk = jwk_keys::rsa_public_jwk(Algorithm::RS256, n, e);
    jwk.alg = None;
    jwk.use_ = None;
    jwk
}

/// The kind of a private JWK, and its envelope checked: `use`, when present, is `enc`.
pub(crate) fn private_jwk_type(
    jwk: &serde_json::Value,
) -> Result<(DecryptionKeyType, PrivateJwk<'_>), CryptoError> {
    let kty = jwk.get("kty").and_then(serde_json::Value::as_str);
    let key_type = match kty {
        Some("RSA") => DecryptionKeyType::Rsa,
        Some("EC") => DecryptionKeyType::Ec(
            jwk.get("crv")
                .and_then(serde_json::Value::as_str)
                .and_then(Curve::from_name)
                .ok_or(CryptoError::InvalidKey("EC curve for ECDH-ES"))?,
        ),
        _ => return Err(CryptoError::InvalidKey("JWK kty for encryption")),
    };
    Ok((key_type, PrivateJwk::for_encryption(jwk)?))
}

/// One DER TLV (X.690 §8.1: tag, definite length, contents).
pub(crate) fn der_tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// `SubjectPublicKeyInfo` DER of an RSA public key (RFC 8017 A.1.1 inside RFC 5280 §4.1.2.7),
/// for libraries that take keys only in that form.
#[cfg_attr(not(feature = "aws_lc"), allow(dead_code))]
pub(crate) fn rsa_spki_der(n: &[u8], e: &[u8]) -> Vec<u8> {
    fn integer(be: &[u8]) -> Vec<u8> {
        let v = jwk_keys::strip_leading_zeros(be);
        let mut body = Vec::with_capacity(v.len() + 1);
        if v.first().is_none_or(|b| b & 0x80 != 0) {
            body.push(0);
        }
        body.extend_from_slice(v);
        der_tlv(0x02, &body)
    }
    // rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters.
    const ALGORITHM: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let key = der_tlv(0x30, &[integer(n), integer(e)].concat());
    let mut bits = vec![0u8];
    bits.extend_from_slice(&key);
    der_tlv(0x30, &[ALGORITHM.to_vec(), der_tlv(0x03, &bits)].concat())
}
