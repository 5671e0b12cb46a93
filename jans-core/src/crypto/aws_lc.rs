//! The aws-lc-rs provider (DESIGN.md §5): several times faster signing than the pure-Rust
//! provider and constant-time RSA.
//!
//! aws-lc-rs draws randomness (key generation, PSS salts, ECDSA nonces) from its own internal
//! DRBG, seeded from the operating system; it does not accept an external generator, so the
//! [`Random`] passed to [`CryptoProvider::generate`] and [`SigningKey::sign`] is ignored here.
//! That is acceptable for production; tests that need reproducible keys use the rustcrypto
//! provider or load fixed keys.

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer as _;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPairComponents, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    self as sig, EcdsaKeyPair, EcdsaSigningAlgorithm, EcdsaVerificationAlgorithm, Ed25519KeyPair,
    KeyPair as _, ParsedPublicKey, RsaEncoding, RsaKeyPair, RsaParameters,
};

use super::jwk_keys::{self, PrivateJwk, PublicParts};
use super::{
    AlgKey, CryptoError, CryptoProvider, DecryptionKey, DecryptionKeyType, OaepHash, SigningKey,
    VerifyingKey, aws_lc_enc,
};
use crate::ctx::Random;
use crate::jose::{Algorithm, Jwk};

/// The aws-lc-rs [`CryptoProvider`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AwsLcProvider;

enum Private {
    Rsa(RsaKeyPair, &'static dyn RsaEncoding),
    Ec(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

/// An aws-lc-rs private key bound to one algorithm.
type AwsSigningKey = AlgKey<Private>;

/// An aws-lc-rs public key, parsed once, bound to one algorithm.
type AwsVerifyingKey = AlgKey<ParsedPublicKey>;

/// RFC 7518 §3.3 / §3.5 signing encodings (PSS salt = hash length, aws-lc's default).
fn rsa_encoding(alg: Algorithm) -> Option<&'static dyn RsaEncoding> {
    Some(match alg {
        Algorithm::RS256 => &sig::RSA_PKCS1_SHA256,
        Algorithm::RS384 => &sig::RSA_PKCS1_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_SHA384,
        Algorithm::PS512 => &sig::RSA_PSS_SHA512,
        _ => return None,
    })
}

/// RSA verification parameters; all refuse moduli under 2048 bits.
fn rsa_params(alg: Algorithm) -> Option<&'static RsaParameters> {
    Some(match alg {
        Algorithm::RS256 => &sig::RSA_PKCS1_2048_8192_SHA256,
        Algorithm::RS384 => &sig::RSA_PKCS1_2048_8192_SHA384,
        Algorithm::RS512 => &sig::RSA_PKCS1_2048_8192_SHA512,
        Algorithm::PS256 => &sig::RSA_PSS_2048_8192_SHA256,
        Algorithm::PS384 => &sig::RSA_PSS_2048_8192_SHA384,
        Algorithm::PS512 => &sig::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// RFC 7518 §3.4: ECDSA with fixed-size `R || S` signatures.
fn ec_signing(alg: Algorithm) -> Option<&'static EcdsaSigningAlgorithm> {
    Some(match alg {
        Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED_SIGNING,
        Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED_SIGNING,
        Algorithm::ES512 => &sig::ECDSA_P521_SHA512_FIXED_SIGNING,
        _ => return None,
    })
}

fn ec_verification(alg: Algorithm) -> Option<&'static EcdsaVerificationAlgorithm> {
    Some(match alg {
        Algorithm::ES256 => &sig::ECDSA_P256_SHA256_FIXED,
        Algorithm::ES384 => &sig::ECDSA_P384_SHA384_FIXED,
        Algorithm::ES512 => &sig::ECDSA_P521_SHA512_FIXED,
        _ => return None,
    })
}

impl SigningKey for AwsSigningKey {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }

    fn sign(&self, msg: &[u8], _rng: &dyn Random) -> Result<Vec<u8>, CryptoError> {
        const FAILED: CryptoError = CryptoError::Failed("aws-lc signing");
        match &self.key {
            Private::Rsa(k, encoding) => {
                let mut out = vec![0u8; k.public_modulus_len()];
                k.sign(*encoding, &SystemRandom::new(), msg, &mut out)
                    .map_err(|_| FAILED)?;
                Ok(out)
            }
            Private::Ec(k) => Ok(k
                .sign(&SystemRandom::new(), msg)
                .map_err(|_| FAILED)?
                .as_ref()
                .to_vec()),
            Private::Ed25519(k) => Ok(k.sign(msg).as_ref().to_vec()),
        }
    }

    fn public_jwk(&self) -> Jwk {
        match &self.key {
            Private::Rsa(k, _) => {
                let public = k.public_key();
                jwk_keys::rsa_public_jwk(
                    self.alg,
                    public.modulus().big_endian_without_leading_zero(),
                    public.exponent().big_endian_without_leading_zero(),
                )
            }
            Private::Ec(k) => jwk_keys::ec_public_jwk(self.alg, k.public_key().as_ref()),
            Private::Ed25519(k) => jwk_keys::okp_public_jwk(k.public_key().as_ref()),
        }
    }

    fn to_pkcs8_der(&self) -> Result<Vec<u8>, CryptoError> {
        const FAILED: CryptoError = CryptoError::Failed("PKCS#8 encoding");
        match &self.key {
            Private::Rsa(k, _) => {
                let der: aws_lc_rs::encoding::Pkcs8V1Der<'static> =
                    k.as_der().map_err(|_| FAILED)?;
                Ok(der.as_ref().to_vec())
            }
            Private::Ec(k) => Ok(k.to_pkcs8v1().map_err(|_| FAILED)?.as_ref().to_vec()),
            // v1, byte-identical to what the rustcrypto provider writes.
            Private::Ed25519(k) => Ok(k.to_pkcs8v1().map_err(|_| FAILED)?.as_ref().to_vec()),
        }
    }
}

impl VerifyingKey for AwsVerifyingKey {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        self.key
            .verify_sig(msg, sig)
            .map_err(|_| CryptoError::BadSignature)
    }
}

