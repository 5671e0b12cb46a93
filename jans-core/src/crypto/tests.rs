//! Provider tests: published vectors (RFC 7515 App. A, RFC 7520 §4, RFC 8037 App. A) on every
//! enabled provider, cross-verification between providers, PKCS#8 interchange and key
//! rejections. Also the seeded test generator other modules' tests use.

use std::sync::{Arc, Mutex};

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{Rng as _, SeedableRng as _};
use serde_json::Value;

use super::*;
use crate::jose::jws::{self, Header};
use crate::jose::{Algorithm, JoseError, Jwk};

/// A seeded CSPRNG behind the [`Random`] trait.
pub(crate) struct TestRng(Mutex<ChaCha20Rng>);

impl TestRng {
    pub(crate) fn new(seed: u64) -> Self {
        TestRng(Mutex::new(ChaCha20Rng::seed_from_u64(seed)))
    }
}

impl Random for TestRng {
    fn fill(&self, dest: &mut [u8]) {
        self.0.lock().unwrap().fill_bytes(dest);
    }
}

/// Every provider this build enables.
pub(crate) fn providers() -> Vec<Arc<dyn CryptoProvider>> {
    vec![
        #[cfg(feature = "rustcrypto")]
        Arc::new(rustcrypto::RustCryptoProvider),
        #[cfg(feature = "aws_lc")]
        Arc::new(aws_lc::AwsLcProvider),
    ]
}

/// A test vector file under `tests/data/jose/`: `jwk` (private), `token`, maybe `payload`.
pub(crate) struct Vector {
    pub(crate) jwk: Value,
    pub(crate) token: String,
}

impl Vector {
    pub(crate) fn public(&self) -> Jwk {
        let mut v = self.jwk.clone();
        let obj = v.as_object_mut().unwrap();
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            obj.remove(private);
        }
        serde_json::from_value(v).unwrap()
    }

    pub(crate) fn payload(&self) -> Vec<u8> {
        let p = self.token.split('.').nth(1).unwrap();
        crate::b64::decode(p).unwrap()
    }
}

pub(crate) fn vector(text: &str) -> Vector {
    let v: Value = serde_json::from_str(text).unwrap();
    Vector {
        jwk: v["jwk"].clone(),
        token: v["token"].as_str().unwrap().to_owned(),
    }
}

pub(crate) const RFC7515_A1: &str = include_str!("../../tests/data/jose/rfc7515_a1.json");
pub(crate) const RFC7515_A2: &str = include_str!("../../tests/data/jose/rfc7515_a2.json");
pub(crate) const RFC7515_A3: &str = include_str!("../../tests/data/jose/rfc7515_a3.json");
pub(crate) const RFC8037_A4: &str = include_str!("../../tests/data/jose/rfc8037_a4.json");
pub(crate) const RFC7520_4_1: &str = include_str!("../../tests/data/jose/rfc7520_4_1.json");
pub(crate) const RFC7520_4_2: &str = include_str!("../../tests/data/jose/rfc7520_4_2.json");
pub(crate) const RFC7520_4_3: &str = include_str!("../../tests/data/jose/rfc7520_4_3.json");

fn verify_vector(p: &dyn CryptoProvider, alg: Algorithm, text: &str) {
    let v = vector(text);
    let key = p.verifying_key(alg, &v.public()).unwrap();
    let payload = jws::decode(&v.token).unwrap().verify(&*key).unwrap();
    assert_eq!(payload, v.payload(), "{} {alg}", p.name());
}

/// Deterministic algorithms: signing reproduces the published token byte for byte.
fn sign_vector_exactly(p: &dyn CryptoProvider, alg: Algorithm, text: &str, kid: Option<&str>) {
    let v = vector(text);
    let key = p.signing_key_from_jwk(alg, &v.jwk).unwrap();
    let header = Header {
        kid: kid.map(str::to_owned),
        ..Header::new(alg)
    };
    let token = jws::sign(&header, &v.payload(), &*key, &TestRng::new(1)).unwrap();
    assert_eq!(token, v.token, "{} {alg}", p.name());
}

#[test]
fn rfc7515_a2_rs256_exact_on_every_provider() {
    for p in providers() {
        sign_vector_exactly(&*p, Algorithm::RS256, RFC7515_A2, None);
        verify_vector(&*p, Algorithm::RS256, RFC7515_A2);
    }
}

