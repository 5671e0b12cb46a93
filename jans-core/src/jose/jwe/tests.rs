//! JWE: the RFC 7516 Appendix A, RFC 7520 §5 and RFC 7518 Appendix B/C vectors on every
//! provider, byte-exact where the content key and IV can be fixed; every algorithm pair round
//! trip across providers; and the refusals.

use std::sync::Mutex;

use serde_json::Value;

use super::*;
use crate::crypto::tests::{TestRng, providers};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/jose/{name}.json", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap()
}

fn bytes(v: &Value, k: &str) -> Vec<u8> {
    b64::decode(s(v, k)).unwrap()
}

fn hex(v: &Value, k: &str) -> Vec<u8> {
    s(v, k)
        .as_bytes()
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect()
}

/// A [`Random`] that hands out fixed bytes in order: the vectors' content key, then IV.
struct Script(Mutex<Vec<u8>>);

impl Random for Script {
    fn fill(&self, dest: &mut [u8]) {
        let mut left = self.0.lock().unwrap();
        let rest = left.split_off(dest.len());
        dest.copy_from_slice(&left);
        *left = rest;
    }
}

const ALL: Policy<'static> = Policy {
    algs: &KEY_ALGS,
    encs: &ENCS,
};

fn rng() -> TestRng {
    TestRng::new(7)
}

/// Decrypt a published JWE with its published private key.
fn decrypts(name: &str, provider: &dyn CryptoProvider) {
    let v = load(name);
    let token = s(&v, "token");
    let plaintext = if v["jwk"]["kty"] == "oct" {
        let k = bytes(&v["jwk"], "k");
        decrypt(token, Decrypter::Secret(&k), ALL, &rng())
            .unwrap()
            .1
    } else {
        let key = provider.decryption_key_from_jwk(&v["jwk"]).unwrap();
        decrypt(token, Decrypter::Private(&*key), ALL, &rng())
            .unwrap()
            .1
    };
    assert_eq!(
        String::from_utf8(plaintext).unwrap(),
        s(&v, "plaintext"),
        "{name} on {}",
        provider.name()
    );
}

#[test]
fn rfc7516_and_rfc7520_vectors_decrypt_on_every_provider() {
    for p in providers() {
        for name in [
            "rfc7516_a1",  // RSA-OAEP, A256GCM
            "rfc7516_a3",  // A128KW, A128CBC-HS256
            "rfc7520_5_2", // RSA-OAEP, A256GCM
            "rfc7520_5_4", // ECDH-ES+A128KW (P-384), A128GCM
            "rfc7520_5_5", // ECDH-ES (P-256), A128CBC-HS256
            "rfc7520_5_6", // dir, A128GCM
            "rfc7520_5_8", // A128KW, A128GCM
        ] {
            decrypts(name, &*p);
        }
    }
}

#[test]
fn rfc7516_a3_is_reproduced_byte_for_byte() {
    // A128KW is deterministic: with the appendix's content key and IV, the whole token is.
    let v = load("rfc7516_a3");
    let kek = bytes(&v["jwk"], "k");
    let script = Script(Mutex::new([bytes(&v, "cek"), bytes(&v, "iv")].concat()));
    for p in providers() {
        let script = Script(Mutex::new(script.0.lock().unwrap().clone()));
        let token = encrypt(
            s(&v, "plaintext").as_bytes(),
            KeyAlg::A128Kw,
            Enc::A128CbcHs256,
            Recipient::Secret(&kek),
            &Options::default(),
            &*p,
            &script,
        )
        .unwrap();
        assert_eq!(token, s(&v, "token"));
    }
}

#[test]
fn rfc7516_a1_content_encryption_is_reproduced() {
    // RSA-OAEP is randomized; given its encrypted key, the rest of the token is fixed.
    let v = load("rfc7516_a1");
    let token = s(&v, "token");
    let parts: Vec<&str> = token.split('.').collect();
    let header: Header = serde_json::from_slice(&b64::decode(parts[0]).unwrap()).unwrap();
    let again = seal(
        &header,
        Enc::A256Gcm,
        &bytes(&v, "cek"),
        &b64::decode(parts[1]).unwrap(),
        &bytes(&v, "iv"),
        s(&v, "plaintext").as_bytes(),
    )
    .unwrap();
    assert_eq!(again, token);
}

