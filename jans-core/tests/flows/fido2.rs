//! FIDO2 ceremonies through `Engine::handle` at Janssen's paths (issue 12 items 1–3, 7 and
//! the negative cases of 10), driven by the software authenticator of
//! `jans_core::testing::authenticator` on the fake-clock harness.

use std::sync::{Arc, Barrier};

use jans_core::repo::grant::token_key;
use jans_core::repo::session::Session;
use jans_core::request::Fido2Endpoint;
use jans_core::testing::authenticator::{Attestation, SoftAuthenticator};
use jans_core::testing::block_on;
use jans_core::{Method, Request, Response};
use serde_json::{Value, json};

use super::harness::*;

pub(super) const ORIGIN: &str = "https://id.example.com";

pub(super) fn fido(h: &Harness, endpoint: Fido2Endpoint, body: &Value) -> Response {
    let mut req = Request::new(endpoint, Method::Post);
    req.content_type = Some("application/json".into());
    req.body = serde_json::to_vec(body).unwrap();
    h.call(req)
}

pub(super) fn ok(r: &Response) -> Value {
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let v = json(r);
    assert_eq!(v["status"], "ok", "{v}");
    v
}

/// The FIDO error of `r`: its status and code, with the conformance envelope.
pub(super) fn refused(r: &Response, status: u16, code: &str) {
    assert_eq!(r.status(), status, "{:?}", r.body);
    let v = json(r);
    assert_eq!(v["status"], "failed", "{v}");
    assert_eq!(v["error"], code, "{v}");
    assert!(!v["errorMessage"].as_str().unwrap().is_empty());
}

/// A signed-in session of `inum`; its cookie value.
pub(super) fn session_of(h: &Harness, inum: &str) -> String {
    let cookie = h.ctx().random_token(16);
    let s = Session {
        sid: format!("sid-{inum}"),
        user_inum: inum.to_owned(),
        auth_time: h.clock.now(),
        acr: "simple_password_auth".into(),
        amr: vec!["pwd".into()],
        opbs: String::new(),
        clients: Vec::new(),
    };
    block_on(h.stores.sessions.insert(
        &token_key(&cookie),
        &s,
        h.clock.now(),
        h.clock.now() + 3600,
    ))
    .unwrap();
    cookie
}

pub(super) fn registrations(
    h: &Harness,
    inum: &str,
) -> Vec<jans_core::repo::fido2::Fido2Registration> {
    block_on(h.stores.fido2.of_user(inum)).unwrap()
}

pub(super) fn attestation_options(
    h: &Harness,
    username: &str,
    session: &str,
    extra: Value,
) -> Value {
    let mut body = json!({"username": username, "session_id": session});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    ok(&fido(h, Fido2Endpoint::AttestationOptions, &body))
}

/// Register a new ES256 credential for `uid` (whose session is `session`).
fn enrol(h: &Harness, uid: &str, session: &str, att: Attestation) -> SoftAuthenticator {
    let options = attestation_options(h, uid, session, json!({}));
    let mut a = SoftAuthenticator::new(
        h.provider().as_ref(),
        jans_core::jose::Algorithm::ES256,
        h.rng.as_ref(),
    )
    .unwrap();
    let resp = a.register(&options, ORIGIN, att, h.rng.as_ref()).unwrap();
    ok(&fido(h, Fido2Endpoint::AttestationResult, &resp));
    a
}

pub(super) fn assertion_options(h: &Harness, username: Option<&str>) -> Value {
    let body = match username {
        Some(u) => json!({"username": u}),
        None => json!({}),
    };
    ok(&fido(h, Fido2Endpoint::AssertionOptions, &body))
}

#[test]
fn configuration_is_served_at_both_paths() {
    let h = Harness::new();
    for path in [
        "/jans-fido2/restv1/configuration",
        "/.well-known/fido2-configuration",
    ] {
        let endpoint = jans_core::Endpoint::from_path(path).unwrap();
        let r = h.call(Request::new(endpoint, Method::Get));
        assert_eq!(r.status(), 200);
        let d = json(&r);
        assert_eq!(d["issuer"], ISSUER);
        assert_eq!(
            d["attestation"]["options_endpoint"],
            format!("{ISSUER}/jans-fido2/restv1/attestation/options")
        );
        assert_eq!(
            d["assertion"]["result_endpoint"],
            format!("{ISSUER}/jans-fido2/restv1/assertion/result")
        );
    }
}

