//! Credential public keys (WebAuthn Level 3 §6.5.1.1): COSE_Key structures (RFC 9052 §7,
//! RFC 9053 §7) read with `coset`, turned into a key of the engine's [`CryptoProvider`], so
//! assertion signatures are checked by the same code on either provider.
//!
//! Accepted: EC2 on P-256/P-384/P-521 with ES256/ES384/ES512, OKP Ed25519 with EdDSA, RSA
//! with RS256 or PS256 (RFC 8812 §2), and — for assertions of credentials registered
//! elsewhere, never offered at registration — RSA with RS1 (RSASSA-PKCS1-v1_5 with SHA-1,
//! RFC 8812 §2: what some older TPMs' credentials use). The key must name its algorithm,
//! and the algorithm must fit the key type and curve.

use std::sync::Arc;

use coset::iana::{self, EnumI64};
use coset::{CborSerializable, CoseKey, KeyType, Label, RegisteredLabelWithPrivate};

use crate::crypto::{CryptoProvider, VerifyingKey};
use crate::jose::{Algorithm, Jwk};

/// Why a credential public key was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CoseError {
    /// Not a COSE_Key.
    #[error("credential public key is not a COSE key")]
    Malformed,
    /// No `alg`, or one this server does not verify.
    #[error("credential public key algorithm {0} is not supported")]
    UnsupportedAlgorithm(i64),
    /// The key type, curve or parameters do not fit the algorithm.
    #[error("credential public key parameters are invalid: {0}")]
    InvalidKey(&'static str),
    /// The algorithm is not among those the relying party enabled.
    #[error("credential public key algorithm {0:?} is not enabled")]
    NotEnabled(Algorithm),
}

/// The JOSE algorithm of a COSE algorithm value (RFC 9053 §2, RFC 8812 §2).
pub fn algorithm(cose_alg: i64) -> Option<Algorithm> {
    Some(match cose_alg {
        -7 => Algorithm::ES256,
        -35 => Algorithm::ES384,
        -36 => Algorithm::ES512,
        -8 => Algorithm::EdDSA,
        -257 => Algorithm::RS256,
        -37 => Algorithm::PS256,
        _ => return None,
    })
}

/// The COSE algorithm value of a JOSE algorithm (the inverse of [`algorithm`]).
pub fn cose_alg(alg: Algorithm) -> Option<i64> {
    [-7, -35, -36, -8, -257, -37]
        .into_iter()
        .find(|c| algorithm(*c) == Some(alg))
}

/// COSE `RS1` (RFC 8812 §2): deprecated, verification only.
pub const COSE_RS1: i64 = -65535;

/// A credential public key ready to verify: a key of the provider for a JOSE algorithm,
/// or an RS1 key. RS1 is kept apart on purpose: it is not an [`Algorithm`], so no token
/// can ever name it.
#[derive(Clone, Debug)]
pub enum CredentialKey {
    /// A JOSE algorithm's key.
    Jose(Algorithm, Arc<dyn VerifyingKey>),
    /// An RSA key verified with RS1 (`verify_legacy_rs1`).
    Rs1(Box<Jwk>),
}

impl CredentialKey {
    /// Its COSE algorithm value.
    pub fn cose_alg(&self) -> i64 {
        match self {
            CredentialKey::Jose(alg, _) => cose_alg(*alg).unwrap_or_default(),
            CredentialKey::Rs1(_) => COSE_RS1,
        }
    }

    /// Verify `sig`, a WebAuthn signature (ECDSA in DER, RSA and EdDSA as they are), over
    /// `msg`.
    pub fn verify(
        &self,
        provider: &dyn CryptoProvider,
        msg: &[u8],
        sig: &[u8],
    ) -> Result<(), crate::crypto::CryptoError> {
        match self {
            CredentialKey::Jose(alg, key) => {
                let sig = super::signature::to_jws(*alg, sig)
                    .map_err(|_| crate::crypto::CryptoError::BadSignature)?;
                key.verify(msg, &sig)
            }
            CredentialKey::Rs1(jwk) => provider.verify_legacy_rs1(jwk, msg, sig),
        }
    }
}