#[test]
fn rfc7515_a3_es256_verifies_on_every_provider() {
    for p in providers() {
        verify_vector(&*p, Algorithm::ES256, RFC7515_A3);
        // ECDSA is randomized: sign and verify our own with the published key.
        let v = vector(RFC7515_A3);
        let key = p.signing_key_from_jwk(Algorithm::ES256, &v.jwk).unwrap();
        let t = jws::sign(
            &Header::new(Algorithm::ES256),
            b"x",
            &*key,
            &TestRng::new(2),
        )
        .unwrap();
        let vk = p.verifying_key(Algorithm::ES256, &v.public()).unwrap();
        assert_eq!(jws::decode(&t).unwrap().verify(&*vk).unwrap(), b"x");
    }
}

#[test]
fn rfc8037_a4_ed25519_exact_on_every_provider() {
    for p in providers() {
        sign_vector_exactly(&*p, Algorithm::EdDSA, RFC8037_A4, None);
        verify_vector(&*p, Algorithm::EdDSA, RFC8037_A4);
    }
}

#[test]
fn rfc7520_vectors_on_every_provider() {
    for p in providers() {
        sign_vector_exactly(
            &*p,
            Algorithm::RS256,
            RFC7520_4_1,
            Some("bilbo.baggins@hobbiton.example"),
        );
        verify_vector(&*p, Algorithm::RS256, RFC7520_4_1);
        verify_vector(&*p, Algorithm::PS384, RFC7520_4_2);
        verify_vector(&*p, Algorithm::ES512, RFC7520_4_3);
    }
}

/// One signing key per asymmetric algorithm from `p`: RSA from the RFC 7520 key (generating
/// 2048-bit RSA keys in a debug build is slow), EC and Ed25519 freshly generated.
fn keys_from(p: &dyn CryptoProvider, seed: u64) -> Vec<Arc<dyn SigningKey>> {
    let rsa = vector(RFC7520_4_1).jwk;
    Algorithm::ASYMMETRIC
        .iter()
        .map(|&alg| match alg.key_type() {
            crate::jose::KeyType::Rsa => p.signing_key_from_jwk(alg, &rsa).unwrap(),
            _ => p.generate(alg, &TestRng::new(seed)).unwrap(),
        })
        .collect()
}

#[test]
fn cross_provider_sign_and_verify() {
    let rng = TestRng::new(3);
    for signer in providers() {
        for key in keys_from(&*signer, 4) {
            let alg = key.algorithm();
            let jwk = key.public_jwk();
            assert_eq!(jwk.alg.as_deref(), Some(alg.as_str()));
            assert_eq!(jwk.use_.as_deref(), Some("sig"));
            assert!(jwk.kid.is_none());
            assert!(jwk.fits(alg));
            let msg = format!("signed by {} with {alg}", signer.name());
            let sig = key.sign(msg.as_bytes(), &rng).unwrap();
            for verifier in providers() {
                let vk = verifier.verifying_key(alg, &jwk).unwrap();
                assert_eq!(vk.algorithm(), alg);
                vk.verify(msg.as_bytes(), &sig).unwrap_or_else(|e| {
                    panic!("{} -> {} {alg}: {e}", signer.name(), verifier.name())
                });
                assert_eq!(
                    vk.verify(b"other message", &sig),
                    Err(CryptoError::BadSignature)
                );
                let mut bad = sig.clone();
                bad[sig.len() / 2] ^= 1;
                assert_eq!(
                    vk.verify(msg.as_bytes(), &bad),
                    Err(CryptoError::BadSignature)
                );
                assert_eq!(
                    vk.verify(msg.as_bytes(), &sig[..sig.len() - 1]),
                    Err(CryptoError::BadSignature)
                );
                assert_eq!(
                    vk.verify(msg.as_bytes(), &[]),
                    Err(CryptoError::BadSignature)
                );
            }
        }
    }
}