fn signing(alg: Algorithm, key: Private) -> Arc<dyn SigningKey> {
    Arc::new(AwsSigningKey { alg, key })
}

fn rsa_key(alg: Algorithm, key: RsaKeyPair) -> Result<Arc<dyn SigningKey>, CryptoError> {
    let encoding = rsa_encoding(alg).ok_or(CryptoError::Unsupported(alg))?;
    if key.public_modulus_len() * 8 < jwk_keys::MIN_RSA_BITS {
        return Err(CryptoError::InvalidKey("RSA modulus under 2048 bits"));
    }
    jwk_keys::check_rsa_modulus(key.public_key().modulus().big_endian_without_leading_zero())?;
    Ok(signing(alg, Private::Rsa(key, encoding)))
}

/// An RSA key pair from a private JWK (RFC 7518 §6.3.2): aws-lc needs the full CRT form
/// (p, q, dp, dq, qi).
pub(crate) fn rsa_pair(jwk: &PrivateJwk<'_>) -> Result<RsaKeyPair, CryptoError> {
    jwk.refuse_oth()?;
    let n = jwk.bytes("n")?;
    let e = jwk.bytes("e")?;
    jwk_keys::check_rsa_modulus(&n)?;
    let components = KeyPairComponents {
        public_key: PublicKeyComponents {
            n: jwk_keys::strip_leading_zeros(&n),
            e: jwk_keys::strip_leading_zeros(&e),
        },
        d: jwk.bytes("d")?,
        p: jwk.bytes("p")?,
        q: jwk.bytes("q")?,
        dP: jwk.bytes("dp")?,
        dQ: jwk.bytes("dq")?,
        qInv: jwk.bytes("qi")?,
    };
    RsaKeyPair::from_components(&components)
        .map_err(|_| CryptoError::InvalidKey("inconsistent RSA private JWK"))
}

