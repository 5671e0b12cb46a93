//! JWE key management on the pure-Rust provider: RSAES-OAEP (`rsa` 0.10, decryption blinded
//! with the caller's [`Random`]) and ECDH on P-256, P-384 and P-521.

use std::sync::Arc;

use p256::elliptic_curve::Generate as _;
use p256::elliptic_curve::sec1::ToSec1Point as _;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::traits::PublicKeyParts as _;
use rsa::{Oaep, PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey};

use super::encryption::{self, Curve, DecryptionKey, DecryptionKeyType, OaepHash};
use super::jwk_keys;
use super::rustcrypto::{RngAdapter, uint};
use super::{CryptoError, RecipientParts};
use crate::ctx::Random;
use crate::jose::Jwk;

/// A rustcrypto decryption key.
enum Private {
    Rsa(Box<RsaPrivateKey>),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
    P521(p521::SecretKey),
}

/// A rustcrypto private key that receives JWEs.
pub(crate) struct RcDecryptionKey(Private);

impl std::fmt::Debug for RcDecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RcDecryptionKey")
            .field("key_type", &self.key_type())
            .finish_non_exhaustive()
    }
}

const NOT_RSA: CryptoError = CryptoError::InvalidKey("not an RSA key");
const NOT_EC: CryptoError = CryptoError::InvalidKey("not an EC key");
const OFF_CURVE: CryptoError = CryptoError::InvalidKey("EC point not on the curve");
const DECRYPT: CryptoError = CryptoError::Failed("RSAES-OAEP decryption");

/// `Z` of ECDH between a secret scalar and a public point on one curve (RFC 7518 §4.6.2: the
/// x coordinate of the product). `from_sec1_bytes` refuses points off the curve and the
/// identity, so no invalid-curve point reaches the multiplication.
macro_rules! agree {
    ($curve:ident, $secret:expr, $point:expr) => {{
        let public = $curve::PublicKey::from_sec1_bytes($point).map_err(|_| OFF_CURVE)?;
        let shared = $curve::ecdh::diffie_hellman($secret.to_nonzero_scalar(), public.as_affine());
        Ok(shared.raw_secret_bytes().to_vec())
    }};
}

macro_rules! ec_point {
    ($secret:expr) => {
        $secret
            .public_key()
            .to_sec1_point(false)
            .as_bytes()
            .to_vec()
    };
}

impl DecryptionKey for RcDecryptionKey {
    fn key_type(&self) -> DecryptionKeyType {
        match &self.0 {
            Private::Rsa(_) => DecryptionKeyType::Rsa,
            Private::P256(_) => DecryptionKeyType::Ec(Curve::P256),
            Private::P384(_) => DecryptionKeyType::Ec(Curve::P384),
            Private::P521(_) => DecryptionKeyType::Ec(Curve::P521),
        }
    }

    fn public_jwk(&self) -> Jwk {
        match &self.0 {
            Private::Rsa(k) => encryption::rsa_jwk(&k.n_bytes(), &k.e_bytes()),
            Private::P256(k) => encryption::ec_jwk(Curve::P256, &ec_point!(k)),
            Private::P384(k) => encryption::ec_jwk(Curve::P384, &ec_point!(k)),
            Private::P521(k) => encryption::ec_jwk(Curve::P521, &ec_point!(k)),
        }
    }

    fn to_pkcs8_der(&self) -> Result<Vec<u8>, CryptoError> {
        let doc = match &self.0 {
            Private::Rsa(k) => k.to_pkcs8_der(),
            Private::P256(k) => k.to_pkcs8_der(),
            Private::P384(k) => k.to_pkcs8_der(),
            Private::P521(k) => k.to_pkcs8_der(),
        };
        doc.map(|d| d.as_bytes().to_vec())
            .map_err(|_| CryptoError::Failed("PKCS#8 encoding"))
    }

    fn rsa_oaep_decrypt(
        &self,
        hash: OaepHash,
        ciphertext: &[u8],
        rng: &dyn Random,
    ) -> Result<Vec<u8>, CryptoError> {
        let Private::Rsa(k) = &self.0 else {
            return Err(NOT_RSA);
        };
        let mut rng = RngAdapter(rng);
        match hash {
            OaepHash::Sha1 => k.decrypt_blinded(&mut rng, Oaep::<sha1::Sha1>::new(), ciphertext),
            OaepHash::Sha256 => {
                k.decrypt_blinded(&mut rng, Oaep::<sha2::Sha256>::new(), ciphertext)
            }
        }
        .map_err(|_| DECRYPT)
    }

    fn ecdh(&self, epk: &Jwk) -> Result<Vec<u8>, CryptoError> {
        let RecipientParts::Ec(curve, point) = encryption::recipient_parts(epk)? else {
            return Err(NOT_EC);
        };
        match (&self.0, curve) {
            (Private::P256(k), Curve::P256) => agree!(p256, k, &point),
            (Private::P384(k), Curve::P384) => agree!(p384, k, &point),
            (Private::P521(k), Curve::P521) => agree!(p521, k, &point),
            _ => Err(CryptoError::InvalidKey("epk is not on the key's curve")),
        }
    }
}

fn key(private: Private) -> Arc<dyn DecryptionKey> {
    Arc::new(RcDecryptionKey(private))
}