#[test]
fn register_then_sign_in_with_and_without_username() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let session = session_of(&h, &alice.inum);
    let options = attestation_options(&h, "alice", &session, json!({"displayName": "Alice A."}));
    // WebAuthn Level 3 §5.4 JSON form, as Janssen names it.
    assert_eq!(options["rp"]["id"], "id.example.com");
    assert_eq!(options["user"]["name"], "alice");
    assert_eq!(options["user"]["displayName"], "Alice A.");
    assert!(
        jans_core::b64::decode(options["challenge"].as_str().unwrap())
            .unwrap()
            .len()
            >= 16
    );
    assert_eq!(
        options["pubKeyCredParams"][0],
        json!({"type": "public-key", "alg": -7})
    );
    assert_eq!(options["excludeCredentials"], json!([]));
    assert_eq!(options["attestation"], "none");
    assert_eq!(options["extensions"]["credProps"], true);
    assert_eq!(options["timeout"], 180_000);

    let mut a = SoftAuthenticator::new(
        h.provider().as_ref(),
        jans_core::jose::Algorithm::ES256,
        h.rng.as_ref(),
    )
    .unwrap();
    let resp = a
        .register(&options, ORIGIN, Attestation::PackedSelf, h.rng.as_ref())
        .unwrap();
    let done = ok(&fido(&h, Fido2Endpoint::AttestationResult, &resp));
    assert_eq!(done["username"], "alice");
    assert_eq!(done["credential"]["id"], resp["id"]);
    let regs = registrations(&h, &alice.inum);
    assert_eq!(regs.len(), 1);
    assert_eq!(regs[0].attestation_format, "packed");
    assert_eq!(
        regs[0].attestation_type, "none",
        "conveyance none keeps no attestation"
    );
    assert_eq!(regs[0].discoverable, Some(true));
    assert_eq!(regs[0].transports, vec!["internal".to_owned()]);

    // A second registration lists the first in excludeCredentials.
    let again = attestation_options(&h, "alice", &session, json!({}));
    assert_eq!(again["excludeCredentials"][0]["id"], resp["id"]);

    // With the username: allowCredentials names the credential.
    let opts = assertion_options(&h, Some("alice"));
    assert_eq!(opts["rpId"], "id.example.com");
    assert_eq!(opts["allowCredentials"][0]["id"], resp["id"]);
    let signed = a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    let r = ok(&fido(&h, Fido2Endpoint::AssertionResult, &signed));
    assert_eq!(r["username"], "alice");
    assert_eq!(r["userVerification"], true);
    assert_eq!(registrations(&h, &alice.inum)[0].sign_count, 1);
    assert_eq!(
        registrations(&h, &alice.inum)[0].last_used_at,
        Some(h.clock.now())
    );

    // Usernameless: no allowCredentials; the user handle finds alice.
    let opts = assertion_options(&h, None);
    assert_eq!(opts["allowCredentials"], json!([]));
    let signed = a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    let r = ok(&fido(&h, Fido2Endpoint::AssertionResult, &signed));
    assert_eq!(r["username"], "alice");
    assert_eq!(registrations(&h, &alice.inum)[0].sign_count, 2);
}

#[test]
fn direct_attestation_records_packed_self() {
    let h = Harness::new();
    let bob = h.add_user("bob");
    let session = session_of(&h, &bob.inum);
    let options = attestation_options(&h, "bob", &session, json!({"attestation": "direct"}));
    assert_eq!(options["attestation"], "direct");
    let mut a = SoftAuthenticator::new(
        h.provider().as_ref(),
        jans_core::jose::Algorithm::EdDSA,
        h.rng.as_ref(),
    )
    .unwrap();
    let resp = a
        .register(&options, ORIGIN, Attestation::PackedSelf, h.rng.as_ref())
        .unwrap();
    ok(&fido(&h, Fido2Endpoint::AttestationResult, &resp));
    let reg = &registrations(&h, &bob.inum)[0];
    assert_eq!(reg.attestation_type, "self");
    assert_eq!(reg.algorithm, -8);
}