impl CryptoProvider for AwsLcProvider {
    fn name(&self) -> &'static str {
        "aws_lc"
    }

    /// Generates with aws-lc's internal DRBG; `rng` is not used (see the module docs).
    fn generate(
        &self,
        alg: Algorithm,
        _rng: &dyn Random,
    ) -> Result<Arc<dyn SigningKey>, CryptoError> {
        const FAILED: CryptoError = CryptoError::Failed("aws-lc key generation");
        match jwk_keys::asymmetric(alg)? {
            Algorithm::EdDSA => Ok(signing(
                alg,
                Private::Ed25519(Ed25519KeyPair::generate().map_err(|_| FAILED)?),
            )),
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => {
                let ec = ec_signing(alg).ok_or(CryptoError::Unsupported(alg))?;
                Ok(signing(
                    alg,
                    Private::Ec(EcdsaKeyPair::generate(ec).map_err(|_| FAILED)?),
                ))
            }
            _ => rsa_key(
                alg,
                RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| FAILED)?,
            ),
        }
    }

    fn signing_key_from_pkcs8(
        &self,
        alg: Algorithm,
        der: &[u8],
    ) -> Result<Arc<dyn SigningKey>, CryptoError> {
        const BAD: CryptoError =
            CryptoError::InvalidKey("PKCS#8 does not hold a key for the algorithm");
        match jwk_keys::asymmetric(alg)? {
            Algorithm::EdDSA => Ok(signing(
                alg,
                Private::Ed25519(Ed25519KeyPair::from_pkcs8(der).map_err(|_| BAD)?),
            )),
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => {
                let ec = ec_signing(alg).ok_or(CryptoError::Unsupported(alg))?;
                Ok(signing(
                    alg,
                    Private::Ec(EcdsaKeyPair::from_pkcs8(ec, der).map_err(|_| BAD)?),
                ))
            }
            _ => rsa_key(alg, RsaKeyPair::from_pkcs8(der).map_err(|_| BAD)?),
        }
    }

    fn signing_key_from_jwk(
        &self,
        alg: Algorithm,
        jwk: &serde_json::Value,
    ) -> Result<Arc<dyn SigningKey>, CryptoError> {
        let jwk = PrivateJwk::new(alg, jwk)?;
        match alg {
            Algorithm::EdDSA => {
                let d = jwk.bytes("d")?;
                let x = jwk.bytes("x")?;
                if d.len() != jwk_keys::ED25519_LEN || x.len() != jwk_keys::ED25519_LEN {
                    return Err(CryptoError::InvalidKey("OKP key length"));
                }
                let key = Ed25519KeyPair::from_seed_and_public_key(&d, &x)
                    .map_err(|_| CryptoError::InvalidKey("OKP private and public keys differ"))?;
                Ok(signing(alg, Private::Ed25519(key)))
            }
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => {
                let ec = ec_signing(alg).ok_or(CryptoError::Unsupported(alg))?;
                let point = jwk_keys::uncompressed_point(alg, &jwk.bytes("x")?, &jwk.bytes("y")?)?;
                let d = jwk.bytes("d")?;
                if Some(d.len()) != jwk_keys::ec_field_len(alg) {
                    return Err(CryptoError::InvalidKey("EC private scalar length"));
                }
                let key = EcdsaKeyPair::from_private_key_and_public_key(ec, &d, &point)
                    .map_err(|_| CryptoError::InvalidKey("inconsistent EC private JWK"))?;
                Ok(signing(alg, Private::Ec(key)))
            }
            _ => rsa_key(alg, rsa_pair(&jwk)?),
        }
    }

    fn verifying_key(
        &self,
        alg: Algorithm,
        jwk: &Jwk,
    ) -> Result<Arc<dyn VerifyingKey>, CryptoError> {
        let key = match jwk_keys::public_parts(alg, jwk)? {
            PublicParts::Ed25519(x) => ParsedPublicKey::new(&sig::ED25519, x)
                .map_err(|_| CryptoError::InvalidKey("Ed25519 public key"))?,
            PublicParts::Ec(point) => {
                let ec = ec_verification(alg).ok_or(CryptoError::Unsupported(alg))?;
                // Parsing checks the point is on the curve.
                ParsedPublicKey::new(ec, point)
                    .map_err(|_| CryptoError::InvalidKey("EC point not on the curve"))?
            }
            PublicParts::Rsa { n, e } => {
                let params = rsa_params(alg).ok_or(CryptoError::Unsupported(alg))?;
                PublicKeyComponents {
                    n: jwk_keys::strip_leading_zeros(&n),
                    e: jwk_keys::strip_leading_zeros(&e),
                }
                .to_parsed_public_key(params)
                .map_err(|_| CryptoError::InvalidKey("RSA public key"))?
            }
        };
        Ok(Arc::new(AwsVerifyingKey { alg, key }))
    }

    fn verify_ecdsa(
        &self,
        jwk: &Jwk,
        hash: super::Hash,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        use super::Hash;
        let alg = super::ec_algorithm(jwk)?;
        let PublicParts::Ec(point) = jwk_keys::public_parts(alg, jwk)? else {
            return Err(CryptoError::InvalidKey("not an EC key"));
        };
        let params: &'static sig::EcdsaVerificationAlgorithm = match (alg, hash) {
            (Algorithm::ES256, Hash::Sha256) => &sig::ECDSA_P256_SHA256_ASN1,
            (Algorithm::ES256, Hash::Sha384) => &sig::ECDSA_P256_SHA384_ASN1,
            (Algorithm::ES256, Hash::Sha512) => &sig::ECDSA_P256_SHA512_ASN1,
            (Algorithm::ES384, Hash::Sha256) => &sig::ECDSA_P384_SHA256_ASN1,
            (Algorithm::ES384, Hash::Sha384) => &sig::ECDSA_P384_SHA384_ASN1,
            (Algorithm::ES384, Hash::Sha512) => &sig::ECDSA_P384_SHA512_ASN1,
            (Algorithm::ES512, Hash::Sha256) => &sig::ECDSA_P521_SHA256_ASN1,
            (Algorithm::ES512, Hash::Sha384) => &sig::ECDSA_P521_SHA384_ASN1,
            (Algorithm::ES512, Hash::Sha512) => &sig::ECDSA_P521_SHA512_ASN1,
            _ => return Err(CryptoError::Unsupported(alg)),
        };
        sig::UnparsedPublicKey::new(params, point)
            .verify(msg, sig)
            .map_err(|_| CryptoError::BadSignature)
    }

    fn rsa_oaep_encrypt(
        &self,
        jwk: &Jwk,
        hash: OaepHash,
        msg: &[u8],
        _rng: &dyn Random,
    ) -> Result<Vec<u8>, CryptoError> {
        aws_lc_enc::rsa_oaep_encrypt(jwk, hash, msg)
    }

    fn ecdh_ephemeral(&self, jwk: &Jwk, _rng: &dyn Random) -> Result<(Jwk, Vec<u8>), CryptoError> {
        aws_lc_enc::ecdh_ephemeral(jwk)
    }

    fn generate_decryption_key(
        &self,
        key_type: DecryptionKeyType,
        _rng: &dyn Random,
    ) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
        aws_lc_enc::generate(key_type)
    }

    fn decryption_key_from_pkcs8(
        &self,
        key_type: DecryptionKeyType,
        der: &[u8],
    ) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
        aws_lc_enc::from_pkcs8(key_type, der)
    }

    fn decryption_key_from_jwk(
        &self,
        jwk: &serde_json::Value,
    ) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
        aws_lc_enc::from_jwk(jwk)
    }

    fn verify_legacy_rs1(&self, jwk: &Jwk, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        let PublicParts::Rsa { n, e } = jwk_keys::public_parts(Algorithm::RS256, jwk)? else {
            return Err(CryptoError::InvalidKey("RS1 needs an RSA key"));
        };
        PublicKeyComponents {
            n: jwk_keys::strip_leading_zeros(&n),
            e: jwk_keys::strip_leading_zeros(&e),
        }
        .verify(&sig::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY, msg, sig)
        .map_err(|_| CryptoError::BadSignature)
    }
}