/// Read the COSE_Key `cose` as a credential key: a JOSE algorithm in `enabled`, or RS1
/// when `rs1` allows it (assertions of stored credentials; never a new registration).
pub fn credential_key(
    provider: &dyn CryptoProvider,
    cose: &[u8],
    enabled: &[Algorithm],
    rs1: bool,
) -> Result<CredentialKey, CoseError> {
    super::cbor::decode(cose).map_err(|_| CoseError::Malformed)?;
    let key = CoseKey::from_slice(cose).map_err(|_| CoseError::Malformed)?;
    if key_alg(&key)? == COSE_RS1 {
        if !rs1 {
            return Err(CoseError::UnsupportedAlgorithm(COSE_RS1));
        }
        if key.kty != KeyType::Assigned(iana::KeyType::RSA) {
            return Err(CoseError::InvalidKey("key type does not fit the algorithm"));
        }
        // The same RSA parameters as RS256 keys.
        return Ok(CredentialKey::Rs1(Box::new(to_jwk(
            &key,
            Algorithm::RS256,
        )?)));
    }
    let (alg, verifier) = verifying_key(provider, cose, enabled)?;
    Ok(CredentialKey::Jose(alg, verifier))
}

/// Most keys a [`KeyCache`] holds; a full cache starts over.
pub const KEY_CACHE_ENTRIES: usize = 10_000;

/// Credential keys already read, by their COSE_Key bytes: reading a key (CBOR, the point's
/// validation by the provider) costs about as much again as a part of the signature check,
/// and a credential signs in many times. A key is the same key whatever the time, so the
/// only thing checked again on each use is whether its algorithm is still enabled.
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: std::sync::Mutex<std::collections::HashMap<Vec<u8>, CredentialKey>>,
}

impl KeyCache {
    /// [`credential_key`], from the cache when the key was read before.
    pub fn credential_key(
        &self,
        provider: &dyn CryptoProvider,
        cose: &[u8],
        enabled: &[Algorithm],
        rs1: bool,
    ) -> Result<CredentialKey, CoseError> {
        let cached = self.keys.lock().ok().and_then(|m| m.get(cose).cloned());
        if let Some(k) = cached {
            return match &k {
                CredentialKey::Jose(alg, _) if !enabled.contains(alg) => {
                    Err(CoseError::NotEnabled(*alg))
                }
                CredentialKey::Rs1(_) if !rs1 => Err(CoseError::UnsupportedAlgorithm(COSE_RS1)),
                _ => Ok(k),
            };
        }
        let k = credential_key(provider, cose, enabled, rs1)?;
        if let Ok(mut m) = self.keys.lock() {
            if m.len() >= KEY_CACHE_ENTRIES {
                m.clear();
            }
            m.insert(cose.to_vec(), k.clone());
        }
        Ok(k)
    }
}

fn key_alg(key: &CoseKey) -> Result<i64, CoseError> {
    match &key.alg {
        Some(RegisteredLabelWithPrivate::Assigned(a)) => Ok(a.to_i64()),
        Some(RegisteredLabelWithPrivate::PrivateUse(a)) => Ok(*a),
        Some(RegisteredLabelWithPrivate::Text(_)) | None => Err(CoseError::UnsupportedAlgorithm(0)),
    }
}

/// The key parameter under the integer label `label`.
fn value(key: &CoseKey, label: i64) -> Option<&coset::cbor::value::Value> {
    key.params
        .iter()
        .find(|(l, _)| *l == Label::Int(label))
        .map(|(_, v)| v)
}

fn param(key: &CoseKey, label: i64) -> Option<&[u8]> {
    value(key, label)?.as_bytes().map(Vec::as_slice)
}

fn int_param(key: &CoseKey, label: i64) -> Option<i64> {
    i64::try_from(value(key, label)?.as_integer()?).ok()
}

