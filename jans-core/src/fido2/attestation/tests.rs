//! Known-answer tests: public registration samples of real authenticators and the
//! WebAuthn Level 3 test vectors (§16), verified end to end (clientDataJSON, the
//! attestation object, the statement, the chain to its root). Data only; each file under
//! `jans-core/tests/data/fido2/` names its source in `source`:
//! - `none`, `packed-x5c`, `fido-u2f`: duo-labs/py_webauthn tests (a YubiKey 5 via Firefox);
//! - `packed-self`: MasterKale/SimpleWebAuthn `verifyRegistrationResponse.test.ts`;
//! - `spec-*`: WebAuthn Level 3 §16.2–16.16, as go-webauthn's
//!   `protocol/specification_vectors_e2e_test.go` carries them.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::*;
use crate::crypto::CryptoProvider;
use crate::crypto::tests::providers;
use crate::fido2::x509::{Certificate, verify_chain};
use crate::fido2::{client_data, cose, signature};

fn sample(name: &str) -> Value {
    let text = match name {
        "none" => include_str!("../../../tests/data/fido2/none.json"),
        "packed-self" => include_str!("../../../tests/data/fido2/packed-self.json"),
        "packed-x5c" => include_str!("../../../tests/data/fido2/packed-x5c.json"),
        "fido-u2f" => include_str!("../../../tests/data/fido2/fido-u2f.json"),
        "spec-none-es256" => include_str!("../../../tests/data/fido2/spec-none-es256.json"),
        "spec-packed-self-es256" => {
            include_str!("../../../tests/data/fido2/spec-packed-self-es256.json")
        }
        "spec-packed-es256" => include_str!("../../../tests/data/fido2/spec-packed-es256.json"),
        "spec-fido-u2f-es256" => {
            include_str!("../../../tests/data/fido2/spec-fido-u2f-es256.json")
        }
        other => panic!("no sample {other}"),
    };
    serde_json::from_str(text).unwrap()
}

fn b64(v: &Value) -> Vec<u8> {
    crate::b64::decode(v.as_str().unwrap().trim_end_matches('=')).unwrap()
}

fn pem_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// Seconds since the epoch of an RFC 3339 `YYYY-MM-DDT..` date (midnight UTC).
fn date(s: &str) -> u64 {
    let mut parts = s
        .get(..10)
        .unwrap()
        .split('-')
        .map(|p| p.parse::<i64>().unwrap());
    let (y, m, d) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    ((era * 146_097 + doe - 719_468) * 86_400) as u64
}

