//! Attestation trust against FIDO metadata (issue 12 item 5): BLOBs signed by a test root
//! made here, loaded as the host hands the folders over and fetched through the outbound
//! client at their `nextUpdate`; `attestationMode` monitor and enforced; Janssen's `JFS_*`
//! codes; the trust diagnostics endpoints.

use jans_core::config::fido2::{AttestationMode, MetadataServer};
use jans_core::fido2::mds::Sources;
use jans_core::fido2::registration::uuid;
use jans_core::request::Fido2Endpoint;
use jans_core::testing::authenticator::{Attestation, SoftAuthenticator};
use jans_core::testing::block_on;
use jans_core::testing::pki::{self, Issued, Spec};
use jans_core::{Method, Request, Response};
use serde_json::{Value, json};

use super::fido2::{ORIGIN, attestation_options, fido, ok, refused, registrations, session_of};
use super::harness::*;

const GOOD: [u8; 16] = [0x11; 16];
const REVOKED: [u8; 16] = [0x22; 16];
const UNKNOWN: [u8; 16] = [0x33; 16];
const SURROGATE: [u8; 16] = [0x44; 16];
const BLOB_URL: &str = "https://mds.example/blob";
const ROOT_CRL: &str = "https://crl.example/root.crl";
const CA_CRL: &str = "https://crl.example/ca.crl";

/// The metadata service's PKI and an authenticator vendor's.
struct World {
    mds_root: Issued,
    mds_ca: Issued,
    signer: Issued,
    vendor_root: Issued,
    vendor_ca: Issued,
}

impl World {
    fn new(h: &Harness) -> World {
        let (p, rng) = (h.provider(), h.rng.clone());
        let from = T0 - 86_400;
        let issue = |spec: &Spec, by: Option<&Issued>| {
            pki::issue(spec, by, p.as_ref(), rng.as_ref()).unwrap()
        };
        let mds_root = issue(&Spec::new("Test MDS Root", 1, from, true), None);
        let mut spec = Spec::new("Test MDS CA", 2, from, true);
        spec.crl_url = Some(ROOT_CRL.into());
        let mds_ca = issue(&spec, Some(&mds_root));
        let mut spec = Spec::new("Test MDS signer", 3, from, false);
        spec.crl_url = Some(CA_CRL.into());
        let signer = issue(&spec, Some(&mds_ca));
        let vendor_root = issue(&Spec::new("Vendor Root", 10, from, true), None);
        let vendor_ca = issue(
            &Spec::new("Vendor Attestation CA", 11, from, true),
            Some(&vendor_root),
        );
        World {
            mds_root,
            mds_ca,
            signer,
            vendor_root,
            vendor_ca,
        }
    }

    fn blob(&self, h: &Harness, no: u64, next_update: &str) -> Vec<u8> {
        use base64::Engine as _;
        let std = base64::engine::general_purpose::STANDARD;
        let entry = |aaguid: &[u8; 16], name: &str, types: Value, status: &str| {
            json!({
                "aaguid": uuid(aaguid),
                "metadataStatement": {
                    "description": name,
                    "aaguid": uuid(aaguid),
                    "attestationTypes": types,
                    "attestationRootCertificates": [std.encode(&self.vendor_root.der)],
                },
                "statusReports": [
                    {"status": "FIDO_CERTIFIED_L1", "effectiveDate": "2025-01-01"},
                    {"status": status, "effectiveDate": "2026-06-01"}
                ],
            })
        };
        let payload = json!({
            "legalHeader": "test metadata",
            "no": no,
            "nextUpdate": next_update,
            "entries": [
                entry(&GOOD, "Good Key", json!(["basic_full"]), "FIDO_CERTIFIED_L2"),
                entry(&REVOKED, "Revoked Key", json!(["basic_full"]), "REVOKED"),
                entry(&SURROGATE, "Surrogate Key", json!(["basic_surrogate"]), "FIDO_CERTIFIED"),
            ],
        });
        pki::blob(
            &payload,
            &self.signer,
            &[&self.signer, &self.mds_ca],
            h.rng.as_ref(),
        )
        .unwrap()
    }

    fn sources(&self, h: &Harness) -> Sources {
        Sources {
            blobs: vec![("blob.jwt".into(), self.blob(h, 1, "2027-03-01"))],
            mds_certs: vec![("root.pem".into(), pki::pem(&self.mds_root.der).into_bytes())],
            ..Sources::default()
        }
    }

