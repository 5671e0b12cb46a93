//! The pure-Rust provider (DESIGN.md §5): RSA (`rsa` 0.10), ECDSA (`p256`, `p384`, `p521`)
//! and Ed25519 (`ed25519-dalek`). No C compiler, and every random byte comes from the
//! [`Random`] the caller passes in (PSS salts, RSA blinding, hedged ECDSA nonces, key
//! generation).

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;

use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::{RandomizedSigner as _, Verifier as _};
use rand_core::{TryCryptoRng, TryRng};
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::sha2::{Sha256, Sha384, Sha512};
use rsa::traits::PublicKeyParts as _;
use rsa::{BoxedUint, Generate as _, PrivateKey as RsaPrivateKey, PublicKey as RsaPublicKey};

use super::jwk_keys::{self, PrivateJwk, PublicParts};
use super::{
    AlgKey, CryptoError, CryptoProvider, DecryptionKey, DecryptionKeyType, OaepHash, SigningKey,
    VerifyingKey, rustcrypto_enc,
};
use crate::ctx::Random;
use crate::jose::{Algorithm, Jwk};

/// The pure-Rust [`CryptoProvider`].
#[derive(Debug, Clone, Copy, Default)]
pub struct RustCryptoProvider;

/// Adapts our [`Random`] to rand_core 0.10's `TryCryptoRng`, the trait the RustCrypto
/// crates draw from. Infallible: [`Random::fill`] cannot fail.
pub(crate) struct RngAdapter<'a>(pub(crate) &'a dyn Random);

impl TryRng for RngAdapter<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.0.fill(&mut b);
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.0.fill(&mut b);
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill(dst);
        Ok(())
    }
}

// `Random` is documented as a cryptographically secure source.
impl TryCryptoRng for RngAdapter<'_> {}

/// The private key behind a [`RcSigningKey`].
enum Private {
    Rsa(Box<RsaPrivateKey>),
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// The public key behind a [`RcVerifyingKey`].
enum Public {
    Rsa(Box<RsaPublicKey>),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

/// A rustcrypto private key bound to one algorithm.
type RcSigningKey = AlgKey<Private>;

/// A rustcrypto public key bound to one algorithm.
type RcVerifyingKey = AlgKey<Public>;

fn failed(_: impl fmt::Debug) -> CryptoError {
    CryptoError::Failed("rustcrypto signing")
}

fn bad_sig(_: impl fmt::Debug) -> CryptoError {
    CryptoError::BadSignature
}

/// ECDSA with the hedged RFC 6979 nonce (RFC 6979 §3.6, extra entropy from `rng`), encoded
/// as fixed-size `R || S` (RFC 7518 §3.4).
macro_rules! ecdsa_sign {
    ($curve:ident, $key:expr, $rng:expr, $msg:expr) => {{
        let sig: $curve::ecdsa::Signature = $key.try_sign_with_rng($rng, $msg).map_err(failed)?;
        Ok(sig.to_bytes().to_vec())
    }};
}

/// Verify a fixed-size `R || S` ECDSA signature (RFC 7518 §3.4): the length must be exact.
macro_rules! ecdsa_verify {
    ($curve:ident, $key:expr, $alg:expr, $msg:expr, $sig:expr) => {{
        let len = jwk_keys::ec_field_len($alg).ok_or(CryptoError::Unsupported($alg))?;
        if $sig.len() != 2 * len {
            return Err(CryptoError::BadSignature);
        }
        let sig = $curve::ecdsa::Signature::from_slice($sig).map_err(bad_sig)?;
        $key.verify($msg, &sig).map_err(bad_sig)
    }};
}

impl SigningKey for RcSigningKey {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }

