use super::*;

#[test]
fn dates_round_trip() {
    assert_eq!(parse_date("1970-01-01"), Some(0));
    assert_eq!(parse_date("2026-11-30"), Some(1_795_996_800));
    assert_eq!(format_date(1_795_996_800 + 3_600), "2026-11-30");
    assert_eq!(
        format_datetime(1_795_996_800 + 3_661),
        "2026-11-30T01:01:01Z"
    );
    for d in ["2024-02-29", "2000-03-01", "2099-12-31", "1999-01-01"] {
        assert_eq!(format_date(parse_date(d).unwrap()), d);
    }
    for bad in [
        "2026-13-01",
        "2026-1-01",
        "20261130",
        "2026-11-3x",
        "+026-11-30",
        "",
    ] {
        assert_eq!(parse_date(bad), None, "{bad}");
    }
}

#[test]
fn a_blob_serves_through_its_next_update_day() {
    let d = parse_date("2026-12-01").unwrap();
    assert!(!expired(d, d - 1));
    assert!(!expired(d, d + 86_399));
    assert!(expired(d, d + 86_400));
}

/// The built-in roots are the published ones: their SHA-256 fingerprints.
#[test]
fn the_builtin_roots_are_the_published_ones() {
    use sha2::{Digest, Sha256};
    let fingerprint = |pem: &str| -> String {
        let der = builtin(pem).remove(0).der().to_vec();
        Sha256::digest(der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    // GlobalSign Root CA - R3: the FIDO Alliance's MDS3 BLOB root.
    assert_eq!(
        fingerprint(FIDO_MDS_ROOT_PEM),
        "CB:B5:22:D7:B7:F1:27:AD:6A:01:13:86:5B:DF:1C:D4:10:2E:7D:07:59:AF:63:5A:7C:F4:72:0D:C9:63:C5:3B"
    );
    assert_eq!(
        fingerprint(APPLE_WEBAUTHN_ROOT_PEM),
        "09:15:DD:5C:07:A2:8D:B5:49:D1:F6:77:BB:5A:75:D4:BF:BE:95:61:A7:73:42:43:27:76:2E:9E:02:F9:BB:29"
    );
}

#[test]
fn the_builtin_roots_parse() {
    assert_eq!(builtin(FIDO_MDS_ROOT_PEM).len(), 1);
    assert_eq!(builtin(APPLE_WEBAUTHN_ROOT_PEM).len(), 1);
    let (roots, crls, problems) = mds_anchors(&[]);
    assert_eq!((roots.len(), crls.len(), problems.len()), (1, 0, 0));
}

mod blobs {
    use serde_json::{Value, json};

    use super::super::blob::{self, Anchors};
    use super::super::crl::Crl;
    use super::super::*;
    use crate::crypto::tests::providers;
    use crate::testing::SeededRandom;
    use crate::testing::pki::{self, Issued, Spec};

    const T: UnixTime = 1_800_000_000;

    /// Root → intermediate (with a CRL distribution point) → BLOB signer (with one).
    struct Pki {
        root: Issued,
        intermediate: Issued,
        signer: Issued,
    }

    impl Pki {
        /// `payload` signed by the signer, whose chain (signer, intermediate) is `x5c`.
        fn blob(&self, payload: &Value, rng: &SeededRandom) -> Vec<u8> {
            pki::blob(
                payload,
                &self.signer,
                &[&self.signer, &self.intermediate],
                rng,
            )
            .unwrap()
        }
    }

    fn pki(provider: &dyn CryptoProvider, rng: &SeededRandom) -> Pki {
        let from = T - 86_400;
        let root = pki::issue(
            &Spec::new("Test MDS Root", 1, from, true),
            None,
            provider,
            rng,
        )
        .unwrap();
        let mut spec = Spec::new("Test MDS CA", 2, from, true);
        spec.crl_url = Some("https://crl.example/root.crl".into());
        let intermediate = pki::issue(&spec, Some(&root), provider, rng).unwrap();
        let mut spec = Spec::new("Test MDS BLOB signer", 3, from, false);
        spec.crl_url = Some("https://crl.example/ca.crl".into());
        let signer = pki::issue(&spec, Some(&intermediate), provider, rng).unwrap();
        Pki {
            root,
            intermediate,
            signer,
        }
    }

    fn payload(no: u64, next_update: &str) -> Value {
        json!({
            "legalHeader": "test",
            "no": no,
            "nextUpdate": next_update,
            "entries": [{
                "aaguid": "5a5a5a5a-5a5a-5a5a-5a5a-5a5a5a5a5a5a",
                "metadataStatement": {
                    "description": "Test Key",
                    "aaguid": "5a5a5a5a-5a5a-5a5a-5a5a-5a5a5a5a5a5a",
                    "attestationTypes": ["basic_full"],
                    "attestationRootCertificates": [],
                    "protocolFamily": "fido2"
                },
                "statusReports": [{"status": "FIDO_CERTIFIED", "effectiveDate": "2026-01-01"}]
            }]
        })
    }

    fn roots(p: &Pki) -> Vec<crate::x509::Certificate> {
        crate::x509::parse_pem_or_der(&p.root.der).unwrap()
    }

    #[test]
    fn a_blob_verifies_to_its_root_and_nothing_else_does() {
        let rng = SeededRandom::new(1);
        for provider in providers() {
            let provider = provider.as_ref();
            let p = pki(provider, &rng);
            let jwt = p.blob(&payload(7, "2027-02-01"), &rng);
            let roots = roots(&p);
            let anchors = Anchors {
                roots: &roots,
                crls: &[],
                require_crls: false,
            };
            let b = blob::verify(&jwt, anchors, T, provider).unwrap();
            assert_eq!((b.no, b.entries.len()), (7, 1));
            assert_eq!(b.next_update, parse_date("2027-02-01").unwrap());
            assert_eq!(
                b.entries[0]
                    .metadata_statement
                    .as_ref()
                    .unwrap()
                    .description
                    .as_deref(),
                Some("Test Key")
            );

            // Another root.
            let other = pki::issue(
                &Spec::new("Other Root", 9, T - 86_400, true),
                None,
                provider,
                &rng,
            )
            .unwrap();
            let other_roots = crate::x509::parse_pem_or_der(&other.der).unwrap();
            let e = blob::verify(
                &jwt,
                Anchors {
                    roots: &other_roots,
                    ..anchors
                },
                T,
                provider,
            )
            .unwrap_err();
            assert!(matches!(e, MdsError::Chain(_)), "{e}");
            // The FIDO Alliance's root does not sign test BLOBs.
            let fido = builtin(FIDO_MDS_ROOT_PEM);
            assert!(
                blob::verify(
                    &jwt,
                    Anchors {
                        roots: &fido,
                        ..anchors
                    },
                    T,
                    provider
                )
                .is_err()
            );
            // A payload changed after signing.
            let text = String::from_utf8(jwt.clone()).unwrap();
            let parts: Vec<&str> = text.split('.').collect();
            let forged = payload(8, "2027-02-01");
            let tampered = format!(
                "{}.{}.{}",
                parts[0],
                crate::b64::encode(forged.to_string().as_bytes()),
                parts[2]
            );
            assert_eq!(
                blob::verify(tampered.as_bytes(), anchors, T, provider).unwrap_err(),
                MdsError::BadSignature
            );
            // Signed by a key its x5c does not certify.
            let wrong = pki::blob(
                &payload(7, "2027-02-01"),
                &p.intermediate,
                &[&p.signer, &p.intermediate],
                &rng,
            )
            .unwrap();
            assert_eq!(
                blob::verify(&wrong, anchors, T, provider).unwrap_err(),
                MdsError::BadSignature
            );
            // Before the chain is valid.
            assert!(matches!(
                blob::verify(&jwt, anchors, T - 2 * 86_400, provider).unwrap_err(),
                MdsError::Chain(_)
            ));
        }
    }

    #[test]
    fn revoked_chains_and_missing_crls_are_refused() {
        let rng = SeededRandom::new(2);
        for provider in providers() {
            let provider = provider.as_ref();
            let p = pki(provider, &rng);
            let jwt = p.blob(&payload(1, "2027-02-01"), &rng);
            let roots = roots(&p);
            let crl = |issuer: &Issued, revoked: &[u64], from: UnixTime| {
                Crl::parse(&pki::crl(issuer, revoked, from, from + 7 * 86_400, &rng).unwrap())
                    .unwrap()
            };
            let clean = vec![crl(&p.root, &[], T - 60), crl(&p.intermediate, &[], T - 60)];
            let verify = |crls: &[Crl], require: bool| {
                blob::verify(
                    &jwt,
                    Anchors {
                        roots: &roots,
                        crls,
                        require_crls: require,
                    },
                    T,
                    provider,
                )
            };
            assert!(verify(&clean, true).is_ok());
            // The intermediate revoked by the root; the signer revoked by the intermediate.
            let revoked_ca = vec![
                crl(&p.root, &[2], T - 60),
                crl(&p.intermediate, &[], T - 60),
            ];
            assert_eq!(verify(&revoked_ca, false).unwrap_err(), MdsError::Revoked);
            let revoked_leaf = vec![
                crl(&p.root, &[], T - 60),
                crl(&p.intermediate, &[3], T - 60),
            ];
            assert_eq!(verify(&revoked_leaf, true).unwrap_err(), MdsError::Revoked);
            // Online, a certificate naming a distribution point needs its CRL...
            let only_root = vec![crl(&p.root, &[], T - 60)];
            assert!(matches!(
                verify(&only_root, true).unwrap_err(),
                MdsError::Crl(_)
            ));
            // ... a CRL no longer current does not count ...
            let stale = vec![
                crl(&p.root, &[], T - 30 * 86_400),
                crl(&p.intermediate, &[], T - 60),
            ];
            assert!(matches!(
                verify(&stale, true).unwrap_err(),
                MdsError::Crl(_)
            ));
            // ... nor does one signed by another key under the same name.
            let impostor = Issued {
                key: provider
                    .generate(crate::jose::Algorithm::ES256, &rng)
                    .unwrap(),
                ..p.intermediate.clone()
            };
            let forged = vec![crl(&p.root, &[], T - 60), crl(&impostor, &[], T - 60)];
            assert!(matches!(
                verify(&forged, true).unwrap_err(),
                MdsError::Crl(_)
            ));
            // Offline (folders), a missing CRL is not required.
            assert!(verify(&[], false).is_ok());
        }
    }

    #[test]
    fn malformed_blobs_are_refused_without_panic() {
        let rng = SeededRandom::new(3);
        let provider = providers().remove(0);
        let provider = provider.as_ref();
        let p = pki(provider, &rng);
        let roots = roots(&p);
        let anchors = Anchors {
            roots: &roots,
            crls: &[],
            require_crls: false,
        };
        let header = |h: Value| crate::b64::encode(h.to_string().as_bytes());
        let body = crate::b64::encode(b"{}");
        for bad in [
            b"".to_vec(),
            b"not a jws".to_vec(),
            b"a.b".to_vec(),
            b"a.b.c.d".to_vec(),
            format!("{}.{body}.AA", header(json!({"alg": "ES256"}))).into_bytes(),
            format!(
                "{}.{body}.AA",
                header(json!({"alg": "ES256", "x5c": ["!!"]}))
            )
            .into_bytes(),
            format!(
                "{}.{body}.AA",
                header(json!({"alg": "ES256", "x5c": ["AAAA"]}))
            )
            .into_bytes(),
            format!("{}.{body}.AA", header(json!({"x5c": []}))).into_bytes(),
            vec![b'.'; blob::MAX_BLOB_BYTES + 1],
        ] {
            assert!(blob::verify(&bad, anchors, T, provider).is_err());
        }
        // A valid signature over a payload that is not a MetadataBLOBPayload.
        let jwt = pki::blob(
            &json!({"no": "x"}),
            &p.signer,
            &[&p.signer, &p.intermediate],
            &rng,
        )
        .unwrap();
        assert!(matches!(
            blob::verify(&jwt, anchors, T, provider).unwrap_err(),
            MdsError::Malformed(_)
        ));
        let jwt = p.blob(&payload(1, "02/01/2027"), &rng);
        assert!(matches!(
            blob::verify(&jwt, anchors, T, provider).unwrap_err(),
            MdsError::Malformed(_)
        ));
        for bad in [
            &b"junk"[..],
            b"-----BEGIN X509 CRL-----\n!!\n-----END X509 CRL-----",
        ] {
            assert!(Crl::parse(bad).is_err());
        }
    }

    #[test]
    fn the_newest_current_blob_of_a_folder_wins() {
        let rng = SeededRandom::new(4);
        let provider = providers().remove(0);
        let provider = provider.as_ref();
        let p = pki(provider, &rng);
        let chain = [&p.signer, &p.intermediate];
        let file = |no, next: &str| {
            (
                format!("{no}.jwt"),
                pki::blob(&payload(no, next), &p.signer, &chain, &rng).unwrap(),
            )
        };
        let files = vec![
            file(3, "2027-02-01"),
            file(5, "2027-02-01"),
            file(9, "2020-01-01"), // expired
            ("junk.jwt".into(), b"junk".to_vec()),
        ];
        let (certs, crls, problems) =
            mds_anchors(&[("root.pem".into(), pki::pem(&p.root.der).into_bytes())]);
        assert!(problems.is_empty());
        let anchors = Anchors {
            roots: &certs,
            crls: &crls,
            require_crls: false,
        };
        let (best, problems) = newest_blob(&files, anchors, T, provider);
        assert_eq!(best.unwrap().no, 5);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems
                .iter()
                .any(|p| p.starts_with("9.jwt") && p.contains("nextUpdate"))
        );
    }
}