#[test]
fn registration_needs_the_users_own_session() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let bob = h.add_user("bob");
    let bobs = session_of(&h, &bob.inum);
    for body in [
        json!({"username": "alice"}),
        json!({"username": "alice", "session_id": bobs}),
        json!({"username": "alice", "session_id": "no-such-session"}),
        json!({"username": "nobody", "session_id": bobs}),
    ] {
        refused(
            &fido(&h, Fido2Endpoint::AttestationOptions, &body),
            403,
            "forbidden",
        );
    }
    // The cookie works as the session.
    let cookie = session_of(&h, &alice.inum);
    let mut req = Request::new(Fido2Endpoint::AttestationOptions, Method::Post);
    req.body = br#"{"username":"alice"}"#.to_vec();
    req.cookies = vec![("session_id".into(), cookie.clone())];
    let options = ok(&h.call(req));
    // The ceremony kept does not hold the session's cookie value (a bearer secret).
    let kept = block_on(
        jans_core::fido2::ceremony::Ceremonies::new(h.stores.grants.clone())
            .take(options["challenge"].as_str().unwrap(), h.clock.now()),
    )
    .unwrap()
    .expect("the ceremony");
    assert_eq!(kept.user_inum.as_deref(), Some(alice.inum.as_str()));
    assert!(!serde_json::to_string(&kept).unwrap().contains(&cookie));
}

#[test]
fn bad_requests_get_the_fido_error() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let session = session_of(&h, &alice.inum);
    let raw = |endpoint, body: &[u8]| {
        let mut req = Request::new(endpoint, Method::Post);
        req.body = body.to_vec();
        h.call(req)
    };
    for (endpoint, body) in [
        (Fido2Endpoint::AttestationOptions, &b""[..]),
        (Fido2Endpoint::AttestationOptions, b"{not json"),
        (Fido2Endpoint::AttestationOptions, b"[]"),
        (Fido2Endpoint::AttestationResult, b"{}"),
        (Fido2Endpoint::AssertionResult, br#"{"id":"a","type":"public-key"}"#),
        (
            Fido2Endpoint::AssertionResult,
            br#"{"id":"***","type":"public-key","response":{"clientDataJSON":"","authenticatorData":"","signature":""}}"#,
        ),
    ] {
        refused(&raw(endpoint, body), 400, "invalid_request");
    }
    let long = "x".repeat(300);
    refused(
        &fido(
            &h,
            Fido2Endpoint::AttestationOptions,
            &json!({"username": long, "session_id": session}),
        ),
        400,
        "invalid_request",
    );
    refused(
        &fido(
            &h,
            Fido2Endpoint::AttestationOptions,
            &json!({"username": "alice", "session_id": session, "documentDomain": "https://evil.example"}),
        ),
        400,
        "invalid_origin",
    );
    let get = h.call(Request::new(Fido2Endpoint::AssertionOptions, Method::Get));
    refused(&get, 405, "method_not_allowed");
    assert_eq!(header(&get, "allow").as_deref(), Some("POST"));
    let post = h.call(Request::new(Fido2Endpoint::Configuration, Method::Post));
    refused(&post, 405, "method_not_allowed");
    assert_eq!(header(&post, "allow").as_deref(), Some("GET"));
    // Nothing was stored by any of them.
    assert!(registrations(&h, &alice.inum).is_empty());
}

