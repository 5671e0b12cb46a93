//! Fuzzing entry points (DESIGN.md §8). Each must never panic on any input.

/// Form/query parameter parsing plus the duplicate check.
pub fn fuzz_params(data: &[u8]) {
    if let Ok(p) = crate::params::Params::parse(data) {
        let _ = p.check_no_repeats();
        let _ = p.get("grant_type");
        let _ = crate::params::Params::parse(p.encode().as_bytes());
    }
}

/// WebAuthn authenticator data (and the same bytes as one CBOR item): parsed, bounded,
/// never a panic.
pub fn fuzz_authenticator_data(data: &[u8]) {
    if let Ok(d) = crate::fido2::authenticator_data::parse(data)
        && let Some(a) = d.attested
    {
        // The key's bytes decode alone to what was parsed in place (compared as printed:
        // a NaN is not equal to itself).
        let alone = crate::fido2::cbor::decode(&a.public_key).map(|v| format!("{v:?}"));
        assert_eq!(alone, Ok(format!("{:?}", a.public_key_cbor)));
    }
    let _ = crate::fido2::cbor::decode(data);
}

/// `clientDataJSON` parsed and checked against a fixed challenge and origin.
pub fn fuzz_client_data(data: &[u8]) {
    use crate::fido2::client_data::{Ceremony, parse};
    if let Ok(c) = parse(data) {
        let origins = ["https://id.example.com".to_owned()];
        for ceremony in [Ceremony::Create, Ceremony::Get] {
            let _ = c.check(ceremony, &[7; 16], &origins, false);
        }
    }
}

/// An attestation object: parsed, then its statement verified by every format's procedure
/// (whatever `fmt` says) against the credential key it carries, with both providers this
/// build has.
pub fn fuzz_attestation_object(data: &[u8]) {
    use crate::fido2::attestation::{FORMATS, Input, parse, verify};
    let Ok(ao) = parse(data) else {
        return;
    };
    let Some(attested) = &ao.auth_data.attested else {
        return;
    };
    let provider = crate::crypto::default_provider();
    let Ok((alg, key)) = crate::fido2::cose::verifying_key(
        provider.as_ref(),
        &attested.public_key,
        &crate::config::fido2::FIDO_ALGORITHMS,
    ) else {
        return;
    };
    for fmt in FORMATS {
        let input = Input {
            att_stmt: &ao.att_stmt,
            auth_data_raw: &ao.auth_data_raw,
            auth_data: &ao.auth_data,
            client_data_hash: &[7; 32],
            credential_alg: alg,
            credential_key: &key,
            provider: provider.as_ref(),
            now: 1_800_000_000,
        };
        let _ = verify(fmt, &input);
    }
}

/// A COSE_Key read as a credential public key (every algorithm enabled).
pub fn fuzz_cose_key(data: &[u8]) {
    let provider = crate::crypto::default_provider();
    if let Ok((_, key)) = crate::fido2::cose::verifying_key(
        provider.as_ref(),
        data,
        &crate::config::fido2::FIDO_ALGORITHMS,
    ) {
        let _ = key.verify(b"message", &[0; 64]);
    }
}

/// FIDO metadata: a BLOB verified against the FIDO Alliance's root (its header, `x5c` and
/// signature checks), the same bytes read as a BLOB payload, a CRL and metadata statements,
/// and a trust judgement over what parsed (issue 12 item 11).
pub fn fuzz_mds_blob(data: &[u8]) {
    use crate::fido2::mds::{self, blob, crl::Crl};
    let provider = crate::crypto::default_provider();
    let roots = mds::builtin(mds::FIDO_MDS_ROOT_PEM);
    let anchors = blob::Anchors {
        roots: &roots,
        crls: &[],
        require_crls: true,
    };
    let _ = blob::verify(data, anchors, 1_800_000_000, provider.as_ref());
    let _ = Crl::parse(data);
    let (statements, _) = mds::statements(&[("fuzz".into(), data.to_vec())]);
    if let Ok(b) = blob::parse_payload(data) {
        let mut blobs = std::collections::BTreeMap::new();
        blobs.insert("fuzz".to_owned(), b);
        let md = mds::Metadata::build(&blobs, &statements, Vec::new());
        let verified = crate::fido2::attestation::Verified {
            kind: crate::fido2::attestation::AttestationType::Basic,
            trust_path: Vec::new(),
        };
        let _ = mds::trust::judge(
            &md,
            mds::trust::Subject {
                fmt: "packed",
                verified: &verified,
                aaguid: "00000000-0000-0000-0000-000000000001",
            },
            1_800_000_000,
            provider.as_ref(),
        );
    }
}

