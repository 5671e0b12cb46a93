//! The FAPI 2.0 Security Profile switch (issue 16 item 11): a whole conforming flow
//! (private_key_jwt, PAR, PKCE S256, DPoP), then each rule as a refusal — registration,
//! authorization requests not pushed, no PKCE or plain PKCE, other client authentication,
//! algorithms outside PS256/ES256/EdDSA, tokens without a DPoP proof or a mutual-TLS
//! certificate, codes older than 60 s — and the narrowed discovery; and a client of the
//! profile on mutual TLS alone (RFC 8705: `self_signed_tls_client_auth`, certificate-bound
//! tokens).

use std::sync::Arc;

use jans_core::crypto::SigningKey;
use jans_core::jose::{Algorithm, Jwks, jws};
use jans_core::params::Params;
use jans_core::{AuthEndpoint, Config, Method, RegisteredClient, Request, Response};
use serde_json::json;

use super::authorize::{CB, VERIFIER, authorize, location, login_and_consent, q, std_params};
use super::dpop::{Key, TOKEN_URL};
use super::harness::*;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

fn fapi_config() -> Config {
    Config {
        fapi2_security_profile: true,
        authorization_code_lifetime: 600,
        ..config()
    }
}

fn fapi_harness(stores: jans_core::repo::Stores) -> Harness {
    let h = Harness::with(fapi_config(), stores, [7; 32]);
    h.add_user("alice");
    h
}

/// A FAPI client: private_key_jwt with its own key (of `alg`).
struct FapiClient {
    reg: RegisteredClient,
    key: Arc<dyn SigningKey>,
    kid: String,
}

fn fapi_client(h: &Harness, alg: Algorithm) -> FapiClient {
    let key = h.provider().generate(alg, h.rng.as_ref()).unwrap();
    let mut jwk = key.public_jwk();
    let kid = jwk.thumbprint().unwrap();
    jwk.kid = Some(kid.clone());
    let reg = h.register(json!({
        "redirect_uris": [CB], "scope": "profile",
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks": Jwks { keys: vec![jwk] },
    }));
    FapiClient { reg, key, kid }
}

impl FapiClient {
    fn id(&self) -> &str {
        &self.reg.client.client_id
    }

    fn assertion(&self, h: &Harness) -> String {
        let mut header = jws::Header::new(self.key.algorithm());
        header.kid = Some(self.kid.clone());
        let claims = json!({"iss": self.id(), "sub": self.id(), "aud": ISSUER,
                            "jti": h.ctx().random_token(12), "exp": h.clock.now() + 60,
                            "iat": h.clock.now()});
        jws::sign(
            &header,
            &serde_json::to_vec(&claims).unwrap(),
            self.key.as_ref(),
            h.rng.as_ref(),
        )
        .unwrap()
    }

    /// `pairs` with this client's assertion.
    fn authenticated(&self, h: &Harness, pairs: &[(&str, &str)]) -> Params {
        let assertion = self.assertion(h);
        let mut all: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        all.push(("client_assertion_type".into(), ASSERTION_TYPE.into()));
        all.push(("client_assertion".into(), assertion));
        Params::from_pairs(all)
    }

    fn post(
        &self,
        h: &Harness,
        at: AuthEndpoint,
        pairs: &[(&str, &str)],
        dpop: Option<String>,
    ) -> Response {
        let mut req = Request::new(at, Method::Post).with_form(self.authenticated(h, pairs));
        req.dpop = dpop;
        h.call(req)
    }

    /// Push the standard request (less `client_id`), with `extra`; the request_uri.
    fn push(&self, h: &Harness, drop: &[&str], extra: &[(&str, &str)]) -> Response {
        let mut p: Vec<(&str, &str)> = std_params(&self.reg)
            .into_iter()
            .filter(|(k, _)| *k != "client_id" && !drop.contains(k))
            .collect();
        p.extend_from_slice(extra);
        self.post(h, AuthEndpoint::Par, &p, None)
    }