    fn sign(&self, msg: &[u8], rng: &dyn Random) -> Result<Vec<u8>, CryptoError> {
        let mut rng = RngAdapter(rng);
        match (&self.key, self.alg) {
            // RFC 7518 §3.3: RSASSA-PKCS1-v1_5; the rng only blinds the private operation.
            (Private::Rsa(k), Algorithm::RS256) => k
                .pkcs1v15_sign_with_rng::<Sha256, _>(&mut rng, msg)
                .map_err(failed),
            (Private::Rsa(k), Algorithm::RS384) => k
                .pkcs1v15_sign_with_rng::<Sha384, _>(&mut rng, msg)
                .map_err(failed),
            (Private::Rsa(k), Algorithm::RS512) => k
                .pkcs1v15_sign_with_rng::<Sha512, _>(&mut rng, msg)
                .map_err(failed),
            // RFC 7518 §3.5: RSASSA-PSS, MGF1 with the same hash, salt as long as the hash.
            (Private::Rsa(k), Algorithm::PS256) => k
                .pss_sign_with_rng::<Sha256, _>(&mut rng, msg)
                .map_err(failed),
            (Private::Rsa(k), Algorithm::PS384) => k
                .pss_sign_with_rng::<Sha384, _>(&mut rng, msg)
                .map_err(failed),
            (Private::Rsa(k), Algorithm::PS512) => k
                .pss_sign_with_rng::<Sha512, _>(&mut rng, msg)
                .map_err(failed),
            (Private::P256(k), _) => ecdsa_sign!(p256, k, &mut rng, msg),
            (Private::P384(k), _) => ecdsa_sign!(p384, k, &mut rng, msg),
            (Private::P521(k), _) => ecdsa_sign!(p521, k, &mut rng, msg),
            // RFC 8037 §3.1: Ed25519 is deterministic.
            (Private::Ed25519(k), _) => Ok(k.sign(msg).to_bytes().to_vec()),
            (Private::Rsa(_), alg) => Err(CryptoError::Unsupported(alg)),
        }
    }

    fn public_jwk(&self) -> Jwk {
        match &self.key {
            Private::Rsa(k) => jwk_keys::rsa_public_jwk(self.alg, &k.n_bytes(), &k.e_bytes()),
            Private::P256(k) => {
                jwk_keys::ec_public_jwk(self.alg, k.verifying_key().to_sec1_point(false).as_bytes())
            }
            Private::P384(k) => {
                jwk_keys::ec_public_jwk(self.alg, k.verifying_key().to_sec1_point(false).as_bytes())
            }
            Private::P521(k) => {
                jwk_keys::ec_public_jwk(self.alg, k.verifying_key().to_sec1_point(false).as_bytes())
            }
            Private::Ed25519(k) => jwk_keys::okp_public_jwk(k.verifying_key().as_bytes()),
        }
    }

