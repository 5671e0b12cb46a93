//! JWE key management on the aws-lc-rs provider: RSAES-OAEP and ECDH on P-256, P-384 and
//! P-521. aws-lc draws its own randomness (see [`super::aws_lc`]), so the [`Random`]
//! arguments are not used here.

use std::sync::Arc;

use aws_lc_rs::agreement::{self, ECDH_P256, ECDH_P384, ECDH_P521, UnparsedPublicKey};
use aws_lc_rs::encoding::{AsDer as _, Pkcs8V1Der};
use aws_lc_rs::rsa::{
    KeyPair as RsaKeyPair, KeySize, OAEP_SHA1_MGF1SHA1, OAEP_SHA256_MGF1SHA256, OaepAlgorithm,
    OaepPrivateDecryptingKey, OaepPublicEncryptingKey, PrivateDecryptingKey, PublicEncryptingKey,
};
use aws_lc_rs::signature::KeyPair as _;

use super::encryption::{self, Curve, DecryptionKey, DecryptionKeyType, OaepHash};
use super::{CryptoError, RecipientParts, jwk_keys};
use crate::ctx::Random;
use crate::jose::Jwk;

enum Private {
    /// The key pair (its public components and PKCS#8) and the same key for OAEP.
    Rsa(Box<RsaKeyPair>, OaepPrivateDecryptingKey),
    Ec(Curve, agreement::PrivateKey),
}

/// An aws-lc-rs private key that receives JWEs.
pub(crate) struct AwsDecryptionKey(Private);

impl std::fmt::Debug for AwsDecryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsDecryptionKey")
            .field("key_type", &self.key_type())
            .finish_non_exhaustive()
    }
}

const NOT_RSA: CryptoError = CryptoError::InvalidKey("not an RSA key");
const NOT_EC: CryptoError = CryptoError::InvalidKey("not an EC key");
const FAILED: CryptoError = CryptoError::Failed("aws-lc key operation");

fn oaep(hash: OaepHash) -> &'static OaepAlgorithm {
    match hash {
        OaepHash::Sha1 => &OAEP_SHA1_MGF1SHA1,
        OaepHash::Sha256 => &OAEP_SHA256_MGF1SHA256,
    }
}

fn ecdh_alg(curve: Curve) -> &'static agreement::Algorithm {
    match curve {
        Curve::P256 => &ECDH_P256,
        Curve::P384 => &ECDH_P384,
        Curve::P521 => &ECDH_P521,
    }
}

fn ec_public_point(k: &agreement::PrivateKey) -> Result<Vec<u8>, CryptoError> {
    Ok(k.compute_public_key()
        .map_err(|_| FAILED)?
        .as_ref()
        .to_vec())
}

/// `Z` of ECDH: parsing the peer's point checks it lies on the curve.
fn agree(k: &agreement::PrivateKey, curve: Curve, point: &[u8]) -> Result<Vec<u8>, CryptoError> {
    agreement::agree(
        k,
        UnparsedPublicKey::new(ecdh_alg(curve), point),
        CryptoError::InvalidKey("EC point not on the curve"),
        |z| Ok(z.to_vec()),
    )
}

impl DecryptionKey for AwsDecryptionKey {
    fn key_type(&self) -> DecryptionKeyType {
        match &self.0 {
            Private::Rsa(..) => DecryptionKeyType::Rsa,
            Private::Ec(c, _) => DecryptionKeyType::Ec(*c),
        }
    }

    fn public_jwk(&self) -> Jwk {
        match &self.0 {
            Private::Rsa(k, _) => {
                let public = k.public_key();
                encryption::rsa_jwk(
                    public.modulus().big_endian_without_leading_zero(),
                    public.exponent().big_endian_without_leading_zero(),
                )
            }
            Private::Ec(c, k) => encryption::ec_jwk(*c, &ec_public_point(k).unwrap_or_default()),
        }
    }