/// Verify the registration in `name` with `provider`: the statement's type and the root
/// its chain reaches (when the sample has one).
fn verify_sample(name: &str, provider: &dyn CryptoProvider) -> (Verified, AttestationObject) {
    let s = sample(name);
    let cd_bytes = b64(&s["clientDataJSON"]);
    let cd = client_data::parse(&cd_bytes).unwrap();
    let challenge = b64(&s["challenge"]);
    cd.check(
        client_data::Ceremony::Create,
        &challenge,
        &[s["origin"].as_str().unwrap().to_owned()],
        false,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let ao = parse(&b64(&s["attestationObject"])).unwrap_or_else(|e| panic!("{name}: {e}"));
    let rp_hash: [u8; 32] = Sha256::digest(s["rpId"].as_str().unwrap().as_bytes()).into();
    assert_eq!(ao.auth_data.rp_id_hash, rp_hash, "{name}");
    let attested = ao.auth_data.attested.clone().unwrap();
    let (alg, key) = cose::verifying_key(
        provider,
        &attested.public_key,
        &crate::config::fido2::FIDO_ALGORITHMS,
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    let hash: [u8; 32] = Sha256::digest(&cd_bytes).into();
    let input = Input {
        att_stmt: &ao.att_stmt,
        auth_data_raw: &ao.auth_data_raw,
        auth_data: &ao.auth_data,
        client_data_hash: &hash,
        credential_alg: alg,
        credential_key: &key,
        provider,
    };
    let verified = verify(&ao.fmt, &input).unwrap_or_else(|e| panic!("{name}: {e}"));
    // A tampered clientDataJSON hash breaks every signed statement.
    if verified.kind != AttestationType::None {
        let mut other = hash;
        other[0] ^= 1;
        let tampered = Input {
            client_data_hash: &other,
            ..input
        };
        assert!(
            matches!(
                verify(&ao.fmt, &tampered),
                Err(AttestationError::BadSignature(_))
            ),
            "{name}: tampered"
        );
    }
    if let Some(pem) = s["root_pem"].as_str() {
        let root = Certificate::parse(&pem_der(pem)).unwrap();
        let chain: Vec<Certificate> = verified
            .trust_path
            .iter()
            .map(|d| Certificate::parse(d).unwrap())
            .collect();
        let at = s["verifiedAt"]
            .as_str()
            .or(s["suggestedVerifyTime"].as_str())
            .map_or(1_800_000_000, date);
        verify_chain(&chain, std::slice::from_ref(&root), at, provider)
            .unwrap_or_else(|e| panic!("{name}: chain: {e}"));
        // Not before the certificates existed, and not to another root.
        assert!(verify_chain(&chain, std::slice::from_ref(&root), 0, provider).is_err());
        let other_root = pem_der(sample("spec-packed-es256")["root_pem"].as_str().unwrap());
        if other_root != root.der() {
            assert_eq!(
                verify_chain(
                    &chain,
                    &[Certificate::parse(&other_root).unwrap()],
                    at,
                    provider
                )
                .unwrap_err(),
                crate::fido2::x509::CertError::Untrusted,
                "{name}"
            );
        }
    }
    (verified, ao)
}

#[test]
fn real_authenticators_and_spec_vectors_verify() {
    for p in providers() {
        for (name, fmt, kind) in [
            ("none", "none", AttestationType::None),
            ("packed-self", "packed", AttestationType::Self_),
            ("packed-x5c", "packed", AttestationType::Basic),
            ("fido-u2f", "fido-u2f", AttestationType::Basic),
            ("spec-none-es256", "none", AttestationType::None),
            ("spec-packed-self-es256", "packed", AttestationType::Self_),
            ("spec-packed-es256", "packed", AttestationType::Basic),
            ("spec-fido-u2f-es256", "fido-u2f", AttestationType::Basic),
        ] {
            let (v, ao) = verify_sample(name, p.as_ref());
            assert_eq!(ao.fmt, fmt, "{name}");
            assert_eq!(v.kind, kind, "{name} on {}", p.name());
        }
    }
}

/// The spec vectors' assertions verify with the key their registration made (§16).
#[test]
fn spec_assertions_verify() {
    for p in providers() {
        for name in [
            "spec-none-es256",
            "spec-packed-self-es256",
            "spec-packed-es256",
            "spec-fido-u2f-es256",
        ] {
            let s = sample(name);
            let (_, ao) = verify_sample(name, p.as_ref());
            let cose_key = ao.auth_data.attested.unwrap().public_key;
            let (alg, key) =
                cose::verifying_key(p.as_ref(), &cose_key, &[crate::jose::Algorithm::ES256])
                    .unwrap();
            let a = &s["assertion"];
            let cd = b64(&a["clientDataJSON"]);
            client_data::parse(&cd)
                .unwrap()
                .check(
                    client_data::Ceremony::Get,
                    &b64(&a["challenge"]),
                    &["https://example.org".to_owned()],
                    false,
                )
                .unwrap();
            let mut msg = b64(&a["authenticatorData"]);
            crate::fido2::authenticator_data::parse(&msg).unwrap();
            msg.extend_from_slice(&Sha256::digest(&cd));
            let sig = signature::to_jws(alg, &b64(&a["signature"])).unwrap();
            key.verify(&msg, &sig)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            msg[40] ^= 1;
            assert!(key.verify(&msg, &sig).is_err());
        }
    }
}

#[test]
fn packed_certificate_requirements() {
    // The spec's packed attestation certificate meets §8.2.1; the YubiKey's too.
    for name in ["spec-packed-es256", "packed-x5c"] {
        let p = providers().remove(0);
        let (v, _) = verify_sample(name, p.as_ref());
        let leaf = Certificate::parse(&v.trust_path[0]).unwrap();
        assert_eq!(leaf.version(), 3);
        assert_eq!(
            leaf.subject_attribute(crate::fido2::x509::OID_ORGANIZATIONAL_UNIT)
                .as_deref(),
            Some("Authenticator Attestation")
        );
        assert!(!leaf.is_ca());
    }
}

#[test]
fn malformed_objects_are_refused() {
    let good = b64(&sample("spec-packed-es256")["attestationObject"]);
    assert!(parse(&good).is_ok());
    for cut in [0, 1, 10, good.len() / 2, good.len() - 1] {
        assert!(parse(&good[..cut]).is_err(), "cut at {cut}");
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(matches!(parse(&trailing), Err(AttestationError::Cbor(_))));
    assert!(parse(&vec![0u8; MAX_ATTESTATION_OBJECT_LEN + 1]).is_err());
    // A map without fmt, or with attStmt not a map.
    assert_eq!(
        parse(&[0xa0]).unwrap_err(),
        AttestationError::Malformed("fmt")
    );
}