    fn to_pkcs8_der(&self) -> Result<Vec<u8>, CryptoError> {
        let doc = match &self.key {
            Private::Rsa(k) => k.to_pkcs8_der(),
            Private::P256(k) => k.to_pkcs8_der(),
            Private::P384(k) => k.to_pkcs8_der(),
            Private::P521(k) => k.to_pkcs8_der(),
            Private::Ed25519(k) => return Ok(jwk_keys::ed25519_pkcs8_v1(k.as_bytes())),
        };
        doc.map(|d| d.as_bytes().to_vec())
            .map_err(|_| CryptoError::Failed("PKCS#8 encoding"))
    }
}

impl VerifyingKey for RcVerifyingKey {
    fn algorithm(&self) -> Algorithm {
        self.alg
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        match (&self.key, self.alg) {
            (Public::Rsa(k), Algorithm::RS256) => {
                k.pkcs1v15_verify::<Sha256>(msg, sig).map_err(bad_sig)
            }
            (Public::Rsa(k), Algorithm::RS384) => {
                k.pkcs1v15_verify::<Sha384>(msg, sig).map_err(bad_sig)
            }
            (Public::Rsa(k), Algorithm::RS512) => {
                k.pkcs1v15_verify::<Sha512>(msg, sig).map_err(bad_sig)
            }
            (Public::Rsa(k), Algorithm::PS256) => k.pss_verify::<Sha256>(msg, sig).map_err(bad_sig),
            (Public::Rsa(k), Algorithm::PS384) => k.pss_verify::<Sha384>(msg, sig).map_err(bad_sig),
            (Public::Rsa(k), Algorithm::PS512) => k.pss_verify::<Sha512>(msg, sig).map_err(bad_sig),
            (Public::P256(k), alg) => ecdsa_verify!(p256, k, alg, msg, sig),
            (Public::P384(k), alg) => ecdsa_verify!(p384, k, alg, msg, sig),
            (Public::P521(k), alg) => ecdsa_verify!(p521, k, alg, msg, sig),
            (Public::Ed25519(k), _) => {
                let sig = ed25519_dalek::Signature::from_slice(sig).map_err(bad_sig)?;
                // Strict verification: rejects non-canonical S and small-order keys/points.
                k.verify_strict(msg, &sig).map_err(bad_sig)
            }
            (Public::Rsa(_), alg) => Err(CryptoError::Unsupported(alg)),
        }
    }
}

fn rsa_key(alg: Algorithm, key: RsaPrivateKey) -> Result<Arc<dyn SigningKey>, CryptoError> {
    jwk_keys::check_rsa_modulus(&key.n_bytes())?;
    Ok(Arc::new(RcSigningKey {
        alg,
        key: Private::Rsa(Box::new(key)),
    }))
}

fn signing(alg: Algorithm, key: Private) -> Arc<dyn SigningKey> {
    Arc::new(RcSigningKey { alg, key })
}

pub(crate) fn uint(bytes: &[u8]) -> BoxedUint {
    BoxedUint::from_be_slice_vartime(bytes)
}

/// Check a private EC scalar against the JWK's public point (RFC 7518 §6.2.2.1).
macro_rules! ec_from_jwk {
    ($curve:ident, $variant:ident, $alg:expr, $d:expr, $point:expr) => {{
        let key = $curve::ecdsa::SigningKey::from_slice(&$d)
            .map_err(|_| CryptoError::InvalidKey("EC private scalar"))?;
        if key.verifying_key().to_sec1_point(false).as_bytes() != $point.as_slice() {
            return Err(CryptoError::InvalidKey("EC private and public keys differ"));
        }
        Ok(signing($alg, Private::$variant(key)))
    }};
}

/// An RSA private key from a private JWK (RFC 7518 §6.3.2): n, e, d required; p and q (and
/// the CRT values, which are recomputed) optional.
pub(crate) fn rsa_private(jwk: &PrivateJwk<'_>) -> Result<RsaPrivateKey, CryptoError> {
    jwk.refuse_oth()?;
    let n = jwk.bytes("n")?;
    jwk_keys::check_rsa_modulus(&n)?;
    let primes = match (jwk.opt_bytes("p")?, jwk.opt_bytes("q")?) {
        (Some(p), Some(q)) => vec![uint(&p), uint(&q)],
        (None, None) => Vec::new(),
        _ => return Err(CryptoError::InvalidKey("RSA JWK has only one prime")),
    };
    RsaPrivateKey::from_components(
        uint(&n),
        uint(&jwk.bytes("e")?),
        uint(&jwk.bytes("d")?),
        primes,
    )
    .map_err(|_| CryptoError::InvalidKey("inconsistent RSA private JWK"))
}

impl CryptoProvider for RustCryptoProvider {
    fn name(&self) -> &'static str {
        "rustcrypto"
    }

    fn generate(
        &self,
        alg: Algorithm,
        rng: &dyn Random,
    ) -> Result<Arc<dyn SigningKey>, CryptoError> {
        let mut rng = RngAdapter(rng);
        let key = match jwk_keys::asymmetric(alg)? {
            Algorithm::ES256 => Private::P256(p256::ecdsa::SigningKey::generate_from_rng(&mut rng)),
            Algorithm::ES384 => Private::P384(p384::ecdsa::SigningKey::generate_from_rng(&mut rng)),
            Algorithm::ES512 => Private::P521(p521::ecdsa::SigningKey::generate_from_rng(&mut rng)),
            Algorithm::EdDSA => {
                Private::Ed25519(Box::new(ed25519_dalek::SigningKey::generate(&mut rng)))
            }
            _ => {
                let key = RsaPrivateKey::new(&mut rng, jwk_keys::MIN_RSA_BITS)
                    .map_err(|_| CryptoError::Failed("RSA key generation"))?;
                Private::Rsa(Box::new(key))
            }
        };
        Ok(signing(alg, key))
    }