#[test]
fn rfc7518_appendix_b_cbc_hmac_vectors() {
    let v = load("rfc7518_appendix");
    for (case, enc) in [("b1", Enc::A128CbcHs256), ("b3", Enc::A256CbcHs512)] {
        let c = &v[case];
        let (e, t) =
            content::seal(enc, &hex(c, "k"), &hex(c, "iv"), &hex(c, "a"), &hex(c, "p")).unwrap();
        assert_eq!(e, hex(c, "e"), "{case} ciphertext");
        assert_eq!(t, hex(c, "t"), "{case} tag");
        let p = content::open(enc, &hex(c, "k"), &hex(c, "iv"), &hex(c, "a"), &e, &t).unwrap();
        assert_eq!(p, hex(c, "p"));
    }
}

#[test]
fn rfc7518_appendix_c_ecdh_es_key_agreement() {
    let c = &load("rfc7518_appendix")["c"];
    let mut alice_public = c["alice_jwk"].clone();
    alice_public.as_object_mut().unwrap().remove("d");
    let epk: Jwk = serde_json::from_value(alice_public).unwrap();
    for p in providers() {
        let bob = p.decryption_key_from_jwk(&c["bob_jwk"]).unwrap();
        let z = bob.ecdh(&epk).unwrap();
        let key = content::concat_kdf(&z, "A128GCM", b"Alice", b"Bob", 16);
        assert_eq!(b64::encode(&key), "VqqN6vgjbSBcIijNcacQGg", "{}", p.name());
    }
}

/// Every `alg` × `enc`, encrypted by one provider and decrypted by each.
#[test]
fn every_algorithm_pair_round_trips_across_providers() {
    let rsa = load("rfc7516_a1")["jwk"].clone();
    let ec = load("rfc7520_5_4")["jwk"].clone(); // P-384
    let rng = rng();
    for sender in providers() {
        let generated = sender
            .generate_decryption_key(DecryptionKeyType::Ec(crate::crypto::Curve::P521), &rng)
            .unwrap();
        for receiver in providers() {
            let rsa_key = receiver.decryption_key_from_jwk(&rsa).unwrap();
            let ec_key = receiver.decryption_key_from_jwk(&ec).unwrap();
            let p521 = receiver
                .decryption_key_from_pkcs8(generated.key_type(), &generated.to_pkcs8_der().unwrap())
                .unwrap();
            for alg in KEY_ALGS {
                for enc in ENCS {
                    let secret = secret_key("a client secret of some length", alg, enc);
                    let keys: Vec<(Jwk, Decrypter<'_>)> = match alg.kty() {
                        "RSA" => vec![(rsa_key.public_jwk(), Decrypter::Private(&*rsa_key))],
                        "EC" => vec![
                            (ec_key.public_jwk(), Decrypter::Private(&*ec_key)),
                            (p521.public_jwk(), Decrypter::Private(&*p521)),
                        ],
                        _ => vec![(Jwk::default(), Decrypter::Secret(&secret))],
                    };
                    for (jwk, key) in keys {
                        let to = if alg.is_symmetric() {
                            Recipient::Secret(&secret)
                        } else {
                            Recipient::Public(&jwk)
                        };
                        let opts = Options {
                            kid: Some("k1"),
                            typ: Some("JWT"),
                            cty: Some("JWT"),
                        };
                        let token =
                            encrypt(b"payload", alg, enc, to, &opts, &*sender, &rng).unwrap();
                        let (h, plain) = decrypt(&token, key, ALL, &rng).unwrap();
                        assert_eq!(
                            plain,
                            b"payload",
                            "{alg} {enc} {} -> {}",
                            sender.name(),
                            receiver.name()
                        );
                        assert_eq!(
                            (h.alg.as_str(), h.enc.as_str()),
                            (alg.as_str(), enc.as_str())
                        );
                        assert_eq!(h.kid.as_deref(), Some("k1"));
                        assert_eq!(h.cty.as_deref(), Some("JWT"));
                    }
                }
            }
        }
    }
}