/// A registration response mangled by `change`, posted: the FIDO error `code`, and no
/// registration stored.
fn register_refused(
    h: &Harness,
    inum: &str,
    session: &str,
    change: impl Fn(&mut SoftAuthenticator, &mut Value, &Value),
    code: &str,
) {
    let options = attestation_options(h, "alice", session, json!({}));
    let mut a = SoftAuthenticator::new(
        h.provider().as_ref(),
        jans_core::jose::Algorithm::ES256,
        h.rng.as_ref(),
    )
    .unwrap();
    let mut resp = a
        .register(&options, ORIGIN, Attestation::PackedSelf, h.rng.as_ref())
        .unwrap();
    change(&mut a, &mut resp, &options);
    refused(&fido(h, Fido2Endpoint::AttestationResult, &resp), 400, code);
    assert!(registrations(h, inum).is_empty(), "{code}: nothing stored");
}

fn b64(b: &[u8]) -> String {
    jans_core::b64::encode(b)
}

#[test]
fn registration_failures_are_distinct_and_store_nothing() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let s = session_of(&h, &alice.inum);
    let cd = |kind: &str, challenge: &str, origin: &str| {
        b64(&SoftAuthenticator::client_data(kind, challenge, origin))
    };
    register_refused(
        &h,
        &alice.inum,
        &s,
        |_, r, o| {
            r["response"]["clientDataJSON"] = cd(
                "webauthn.create",
                o["challenge"].as_str().unwrap(),
                "https://evil.example",
            )
            .into()
        },
        "invalid_origin",
    );
    register_refused(
        &h,
        &alice.inum,
        &s,
        |_, r, o| {
            r["response"]["clientDataJSON"] =
                cd("webauthn.get", o["challenge"].as_str().unwrap(), ORIGIN).into()
        },
        "invalid_client_data",
    );
    register_refused(
        &h,
        &alice.inum,
        &s,
        |_, r, _| {
            r["response"]["clientDataJSON"] = cd("webauthn.create", &b64(&[1; 32]), ORIGIN).into()
        },
        "invalid_challenge",
    );
    // Authenticator data for another RP ID (signed consistently, so only the hash is wrong).
    register_refused(
        &h,
        &alice.inum,
        &s,
        |a, r, o| {
            let mut o = o.clone();
            o["rp"]["id"] = "evil.example".into();
            *r = a
                .register(
                    &o,
                    ORIGIN,
                    Attestation::None,
                    &jans_core::testing::SeededRandom::new(1),
                )
                .unwrap();
        },
        "invalid_authenticator_data",
    );
    // Truncated and oversized attestation objects, and trailing bytes.
    register_refused(
        &h,
        &alice.inum,
        &s,
        |_, r, _| {
            let ao = jans_core::b64::decode(r["response"]["attestationObject"].as_str().unwrap())
                .unwrap();
            r["response"]["attestationObject"] = b64(&ao[..ao.len() - 5]).into();
        },
        "invalid_attestation",
    );
    register_refused(
        &h,
        &alice.inum,
        &s,
        |_, r, _| {
            let mut ao =
                jans_core::b64::decode(r["response"]["attestationObject"].as_str().unwrap())
                    .unwrap();
            ao.push(0);
            r["response"]["attestationObject"] = b64(&ao).into();
        },
        "invalid_attestation",
    );
    register_refused(
        &h,
        &alice.inum,
        &s,
        |_, r, _| r["response"]["attestationObject"] = b64(&vec![0xa1; 60_000]).into(),
        "invalid_attestation",
    );
    // Nested deeper than the CBOR reader goes.
    register_refused(
        &h,
        &alice.inum,
        &s,
        |_, r, _| {
            let mut deep = vec![0x81; 40];
            deep.push(0x00);
            r["response"]["attestationObject"] = b64(&deep).into();
        },
        "invalid_attestation",
    );
    // A tampered self-attestation signature.
    register_refused(
        &h,
        &alice.inum,
        &s,
        |a, r, o| {
            let mut o = o.clone();
            o["challenge"] = o["challenge"].clone();
            let good = a
                .register(
                    &o,
                    ORIGIN,
                    Attestation::PackedSelf,
                    &jans_core::testing::SeededRandom::new(2),
                )
                .unwrap();
            // Keep the authenticator data but sign another clientDataJSON.
            let other = a
                .register(
                    &o,
                    "https://other.example",
                    Attestation::PackedSelf,
                    &jans_core::testing::SeededRandom::new(3),
                )
                .unwrap();
            r["response"]["clientDataJSON"] = good["response"]["clientDataJSON"].clone();
            r["response"]["attestationObject"] = other["response"]["attestationObject"].clone();
        },
        "invalid_attestation",
    );
    // No UV while it was required.
    let options = attestation_options(
        &h,
        "alice",
        &s,
        json!({"authenticatorSelection": {"userVerification": "required"}}),
    );
    let mut a = SoftAuthenticator::new(
        h.provider().as_ref(),
        jans_core::jose::Algorithm::ES256,
        h.rng.as_ref(),
    )
    .unwrap();
    a.user_verifying = false;
    let resp = a
        .register(&options, ORIGIN, Attestation::None, h.rng.as_ref())
        .unwrap();
    refused(
        &fido(&h, Fido2Endpoint::AttestationResult, &resp),
        400,
        "user_verification_required",
    );
    assert!(registrations(&h, &alice.inum).is_empty());
}