    /// An attestation certificate for `aaguid` issued by `by`.
    fn attestation_cert(&self, h: &Harness, aaguid: &[u8; 16], by: &Issued) -> Issued {
        use jans_core::x509::*;
        let mut spec = Spec::new("Test Key Attestation", 100, T0 - 86_400, false);
        spec.subject = vec![
            (OID_COUNTRY, "SE".into()),
            (OID_ORGANIZATION, "Vendor".into()),
            (OID_ORGANIZATIONAL_UNIT, "Authenticator Attestation".into()),
            (OID_COMMON_NAME, "Test Key Attestation".into()),
        ];
        spec.extensions = vec![("1.3.6.1.4.1.45724.1.1.4", false, pki::octets(aaguid))];
        pki::issue(&spec, Some(by), h.provider().as_ref(), h.rng.as_ref()).unwrap()
    }

    /// A software authenticator of model `aaguid` whose attestation chain is issued by
    /// `by` (the vendor's CA unless another is given).
    fn key(&self, h: &Harness, aaguid: [u8; 16], by: Option<&Issued>) -> SoftAuthenticator {
        let by = by.unwrap_or(&self.vendor_ca);
        let mut a = SoftAuthenticator::new(
            h.provider().as_ref(),
            jans_core::jose::Algorithm::ES256,
            h.rng.as_ref(),
        )
        .unwrap();
        a.aaguid = aaguid;
        a.attestation_cert = Some((self.attestation_cert(h, &aaguid, by), vec![by.der.clone()]));
        a
    }
}

/// `r` refuses the attestation as not trusted, for Janssen's reason `code`.
pub(super) fn untrusted(r: &Response, code: &str) {
    refused(r, 400, "attestation_not_trusted");
    assert!(json(r)["errorMessage"].as_str().unwrap().starts_with(code));
}

fn harness(mode: AttestationMode) -> Harness {
    let mut c = config();
    c.fido2_configuration.attestation_mode = mode;
    Harness::with(c, jans_core::repo::Stores::memory(), [7; 32])
}

/// Register `a` for `uid` with `attestation` conveyance and statement `att`.
fn register(
    h: &Harness,
    uid: &str,
    a: &mut SoftAuthenticator,
    conveyance: &str,
    att: Attestation,
) -> Response {
    let user = user(h, uid);
    let session = session_of(h, &user.inum);
    let options = attestation_options(h, uid, &session, json!({"attestation": conveyance}));
    let resp = a.register(&options, ORIGIN, att, h.rng.as_ref()).unwrap();
    fido(h, Fido2Endpoint::AttestationResult, &resp)
}

/// `uid`, added when missing.
fn user(h: &Harness, uid: &str) -> jans_core::repo::user::User {
    match block_on(h.stores.users.by_uid(uid)).unwrap() {
        Some(u) => u,
        None => h.add_user(uid),
    }
}

fn tick(h: &Harness) {
    block_on(h.engine.tick(&h.ctx())).unwrap();
}

fn set_clock(h: &Harness, t: u64) {
    h.clock.advance(t - h.clock.now());
}

fn get(h: &Harness, endpoint: Fido2Endpoint) -> Response {
    h.call(Request::new(endpoint, Method::Get))
}