/// A fresh A256GCM token to an EC key, and that key.
fn sample() -> (String, std::sync::Arc<dyn DecryptionKey>) {
    let p = &providers()[0];
    let key = p
        .decryption_key_from_jwk(&load("rfc7520_5_5")["jwk"])
        .unwrap();
    let token = encrypt(
        b"secret",
        KeyAlg::EcdhEsA128Kw,
        Enc::A256Gcm,
        Recipient::Public(&key.public_jwk()),
        &Options::default(),
        &**p,
        &rng(),
    )
    .unwrap();
    (token, key)
}

fn replace_part(token: &str, i: usize, f: impl Fn(Vec<u8>) -> Vec<u8>) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[i] = b64::encode(&f(b64::decode(&parts[i]).unwrap()));
    parts.join(".")
}

fn flip(mut v: Vec<u8>) -> Vec<u8> {
    v[0] ^= 1;
    v
}

#[test]
fn tampering_with_any_part_fails_alike() {
    let (token, key) = sample();
    let k = Decrypter::Private(&*key);
    let header_changed = replace_part(&token, 0, |h| {
        let mut v: Value = serde_json::from_slice(&h).unwrap();
        v["kid"] = "other".into();
        serde_json::to_vec(&v).unwrap()
    });
    for bad in [
        replace_part(&token, 1, flip),
        replace_part(&token, 2, flip),
        replace_part(&token, 3, flip),
        replace_part(&token, 4, flip),
        replace_part(&token, 4, |mut t| {
            t.pop();
            t
        }),
        header_changed,
    ] {
        assert_eq!(
            decrypt(&bad, k, ALL, &rng()).unwrap_err(),
            JoseError::Decryption
        );
    }
    // The untouched token still decrypts.
    assert_eq!(decrypt(&token, k, ALL, &rng()).unwrap().1, b"secret");
}

#[test]
fn cbc_tampering_fails_before_padding_is_read() {
    let v = load("rfc7516_a3");
    let kek = bytes(&v["jwk"], "k");
    let token = s(&v, "token");
    for i in 1..5 {
        let bad = replace_part(token, i, flip);
        assert_eq!(
            decrypt(&bad, Decrypter::Secret(&kek), ALL, &rng()).unwrap_err(),
            JoseError::Decryption,
            "part {i}"
        );
    }
    let wrong = [0u8; 16];
    assert_eq!(
        decrypt(token, Decrypter::Secret(&wrong), ALL, &rng()).unwrap_err(),
        JoseError::Decryption
    );
}

#[test]
fn a_wrong_private_key_fails_alike() {
    let v = load("rfc7516_a1");
    for p in providers() {
        let other = p
            .decryption_key_from_jwk(&load("rfc7520_5_2")["jwk"])
            .unwrap();
        assert_eq!(
            decrypt(s(&v, "token"), Decrypter::Private(&*other), ALL, &rng()).unwrap_err(),
            JoseError::Decryption
        );
    }
}

#[test]
fn algorithms_outside_the_policy_or_unknown_are_refused() {
    let (token, key) = sample();
    let k = Decrypter::Private(&*key);
    let only_rsa = Policy {
        algs: &[KeyAlg::RsaOaep256],
        encs: &ENCS,
    };
    assert!(
        matches!(decrypt(&token, k, only_rsa, &rng()), Err(JoseError::AlgorithmNotAllowed(a)) if a == "ECDH-ES+A128KW")
    );
    let only_cbc = Policy {
        algs: &KEY_ALGS,
        encs: &[Enc::A128CbcHs256],
    };
    assert!(
        matches!(decrypt(&token, k, only_cbc, &rng()), Err(JoseError::AlgorithmNotAllowed(e)) if e == "A256GCM")
    );
    for (member, value) in [
        ("enc", "A192GCM"),
        ("alg", "RSA1_5"),
        ("alg", "PBES2-HS256+A128KW"),
        ("zip", "DEF"),
    ] {
        let bad = replace_part(&token, 0, |h| {
            let mut v: Value = serde_json::from_slice(&h).unwrap();
            v[member] = value.into();
            serde_json::to_vec(&v).unwrap()
        });
        assert!(
            matches!(
                decrypt(&bad, k, ALL, &rng()),
                Err(JoseError::AlgorithmNotAllowed(_))
            ),
            "{member} {value}"
        );
    }
    let crit = replace_part(&token, 0, |h| {
        let mut v: Value = serde_json::from_slice(&h).unwrap();
        v["crit"] = serde_json::json!(["exp"]);
        serde_json::to_vec(&v).unwrap()
    });
    assert_eq!(
        decrypt(&crit, k, ALL, &rng()).unwrap_err(),
        JoseError::UnknownCrit("exp".into())
    );
}