/// The public key in `cose` as a JWK for `alg`, checking that they fit.
fn to_jwk(key: &CoseKey, alg: Algorithm) -> Result<Jwk, CoseError> {
    let b64 = |b: &[u8]| Some(crate::b64::encode(b));
    let jwk = match (&key.kty, alg) {
        (
            KeyType::Assigned(iana::KeyType::EC2),
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512,
        ) => {
            let (crv, want) = match alg {
                Algorithm::ES256 => ("P-256", iana::EllipticCurve::P_256),
                Algorithm::ES384 => ("P-384", iana::EllipticCurve::P_384),
                _ => ("P-521", iana::EllipticCurve::P_521),
            };
            if int_param(key, iana::Ec2KeyParameter::Crv.to_i64()) != Some(want.to_i64()) {
                return Err(CoseError::InvalidKey("curve does not fit the algorithm"));
            }
            let x = param(key, iana::Ec2KeyParameter::X.to_i64())
                .ok_or(CoseError::InvalidKey("EC2 key without x"))?;
            // A compressed point (y a boolean) is refused: WebAuthn sends both coordinates.
            let y = param(key, iana::Ec2KeyParameter::Y.to_i64())
                .ok_or(CoseError::InvalidKey("EC2 key without y"))?;
            Jwk {
                kty: "EC".to_owned(),
                crv: Some(crv.to_owned()),
                x: b64(x),
                y: b64(y),
                ..Jwk::default()
            }
        }
        (KeyType::Assigned(iana::KeyType::OKP), Algorithm::EdDSA) => {
            if int_param(key, iana::OkpKeyParameter::Crv.to_i64())
                != Some(iana::EllipticCurve::Ed25519.to_i64())
            {
                return Err(CoseError::InvalidKey("OKP key is not Ed25519"));
            }
            let x = param(key, iana::OkpKeyParameter::X.to_i64())
                .ok_or(CoseError::InvalidKey("OKP key without x"))?;
            Jwk {
                kty: "OKP".to_owned(),
                crv: Some("Ed25519".to_owned()),
                x: b64(x),
                ..Jwk::default()
            }
        }
        (KeyType::Assigned(iana::KeyType::RSA), Algorithm::RS256 | Algorithm::PS256) => {
            let n = param(key, iana::RsaKeyParameter::N.to_i64())
                .ok_or(CoseError::InvalidKey("RSA key without n"))?;
            let e = param(key, iana::RsaKeyParameter::E.to_i64())
                .ok_or(CoseError::InvalidKey("RSA key without e"))?;
            Jwk {
                kty: "RSA".to_owned(),
                n: b64(n),
                e: b64(e),
                ..Jwk::default()
            }
        }
        _ => return Err(CoseError::InvalidKey("key type does not fit the algorithm")),
    };
    Ok(jwk)
}