#[test]
fn monitor_records_the_judgement_and_never_refuses() {
    let h = harness(AttestationMode::Monitor);
    let w = World::new(&h);
    assert!(
        h.engine
            .fido2()
            .load_metadata(&w.sources(&h), &h.ctx())
            .is_empty()
    );

    // A model in the metadata, chained to its vendor root: trusted.
    let done = ok(&register(
        &h,
        "alice",
        &mut w.key(&h, GOOD, None),
        "direct",
        Attestation::PackedX5c,
    ));
    assert_eq!(done["attestationTrusted"], true);
    assert_eq!(done["attestationType"], "basic");
    let alice = user(&h, "alice");
    let reg = &registrations(&h, &alice.inum)[0];
    assert!(reg.attestation_trusted);
    assert_eq!(reg.attestation_problem, None);
    assert_eq!(reg.authenticator_name.as_deref(), Some("Good Key"));

    // Failures are recorded with their code, and registered.
    for (uid, mut key, att, code) in [
        (
            "bob",
            w.key(&h, UNKNOWN, None),
            Attestation::PackedX5c,
            "JFS_AAGUID_NOT_IN_MDS",
        ),
        (
            "carol",
            w.key(&h, REVOKED, None),
            Attestation::PackedX5c,
            "JFS_AUTHENTICATOR_STATUS_UNACCEPTABLE",
        ),
        (
            "dave",
            w.key(&h, GOOD, Some(&w.mds_ca)),
            Attestation::PackedX5c,
            "JFS_ROOT_CERT_NOT_TRUSTED",
        ),
        (
            "erin",
            w.key(&h, GOOD, None),
            Attestation::None,
            "JFS_ATTESTATION_FORMAT_NOT_PERMITTED",
        ),
        (
            "frank",
            w.key(&h, GOOD, None),
            Attestation::PackedSelf,
            "JFS_ATTESTATION_FORMAT_NOT_PERMITTED",
        ),
    ] {
        let done = ok(&register(&h, uid, &mut key, "direct", att));
        assert_eq!(done["attestationTrusted"], false, "{uid}");
        let user = user(&h, uid);
        let reg = &registrations(&h, &user.inum)[0];
        assert!(!reg.attestation_trusted);
        let problem = reg.attestation_problem.as_deref().unwrap_or_default();
        assert!(problem.starts_with(code), "{uid}: {problem}");
    }
    // Self attestation of a model whose metadata lists basic_surrogate: trusted.
    let done = ok(&register(
        &h,
        "grace",
        &mut w.key(&h, SURROGATE, None),
        "direct",
        Attestation::PackedSelf,
    ));
    assert_eq!(done["attestationTrusted"], true);
    // A relying party that asked for no attestation is not judged.
    ok(&register(
        &h,
        "heidi",
        &mut w.key(&h, UNKNOWN, None),
        "none",
        Attestation::None,
    ));
    let heidi = user(&h, "heidi");
    assert_eq!(registrations(&h, &heidi.inum)[0].attestation_problem, None);
}

#[test]
fn enforced_refuses_what_is_not_trusted_and_stores_nothing() {
    let h = harness(AttestationMode::Enforced);
    let w = World::new(&h);
    // No metadata at all.
    let r = register(
        &h,
        "alice",
        &mut w.key(&h, GOOD, None),
        "direct",
        Attestation::PackedX5c,
    );
    untrusted(&r, "JFS_MDS_UNAVAILABLE");

    h.engine.fido2().load_metadata(&w.sources(&h), &h.ctx());
    // Options ask for direct attestation whatever the caller asked.
    let alice = user(&h, "alice");
    let session = session_of(&h, &alice.inum);
    let options = attestation_options(&h, "alice", &session, json!({"attestation": "none"}));
    assert_eq!(options["attestation"], "direct");

    for (mut key, att, code) in [
        (
            w.key(&h, UNKNOWN, None),
            Attestation::PackedX5c,
            "JFS_AAGUID_NOT_IN_MDS",
        ),
        (
            w.key(&h, REVOKED, None),
            Attestation::PackedX5c,
            "JFS_AUTHENTICATOR_STATUS_UNACCEPTABLE",
        ),
        (
            w.key(&h, GOOD, Some(&w.mds_ca)),
            Attestation::PackedX5c,
            "JFS_ROOT_CERT_NOT_TRUSTED",
        ),
        (
            w.key(&h, GOOD, None),
            Attestation::None,
            "JFS_ATTESTATION_FORMAT_NOT_PERMITTED",
        ),
        (
            w.key(&h, GOOD, None),
            Attestation::PackedSelf,
            "JFS_ATTESTATION_FORMAT_NOT_PERMITTED",
        ),
    ] {
        let r = register(&h, "alice", &mut key, "none", att);
        refused(&r, 400, "attestation_not_trusted");
        let message = json(&r)["errorMessage"].as_str().unwrap().to_owned();
        assert!(message.starts_with(code), "{message}");
        assert!(
            registrations(&h, &alice.inum).is_empty(),
            "{code}: nothing stored"
        );
    }
    ok(&register(
        &h,
        "alice",
        &mut w.key(&h, GOOD, None),
        "none",
        Attestation::PackedX5c,
    ));
    assert_eq!(registrations(&h, &alice.inum).len(), 1);

    // Once the BLOB is past its nextUpdate (the whole day after it), its models are not.
    set_clock(&h, jans_core::fido2::mds::parse_date("2027-03-02").unwrap());
    let r = register(
        &h,
        "bob",
        &mut w.key(&h, GOOD, None),
        "direct",
        Attestation::PackedX5c,
    );
    untrusted(&r, "JFS_MDS_METADATA_EXPIRED");
}