#[test]
fn keys_of_the_wrong_kind_are_refused() {
    let (token, ec) = sample();
    let rsa = providers()[0]
        .decryption_key_from_jwk(&load("rfc7516_a1")["jwk"])
        .unwrap();
    assert_eq!(
        decrypt(&token, Decrypter::Private(&*rsa), ALL, &rng()).unwrap_err(),
        JoseError::KeyMismatch
    );
    assert_eq!(
        decrypt(&token, Decrypter::Secret(&[0; 16]), ALL, &rng()).unwrap_err(),
        JoseError::KeyMismatch
    );
    let a3 = load("rfc7516_a3");
    assert_eq!(
        decrypt(s(&a3, "token"), Decrypter::Private(&*ec), ALL, &rng()).unwrap_err(),
        JoseError::KeyMismatch
    );
    // A 32-byte key for A128KW.
    assert_eq!(
        decrypt(s(&a3, "token"), Decrypter::Secret(&[0; 32]), ALL, &rng()).unwrap_err(),
        JoseError::KeyMismatch
    );
    // Encrypting: an EC key for RSA-OAEP, a key declaring another alg, a short dir key.
    let p = &providers()[0];
    let e = |alg, to| {
        encrypt(
            b"x",
            alg,
            Enc::A128Gcm,
            to,
            &Options::default(),
            &**p,
            &rng(),
        )
    };
    let ec_public = ec.public_jwk();
    assert!(e(KeyAlg::RsaOaep, Recipient::Public(&ec_public)).is_err());
    let declared = Jwk {
        alg: Some("RSA-OAEP".into()),
        ..rsa.public_jwk()
    };
    assert_eq!(
        e(KeyAlg::RsaOaep256, Recipient::Public(&declared)).unwrap_err(),
        JoseError::KeyMismatch
    );
    let signing = Jwk {
        use_: Some("sig".into()),
        ..rsa.public_jwk()
    };
    assert!(e(KeyAlg::RsaOaep256, Recipient::Public(&signing)).is_err());
    assert_eq!(
        e(KeyAlg::Dir, Recipient::Secret(&[0; 15])).unwrap_err(),
        JoseError::KeyMismatch
    );
}

#[test]
fn invalid_ephemeral_keys_are_refused() {
    let (token, key) = sample();
    let k = Decrypter::Private(&*key);
    let with_epk = |epk: Value| {
        replace_part(&token, 0, |h| {
            let mut v: Value = serde_json::from_slice(&h).unwrap();
            v["epk"] = epk.clone();
            serde_json::to_vec(&v).unwrap()
        })
    };
    let p384 = load("rfc7520_5_4")["jwk"].clone();
    let mut off_curve = load("rfc7520_5_5")["jwk"].clone();
    off_curve["y"] = b64::encode(&[1u8; 32]).into();
    for epk in [
        serde_json::json!({"kty": "EC", "crv": "P-384", "x": p384["x"], "y": p384["y"]}),
        serde_json::json!({"kty": "EC", "crv": "P-256", "x": off_curve["x"], "y": off_curve["y"]}),
        serde_json::json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"}),
    ] {
        assert_eq!(
            decrypt(&with_epk(epk), k, ALL, &rng()).unwrap_err(),
            JoseError::Decryption
        );
    }
    let no_epk = replace_part(&token, 0, |h| {
        let mut v: Value = serde_json::from_slice(&h).unwrap();
        v.as_object_mut().unwrap().remove("epk");
        serde_json::to_vec(&v).unwrap()
    });
    assert_eq!(
        decrypt(&no_epk, k, ALL, &rng()).unwrap_err(),
        JoseError::Malformed("jwe epk")
    );
}

