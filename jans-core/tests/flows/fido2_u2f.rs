//! Janssen's legacy FIDO U2F endpoints (issue 12 item 8): registration and authentication
//! of U2F keys with the raw messages U2F clients post, the same keys then signing in
//! through WebAuthn with the `appid` extension, and the refusals.

use jans_core::config::fido2::AttestationMode;
use jans_core::fido2::mds::Sources;
use jans_core::params::Params;
use jans_core::request::Fido2Endpoint;
use jans_core::testing::authenticator::SoftAuthenticator;
use jans_core::testing::block_on;
use jans_core::testing::pki::{self, Issued, Spec};
use jans_core::{Method, Request, Response};
use serde_json::{Value, json};

use super::fido2::{ORIGIN, assertion_options, fido, ok, refused, registrations, session_of};
use super::fido2_mds::untrusted;
use super::harness::*;

/// The AppID Casa and Super Gluu use: a URL on the relying party's origin.
const APP_ID: &str = "https://id.example.com/jans-casa";

fn get(h: &Harness, endpoint: Fido2Endpoint, query: &[(&str, &str)]) -> Response {
    let mut req = Request::new(endpoint, Method::Get);
    req.query = Params::from_pairs(query.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    h.call(req)
}

fn post(h: &Harness, endpoint: Fido2Endpoint, token: &Value) -> Response {
    let form = Params::from_pairs([
        ("username".to_owned(), "alice".to_owned()),
        ("tokenResponse".to_owned(), token.to_string()),
    ]);
    h.call(Request::new(endpoint, Method::Post).with_form(form))
}

fn success(r: &Response) -> Value {
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let v = json(r);
    assert_eq!(v["status"], "success", "{v}");
    v
}

/// A U2F key with an attestation certificate under a vendor root.
fn key(h: &Harness, vendor: &Issued) -> SoftAuthenticator {
    let mut a = SoftAuthenticator::new(
        h.provider().as_ref(),
        jans_core::jose::Algorithm::ES256,
        h.rng.as_ref(),
    )
    .unwrap();
    a.aaguid = [0; 16];
    let cert = pki::issue(
        &Spec::new("U2F Key Attestation", 77, T0 - 86_400, false),
        Some(vendor),
        h.provider().as_ref(),
        h.rng.as_ref(),
    )
    .unwrap();
    a.attestation_cert = Some((cert, Vec::new()));
    a
}

fn vendor(h: &Harness) -> Issued {
    pki::issue(
        &Spec::new("U2F Vendor Root", 70, T0 - 86_400, true),
        None,
        h.provider().as_ref(),
        h.rng.as_ref(),
    )
    .unwrap()
}

/// Register `a` for `uid` through the U2F endpoints.
fn enrol(h: &Harness, uid: &str, a: &mut SoftAuthenticator) -> Value {
    let user = h.add_user(uid);
    let session = session_of(h, &user.inum);
    let request = json(&get(
        h,
        Fido2Endpoint::U2fRegistration,
        &[
            ("username", uid),
            ("application", APP_ID),
            ("session_id", &session),
        ],
    ));
    assert_eq!(request["registerRequests"][0]["version"], "U2F_V2");
    assert_eq!(request["registerRequests"][0]["appId"], APP_ID);
    let token = a.u2f_register(&request, APP_ID, h.rng.as_ref()).unwrap();
    success(&post(h, Fido2Endpoint::U2fRegistration, &token))
}

fn sign_request(h: &Harness, query: &[(&str, &str)]) -> Value {
    let r = get(h, Fido2Endpoint::U2fAuthentication, query);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(&r)
}

#[test]
fn u2f_register_authenticate_and_sign_in_through_webauthn_with_appid() {
    let h = Harness::new();
    let v = vendor(&h);
    let mut a = key(&h, &v);
    let done = enrol(&h, "alice", &mut a);
    assert!(done["challenge"].is_string());
    let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
    let regs = registrations(&h, &alice.inum);
    assert_eq!(regs.len(), 1);
    assert_eq!(regs[0].app_id.as_deref(), Some(APP_ID));
    assert_eq!(regs[0].attestation_format, "fido-u2f");
    assert_eq!(regs[0].algorithm, -7);
    assert_eq!(regs[0].rp_id, "id.example.com");

    // Two-step authentication (username), then one-step (key handle, as Super Gluu).
    for query in [
        vec![("username", "alice"), ("application", APP_ID)],
        vec![
            ("keyhandle", regs[0].credential_id.as_str()),
            ("application", APP_ID),
        ],
    ] {
        let request = sign_request(&h, &query);
        assert_eq!(
            request["authenticateRequests"][0]["keyHandle"],
            regs[0].credential_id
        );
        let token = a.u2f_sign(&request, APP_ID, h.rng.as_ref()).unwrap();
        let r = success(&post(&h, Fido2Endpoint::U2fAuthentication, &token));
        assert_eq!(r["username"], "alice");
        assert_eq!(r["counter"], a.sign_count);
        // Replayed: the request was used.
        refused(
            &post(&h, Fido2Endpoint::U2fAuthentication, &token),
            403,
            "session_expired",
        );
    }
    // The client data may name the AppID's origin as its facet too.
    let request = sign_request(&h, &[("username", "alice"), ("application", APP_ID)]);
    let token = a.u2f_sign(&request, ORIGIN, h.rng.as_ref()).unwrap();
    success(&post(&h, Fido2Endpoint::U2fAuthentication, &token));

    // The same key through WebAuthn: options offer the appid extension; the key signs
    // under the AppID and says so.
    let opts = assertion_options(&h, Some("alice"));
    assert_eq!(opts["extensions"]["appid"], APP_ID);
    let signed = a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    assert_eq!(signed["clientExtensionResults"]["appid"], true);
    let r = ok(&fido(&h, Fido2Endpoint::AssertionResult, &signed));
    assert_eq!(r["username"], "alice");
    assert_eq!(registrations(&h, &alice.inum)[0].sign_count, a.sign_count);
    // Under the RP ID instead of its AppID, its signature cannot match.
    let opts = assertion_options(&h, Some("alice"));
    let mut signed = a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    signed["clientExtensionResults"] = json!({});
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "invalid_authenticator_data",
    );
}