#[test]
fn configured_authenticator_roots_and_apple_need_no_metadata() {
    let h = harness(AttestationMode::Enforced);
    let w = World::new(&h);
    let sources = Sources {
        authenticator_certs: vec![(
            "vendor.pem".into(),
            pki::pem(&w.vendor_root.der).into_bytes(),
        )],
        ..Sources::default()
    };
    assert!(
        h.engine
            .fido2()
            .load_metadata(&sources, &h.ctx())
            .is_empty()
    );
    let done = ok(&register(
        &h,
        "alice",
        &mut w.key(&h, UNKNOWN, None),
        "direct",
        Attestation::PackedX5c,
    ));
    assert_eq!(done["attestationTrusted"], true);
    let r = register(
        &h,
        "bob",
        &mut w.key(&h, UNKNOWN, Some(&w.mds_ca)),
        "direct",
        Attestation::PackedX5c,
    );
    refused(&r, 400, "attestation_not_trusted");
    // A file that is not a certificate is reported and skipped.
    let problems = h.engine.fido2().load_metadata(
        &Sources {
            authenticator_certs: vec![("junk.pem".into(), b"junk".to_vec())],
            statements: vec![("junk.json".into(), b"{".to_vec())],
            blobs: vec![("junk.jwt".into(), b"x.y.z".to_vec())],
            ..Sources::default()
        },
        &h.ctx(),
    );
    assert_eq!(problems.len(), 3, "{problems:?}");
}

#[test]
fn local_metadata_statements_name_models_too() {
    use base64::Engine as _;
    let h = harness(AttestationMode::Enforced);
    let w = World::new(&h);
    let statement = json!({
        "description": "Local Key",
        "aaguid": uuid(&UNKNOWN),
        "attestationTypes": ["basic_full"],
        "attestationRootCertificates": [base64::engine::general_purpose::STANDARD.encode(&w.vendor_root.der)],
    });
    let sources = Sources {
        statements: vec![("local.json".into(), statement.to_string().into_bytes())],
        ..Sources::default()
    };
    assert!(
        h.engine
            .fido2()
            .load_metadata(&sources, &h.ctx())
            .is_empty()
    );
    ok(&register(
        &h,
        "alice",
        &mut w.key(&h, UNKNOWN, None),
        "direct",
        Attestation::PackedX5c,
    ));
    let alice = user(&h, "alice");
    assert_eq!(
        registrations(&h, &alice.inum)[0]
            .authenticator_name
            .as_deref(),
        Some("Local Key")
    );
}