    fn to_pkcs8_der(&self) -> Result<Vec<u8>, CryptoError> {
        let der: Pkcs8V1Der<'static> = match &self.0 {
            Private::Rsa(k, _) => k.as_der(),
            Private::Ec(_, k) => k.as_der(),
        }
        .map_err(|_| CryptoError::Failed("PKCS#8 encoding"))?;
        Ok(der.as_ref().to_vec())
    }

    fn rsa_oaep_decrypt(
        &self,
        hash: OaepHash,
        ciphertext: &[u8],
        _rng: &dyn Random,
    ) -> Result<Vec<u8>, CryptoError> {
        let Private::Rsa(_, k) = &self.0 else {
            return Err(NOT_RSA);
        };
        let mut out = vec![0u8; k.min_output_size()];
        let len = k
            .decrypt(oaep(hash), ciphertext, &mut out, None)
            .map_err(|_| CryptoError::Failed("RSAES-OAEP decryption"))?
            .len();
        out.truncate(len);
        Ok(out)
    }

    fn ecdh(&self, epk: &Jwk) -> Result<Vec<u8>, CryptoError> {
        let Private::Ec(curve, k) = &self.0 else {
            return Err(NOT_EC);
        };
        match encryption::recipient_parts(epk)? {
            RecipientParts::Ec(c, point) if c == *curve => agree(k, c, &point),
            _ => Err(CryptoError::InvalidKey("epk is not on the key's curve")),
        }
    }
}

fn rsa(pair: RsaKeyPair) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
    jwk_keys::check_rsa_modulus(
        pair.public_key()
            .modulus()
            .big_endian_without_leading_zero(),
    )?;
    let der: Pkcs8V1Der<'static> = pair.as_der().map_err(|_| FAILED)?;
    let oaep = PrivateDecryptingKey::from_pkcs8(der.as_ref())
        .ok()
        .and_then(|k| OaepPrivateDecryptingKey::new(k).ok())
        .ok_or(CryptoError::InvalidKey("RSA key for OAEP"))?;
    Ok(Arc::new(AwsDecryptionKey(Private::Rsa(
        Box::new(pair),
        oaep,
    ))))
}

fn ec(curve: Curve, k: agreement::PrivateKey) -> Arc<dyn DecryptionKey> {
    Arc::new(AwsDecryptionKey(Private::Ec(curve, k)))
}

/// RSAES-OAEP encryption to a public JWK.
pub(crate) fn rsa_oaep_encrypt(
    jwk: &Jwk,
    hash: OaepHash,
    msg: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let RecipientParts::Rsa { n, e } = encryption::recipient_parts(jwk)? else {
        return Err(NOT_RSA);
    };
    let key = PublicEncryptingKey::from_der(&encryption::rsa_spki_der(&n, &e))
        .ok()
        .and_then(|k| OaepPublicEncryptingKey::new(k).ok())
        .ok_or(CryptoError::InvalidKey("RSA public key"))?;
    let mut out = vec![0u8; key.ciphertext_size()];
    let len = key
        .encrypt(oaep(hash), msg, &mut out, None)
        .map_err(|_| CryptoError::Failed("RSAES-OAEP encryption"))?
        .len();
    out.truncate(len);
    Ok(out)
}

/// A fresh key pair on the recipient's curve: `(epk, Z)`.
pub(crate) fn ecdh_ephemeral(jwk: &Jwk) -> Result<(Jwk, Vec<u8>), CryptoError> {
    let RecipientParts::Ec(curve, point) = encryption::recipient_parts(jwk)? else {
        return Err(NOT_EC);
    };
    let k = agreement::PrivateKey::generate(ecdh_alg(curve)).map_err(|_| FAILED)?;
    let z = agree(&k, curve, &point)?;
    Ok((encryption::ec_jwk(curve, &ec_public_point(&k)?), z))
}

/// A new decryption key.
pub(crate) fn generate(key_type: DecryptionKeyType) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
    match key_type {
        DecryptionKeyType::Rsa => rsa(RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| FAILED)?),
        DecryptionKeyType::Ec(c) => Ok(ec(
            c,
            agreement::PrivateKey::generate(ecdh_alg(c)).map_err(|_| FAILED)?,
        )),
    }
}

/// A decryption key from PKCS#8 DER.
pub(crate) fn from_pkcs8(
    key_type: DecryptionKeyType,
    der: &[u8],
) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
    const BAD: CryptoError = CryptoError::InvalidKey("PKCS#8 does not hold a key of this type");
    match key_type {
        DecryptionKeyType::Rsa => rsa(RsaKeyPair::from_pkcs8(der).map_err(|_| BAD)?),
        DecryptionKeyType::Ec(c) => Ok(ec(
            c,
            agreement::PrivateKey::from_private_key_der(ecdh_alg(c), der).map_err(|_| BAD)?,
        )),
    }
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
            let k = agreement::PrivateKey::from_private_key(ecdh_alg(curve), &d)
                .map_err(|_| CryptoError::InvalidKey("EC private scalar"))?;
            if ec_public_point(&k)? != point {
                return Err(CryptoError::InvalidKey("EC private and public keys differ"));
            }
            Ok(ec(curve, k))
        }
        DecryptionKeyType::Rsa => rsa(super::aws_lc::rsa_pair(&jwk)?),
    }
}