/// Read the COSE_Key `cose` and make it a verifying key of `provider`, if its algorithm is
/// in `enabled` (Janssen's `enabledFidoAlgorithms`).
pub fn verifying_key(
    provider: &dyn CryptoProvider,
    cose: &[u8],
    enabled: &[Algorithm],
) -> Result<(Algorithm, Arc<dyn VerifyingKey>), CoseError> {
    // Our bounded reader first: coset's own reader is not limited in depth.
    super::cbor::decode(cose).map_err(|_| CoseError::Malformed)?;
    let key = CoseKey::from_slice(cose).map_err(|_| CoseError::Malformed)?;
    let cose_alg = key_alg(&key)?;
    let alg = algorithm(cose_alg).ok_or(CoseError::UnsupportedAlgorithm(cose_alg))?;
    if !enabled.contains(&alg) {
        return Err(CoseError::NotEnabled(alg));
    }
    let jwk = to_jwk(&key, alg)?;
    let verifier = provider
        .verifying_key(alg, &jwk)
        .map_err(|_| CoseError::InvalidKey("the provider refused the key"))?;
    Ok((alg, verifier))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SigningKey;
    use crate::crypto::tests::providers;
    use crate::testing::SeededRandom;
    use coset::CoseKeyBuilder;

    const ALL: [Algorithm; 6] = [
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
        Algorithm::RS256,
        Algorithm::PS256,
    ];

    fn bytes(member: Option<&String>) -> Vec<u8> {
        crate::b64::decode(member.unwrap()).unwrap()
    }

    /// The COSE_Key of a provider's key, built with coset from its public JWK.
    fn cose_of(key: &dyn SigningKey, alg: Algorithm) -> Vec<u8> {
        let jwk = key.public_jwk();
        let cose_alg = match alg {
            Algorithm::ES256 => iana::Algorithm::ES256,
            Algorithm::ES384 => iana::Algorithm::ES384,
            Algorithm::ES512 => iana::Algorithm::ES512,
            Algorithm::EdDSA => iana::Algorithm::EdDSA,
            Algorithm::RS256 => iana::Algorithm::RS256,
            _ => iana::Algorithm::PS256,
        };
        let builder = match alg {
            Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => {
                let crv = match alg {
                    Algorithm::ES256 => iana::EllipticCurve::P_256,
                    Algorithm::ES384 => iana::EllipticCurve::P_384,
                    _ => iana::EllipticCurve::P_521,
                };
                CoseKeyBuilder::new_ec2_pub_key(crv, bytes(jwk.x.as_ref()), bytes(jwk.y.as_ref()))
            }
            Algorithm::EdDSA => CoseKeyBuilder::new_okp_key()
                .param(
                    iana::OkpKeyParameter::Crv.to_i64(),
                    iana::EllipticCurve::Ed25519.to_i64().into(),
                )
                .param(
                    iana::OkpKeyParameter::X.to_i64(),
                    bytes(jwk.x.as_ref()).into(),
                ),
            _ => CoseKeyBuilder::new()
                .key_type(iana::KeyType::RSA)
                .param(
                    iana::RsaKeyParameter::N.to_i64(),
                    bytes(jwk.n.as_ref()).into(),
                )
                .param(
                    iana::RsaKeyParameter::E.to_i64(),
                    bytes(jwk.e.as_ref()).into(),
                ),
        };
        builder.algorithm(cose_alg).build().to_vec().unwrap()
    }

    /// A key of each algorithm, made by each provider, carried as a COSE_Key and read
    /// back by each provider, verifies what the other signed and refuses a changed
    /// message.
    #[test]
    fn every_algorithm_round_trips_across_providers() {
        let providers = providers();
        let rng = SeededRandom::new(7);
        for alg in ALL {
            // RSA keys are generated by aws_lc only: rustcrypto's 2048-bit generation takes
            // too long in a debug build. Both providers verify.
            let rsa = matches!(alg, Algorithm::RS256 | Algorithm::PS256);
            for signer in providers.iter().filter(|p| !rsa || p.name() == "aws_lc") {
                let key = signer.generate(alg, &rng).unwrap();
                let cose = cose_of(key.as_ref(), alg);
                let sig = key
                    .sign(b"authenticator data || client data hash", &rng)
                    .unwrap();
                for verifier in &providers {
                    let (got, v) = verifying_key(verifier.as_ref(), &cose, &ALL).unwrap();
                    assert_eq!(got, alg);
                    assert!(
                        v.verify(b"authenticator data || client data hash", &sig)
                            .is_ok()
                    );
                    assert!(v.verify(b"another message", &sig).is_err(), "{alg:?}");
                }
            }
        }
    }

    /// A cached key is the key read before, and is still refused once its algorithm is no
    /// longer enabled (or RS1 no longer allowed).
    #[test]
    fn cached_keys_follow_the_policy_in_force() {
        let p = providers().remove(0);
        let rng = SeededRandom::new(10);
        let key = p.generate(Algorithm::ES256, &rng).unwrap();
        let cose = cose_of(key.as_ref(), Algorithm::ES256);
        let cache = KeyCache::default();
        let sig = key.sign(b"m", &rng).unwrap();
        let der = crate::testing::pki::ecdsa_der(&sig);
        for _ in 0..2 {
            let k = cache
                .credential_key(p.as_ref(), &cose, &ALL, false)
                .unwrap();
            k.verify(p.as_ref(), b"m", &der).unwrap();
            assert!(k.verify(p.as_ref(), b"n", &der).is_err());
        }
        assert_eq!(
            cache
                .credential_key(p.as_ref(), &cose, &[Algorithm::EdDSA], false)
                .unwrap_err(),
            CoseError::NotEnabled(Algorithm::ES256)
        );
        assert!(
            cache
                .credential_key(p.as_ref(), b"\xa0", &ALL, false)
                .is_err()
        );
    }

    /// RS1 credential keys (older TPMs): verified by both providers for assertions when
    /// allowed, refused where a new registration reads the key, and never a JOSE algorithm.
    #[cfg(feature = "rustcrypto")]
    #[test]
    fn rs1_credential_keys_verify_only_where_allowed() {
        use rsa::pkcs8::DecodePrivateKey as _;
        let providers = providers();
        let rng = SeededRandom::new(9);
        // aws_lc generates RSA keys fast; rustcrypto signs with SHA-1 (no provider does).
        let maker = providers
            .iter()
            .find(|p| p.name() == "aws_lc")
            .unwrap_or(&providers[0]);
        let key = maker.generate(Algorithm::RS256, &rng).unwrap();
        let private = rsa::PrivateKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap();
        let msg = b"authenticator data || client data hash";
        let sig = private.pkcs1v15_sign::<sha1::Sha1>(msg).unwrap();
        let jwk = key.public_jwk();
        let cose = CoseKeyBuilder::new()
            .key_type(iana::KeyType::RSA)
            .param(
                iana::RsaKeyParameter::N.to_i64(),
                bytes(jwk.n.as_ref()).into(),
            )
            .param(
                iana::RsaKeyParameter::E.to_i64(),
                bytes(jwk.e.as_ref()).into(),
            )
            .algorithm(iana::Algorithm::RS1)
            .build()
            .to_vec()
            .unwrap();
        for p in &providers {
            let k = credential_key(p.as_ref(), &cose, &ALL, true).unwrap();
            assert_eq!(k.cose_alg(), COSE_RS1);
            assert!(matches!(k, CredentialKey::Rs1(_)));
            k.verify(p.as_ref(), msg, &sig).unwrap();
            assert!(k.verify(p.as_ref(), b"another message", &sig).is_err());
            // Not where RS1 is not allowed, and not as a JOSE algorithm.
            assert_eq!(
                credential_key(p.as_ref(), &cose, &ALL, false).unwrap_err(),
                CoseError::UnsupportedAlgorithm(COSE_RS1)
            );
            assert_eq!(
                verifying_key(p.as_ref(), &cose, &ALL).unwrap_err(),
                CoseError::UnsupportedAlgorithm(COSE_RS1)
            );
            assert_eq!(algorithm(COSE_RS1), None);
        }
        // RS1 on an EC key is refused.
        let es256 = providers[0].generate(Algorithm::ES256, &rng).unwrap();
        let jwk = es256.public_jwk();
        let ec_rs1 = CoseKeyBuilder::new_ec2_pub_key(
            iana::EllipticCurve::P_256,
            bytes(jwk.x.as_ref()),
            bytes(jwk.y.as_ref()),
        )
        .algorithm(iana::Algorithm::RS1)
        .build()
        .to_vec()
        .unwrap();
        assert!(matches!(
            credential_key(providers[0].as_ref(), &ec_rs1, &ALL, true).unwrap_err(),
            CoseError::InvalidKey(_)
        ));
    }

    #[test]
    fn keys_that_do_not_fit_are_refused() {
        let providers = providers();
        let p = providers[0].as_ref();
        let rng = SeededRandom::new(8);
        let es256 = p.generate(Algorithm::ES256, &rng).unwrap();
        let cose = cose_of(es256.as_ref(), Algorithm::ES256);
        assert_eq!(
            verifying_key(p, &cose, &[Algorithm::RS256]).err(),
            Some(CoseError::NotEnabled(Algorithm::ES256))
        );
        assert_eq!(
            verifying_key(p, &cose[..cose.len() - 1], &ALL).err(),
            Some(CoseError::Malformed)
        );
        assert_eq!(
            verifying_key(p, b"\x01", &ALL).err(),
            Some(CoseError::Malformed)
        );
        // The P-256 key under another algorithm, or none.
        let jwk = es256.public_jwk();
        let p256 = |x: Vec<u8>, y: Vec<u8>, alg: Option<iana::Algorithm>| {
            let b = CoseKeyBuilder::new_ec2_pub_key(iana::EllipticCurve::P_256, x, y);
            match alg {
                Some(a) => b.algorithm(a),
                None => b,
            }
            .build()
            .to_vec()
            .unwrap()
        };
        let (x, y) = (bytes(jwk.x.as_ref()), bytes(jwk.y.as_ref()));
        let cases = [
            // ES384 on a P-256 key: the curve does not fit.
            (Some(iana::Algorithm::ES384), None),
            (None, Some(CoseError::UnsupportedAlgorithm(0))),
            // RS1 (-65535), which old TPMs use, is not verified here yet.
            (
                Some(iana::Algorithm::RS1),
                Some(CoseError::UnsupportedAlgorithm(-65535)),
            ),
        ];
        for (alg, want) in cases {
            let got = verifying_key(p, &p256(x.clone(), y.clone(), alg), &ALL).err();
            match want {
                Some(w) => assert_eq!(got, Some(w), "{alg:?}"),
                None => assert!(matches!(got, Some(CoseError::InvalidKey(_))), "{alg:?}"),
            }
        }
        // A point that is not on the curve.
        let off = p256(vec![1; 32], vec![2; 32], Some(iana::Algorithm::ES256));
        assert!(matches!(
            verifying_key(p, &off, &ALL),
            Err(CoseError::InvalidKey(_))
        ));
    }
}