#[test]
fn pkcs8_round_trips_across_providers() {
    for from in providers() {
        for key in keys_from(&*from, 5) {
            let alg = key.algorithm();
            let der = key.to_pkcs8_der().unwrap();
            let thumb = key.public_jwk().thumbprint().unwrap();
            for to in providers() {
                let loaded = to.signing_key_from_pkcs8(alg, &der).unwrap();
                assert_eq!(loaded.algorithm(), alg);
                assert_eq!(loaded.public_jwk().thumbprint().unwrap(), thumb, "{alg}");
                assert_eq!(loaded.public_jwk(), key.public_jwk(), "{alg}");
                let sig = loaded.sign(b"m", &TestRng::new(6)).unwrap();
                let vk = from.verifying_key(alg, &key.public_jwk()).unwrap();
                vk.verify(b"m", &sig).unwrap();
                // Re-export is loadable by the original provider again.
                let again = from.signing_key_from_pkcs8(alg, &loaded.to_pkcs8_der().unwrap());
                assert_eq!(again.unwrap().public_jwk().thumbprint().unwrap(), thumb);
            }
        }
    }
}

#[test]
fn private_jwk_imports_agree_across_providers() {
    for (alg, text) in [
        (Algorithm::RS256, RFC7520_4_1),
        (Algorithm::PS512, RFC7515_A2),
        (Algorithm::ES256, RFC7515_A3),
        (Algorithm::ES512, RFC7520_4_3),
        (Algorithm::EdDSA, RFC8037_A4),
    ] {
        let v = vector(text);
        let want = v.public().thumbprint().unwrap();
        for p in providers() {
            let key = p.signing_key_from_jwk(alg, &v.jwk).unwrap();
            assert_eq!(
                key.public_jwk().thumbprint().unwrap(),
                want,
                "{} {alg}",
                p.name()
            );
        }
    }
}

