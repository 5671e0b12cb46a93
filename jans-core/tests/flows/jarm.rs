//! JARM (issue 16 item 3): `query.jwt`, `fragment.jwt`, `form_post.jwt` and `jwt` answer with
//! one `response` JWT (iss, aud, exp and the parameters), signed with the client's
//! `authorization_signed_response_alg` or the default, encrypted when it registered
//! `authorization_encrypted_response_alg`; errors travel the same way.

use jans_core::crypto::{Curve, DecryptionKeyType};
use jans_core::jose::jwe::{self, Decrypter, ENCS, KEY_ALGS, Policy};
use jans_core::jose::{Algorithm, jws};
use jans_core::{AuthEndpoint, Body, Method, RegisteredClient, Request};
use serde_json::{Value, json};

use super::authorize::{
    CB, VERIFIER, authorize, fragment, harness, location, login_and_consent, q, redeem, rp,
    std_params, with_type,
};
use super::harness::*;

fn verified(h: &Harness, jwt: &str) -> (jws::Header, Value) {
    let u = jws::decode(jwt).unwrap();
    let header = u.header().clone();
    let payload = u
        .verify_with_jwks(&h.jwks(), &Algorithm::ASYMMETRIC, h.provider().as_ref())
        .unwrap();
    (header, serde_json::from_slice(&payload).unwrap())
}

fn check_envelope(c: &RegisteredClient, claims: &Value) {
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], c.client.client_id.as_str());
    assert_eq!(claims["exp"], T0 + 600);
}

#[test]
fn query_jwt_carries_the_code_in_a_signed_response() {
    let h = harness();
    let c = rp(&h, json!({"authorization_signed_response_alg": "EdDSA"}));
    let (_, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    for mode in ["query.jwt", "jwt"] {
        let mut p = std_params(&c);
        p.push(("response_mode", mode));
        // Signed in, consent remembered: straight back to the client.
        let cb = location(&authorize(&h, &p, Some(&cookie)));
        assert!(cb.starts_with(&format!("{CB}?response=")), "{cb}");
        assert_eq!(q(&cb, "code"), None, "only the JWT");
        assert_eq!(q(&cb, "iss"), None, "iss is a claim (JARM §2.1)");
        let (header, claims) = verified(&h, &q(&cb, "response").unwrap());
        assert_eq!(header.alg, "EdDSA");
        check_envelope(&c, &claims);
        assert_eq!(claims["state"], "st-1");
        let code = claims["code"].as_str().unwrap();
        assert_eq!(redeem(&h, &c, code, VERIFIER).status(), 200, "{mode}");
    }
}

#[test]
fn fragment_and_form_post_jwt_and_the_default_alg() {
    let h = harness();
    let c = rp(
        &h,
        json!({"grant_types": ["authorization_code", "implicit"],
               "response_types": ["code", "id_token", "code id_token"]}),
    );
    let (_, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    // `jwt` with an ID token in the response is fragment.jwt.
    for mode in ["fragment.jwt", "jwt"] {
        let to = location(&authorize(
            &h,
            &with_type(&c, "id_token", &[("response_mode", mode)]),
            Some(&cookie),
        ));
        assert!(to.starts_with(&format!("{CB}#response=")), "{to}");
        let (header, claims) = verified(&h, &fragment(&to, "response").unwrap());
        assert_eq!(header.alg, "ES256", "the server's default");
        check_envelope(&c, &claims);
        let (_, id_claims) = verified(&h, claims["id_token"].as_str().unwrap());
        assert_eq!(id_claims["nonce"], "n-1");
    }
    let r = authorize(
        &h,
        &with_type(&c, "code id_token", &[("response_mode", "form_post.jwt")]),
        Some(&cookie),
    );
    let Body::FormPost { action, params } = &r.body else {
        panic!("not a form post: {:?}", r.body)
    };
    assert_eq!(action, CB);
    assert_eq!(params.len(), 1, "{params:?}");
    assert_eq!(params[0].0, "response");
    let (_, claims) = verified(&h, &params[0].1);
    assert!(claims["code"].is_string() && claims["id_token"].is_string());
    // Tokens in a query need an encrypted response (JARM §2.3.1): refused in the fragment.
    let to = location(&authorize(
        &h,
        &with_type(&c, "id_token", &[("response_mode", "query.jwt")]),
        Some(&cookie),
    ));
    assert_eq!(
        fragment(&to, "error").as_deref(),
        Some("invalid_request"),
        "{to}"
    );
}

#[test]
fn errors_travel_in_the_response_jwt() {
    let h = harness();
    let c = rp(&h, json!({}));
    let mut p = std_params(&c);
    p.retain(|(k, _)| *k != "scope");
    p.push(("scope", "openid not-a-scope-of-this-client"));
    p.push(("response_mode", "query.jwt"));
    let to = location(&authorize(&h, &p, None));
    let (_, claims) = verified(&h, &q(&to, "response").unwrap());
    check_envelope(&c, &claims);
    assert_eq!(claims["error"], "invalid_scope");
    assert_eq!(claims["state"], "st-1");
    assert!(claims.get("code").is_none());
}

#[test]
fn encrypted_responses_to_the_client_key() {
    let h = harness();
    let key = h
        .provider()
        .generate_decryption_key(DecryptionKeyType::Ec(Curve::P256), h.ctx().rng.as_ref())
        .unwrap();
    let mut jwk = serde_json::to_value(key.public_jwk()).unwrap();
    jwk["use"] = "enc".into();
    let c = rp(
        &h,
        json!({"jwks": {"keys": [jwk]}, "authorization_encrypted_response_alg": "ECDH-ES",
               "authorization_encrypted_response_enc": "A256GCM"}),
    );
    let mut p = std_params(&c);
    p.push(("response_mode", "jwt"));
    let (cb, _) = login_and_consent(&h, &authorize(&h, &p, None));
    let response = q(&cb, "response").unwrap();
    let policy = Policy {
        algs: &KEY_ALGS,
        encs: &ENCS,
    };
    let (header, inner) = jwe::decrypt(
        &response,
        Decrypter::Private(&*key),
        policy,
        h.ctx().rng.as_ref(),
    )
    .unwrap();
    assert_eq!(
        (
            header.alg.as_str(),
            header.enc.as_str(),
            header.cty.as_deref()
        ),
        ("ECDH-ES", "A256GCM", Some("JWT"))
    );
    let (_, claims) = verified(&h, std::str::from_utf8(&inner).unwrap());
    check_envelope(&c, &claims);
    assert_eq!(
        redeem(&h, &c, claims["code"].as_str().unwrap(), VERIFIER).status(),
        200
    );
}

#[test]
fn discovery_lists_jarm() {
    let h = harness();
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    let modes = d["response_modes_supported"].as_array().unwrap();
    for m in ["query.jwt", "fragment.jwt", "form_post.jwt", "jwt"] {
        assert!(modes.iter().any(|x| x == m), "{m}");
    }
    assert!(
        d["authorization_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "ES256")
    );
    assert!(
        d["authorization_encryption_alg_values_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "ECDH-ES")
    );
}