/// Compact JWS parsing and claim extraction.
pub fn fuzz_jws(data: &[u8]) {
    if let Ok(s) = std::str::from_utf8(data)
        && let Ok(u) = crate::jose::jws::decode(s)
    {
        let _ = crate::jose::jwt::parse_claims(u.payload_unverified());
        let _ = u.verify_hmac(&[crate::jose::Algorithm::HS256], b"fuzz-key");
    }
}

/// Local token verification ([`crate::Engine::verify_token`]) against one in-memory engine
/// with real keys: the input as a token, and split at its first `0xff` byte into a header
/// and a payload that are encoded into a compact JWS around a zero signature, so the fuzzer
/// reaches the header checks (`kid`, `typ`) and the claim parsing without having to learn
/// base64url.
pub fn fuzz_verify(data: &[u8]) {
    static ENGINE: std::sync::OnceLock<Option<crate::Engine>> = std::sync::OnceLock::new();
    let Some(engine) = ENGINE.get_or_init(fuzz_engine) else {
        return;
    };
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = engine.verify_token(s, Some("aud"), FUZZ_NOW);
    }
    let (header, payload) = match data.iter().position(|b| *b == 0xff) {
        Some(i) => (
            data.get(..i).unwrap_or_default(),
            data.get(i + 1..).unwrap_or_default(),
        ),
        None => (data, &b"{}"[..]),
    };
    let token = format!(
        "{}.{}.{}",
        crate::b64::encode(header),
        crate::b64::encode(payload),
        crate::b64::encode(&[0u8; 64])
    );
    let _ = engine.verify_token(&token, None, FUZZ_NOW);
}

const FUZZ_NOW: crate::UnixTime = 1_800_000_000;

/// An engine with one ES256 key, started on memory stores.
fn fuzz_engine() -> Option<crate::Engine> {
    let config = crate::Config {
        key_algs_allowed_for_generation: vec![crate::jose::Algorithm::ES256.into()],
        default_signature_algorithm: crate::jose::Algorithm::ES256,
        ..crate::Config::default()
    };
    let engine = crate::Engine::builder(config)
        .master_key([9; 32])
        .build()
        .ok()?;
    let rng = std::sync::Arc::new(crate::testing::SeededRandom::new(1));
    let ctx = crate::Ctx::new(FUZZ_NOW, rng, "fuzz");
    crate::testing::block_on(engine.start(&ctx)).ok()?;
    Some(engine)
}

/// SCIM filters and PATCH paths (issue 13 item 11): parsed within their bounds; a parsed
/// filter prints to text that parses to the same tree (unless the printed form's added
/// parentheses pass a bound), binds to the User schemas or is refused with
/// `invalidFilter`, and evaluates on a user; the same bytes as a PATCH request apply to a
/// user or are refused.
pub fn fuzz_scim_filter(data: &[u8]) {
    use crate::error::scim::ScimType;
    use crate::scim::filter::{bind, eval, parse, parse_patch_path};
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(f) = parse(text) {
        match parse(&f.to_string()) {
            Ok(again) => assert_eq!(again, f, "{text:?} printed as {f}"),
            Err(e) => assert!(
                e.detail.contains("deeper") || e.detail.contains("longer"),
                "{text:?} printed as {f}: {e}"
            ),
        }
        if let Ok(schemas) = crate::scim::schema::ResourceSchemas::users(&[]) {
            match bind(&f, &schemas) {
                Ok(bound) => {
                    let user = serde_json::json!({
                        "userName": "bjensen", "active": true, "title": "",
                        "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
                        "meta": {"lastModified": "2011-05-13T04:42:34Z"},
                    });
                    let _ = eval(&bound, &user);
                    crate::scim::plan::assert_narrows(&bound);
                }
                Err(e) => assert_eq!(e.scim_type, Some(ScimType::InvalidFilter)),
            }
        }
    }
    if let Err(e) = parse_patch_path(text) {
        assert_eq!(e.scim_type, Some(ScimType::InvalidPath));
    }
    // The same bytes as a PATCH request, applied to a user: a result or a refusal.
    if let (Ok(body), Ok(schemas)) = (
        serde_json::from_slice::<serde_json::Value>(data),
        crate::scim::schema::ResourceSchemas::users(&[]),
    ) && let Ok(ops) = crate::scim::patch::parse_request(&body)
    {
        let user = serde_json::json!({
            "schemas": [crate::scim::schema::USER], "id": "u1", "userName": "bjensen",
            "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
        });
        if let Ok(patched) = crate::scim::patch::apply(&user, &ops, &schemas) {
            assert!(
                patched
                    .get("schemas")
                    .is_some_and(serde_json::Value::is_array)
            );
            // What a PATCH leaves is read again as a whole resource: a result or a refusal.
            let _ = crate::scim::resource::input::read_value(&patched, &schemas);
        }
    }
    // The same bytes as a resource sent whole (POST, PUT): when they make a user, the user
    // as SCIM shows it reads back as the same user (a PATCH starts from what is shown).
    if let Ok(schemas) = crate::scim::schema::ResourceSchemas::users(&[])
        && let Ok(read) = crate::scim::resource::input::read(data, &schemas)
    {
        use crate::scim::resource::user::{LeftOut, from_scim, to_scim};
        if let Ok((user, _)) = from_scim(
            &read,
            crate::repo::user::User::default(),
            LeftOut::Unassigned,
        ) {
            let shown = to_scim(&user, &[], "https://x/v2");
            let again = crate::scim::resource::input::read_value(&shown, &schemas);
            assert!(again.is_ok(), "{shown} does not read back: {again:?}");
            if let Ok(again) = again {
                let back = from_scim(&again, user.clone(), LeftOut::Unassigned).map(|(u, _)| u);
                assert_eq!(back.as_ref().ok(), Some(&user), "{shown}");
            }
        }
    }
    // And as a Bulk request: its operations or a refusal.
    let _ = crate::scim::bulk::count_operations(data, 30);
}