#[test]
fn blobs_are_fetched_at_next_update_with_their_crls() {
    let mut c = config();
    c.fido2_configuration.attestation_mode = AttestationMode::Enforced;
    c.fido2_configuration.metadata_servers = vec![MetadataServer {
        url: BLOB_URL.into(),
    }];
    c.fido2_configuration.metadata_refresh_interval = 600;
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let w = World::new(&h);
    // The roots come from the folder; the BLOB and CRLs from the network.
    h.engine.fido2().load_metadata(
        &Sources {
            mds_certs: vec![("root.pem".into(), pki::pem(&w.mds_root.der).into_bytes())],
            ..Sources::default()
        },
        &h.ctx(),
    );
    let serve = |url: &str, body: Vec<u8>| {
        h.http.docs.lock().unwrap().insert(url.to_owned(), body);
    };
    let crl = |issuer: &Issued, revoked: &[u64]| {
        pki::crl(
            issuer,
            revoked,
            h.clock.now() - 60,
            h.clock.now() + 30 * 86_400,
            h.rng.as_ref(),
        )
        .unwrap()
    };
    let health = |h: &Harness| {
        let r = get(h, Fido2Endpoint::MdsHealth);
        (r.status(), json(&r))
    };
    let fetches = |h: &Harness| *h.http.fetches.lock().unwrap();

    // Before any BLOB: DOWN, 503.
    let (status, body) = health(&h);
    assert_eq!((status, body["status"].as_str()), (503, Some("DOWN")));

    // The BLOB without its CA's CRL: refused (a revocation could be hidden so).
    serve(BLOB_URL, w.blob(&h, 5, "2027-02-01"));
    serve(ROOT_CRL, crl(&w.mds_root, &[]));
    tick(&h);
    let (status, body) = health(&h);
    assert_eq!(status, 503);
    assert!(
        body["lastRefreshError"].as_str().unwrap().contains("CRL"),
        "{body}"
    );

    // Retried after metadataRefreshInterval, not before.
    let before = fetches(&h);
    tick(&h);
    assert_eq!(fetches(&h), before);
    serve(CA_CRL, crl(&w.mds_ca, &[]));
    h.clock.advance(601);
    tick(&h);
    let (status, body) = health(&h);
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("UP")),
        "{body}"
    );
    assert_eq!(body["tocEntryCount"], 3);
    assert_eq!(body["nextUpdate"], "2027-02-01");
    assert_eq!(body["blobExpired"], false);
    assert!(body.get("lastRefreshError").is_none());
    ok(&register(
        &h,
        "alice",
        &mut w.key(&h, GOOD, None),
        "direct",
        Attestation::PackedX5c,
    ));

    // Nothing fetched until nextUpdate.
    let before = fetches(&h);
    h.clock.advance(3600);
    tick(&h);
    assert_eq!(fetches(&h), before);

    // At nextUpdate: an older BLOB is ignored, the one in force stays.
    set_clock(&h, jans_core::fido2::mds::parse_date("2027-02-01").unwrap());
    serve(BLOB_URL, w.blob(&h, 4, "2027-03-01"));
    tick(&h);
    assert!(fetches(&h) > before);
    let (_, body) = health(&h);
    assert_eq!(body["blobs"][0]["no"], 5);
    assert!(
        body["lastRefreshError"]
            .as_str()
            .unwrap()
            .contains("not above"),
        "{body}"
    );

    // A newer BLOB whose signer the CA revoked: refused, the one in force stays.
    serve(BLOB_URL, w.blob(&h, 6, "2027-03-01"));
    serve(CA_CRL, crl(&w.mds_ca, &[3]));
    h.clock.advance(601);
    tick(&h);
    let (_, body) = health(&h);
    assert_eq!(body["blobs"][0]["no"], 5);
    assert!(
        body["lastRefreshError"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );

    // Unrevoked: in force.
    serve(CA_CRL, crl(&w.mds_ca, &[]));
    h.clock.advance(601);
    tick(&h);
    let (status, body) = health(&h);
    assert_eq!(
        (status, body["blobs"][0]["no"].as_u64()),
        (200, Some(6)),
        "{body}"
    );
    assert_eq!(body["nextUpdate"], "2027-03-01");
}

#[test]
fn trust_diagnostics_endpoints() {
    let h = harness(AttestationMode::Monitor);
    // No metadata server by default: the tick fetches nothing.
    tick(&h);
    assert_eq!(*h.http.fetches.lock().unwrap(), 0);
    let r = get(&h, Fido2Endpoint::AttestationTrustConfig);
    assert_eq!(r.status(), 200);
    let v = json(&r);
    assert_eq!(v["attestationMode"], "monitor");
    assert_eq!(v["unattestedAuthenticatorsAllowed"], true);
    assert_eq!(v["appleRootCaPresent"], true);
    assert_eq!(v["enabledFidoAlgorithms"][0], "ES256");
    // Only GET.
    let mut req = Request::new(Fido2Endpoint::MdsHealth, Method::Post);
    req.body = b"{}".to_vec();
    let r = h.call(req);
    assert_eq!(r.status(), 405);
    assert_eq!(header(&r, "allow").as_deref(), Some("GET"));
    // Paths.
    assert_eq!(
        jans_core::Endpoint::from_path("/jans-fido2/restv1/trust/mds/health"),
        Some(Fido2Endpoint::MdsHealth.into())
    );

    let mut c = config();
    c.fido2_configuration.disable_metadata_service = true;
    c.fido2_configuration.attestation_mode = AttestationMode::Enforced;
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let r = get(&h, Fido2Endpoint::MdsHealth);
    assert_eq!(
        (r.status(), json(&r)["status"].as_str()),
        (200, Some("DISABLED"))
    );
    assert_eq!(
        json(&get(&h, Fido2Endpoint::AttestationTrustConfig))["unattestedAuthenticatorsAllowed"],
        false
    );
}