#[test]
fn malformed_compact_forms_are_refused() {
    let (token, key) = sample();
    let k = Decrypter::Private(&*key);
    let four: Vec<&str> = token.split('.').take(4).collect();
    assert!(matches!(
        decrypt(&four.join("."), k, ALL, &rng()),
        Err(JoseError::Malformed(_))
    ));
    assert!(matches!(
        decrypt(&format!("{token}.x"), k, ALL, &rng()),
        Err(JoseError::Malformed(_))
    ));
    assert!(matches!(
        decrypt("a.b.c.d.e", k, ALL, &rng()),
        Err(JoseError::Malformed(_))
    ));
    let huge = format!("{token}{}", "A".repeat(MAX_TOKEN_LEN));
    assert_eq!(
        decrypt(&huge, k, ALL, &rng()).unwrap_err(),
        JoseError::TooLarge
    );
    // Key wrapping with an empty encrypted key, and dir with one.
    let empty_key = replace_part(&token, 1, |_| Vec::new());
    assert_eq!(
        decrypt(&empty_key, k, ALL, &rng()).unwrap_err(),
        JoseError::Malformed("jwe encrypted key")
    );
    let v = load("rfc7520_5_6");
    let dir_with_key = replace_part(s(&v, "token"), 1, |_| vec![1, 2, 3]);
    let secret = bytes(&v["jwk"], "k");
    assert_eq!(
        decrypt(&dir_with_key, Decrypter::Secret(&secret), ALL, &rng()).unwrap_err(),
        JoseError::Malformed("jwe encrypted key")
    );
    assert!(is_jwe(&token) && !is_jwe("a.b.c"));
}

#[test]
fn client_secret_keys_follow_oidc_core_10_2() {
    use sha2::Digest as _;
    let full256 = Sha256::digest(b"s3cr3t");
    assert_eq!(
        secret_key("s3cr3t", KeyAlg::A128Kw, Enc::A256Gcm),
        full256[..16]
    );
    assert_eq!(
        secret_key("s3cr3t", KeyAlg::A256Kw, Enc::A128Gcm),
        full256[..]
    );
    assert_eq!(
        secret_key("s3cr3t", KeyAlg::Dir, Enc::A128CbcHs256),
        full256[..]
    );
    assert_eq!(
        secret_key("s3cr3t", KeyAlg::Dir, Enc::A256CbcHs512),
        Sha512::digest(b"s3cr3t")[..]
    );
}

#[test]
fn decryption_keys_move_between_providers_as_pkcs8() {
    let rng = rng();
    let mut keys = Vec::new();
    for p in providers() {
        keys.push(
            p.decryption_key_from_jwk(&load("rfc7516_a1")["jwk"])
                .unwrap(),
        );
        for c in [crate::crypto::Curve::P256, crate::crypto::Curve::P384] {
            keys.push(
                p.generate_decryption_key(DecryptionKeyType::Ec(c), &rng)
                    .unwrap(),
            );
        }
    }
    for key in &keys {
        for p in providers() {
            let again = p
                .decryption_key_from_pkcs8(key.key_type(), &key.to_pkcs8_der().unwrap())
                .unwrap();
            assert_eq!(again.public_jwk(), key.public_jwk());
            assert_eq!(again.key_type(), key.key_type());
        }
    }
    // A key of one kind does not load as another.
    let der = keys[0].to_pkcs8_der().unwrap();
    for p in providers() {
        assert!(
            p.decryption_key_from_pkcs8(DecryptionKeyType::Ec(crate::crypto::Curve::P256), &der)
                .is_err()
        );
        // A signing-only JWK (use sig) is refused for decryption.
        let mut sig = load("rfc7516_a1")["jwk"].clone();
        sig["use"] = "sig".into();
        assert!(p.decryption_key_from_jwk(&sig).is_err());
    }
}