#[test]
fn a_challenge_is_used_once_and_expires() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let s = session_of(&h, &alice.inum);
    let options = attestation_options(&h, "alice", &s, json!({}));
    let mut a = SoftAuthenticator::new(
        h.provider().as_ref(),
        jans_core::jose::Algorithm::ES256,
        h.rng.as_ref(),
    )
    .unwrap();
    let resp = a
        .register(&options, ORIGIN, Attestation::None, h.rng.as_ref())
        .unwrap();
    // A failed finish uses the challenge up too.
    let mut bad = resp.clone();
    bad["response"]["clientDataJSON"] = b64(&SoftAuthenticator::client_data(
        "webauthn.create",
        options["challenge"].as_str().unwrap(),
        "https://evil.example",
    ))
    .into();
    refused(
        &fido(&h, Fido2Endpoint::AttestationResult, &bad),
        400,
        "invalid_origin",
    );
    refused(
        &fido(&h, Fido2Endpoint::AttestationResult, &resp),
        400,
        "invalid_challenge",
    );

    // Expiry: unfinishedRequestExpiration is 180 s.
    let options = attestation_options(&h, "alice", &s, json!({}));
    let resp = a
        .register(&options, ORIGIN, Attestation::None, h.rng.as_ref())
        .unwrap();
    h.clock.advance(181);
    refused(
        &fido(&h, Fido2Endpoint::AttestationResult, &resp),
        400,
        "invalid_challenge",
    );
    assert!(registrations(&h, &alice.inum).is_empty());

    // An assertion replayed.
    let s = session_of(&h, &alice.inum);
    let mut a = enrol(&h, "alice", &s, Attestation::None);
    let opts = assertion_options(&h, Some("alice"));
    let signed = a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    ok(&fido(&h, Fido2Endpoint::AssertionResult, &signed));
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "invalid_challenge",
    );
}