fn rsa(k: RsaPrivateKey) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
    jwk_keys::check_rsa_modulus(&k.n_bytes())?;
    Ok(key(Private::Rsa(Box::new(k))))
}

/// RSAES-OAEP encryption to a public JWK.
pub(crate) fn rsa_oaep_encrypt(
    jwk: &Jwk,
    hash: OaepHash,
    msg: &[u8],
    rng: &dyn Random,
) -> Result<Vec<u8>, CryptoError> {
    let RecipientParts::Rsa { n, e } = encryption::recipient_parts(jwk)? else {
        return Err(NOT_RSA);
    };
    let public = RsaPublicKey::new(uint(&n), uint(&e))
        .map_err(|_| CryptoError::InvalidKey("RSA public key"))?;
    let mut rng = RngAdapter(rng);
    match hash {
        OaepHash::Sha1 => public.encrypt(&mut rng, Oaep::<sha1::Sha1>::new(), msg),
        OaepHash::Sha256 => public.encrypt(&mut rng, Oaep::<sha2::Sha256>::new(), msg),
    }
    .map_err(|_| CryptoError::Failed("RSAES-OAEP encryption"))
}

/// A fresh key pair on the recipient's curve: `(epk, Z)`.
pub(crate) fn ecdh_ephemeral(jwk: &Jwk, rng: &dyn Random) -> Result<(Jwk, Vec<u8>), CryptoError> {
    let RecipientParts::Ec(curve, point) = encryption::recipient_parts(jwk)? else {
        return Err(NOT_EC);
    };
    let private = generate(DecryptionKeyType::Ec(curve), rng)?;
    let z = private.ecdh(&encryption::ec_jwk(curve, &point))?;
    Ok((private.public_jwk(), z))
}

/// A new decryption key.
pub(crate) fn generate(
    key_type: DecryptionKeyType,
    rng: &dyn Random,
) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
    let mut rng = RngAdapter(rng);
    Ok(key(match key_type {
        DecryptionKeyType::Ec(Curve::P256) => {
            Private::P256(p256::SecretKey::generate_from_rng(&mut rng))
        }
        DecryptionKeyType::Ec(Curve::P384) => {
            Private::P384(p384::SecretKey::generate_from_rng(&mut rng))
        }
        DecryptionKeyType::Ec(Curve::P521) => {
            Private::P521(p521::SecretKey::generate_from_rng(&mut rng))
        }
        DecryptionKeyType::Rsa => {
            let k = RsaPrivateKey::new(&mut rng, jwk_keys::MIN_RSA_BITS)
                .map_err(|_| CryptoError::Failed("RSA key generation"))?;
            Private::Rsa(Box::new(k))
        }
    }))
}

/// A decryption key from PKCS#8 DER.
pub(crate) fn from_pkcs8(
    key_type: DecryptionKeyType,
    der: &[u8],
) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
    const BAD: CryptoError = CryptoError::InvalidKey("PKCS#8 does not hold a key of this type");
    Ok(key(match key_type {
        DecryptionKeyType::Ec(Curve::P256) => {
            Private::P256(p256::SecretKey::from_pkcs8_der(der).map_err(|_| BAD)?)
        }
        DecryptionKeyType::Ec(Curve::P384) => {
            Private::P384(p384::SecretKey::from_pkcs8_der(der).map_err(|_| BAD)?)
        }
        DecryptionKeyType::Ec(Curve::P521) => {
            Private::P521(p521::SecretKey::from_pkcs8_der(der).map_err(|_| BAD)?)
        }
        DecryptionKeyType::Rsa => return rsa(RsaPrivateKey::from_pkcs8_der(der).map_err(|_| BAD)?),
    }))
}

/// An EC secret scalar `d`, checked against the JWK's public point.
macro_rules! ec_from_jwk {
    ($curve:ident, $variant:ident, $d:expr, $point:expr) => {{
        let k = $curve::SecretKey::from_slice(&$d)
            .map_err(|_| CryptoError::InvalidKey("EC private scalar"))?;
        if ec_point!(k) != $point {
            return Err(CryptoError::InvalidKey("EC private and public keys differ"));
        }
        Ok(key(Private::$variant(k)))
    }};
}

/// A decryption key from a private JWK.
pub(crate) fn from_jwk(jwk: &serde_json::Value) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
    let (key_type, jwk) = encryption::private_jwk_type(jwk)?;
    match key_type {
        DecryptionKeyType::Ec(curve) => {
            let alg = curve.ecdsa();
            let point = jwk_keys::uncompressed_point(alg, &jwk.bytes("x")?, &jwk.bytes("y")?)?;
            let d = jwk.bytes("d")?;
            if Some(d.len()) != jwk_keys::ec_field_len(alg) {
                return Err(CryptoError::InvalidKey("EC private scalar length"));
            }
            match curve {
                Curve::P256 => ec_from_jwk!(p256, P256, d, point),
                Curve::P384 => ec_from_jwk!(p384, P384, d, point),
                Curve::P521 => ec_from_jwk!(p521, P521, d, point),
            }
        }
        DecryptionKeyType::Rsa => rsa(super::rustcrypto::rsa_private(&jwk)?),
    }
}