#[test]
fn u2f_refusals_store_nothing() {
    let h = Harness::new();
    let v = vendor(&h);
    let mut a = key(&h, &v);

    // Registration needs the user's own session, a username and an AppID of this RP.
    let alice = h.add_user("alice");
    let bob = h.add_user("bob");
    let bobs = session_of(&h, &bob.inum);
    let alices = session_of(&h, &alice.inum);
    for (query, status, code) in [
        (
            vec![("username", "alice"), ("application", APP_ID)],
            403,
            "forbidden",
        ),
        (
            vec![
                ("username", "alice"),
                ("application", APP_ID),
                ("session_id", bobs.as_str()),
            ],
            403,
            "forbidden",
        ),
        (
            vec![("application", APP_ID), ("session_id", alices.as_str())],
            400,
            "invalid_request",
        ),
        (
            vec![("username", "alice"), ("session_id", alices.as_str())],
            400,
            "invalid_request",
        ),
        (
            vec![
                ("username", "alice"),
                ("application", "https://evil.example/app"),
                ("session_id", alices.as_str()),
            ],
            400,
            "invalid_origin",
        ),
        (
            vec![
                ("username", "alice"),
                ("application", "id.example.com"),
                ("session_id", alices.as_str()),
            ],
            400,
            "invalid_origin",
        ),
    ] {
        refused(
            &get(&h, Fido2Endpoint::U2fRegistration, &query),
            status,
            code,
        );
    }
    let start = || {
        json(&get(
            &h,
            Fido2Endpoint::U2fRegistration,
            &[
                ("username", "alice"),
                ("application", APP_ID),
                ("session_id", &alices),
            ],
        ))
    };
    // A facet that is not the AppID's.
    let token = a
        .u2f_register(&start(), "https://evil.example", h.rng.as_ref())
        .unwrap();
    refused(
        &post(&h, Fido2Endpoint::U2fRegistration, &token),
        400,
        "invalid_origin",
    );
    // Tampered registration data (the signature no longer covers it).
    let mut token = a.u2f_register(&start(), APP_ID, h.rng.as_ref()).unwrap();
    let mut data = jans_core::b64::decode(token["registrationData"].as_str().unwrap()).unwrap();
    data[70] ^= 1;
    token["registrationData"] = json!(jans_core::b64::encode(&data));
    refused(
        &post(&h, Fido2Endpoint::U2fRegistration, &token),
        400,
        "invalid_attestation",
    );
    // Truncated, not base64, not JSON, missing: 400 each.
    let mut token = a.u2f_register(&start(), APP_ID, h.rng.as_ref()).unwrap();
    token["registrationData"] = json!(jans_core::b64::encode(&data[..60]));
    refused(
        &post(&h, Fido2Endpoint::U2fRegistration, &token),
        400,
        "invalid_request",
    );
    let mut token = a.u2f_register(&start(), APP_ID, h.rng.as_ref()).unwrap();
    token["registrationData"] = json!("***");
    refused(
        &post(&h, Fido2Endpoint::U2fRegistration, &token),
        400,
        "invalid_request",
    );
    let form = Params::from_pairs([("tokenResponse".to_owned(), "{not json".to_owned())]);
    let r = h.call(Request::new(Fido2Endpoint::U2fRegistration, Method::Post).with_form(form));
    refused(&r, 400, "invalid_request");
    let r =
        h.call(Request::new(Fido2Endpoint::U2fRegistration, Method::Post).with_form(Params::new()));
    refused(&r, 400, "invalid_request");
    // A challenge nobody issued.
    let mut forged = start();
    forged["registerRequests"][0]["challenge"] = json!("AAAA");
    let token = a.u2f_register(&forged, APP_ID, h.rng.as_ref()).unwrap();
    refused(
        &post(&h, Fido2Endpoint::U2fRegistration, &token),
        403,
        "session_expired",
    );
    assert!(registrations(&h, &alice.inum).is_empty(), "nothing stored");

    // Authentication refusals.
    let token = a.u2f_register(&start(), APP_ID, h.rng.as_ref()).unwrap();
    success(&post(&h, Fido2Endpoint::U2fRegistration, &token));
    refused(
        &get(
            &h,
            Fido2Endpoint::U2fAuthentication,
            &[("username", "bob"), ("application", APP_ID)],
        ),
        400,
        "no_eligable_devices",
    );
    refused(
        &get(
            &h,
            Fido2Endpoint::U2fAuthentication,
            &[("application", APP_ID)],
        ),
        400,
        "invalid_request",
    );
    let before = registrations(&h, &alice.inum);
    let request = sign_request(&h, &[("username", "alice"), ("application", APP_ID)]);
    let mut token = a.u2f_sign(&request, APP_ID, h.rng.as_ref()).unwrap();
    let mut sig = jans_core::b64::decode(token["signatureData"].as_str().unwrap()).unwrap();
    let last = sig.len() - 1;
    sig[last] ^= 1;
    token["signatureData"] = json!(jans_core::b64::encode(&sig));
    refused(
        &post(&h, Fido2Endpoint::U2fAuthentication, &token),
        400,
        "invalid_signature",
    );
    // The counter must go up.
    let request = sign_request(&h, &[("username", "alice"), ("application", APP_ID)]);
    let good = a.u2f_sign(&request, APP_ID, h.rng.as_ref()).unwrap();
    let counted = a.sign_count;
    success(&post(&h, Fido2Endpoint::U2fAuthentication, &good));
    a.sign_count -= 1;
    let request = sign_request(&h, &[("username", "alice"), ("application", APP_ID)]);
    let token = a.u2f_sign(&request, APP_ID, h.rng.as_ref()).unwrap();
    refused(
        &post(&h, Fido2Endpoint::U2fAuthentication, &token),
        400,
        "counter_regression",
    );
    // Another key than the one asked for.
    let other = key(&h, &v);
    let request = sign_request(&h, &[("username", "alice"), ("application", APP_ID)]);
    let mut token = a.u2f_sign(&request, APP_ID, h.rng.as_ref()).unwrap();
    token["keyHandle"] = json!(jans_core::b64::encode(&other.credential_id));
    refused(
        &post(&h, Fido2Endpoint::U2fAuthentication, &token),
        400,
        "invalid_username_or_key_handle",
    );
    // Registration client data posted to authentication.
    let request = sign_request(&h, &[("username", "alice"), ("application", APP_ID)]);
    let mut token = a.u2f_sign(&request, APP_ID, h.rng.as_ref()).unwrap();
    let challenge = request["authenticateRequests"][0]["challenge"]
        .as_str()
        .unwrap();
    token["clientData"] = json!(jans_core::b64::encode(
        format!(r#"{{"typ":"navigator.id.finishEnrollment","challenge":"{challenge}","origin":"{APP_ID}"}}"#).as_bytes()
    ));
    refused(
        &post(&h, Fido2Endpoint::U2fAuthentication, &token),
        400,
        "invalid_client_data",
    );
    let after = registrations(&h, &alice.inum);
    assert_eq!(before[0].sign_count, 0);
    assert_eq!(after[0].sign_count, counted, "only the good one counted");
}

#[test]
fn u2f_attestation_is_judged_like_fido_u2f_statements() {
    let mut c = config();
    c.fido2_configuration.attestation_mode = AttestationMode::Enforced;
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let v = vendor(&h);
    let user = h.add_user("alice");
    let session = session_of(&h, &user.inum);
    let start = || {
        json(&get(
            &h,
            Fido2Endpoint::U2fRegistration,
            &[
                ("username", "alice"),
                ("application", APP_ID),
                ("session_id", &session),
            ],
        ))
    };
    // No metadata, no roots: refused with Janssen's code, nothing stored.
    let mut a = key(&h, &v);
    let token = a.u2f_register(&start(), APP_ID, h.rng.as_ref()).unwrap();
    let r = post(&h, Fido2Endpoint::U2fRegistration, &token);
    untrusted(&r, "JFS_MDS_UNAVAILABLE");
    assert!(registrations(&h, &user.inum).is_empty());
    // The vendor's root configured: trusted.
    h.engine.fido2().load_metadata(
        &Sources {
            authenticator_certs: vec![("v.pem".into(), pki::pem(&v.der).into_bytes())],
            ..Sources::default()
        },
        &h.ctx(),
    );
    let token = a.u2f_register(&start(), APP_ID, h.rng.as_ref()).unwrap();
    let done = success(&post(&h, Fido2Endpoint::U2fRegistration, &token));
    assert_eq!(done["attestationTrusted"], true);
}

#[test]
fn u2f_discovery_and_methods() {
    let h = Harness::new();
    for path in [
        "/jans-fido2/restv1/fido-configuration",
        "/.well-known/fido-configuration",
    ] {
        let endpoint = jans_core::Endpoint::from_path(path).unwrap();
        let r = h.call(Request::new(endpoint, Method::Get));
        assert_eq!(r.status(), 200);
        let d = json(&r);
        assert_eq!(d["version"], "2.1");
        assert_eq!(
            d["registration_endpoint"],
            format!("{ISSUER}/jans-fido2/restv1/fido/u2f/registration")
        );
        assert_eq!(
            d["authentication_endpoint"],
            format!("{ISSUER}/jans-fido2/restv1/fido/u2f/authentication")
        );
    }
    let r = h.call(Request::new(
        Fido2Endpoint::U2fAuthentication,
        Method::Delete,
    ));
    assert_eq!(r.status(), 405);
    assert_eq!(header(&r, "allow").as_deref(), Some("GET, POST"));
}