#[test]
fn assertion_failures_are_distinct_and_change_nothing() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let bob = h.add_user("bob");
    let mut a = enrol(&h, "alice", &session_of(&h, &alice.inum), Attestation::None);
    let mut b = enrol(&h, "bob", &session_of(&h, &bob.inum), Attestation::None);
    let before = registrations(&h, &alice.inum);

    // Tampered signature.
    let opts = assertion_options(&h, Some("alice"));
    let mut signed = a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    let mut sig =
        jans_core::b64::decode(signed["response"]["signature"].as_str().unwrap()).unwrap();
    let last = sig.len() - 1;
    sig[last] ^= 1;
    signed["response"]["signature"] = b64(&sig).into();
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "invalid_signature",
    );

    // Wrong origin, wrong RP ID.
    let opts = assertion_options(&h, Some("alice"));
    let signed = a
        .assert(&opts, "https://evil.example", h.rng.as_ref())
        .unwrap();
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "invalid_origin",
    );
    let mut opts = assertion_options(&h, Some("alice"));
    opts["rpId"] = "evil.example".into();
    let signed = a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "invalid_authenticator_data",
    );

    // Bob's credential answering a ceremony started for alice.
    let opts = assertion_options(&h, Some("alice"));
    let signed = b.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "invalid_username_or_key_handle",
    );
    // ... or usernameless, claiming to be alice through the user handle.
    let opts = assertion_options(&h, None);
    b.user_handle = Some(alice.inum.as_bytes().to_vec());
    let signed = b.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "invalid_username_or_key_handle",
    );

    // An unknown credential.
    let mut stranger = SoftAuthenticator::new(
        h.provider().as_ref(),
        jans_core::jose::Algorithm::ES256,
        h.rng.as_ref(),
    )
    .unwrap();
    stranger.user_handle = Some(alice.inum.as_bytes().to_vec());
    let opts = assertion_options(&h, None);
    let signed = stranger.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "invalid_username_or_key_handle",
    );

    // Truncated authenticator data.
    let opts = assertion_options(&h, Some("alice"));
    let mut signed = a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    signed["response"]["authenticatorData"] = b64(&[0; 20]).into();
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "invalid_authenticator_data",
    );

    // Nothing of alice's credential changed.
    let after = registrations(&h, &alice.inum);
    assert_eq!(after, before);
    // No credentials: keys_not_found.
    h.add_user("carol");
    refused(
        &fido(
            &h,
            Fido2Endpoint::AssertionOptions,
            &json!({"username": "carol"}),
        ),
        400,
        "keys_not_found",
    );
}

#[test]
fn counter_regression_is_refused_or_recorded() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let mut a = enrol(&h, "alice", &session_of(&h, &alice.inum), Attestation::None);
    a.sign_count = 10;
    let opts = assertion_options(&h, Some("alice"));
    ok(&fido(
        &h,
        Fido2Endpoint::AssertionResult,
        &a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap(),
    ));
    assert_eq!(registrations(&h, &alice.inum)[0].sign_count, 11);
    // A clone behind the original.
    a.sign_count = 4;
    let opts = assertion_options(&h, Some("alice"));
    let signed = a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "counter_regression",
    );
    assert_eq!(registrations(&h, &alice.inum)[0].sign_count, 11);

    // Configured to record: accepted, flagged.
    let mut config = config();
    config.fido2_configuration.counter_regression =
        jans_core::config::fido2::CounterRegression::Record;
    let h = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    let alice = h.add_user("alice");
    let mut a = enrol(&h, "alice", &session_of(&h, &alice.inum), Attestation::None);
    a.sign_count = 10;
    let opts = assertion_options(&h, Some("alice"));
    ok(&fido(
        &h,
        Fido2Endpoint::AssertionResult,
        &a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap(),
    ));
    a.sign_count = 3;
    let opts = assertion_options(&h, Some("alice"));
    let r = ok(&fido(
        &h,
        Fido2Endpoint::AssertionResult,
        &a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap(),
    ));
    assert_eq!(r["cloneWarning"], true);
    let reg = &registrations(&h, &alice.inum)[0];
    assert!(reg.clone_warning);
    assert_eq!(reg.sign_count, 11, "the counter stays at its highest");

    // Passkeys that do not count (always 0) are fine.
    let bob = h.add_user("bob");
    let mut p = enrol(&h, "bob", &session_of(&h, &bob.inum), Attestation::None);
    p.counts = false;
    for _ in 0..2 {
        let opts = assertion_options(&h, Some("bob"));
        let r = ok(&fido(
            &h,
            Fido2Endpoint::AssertionResult,
            &p.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap(),
        ));
        assert_eq!(r["cloneWarning"], false);
    }
}

#[test]
fn one_credential_is_registered_once() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let s = session_of(&h, &alice.inum);
    let mut a = enrol(&h, "alice", &s, Attestation::None);
    let options = attestation_options(&h, "alice", &s, json!({}));
    let resp = a
        .register(&options, ORIGIN, Attestation::None, h.rng.as_ref())
        .unwrap();
    refused(
        &fido(&h, Fido2Endpoint::AttestationResult, &resp),
        400,
        "credential_exists",
    );
    assert_eq!(registrations(&h, &alice.inum).len(), 1);
}