#[test]
fn ed25519_pkcs8_is_identical_across_providers() {
    let v = vector(RFC8037_A4);
    let ders: Vec<Vec<u8>> = providers()
        .iter()
        .map(|p| {
            p.signing_key_from_jwk(Algorithm::EdDSA, &v.jwk)
                .unwrap()
                .to_pkcs8_der()
                .unwrap()
        })
        .collect();
    assert!(ders.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn generate_every_algorithm() {
    // RSA generation is slow in debug builds, so it runs once per provider.
    for p in providers() {
        for alg in Algorithm::ASYMMETRIC {
            if alg.key_type() == crate::jose::KeyType::Rsa && alg != Algorithm::PS256 {
                continue;
            }
            let key = p.generate(alg, &TestRng::new(7)).unwrap();
            assert_eq!(key.algorithm(), alg);
            if alg == Algorithm::PS256 {
                let n = crate::b64::decode(key.public_jwk().n.as_deref().unwrap()).unwrap();
                assert_eq!(n.len(), 256);
            }
            let sig = key.sign(b"m", &TestRng::new(8)).unwrap();
            p.verifying_key(alg, &key.public_jwk())
                .unwrap()
                .verify(b"m", &sig)
                .unwrap();
        }
    }
}

#[cfg(feature = "rustcrypto")]
#[test]
fn rustcrypto_generation_is_reproducible_from_the_seed() {
    let p = rustcrypto::RustCryptoProvider;
    for alg in [
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
    ] {
        let a = p.generate(alg, &TestRng::new(9)).unwrap().public_jwk();
        let b = p.generate(alg, &TestRng::new(9)).unwrap().public_jwk();
        let c = p.generate(alg, &TestRng::new(10)).unwrap().public_jwk();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}

#[test]
fn symmetric_algorithms_are_unsupported() {
    let oct: Value = serde_json::json!({"kty": "oct", "k": "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ"});
    let jwk = Jwk {
        kty: "oct".into(),
        ..Jwk::default()
    };
    for p in providers() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let unsupported = CryptoError::Unsupported(alg);
            assert_eq!(p.generate(alg, &TestRng::new(1)).unwrap_err(), unsupported);
            assert_eq!(p.signing_key_from_jwk(alg, &oct).unwrap_err(), unsupported);
            assert_eq!(p.signing_key_from_pkcs8(alg, &[]).unwrap_err(), unsupported);
            assert_eq!(p.verifying_key(alg, &jwk).unwrap_err(), unsupported);
        }
    }
}

fn invalid(r: Result<impl std::fmt::Debug, CryptoError>) {
    assert!(matches!(r, Err(CryptoError::InvalidKey(_))), "{r:?}");
}

#[test]
fn rsa_1024_is_refused() {
    // Any 1024-bit modulus: the size check comes before anything else.
    let v = vector(RFC7520_4_1);
    let n = crate::b64::decode(v.jwk["n"].as_str().unwrap()).unwrap();
    let small = Jwk {
        n: Some(crate::b64::encode(&n[..128])),
        ..v.public()
    };
    let mut private = v.jwk.clone();
    private["n"] = Value::String(small.n.clone().unwrap());
    // A modulus with a leading zero octet is still only as long as its bits.
    let mut padded = vec![0u8; 129];
    padded[1..].copy_from_slice(&n[..128]);
    let padded = Jwk {
        n: Some(crate::b64::encode(&padded)),
        ..v.public()
    };
    for p in providers() {
        invalid(p.verifying_key(Algorithm::RS256, &small));
        invalid(p.verifying_key(Algorithm::RS256, &padded));
        invalid(p.signing_key_from_jwk(Algorithm::RS256, &private));
    }
}

#[test]
fn ec_point_off_the_curve_is_refused() {
    let v = vector(RFC7515_A3);
    let y = crate::b64::decode(v.jwk["y"].as_str().unwrap()).unwrap();
    let mut off = y.clone();
    *off.last_mut().unwrap() ^= 1;
    let off_jwk = Jwk {
        y: Some(crate::b64::encode(&off)),
        ..v.public()
    };
    let short = Jwk {
        y: Some(crate::b64::encode(&y[1..])),
        ..v.public()
    };
    let mut private_off = v.jwk.clone();
    private_off["y"] = Value::String(off_jwk.y.clone().unwrap());
    for p in providers() {
        invalid(p.verifying_key(Algorithm::ES256, &off_jwk));
        invalid(p.verifying_key(Algorithm::ES256, &short));
        invalid(p.signing_key_from_jwk(Algorithm::ES256, &private_off));
    }
}

#[test]
fn keys_must_fit_the_algorithm() {
    let ec = vector(RFC7515_A3);
    let rsa = vector(RFC7515_A2);
    let ed = vector(RFC8037_A4);
    let mut enc_use = ec.public();
    enc_use.use_ = Some("enc".into());
    let mut other_alg = ec.public();
    other_alg.alg = Some("ES384".into());
    let mut ed_wrong = ed.jwk.clone();
    ed_wrong["x"] = ec.jwk["x"].clone();
    for p in providers() {
        invalid(p.verifying_key(Algorithm::ES384, &ec.public()));
        invalid(p.verifying_key(Algorithm::RS256, &ec.public()));
        invalid(p.verifying_key(Algorithm::ES256, &rsa.public()));
        invalid(p.verifying_key(Algorithm::EdDSA, &rsa.public()));
        invalid(p.verifying_key(Algorithm::ES256, &enc_use));
        invalid(p.verifying_key(Algorithm::ES256, &other_alg));
        invalid(p.signing_key_from_jwk(Algorithm::ES384, &ec.jwk));
        invalid(p.signing_key_from_jwk(Algorithm::RS256, &ec.jwk));
        invalid(p.signing_key_from_jwk(Algorithm::EdDSA, &ed_wrong));
        invalid(p.signing_key_from_jwk(Algorithm::ES256, &Value::Null));
        invalid(p.signing_key_from_pkcs8(Algorithm::ES256, b"not der"));
        // A P-256 PKCS#8 is not a P-384 or RSA key.
        let der = p
            .signing_key_from_jwk(Algorithm::ES256, &ec.jwk)
            .unwrap()
            .to_pkcs8_der()
            .unwrap();
        invalid(p.signing_key_from_pkcs8(Algorithm::ES384, &der));
        invalid(p.signing_key_from_pkcs8(Algorithm::RS256, &der));
        invalid(p.signing_key_from_pkcs8(Algorithm::EdDSA, &der));
    }
}

#[test]
fn jws_sign_refuses_a_header_for_another_algorithm() {
    let v = vector(RFC7515_A3);
    for p in providers() {
        let key = p.signing_key_from_jwk(Algorithm::ES256, &v.jwk).unwrap();
        let r = jws::sign(
            &Header::new(Algorithm::RS256),
            b"x",
            &*key,
            &TestRng::new(1),
        );
        assert_eq!(r, Err(JoseError::KeyMismatch));
    }
}

#[test]
fn debug_output_has_no_key_material() {
    let v = vector(RFC7515_A3);
    for p in providers() {
        let key = p.signing_key_from_jwk(Algorithm::ES256, &v.jwk).unwrap();
        let dbg = format!("{key:?}");
        assert!(dbg.contains("ES256"));
        assert!(!dbg.contains(v.jwk["d"].as_str().unwrap()));
    }
}
