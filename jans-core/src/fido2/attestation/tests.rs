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
use crate::fido2::{client_data, cose, signature};
use crate::x509::{Certificate, verify_chain};

fn sample(name: &str) -> Value {
    let text = match name {
        "none" => include_str!("../../../tests/data/fido2/none.json"),
        "packed-self" => include_str!("../../../tests/data/fido2/packed-self.json"),
        "packed-x5c" => include_str!("../../../tests/data/fido2/packed-x5c.json"),
        "fido-u2f" => include_str!("../../../tests/data/fido2/fido-u2f.json"),
        "tpm-rsa" => include_str!("../../../tests/data/fido2/tpm-rsa.json"),
        "tpm-ecc" => include_str!("../../../tests/data/fido2/tpm-ecc.json"),
        "android-key" => include_str!("../../../tests/data/fido2/android-key.json"),
        "android-safetynet" => include_str!("../../../tests/data/fido2/android-safetynet.json"),
        "apple" => include_str!("../../../tests/data/fido2/apple.json"),
        "spec-none-es256" => include_str!("../../../tests/data/fido2/spec-none-es256.json"),
        "spec-packed-self-es256" => {
            include_str!("../../../tests/data/fido2/spec-packed-self-es256.json")
        }
        "spec-packed-es256" => include_str!("../../../tests/data/fido2/spec-packed-es256.json"),
        "spec-fido-u2f-es256" => include_str!("../../../tests/data/fido2/spec-fido-u2f-es256.json"),
        "spec-tpm-es256" => include_str!("../../../tests/data/fido2/spec-tpm-es256.json"),
        "spec-android-key-es256" => {
            include_str!("../../../tests/data/fido2/spec-android-key-es256.json")
        }
        "spec-apple-es256" => include_str!("../../../tests/data/fido2/spec-apple-es256.json"),
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

/// Seconds since the epoch of an RFC 3339 UTC time (`YYYY-MM-DDTHH:MM:SS[.fff]Z`).
fn date(s: &str) -> u64 {
    let num = |a: usize, b: usize| -> i64 { s.get(a..b).unwrap().parse().unwrap() };
    let (y, m, d) = (num(0, 4), num(5, 7), num(8, 10));
    let secs = if s.len() >= 19 {
        num(11, 13) * 3600 + num(14, 16) * 60 + num(17, 19)
    } else {
        0
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    ((era * 146_097 + doe - 719_468) * 86_400 + secs) as u64
}

/// When the sample is verified: its pinned or suggested time, else 2027.
fn time_of(s: &Value) -> u64 {
    s["verifiedAt"]
        .as_str()
        .or(s["suggestedVerifyTime"].as_str())
        .map_or(1_800_000_000, date)
}

/// Verify the registration in `name` with `provider`: the statement's type and the root
/// its chain reaches (when the sample has one).
fn verify_sample(name: &str, provider: &dyn CryptoProvider) -> (Verified, AttestationObject) {
    let s = sample(name);
    let at = time_of(&s);
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
        now: at,
    };
    let verified = verify(&ao.fmt, &input).unwrap_or_else(|e| panic!("{name}: {e}"));
    // A tampered clientDataJSON hash breaks every statement that covers it: the signature
    // (packed, fido-u2f, android-key) or the hash the signed data holds (tpm's extraData,
    // apple's and safetynet's nonce).
    if verified.kind != AttestationType::None {
        let mut other = hash;
        other[0] ^= 1;
        let tampered = Input {
            client_data_hash: &other,
            ..input
        };
        match verify(&ao.fmt, &tampered) {
            Err(AttestationError::BadSignature(_)) => {}
            Err(AttestationError::Statement { why, .. })
                if why.contains("extraData") || why.contains("nonce") => {}
            other => panic!("{name}: tampered: {other:?}"),
        }
    }
    if let Some(pem) = s["root_pem"].as_str() {
        let root = Certificate::parse(&pem_der(pem)).unwrap();
        let chain: Vec<Certificate> = verified
            .trust_path
            .iter()
            .map(|d| Certificate::parse(d).unwrap())
            .collect();
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
                crate::x509::CertError::Untrusted,
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
            ("tpm-rsa", "tpm", AttestationType::AttCa),
            ("tpm-ecc", "tpm", AttestationType::AttCa),
            ("spec-tpm-es256", "tpm", AttestationType::AttCa),
            ("android-key", "android-key", AttestationType::Basic),
            (
                "android-safetynet",
                "android-safetynet",
                AttestationType::Basic,
            ),
            ("apple", "apple", AttestationType::AnonCa),
            ("spec-apple-es256", "apple", AttestationType::AnonCa),
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
            leaf.subject_attribute(crate::x509::OID_ORGANIZATIONAL_UNIT)
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

/// The statement of `name` verified at `now` with its `att_stmt` changed by `change`.
fn verify_changed(
    name: &str,
    now: Option<u64>,
    change: impl Fn(&mut Value),
) -> Result<Verified, AttestationError> {
    let p = providers().remove(0);
    let s = sample(name);
    let cd_bytes = b64(&s["clientDataJSON"]);
    let ao = parse(&b64(&s["attestationObject"])).unwrap();
    let attested = ao.auth_data.attested.clone().unwrap();
    let (alg, key) = cose::verifying_key(
        p.as_ref(),
        &attested.public_key,
        &crate::config::fido2::FIDO_ALGORITHMS,
    )
    .unwrap();
    let hash: [u8; 32] = Sha256::digest(&cd_bytes).into();
    // Through the CBOR value as JSON-like edits are awkward: rebuild the map member by member.
    let mut stmt = ao.att_stmt.clone();
    let mut as_json = serde_json::Value::Null;
    change(&mut as_json);
    if let (crate::fido2::cbor::Value::Map(entries), serde_json::Value::Object(edits)) =
        (&mut stmt, &as_json)
    {
        for (k, v) in edits {
            let value = match v {
                Value::Null => None,
                Value::String(t) => Some(crate::fido2::cbor::Value::Text(t.clone())),
                Value::Array(bytes) => Some(crate::fido2::cbor::Value::Bytes(
                    bytes.iter().map(|b| b.as_u64().unwrap() as u8).collect(),
                )),
                other => panic!("edit {other}"),
            };
            entries.retain(|(key, _)| key.as_text() != Some(k));
            if let Some(v) = value {
                entries.push((crate::fido2::cbor::Value::Text(k.clone()), v));
            }
        }
    }
    let input = Input {
        att_stmt: &stmt,
        auth_data_raw: &ao.auth_data_raw,
        auth_data: &ao.auth_data,
        client_data_hash: &hash,
        credential_alg: alg,
        credential_key: &key,
        provider: p.as_ref(),
        now: now.unwrap_or_else(|| time_of(&s)),
    };
    verify(&ao.fmt, &input)
}

fn refused_because(r: Result<Verified, AttestationError>, part: &str) {
    match r {
        Err(AttestationError::Statement { why, .. }) if why.contains(part) => {}
        Err(AttestationError::BadSignature(_)) if part == "signature" => {}
        other => panic!("expected a refusal about {part:?}, got {other:?}"),
    }
}

#[test]
fn statements_that_break_a_rule_are_refused() {
    // §8.4: the spec's android-key vector has empty authorization lists, so nothing says
    // the key was generated in the keystore for signing.
    refused_because(
        verify_changed("spec-android-key-es256", None, |_| {}),
        "generated",
    );
    // §8.5: a SafetyNet attestation older than a minute.
    let fresh = date("2019-08-10T08:04:30Z");
    assert!(verify_changed("android-safetynet", Some(fresh), |_| {}).is_ok());
    refused_because(
        verify_changed("android-safetynet", Some(fresh + 120), |_| {}),
        "last minute",
    );
    refused_because(
        verify_changed("android-safetynet", Some(fresh), |e| {
            *e = serde_json::json!({"ver": null})
        }),
        "ver",
    );
    // §8.3: TPM version, a truncated pubArea, a pubArea of another key, a bad signature.
    refused_because(
        verify_changed("tpm-ecc", None, |e| *e = serde_json::json!({"ver": "1.2"})),
        "ver",
    );
    let tpm = sample("tpm-ecc");
    let ao = parse(&b64(&tpm["attestationObject"])).unwrap();
    let pub_area = ao
        .att_stmt
        .get("pubArea")
        .unwrap()
        .as_bytes()
        .unwrap()
        .to_vec();
    let cut: Vec<u8> = pub_area[..pub_area.len() - 3].to_vec();
    refused_because(
        verify_changed("tpm-ecc", None, |e| {
            *e = serde_json::json!({"pubArea": cut})
        }),
        "truncated",
    );
    let mut other = pub_area.clone();
    let last = other.len() - 1;
    other[last] ^= 1;
    refused_because(
        verify_changed("tpm-ecc", None, |e| {
            *e = serde_json::json!({"pubArea": other})
        }),
        "credential public key",
    );
    let sig = ao.att_stmt.get("sig").unwrap().as_bytes().unwrap().to_vec();
    let mut bad_sig = sig.clone();
    bad_sig[10] ^= 1;
    refused_because(
        verify_changed("tpm-rsa", None, |e| {
            *e = serde_json::json!({"sig": bad_sig})
        }),
        "signature",
    );
    // §8.8: an apple statement without its certificate chain.
    refused_because(
        verify_changed("apple", None, |e| *e = serde_json::json!({"x5c": null})),
        "x5c",
    );
    // §8.2: packed with a signature by another key.
    refused_because(
        verify_changed("packed-x5c", None, |e| {
            *e = serde_json::json!({"sig": [48, 6, 2, 1, 1, 2, 1, 1]})
        }),
        "signature",
    );
}