    /// A code through PAR, the login and consent.
    fn code(&self, h: &Harness) -> String {
        let r = self.push(h, &[], &[]);
        assert_eq!(r.status(), 201, "{:?}", r.body);
        let request_uri = json(&r)["request_uri"].as_str().unwrap().to_owned();
        let start = authorize(
            h,
            &[("client_id", self.id()), ("request_uri", &request_uri)],
            None,
        );
        let (cb, _) = login_and_consent(h, &start);
        q(&cb, "code").unwrap()
    }

    fn redeem(&self, h: &Harness, code: &str, dpop: Option<String>) -> Response {
        self.post(
            h,
            AuthEndpoint::Token,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            dpop,
        )
    }
}

#[test]
fn a_conforming_client_gets_sender_constrained_tokens() {
    let h = fapi_harness(jans_core::repo::Stores::memory());
    let c = fapi_client(&h, Algorithm::ES256);
    let key = Key::new(&h, Algorithm::ES256);
    let code = c.code(&h);
    let r = c.redeem(&h, &code, Some(key.proof(&h, "POST", TOKEN_URL, None)));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let body = json(&r);
    assert_eq!(body["token_type"], "DPoP");
    let id_token = jws::decode(body["id_token"].as_str().unwrap()).unwrap();
    assert_eq!(id_token.header().alg, "ES256");

    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(d["require_pushed_authorization_requests"], true);
    assert_eq!(
        d["token_endpoint_auth_methods_supported"],
        json!([
            "private_key_jwt",
            "tls_client_auth",
            "self_signed_tls_client_auth"
        ])
    );
    assert_eq!(d["response_types_supported"], json!(["code"]));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    let fapi = ["PS256", "ES256", "EdDSA", "Ed25519"];
    for list in [
        "token_endpoint_auth_signing_alg_values_supported",
        "id_token_signing_alg_values_supported",
        "dpop_signing_alg_values_supported",
    ] {
        let algs = d[list].as_array().unwrap();
        assert!(!algs.is_empty(), "{list}");
        assert!(
            algs.iter().all(|a| fapi.contains(&a.as_str().unwrap())),
            "{list}: {algs:?}"
        );
    }
    assert!(
        !d["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("implicit"))
    );
}

#[test]
fn every_rule_is_a_refusal() {
    let stores = jans_core::repo::Stores::memory();
    // A client registered before the switch, with a secret.
    let before = Harness::with(config(), stores.clone(), [7; 32]);
    let legacy = before.register(json!({"scope": "read"}));
    let h = fapi_harness(stores);
    let c = fapi_client(&h, Algorithm::ES256);
    let key = Key::new(&h, Algorithm::ES256);

    // Registration: other authentication, implicit, other algorithms.
    for (metadata, why) in [
        (json!({"redirect_uris": [CB]}), "private_key_jwt"),
        (
            json!({"redirect_uris": [CB], "token_endpoint_auth_method": "private_key_jwt",
                   "jwks": {"keys": []}, "grant_types": ["authorization_code", "implicit"],
                   "response_types": ["code", "code id_token"]}),
            "implicit",
        ),
        (
            json!({"redirect_uris": [CB], "token_endpoint_auth_method": "private_key_jwt",
                   "jwks": {"keys": []}, "id_token_signed_response_alg": "RS256"}),
            "PS256",
        ),
    ] {
        let m = jans_core::repo::client::ClientMetadata::from_json(metadata).unwrap();
        let e = jans_core::testing::block_on(h.engine.register_client(m, &h.ctx())).unwrap_err();
        assert!(
            e.to_string().contains("invalid_client_metadata") && e.to_string().contains(why),
            "{e}"
        );
    }

    // Authorization requests: not pushed, no PKCE, plain PKCE.
    let r = authorize(&h, &std_params(&c.reg), None);
    assert_eq!(
        q(&location(&r), "error").as_deref(),
        Some("invalid_request")
    );
    assert_error(
        &c.push(&h, &["code_challenge", "code_challenge_method"], &[]),
        400,
        "invalid_request",
    );
    assert_error(
        &c.push(
            &h,
            &["code_challenge", "code_challenge_method"],
            &[
                ("code_challenge", VERIFIER),
                ("code_challenge_method", "plain"),
            ],
        ),
        400,
        "invalid_request",
    );

    // Client authentication other than private_key_jwt, even for an older client.
    let r = h.token(
        &[("grant_type", "client_credentials")],
        Some(basic(&legacy)),
    );
    assert_error(&r, 401, "invalid_client");
    // A client assertion signed with ES384 (not a FAPI algorithm).
    let es384 = fapi_client(&h, Algorithm::ES384);
    let r = es384.push(&h, &[], &[]);
    assert_error(&r, 401, "invalid_client");

    // Tokens: without a DPoP proof (nor a mutual-TLS certificate); with a proof of a
    // non-FAPI algorithm.
    let code = c.code(&h);
    assert_error(&c.redeem(&h, &code, None), 400, "invalid_dpop_proof");
    let es384_key = Key::new(&h, Algorithm::ES384);
    assert_error(
        &c.redeem(
            &h,
            &code,
            Some(es384_key.proof(&h, "POST", TOKEN_URL, None)),
        ),
        400,
        "invalid_dpop_proof",
    );
    // The refusals came before the code was spent: it still redeems.
    let r = c.redeem(&h, &code, Some(key.proof(&h, "POST", TOKEN_URL, None)));
    assert_eq!(r.status(), 200, "{:?}", r.body);

    // Codes live 60 s at most, whatever authorizationCodeLifetime says.
    let code = c.code(&h);
    h.clock.advance(61);
    assert_error(
        &c.redeem(&h, &code, Some(key.proof(&h, "POST", TOKEN_URL, None))),
        400,
        "invalid_grant",
    );

    // The server's own default algorithm must be one of them.
    let bad = Config {
        default_signature_algorithm: Algorithm::RS256,
        key_algs_allowed_for_generation: vec![Algorithm::RS256.into()],
        ..fapi_config()
    };
    assert_eq!(bad.validate().unwrap_err().key, "defaultSignatureAlgorithm");
}

#[test]
fn mutual_tls_authenticates_and_sender_constrains_instead() {
    let h = fapi_harness(jans_core::repo::Stores::memory());
    let mut spec = jans_core::testing::pki::Spec::new("fapi client", 1, T0 - 60, false);
    spec.subject = vec![("2.5.4.3", "fapi client".into())];
    let cert =
        jans_core::testing::pki::issue(&spec, None, h.provider().as_ref(), h.rng.as_ref()).unwrap();
    let mut jwk = serde_json::to_value(cert.key.public_jwk()).unwrap();
    jwk["x5c"] = json!([base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        &cert.der
    )]);
    let reg = h.register(json!({
        "redirect_uris": [CB], "scope": "profile",
        "token_endpoint_auth_method": "self_signed_tls_client_auth",
        "jwks": {"keys": [jwk]},
    }));
    let id = reg.client.client_id.clone();
    let post = |at: AuthEndpoint, pairs: &[(&str, &str)], with_cert: bool| {
        let mut all: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        all.push(("client_id".into(), id.clone()));
        let mut req = Request::new(at, Method::Post).with_form(Params::from_pairs(all));
        if with_cert {
            req.client_certificate = Some(cert.der.clone());
        }
        h.call(req)
    };
    let pushed: Vec<(&str, &str)> = std_params(&reg)
        .into_iter()
        .filter(|(k, _)| *k != "client_id")
        .collect();
    let r = post(AuthEndpoint::Par, &pushed, true);
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let request_uri = json(&r)["request_uri"].as_str().unwrap().to_owned();
    let start = authorize(
        &h,
        &[("client_id", &id), ("request_uri", &request_uri)],
        None,
    );
    let (cb, _) = login_and_consent(&h, &start);
    let code = q(&cb, "code").unwrap();
    let redeem = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CB),
        ("code_verifier", VERIFIER),
    ];
    // Without the certificate the client is not even authenticated.
    assert_error(
        &post(AuthEndpoint::Token, &redeem, false),
        401,
        "invalid_client",
    );
    // With it and no DPoP proof, the tokens are bound to the certificate (§5.3.2.1 item 2).
    let r = post(AuthEndpoint::Token, &redeem, true);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let at = json(&r)["access_token"].as_str().unwrap().to_owned();
    let i = json(&post(AuthEndpoint::Introspection, &[("token", &at)], true));
    assert_eq!(
        i["cnf"]["x5t#S256"],
        jans_core::x509::thumbprint_s256(&cert.der)
    );
}