/// Client certificates as a proxy forwards them and as mutual TLS presents them (RFC 8705):
/// the bytes as each forwarded-certificate header (Envoy's XFCC, Traefik's, Apache's) and
/// every certificate found there parsed; then, split at the first NUL, a name as a client
/// registers it (an RFC 4514 DN, a SAN) and a certificate (DER) it is matched against.
pub fn fuzz_client_certificate(data: &[u8]) {
    use crate::x509::Certificate;
    use crate::x509::forwarded;
    use crate::x509::names::{DistinguishedName, Expected};
    let look = |der: &[u8]| {
        if let Ok(cert) = Certificate::parse(der) {
            let _ = cert.subject_text();
            let _ = cert.alt_names();
            let _ = DistinguishedName::subject_of(&cert);
            let _ = cert.public_jwk();
            let _ = (cert.is_ca(), cert.validity(), cert.extended_key_usages());
            Some(cert)
        } else {
            None
        }
    };
    for header in forwarded::HEADERS {
        if let Ok(Some((leaf, chain))) = forwarded::from_headers(&[(header, data)]) {
            look(&leaf);
            for der in &chain {
                look(der);
            }
        }
    }
    let (name, der) = match data.iter().position(|b| *b == 0) {
        Some(i) => (
            data.get(..i).unwrap_or_default(),
            data.get(i.saturating_add(1)..).unwrap_or_default(),
        ),
        None => (data, data),
    };
    let name = String::from_utf8_lossy(name);
    let expected = [
        Expected::SubjectDn(&name),
        Expected::SanDns(&name),
        Expected::SanUri(&name),
        Expected::SanIp(&name),
        Expected::SanEmail(&name),
    ];
    let cert = look(der);
    for e in &expected {
        let _ = e.check();
        if let Some(c) = &cert {
            let _ = e.matches(c);
        }
    }
}

#[cfg(test)]
mod tests {
    /// The SCIM fuzz target's properties hold on the RFC's example user and on requests the
    /// tests send (the fuzzer starts from such inputs).
    #[test]
    fn scim_target_holds_on_real_inputs() {
        for body in [
            serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "userName": "bjensen", "externalId": "bjensen",
                "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen",
                         "givenName": "Barbara"},
                "displayName": "Babs Jensen", "nickName": "Babs", "title": "Tour Guide",
                "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                           {"value": "babs@jensen.org", "type": "home"}],
                "addresses": [{"streetAddress": "100 Universal City Plaza",
                               "locality": "Hollywood", "type": "work", "primary": true}],
                "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
                "photos": [{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F",
                            "type": "photo"}],
                "active": false, "password": "t1meMa$heen",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                    {"employeeNumber": "701984", "manager": {"value": "26118915-6090-4610"}},
            }),
            serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                               "userName": "a", "emails": [{"value": "a@x"}]}),
            serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                               "Operations": [{"op": "remove", "path": "emails[type eq \"work\"]"}]}),
        ] {
            super::fuzz_scim_filter(&serde_json::to_vec(&body).unwrap());
        }
    }
}