    fn signing_key_from_pkcs8(
        &self,
        alg: Algorithm,
        der: &[u8],
    ) -> Result<Arc<dyn SigningKey>, CryptoError> {
        const BAD: CryptoError =
            CryptoError::InvalidKey("PKCS#8 does not hold a key for the algorithm");
        let key = match jwk_keys::asymmetric(alg)? {
            Algorithm::ES256 => {
                Private::P256(p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| BAD)?)
            }
            Algorithm::ES384 => {
                Private::P384(p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| BAD)?)
            }
            Algorithm::ES512 => {
                Private::P521(p521::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|_| BAD)?)
            }
            Algorithm::EdDSA => Private::Ed25519(Box::new(
                ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|_| BAD)?,
            )),
            _ => return rsa_key(alg, RsaPrivateKey::from_pkcs8_der(der).map_err(|_| BAD)?),
        };
        Ok(signing(alg, key))
    }

    fn signing_key_from_jwk(
        &self,
        alg: Algorithm,
        jwk: &serde_json::Value,
    ) -> Result<Arc<dyn SigningKey>, CryptoError> {
        let jwk = PrivateJwk::new(alg, jwk)?;
        match alg {
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => {
                let point = jwk_keys::uncompressed_point(alg, &jwk.bytes("x")?, &jwk.bytes("y")?)?;
                let d = jwk.bytes("d")?;
                if Some(d.len()) != jwk_keys::ec_field_len(alg) {
                    return Err(CryptoError::InvalidKey("EC private scalar length"));
                }
                match alg {
                    Algorithm::ES256 => ec_from_jwk!(p256, P256, alg, d, point),
                    Algorithm::ES384 => ec_from_jwk!(p384, P384, alg, d, point),
                    _ => ec_from_jwk!(p521, P521, alg, d, point),
                }
            }
            Algorithm::EdDSA => {
                let d: [u8; jwk_keys::ED25519_LEN] = jwk
                    .bytes("d")?
                    .try_into()
                    .map_err(|_| CryptoError::InvalidKey("OKP d length"))?;
                let key = ed25519_dalek::SigningKey::from_bytes(&d);
                if key.verifying_key().as_bytes().as_slice() != jwk.bytes("x")?.as_slice() {
                    return Err(CryptoError::InvalidKey(
                        "OKP private and public keys differ",
                    ));
                }
                Ok(signing(alg, Private::Ed25519(Box::new(key))))
            }
            _ => rsa_key(alg, rsa_private(&jwk)?),
        }
    }

    fn verifying_key(
        &self,
        alg: Algorithm,
        jwk: &Jwk,
    ) -> Result<Arc<dyn VerifyingKey>, CryptoError> {
        // `from_sec1_bytes` checks the point is on the curve and not the identity.
        const OFF_CURVE: CryptoError = CryptoError::InvalidKey("EC point not on the curve");
        let key = match jwk_keys::public_parts(alg, jwk)? {
            PublicParts::Ec(point) => match alg {
                Algorithm::ES256 => Public::P256(
                    p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|_| OFF_CURVE)?,
                ),
                Algorithm::ES384 => Public::P384(
                    p384::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|_| OFF_CURVE)?,
                ),
                _ => Public::P521(
                    p521::ecdsa::VerifyingKey::from_sec1_bytes(&point).map_err(|_| OFF_CURVE)?,
                ),
            },
            PublicParts::Ed25519(x) => {
                let key = ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map_err(|_| CryptoError::InvalidKey("Ed25519 public key"))?;
                if key.is_weak() {
                    return Err(CryptoError::InvalidKey("Ed25519 small-order public key"));
                }
                Public::Ed25519(key)
            }
            PublicParts::Rsa { n, e } => Public::Rsa(Box::new(
                RsaPublicKey::new(uint(&n), uint(&e))
                    .map_err(|_| CryptoError::InvalidKey("RSA public key"))?,
            )),
        };
        Ok(Arc::new(RcVerifyingKey { alg, key }))
    }

    fn verify_ecdsa(
        &self,
        jwk: &Jwk,
        hash: super::Hash,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), CryptoError> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
        use sha2::Digest as _;
        let digest: Vec<u8> = match hash {
            super::Hash::Sha256 => Sha256::digest(msg).to_vec(),
            super::Hash::Sha384 => Sha384::digest(msg).to_vec(),
            super::Hash::Sha512 => Sha512::digest(msg).to_vec(),
        };
        let alg = super::ec_algorithm(jwk)?;
        let PublicParts::Ec(point) = jwk_keys::public_parts(alg, jwk)? else {
            return Err(CryptoError::InvalidKey("not an EC key"));
        };
        const OFF_CURVE: CryptoError = CryptoError::InvalidKey("EC point not on the curve");
        let bad_sig = |_| CryptoError::BadSignature;
        match alg {
            Algorithm::ES256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| OFF_CURVE)?
                .verify_prehash(
                    &digest,
                    &p256::ecdsa::Signature::from_der(sig).map_err(bad_sig)?,
                )
                .map_err(bad_sig),
            Algorithm::ES384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| OFF_CURVE)?
                .verify_prehash(
                    &digest,
                    &p384::ecdsa::Signature::from_der(sig).map_err(bad_sig)?,
                )
                .map_err(bad_sig),
            _ => p521::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                .map_err(|_| OFF_CURVE)?
                .verify_prehash(
                    &digest,
                    &p521::ecdsa::Signature::from_der(sig).map_err(bad_sig)?,
                )
                .map_err(bad_sig),
        }
    }

    fn rsa_oaep_encrypt(
        &self,
        jwk: &Jwk,
        hash: OaepHash,
        msg: &[u8],
        rng: &dyn Random,
    ) -> Result<Vec<u8>, CryptoError> {
        rustcrypto_enc::rsa_oaep_encrypt(jwk, hash, msg, rng)
    }

    fn ecdh_ephemeral(&self, jwk: &Jwk, rng: &dyn Random) -> Result<(Jwk, Vec<u8>), CryptoError> {
        rustcrypto_enc::ecdh_ephemeral(jwk, rng)
    }

    fn generate_decryption_key(
        &self,
        key_type: DecryptionKeyType,
        rng: &dyn Random,
    ) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
        rustcrypto_enc::generate(key_type, rng)
    }

    fn decryption_key_from_pkcs8(
        &self,
        key_type: DecryptionKeyType,
        der: &[u8],
    ) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
        rustcrypto_enc::from_pkcs8(key_type, der)
    }

    fn decryption_key_from_jwk(
        &self,
        jwk: &serde_json::Value,
    ) -> Result<Arc<dyn DecryptionKey>, CryptoError> {
        rustcrypto_enc::from_jwk(jwk)
    }

    fn verify_legacy_rs1(&self, jwk: &Jwk, msg: &[u8], sig: &[u8]) -> Result<(), CryptoError> {
        let PublicParts::Rsa { n, e } = jwk_keys::public_parts(Algorithm::RS256, jwk)? else {
            return Err(CryptoError::InvalidKey("RS1 needs an RSA key"));
        };
        RsaPublicKey::new(uint(&n), uint(&e))
            .map_err(|_| CryptoError::InvalidKey("RSA public key"))?
            .pkcs1v15_verify::<sha1::Sha1>(msg, sig)
            .map_err(|_| CryptoError::BadSignature)
    }
}