/// A harness on `stores` with alice, her session and one passkey of hers.
fn alice_with_a_passkey(
    stores: jans_core::repo::Stores,
) -> (Arc<Harness>, String, SoftAuthenticator) {
    let h = Arc::new(Harness::with(config(), stores, [7; 32]));
    let alice = h.add_user("alice");
    let s = session_of(&h, &alice.inum);
    let a = enrol(&h, "alice", &s, Attestation::None);
    (h, s, a)
}

/// Each body posted to `endpoint` from its own thread, all released at once.
fn race(h: &Arc<Harness>, endpoint: Fido2Endpoint, bodies: Vec<Value>) -> Vec<Response> {
    let barrier = Arc::new(Barrier::new(bodies.len()));
    let threads: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let (h, barrier, endpoint) = (h.clone(), barrier.clone(), endpoint.clone());
            std::thread::spawn(move || {
                barrier.wait();
                fido(&h, endpoint, &body)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// `RACERS` threads post the same result at once: one wins, every other is told the
/// challenge is used. On every backend.
#[test]
fn racing_results_of_one_challenge_have_one_winner_on_every_backend() {
    const RACERS: usize = 12;
    for backend in super::backends::all() {
        let (h, s, mut a) = alice_with_a_passkey(backend.stores.clone());
        let alice = block_on(h.stores.users.by_uid("alice")).unwrap().unwrap();
        for (endpoint, body) in [
            {
                let mut fresh = SoftAuthenticator::new(
                    h.provider().as_ref(),
                    jans_core::jose::Algorithm::ES256,
                    h.rng.as_ref(),
                )
                .unwrap();
                let o = attestation_options(&h, "alice", &s, json!({}));
                (
                    Fido2Endpoint::AttestationResult,
                    fresh
                        .register(&o, ORIGIN, Attestation::None, h.rng.as_ref())
                        .unwrap(),
                )
            },
            {
                let o = assertion_options(&h, Some("alice"));
                (
                    Fido2Endpoint::AssertionResult,
                    a.assert(&o, ORIGIN, h.rng.as_ref()).unwrap(),
                )
            },
        ] {
            let responses = race(&h, endpoint.clone(), vec![body; RACERS]);
            let wins = responses.iter().filter(|r| r.status() == 200).count();
            assert_eq!(wins, 1, "{}: {endpoint:?} has one winner", backend.name);
            for r in responses.iter().filter(|r| r.status() != 200) {
                refused(r, 400, "invalid_challenge");
            }
        }
        assert_eq!(registrations(&h, &alice.inum).len(), 2, "{}", backend.name);
    }
}

/// `RACERS` sign-ins with one passkey at once, each its own ceremony: with a synced passkey
/// (counter always 0) every one succeeds — they do not contend for the registration — and
/// with a counting key whose assertions all carry the same counter, exactly one does (the
/// others are a counter regression). On every backend.
#[test]
fn concurrent_sign_ins_with_one_passkey_on_every_backend() {
    const RACERS: usize = 12;
    for backend in super::backends::all() {
        let (h, _, mut a) = alice_with_a_passkey(backend.stores.clone());
        for counts in [false, true] {
            a.counts = counts;
            let bodies: Vec<Value> = (0..RACERS)
                .map(|_| {
                    let o = assertion_options(&h, Some("alice"));
                    let before = a.sign_count;
                    let signed = a.assert(&o, ORIGIN, h.rng.as_ref()).unwrap();
                    // Every assertion of this round carries the same counter.
                    a.sign_count = before;
                    signed
                })
                .collect();
            let responses = race(&h, Fido2Endpoint::AssertionResult, bodies);
            let wins = responses.iter().filter(|r| r.status() == 200).count();
            if counts {
                assert_eq!(wins, 1, "{}: one counter value signs in once", backend.name);
                for r in responses.iter().filter(|r| r.status() != 200) {
                    refused(r, 400, "counter_regression");
                }
            } else {
                assert_eq!(
                    wins,
                    RACERS,
                    "{}: {:?}",
                    backend.name,
                    responses.iter().find(|r| r.status() != 200)
                );
            }
        }
    }
}

#[test]
fn registrations_are_listed_renamed_and_removed_by_their_owner_only() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let bob = h.add_user("bob");
    let mut a = enrol(&h, "alice", &session_of(&h, &alice.inum), Attestation::None);
    enrol(&h, "bob", &session_of(&h, &bob.inum), Attestation::None);
    let id = b64(&a.credential_id);
    let e = &h.engine;
    assert_eq!(block_on(e.fido2_registrations("alice")).unwrap().len(), 1);
    // Not bob's to rename or remove.
    assert!(!block_on(e.rename_fido2_registration("bob", &id, Some("mine"))).unwrap());
    assert!(!block_on(e.remove_fido2_registration("bob", &id)).unwrap());
    assert!(block_on(e.rename_fido2_registration("alice", &id, Some("  Work key "))).unwrap());
    assert_eq!(
        block_on(e.fido2_registrations("alice")).unwrap()[0]
            .nickname
            .as_deref(),
        Some("Work key")
    );
    for bad in ["x".repeat(65), "tab\there".to_owned()] {
        assert!(block_on(e.rename_fido2_registration("alice", &id, Some(&bad))).is_err());
    }
    assert!(block_on(e.fido2_registrations("nobody")).is_err());
    assert!(block_on(e.remove_fido2_registration("alice", &id)).unwrap());
    assert!(block_on(e.fido2_registrations("alice")).unwrap().is_empty());
    // A removed credential no longer signs in.
    h.add_user("carol");
    let opts = assertion_options(&h, None);
    let signed = a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap();
    refused(
        &fido(&h, Fido2Endpoint::AssertionResult, &signed),
        400,
        "invalid_username_or_key_handle",
    );
    assert_eq!(block_on(e.fido2_registrations("bob")).unwrap().len(), 1);
}

#[test]
fn a_user_holds_at_most_a_hundred_credentials() {
    let h = Harness::new();
    let alice = h.add_user("alice");
    let s = session_of(&h, &alice.inum);
    let mut a = enrol(&h, "alice", &s, Attestation::None);
    let template = registrations(&h, &alice.inum).remove(0);
    for n in 1..jans_core::repo::fido2::MAX_PER_USER {
        let mut r = template.clone();
        r.credential_id = b64(format!("credential {n}").as_bytes());
        block_on(h.stores.fido2.insert(&r)).unwrap();
    }
    let body = json!({"username": "alice", "session_id": s});
    refused(
        &fido(&h, Fido2Endpoint::AttestationOptions, &body),
        400,
        "invalid_request",
    );
    // The ones there still sign in.
    let opts = assertion_options(&h, Some("alice"));
    assert_eq!(opts["allowCredentials"].as_array().unwrap().len(), 100);
    ok(&fido(
        &h,
        Fido2Endpoint::AssertionResult,
        &a.assert(&opts, ORIGIN, h.rng.as_ref()).unwrap(),
    ));
}

#[test]
fn a_credential_algorithm_not_enabled_is_refused() {
    let mut config = config();
    config.fido2_configuration.enabled_fido_algorithms = vec![jans_core::jose::Algorithm::ES256];
    let h = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    let alice = h.add_user("alice");
    let s = session_of(&h, &alice.inum);
    let options = attestation_options(&h, "alice", &s, json!({}));
    assert_eq!(
        options["pubKeyCredParams"],
        json!([{"type": "public-key", "alg": -7}])
    );
    let mut a = SoftAuthenticator::new(
        h.provider().as_ref(),
        jans_core::jose::Algorithm::EdDSA,
        h.rng.as_ref(),
    )
    .unwrap();
    let resp = a
        .register(&options, ORIGIN, Attestation::None, h.rng.as_ref())
        .unwrap();
    refused(
        &fido(&h, Fido2Endpoint::AttestationResult, &resp),
        400,
        "unsupported_algorithm",
    );
    assert!(registrations(&h, &alice.inum).is_empty());
}
