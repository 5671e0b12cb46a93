//! DPoP (RFC 9449; issue 16 item 5) through the engine: bound tokens from the token
//! endpoint (reference and JWT, `cnf.jkt`, `token_type: DPoP`), their presentation at
//! userinfo, introspection and local verification, every refusal of a bad proof (and that
//! it stores nothing), `dpop_bound_access_tokens`, bound refresh tokens of public clients,
//! `dpop_jkt` and PAR binding of codes, server nonces, and single use of a proof raced on
//! every backend.

use std::sync::Arc;

use jans_core::crypto::SigningKey;
use jans_core::jose::{Algorithm, Jwk, jws};
use jans_core::params::Params;
use jans_core::testing::block_on;
use jans_core::{AuthEndpoint, Method, RegisteredClient, Request, Response};
use serde_json::{Value, json};

use super::authorize::{
    CB, VERIFIER, authorize, harness, harness_on, location, login_and_consent, q, rp, std_params,
};
use super::harness::*;

pub(crate) const TOKEN_URL: &str = "https://id.example.com/jans-auth/restv1/token";
const USERINFO_URL: &str = "https://id.example.com/jans-auth/restv1/userinfo";
const PAR_URL: &str = "https://id.example.com/jans-auth/restv1/par";

/// A client's DPoP key pair.
pub(crate) struct Key {
    key: Arc<dyn SigningKey>,
    jwk: Jwk,
    pub jkt: String,
}

impl Key {
    pub(crate) fn new(h: &Harness, alg: Algorithm) -> Key {
        let key = h.provider().generate(alg, h.rng.as_ref()).unwrap();
        let jwk = key.public_jwk();
        let jkt = jwk.thumbprint().unwrap();
        Key { key, jwk, jkt }
    }

    /// The claims of a fresh proof for `htm` `htu` (a new `jti`, `iat` now).
    pub(crate) fn claims(&self, h: &Harness, htm: &str, htu: &str) -> Value {
        json!({
            "jti": h.ctx().random_token(12),
            "htm": htm,
            "htu": htu,
            "iat": h.clock.now(),
        })
    }

    /// A proof for `htm` `htu`, with `ath` of `token` when given.
    pub(crate) fn proof(&self, h: &Harness, htm: &str, htu: &str, token: Option<&str>) -> String {
        let mut claims = self.claims(h, htm, htu);
        if let Some(t) = token {
            claims["ath"] = jans_core::auth::oauth::dpop::ath(t).into();
        }
        self.sign(h, self.header(), &claims)
    }

    /// The header of a well-formed proof.
    pub(crate) fn header(&self) -> jws::Header {
        let mut header = jws::Header::new(self.key.algorithm());
        header.typ = Some("dpop+jwt".into());
        header.jwk = Some(self.jwk.clone());
        header
    }

    pub(crate) fn sign(&self, h: &Harness, header: jws::Header, claims: &Value) -> String {
        jws::sign(
            &header,
            &serde_json::to_vec(claims).unwrap(),
            self.key.as_ref(),
            h.rng.as_ref(),
        )
        .unwrap()
    }
}

fn form(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

/// A token request with `proof` in its DPoP header.
pub(crate) fn token_with(
    h: &Harness,
    pairs: &[(&str, &str)],
    auth: Option<String>,
    proof: Option<&str>,
) -> Response {
    let mut req = Request::new(AuthEndpoint::Token, Method::Post).with_form(form(pairs));
    req.authorization = auth;
    req.dpop = proof.map(str::to_owned);
    h.call(req)
}

fn cc(h: &Harness, c: &RegisteredClient, proof: Option<&str>) -> Response {
    token_with(
        h,
        &[("grant_type", "client_credentials")],
        Some(basic(c)),
        proof,
    )
}

fn userinfo(h: &Harness, authorization: &str, proof: Option<String>) -> Response {
    let mut req = Request::new(AuthEndpoint::Userinfo, Method::Get);
    req.authorization = Some(authorization.to_owned());
    req.dpop = proof;
    h.call(req)
}

fn at(r: &Response) -> String {
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(r)["access_token"].as_str().unwrap().to_owned()
}

/// Every header `name` of `r`.
fn headers(r: &Response, name: &str) -> Vec<String> {
    r.all_headers()
        .into_iter()
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn a_proof_binds_the_access_token_to_its_key() {
    let h = harness();
    let c = h.register(json!({"scope": "read"}));
    let key = Key::new(&h, Algorithm::ES256);

    let r = cc(&h, &c, Some(&key.proof(&h, "POST", TOKEN_URL, None)));
    assert_eq!(json(&r)["token_type"], "DPoP");
    let token = at(&r);
    // RFC 9449 §6.2: introspection names the key.
    let i = h.introspect(&c, &token);
    assert_eq!(i["token_type"], "DPoP");
    assert_eq!(i["cnf"]["jkt"], key.jkt.as_str());

    // Without a proof, a bearer token as before.
    let r = cc(&h, &c, None);
    assert_eq!(json(&r)["token_type"], "Bearer");
    let i = h.introspect(&c, &at(&r));
    assert_eq!(i["token_type"], "Bearer");
    assert!(i.get("cnf").is_none());

    // Every supported algorithm proves (EdDSA and RSA too).
    for alg in [Algorithm::EdDSA, Algorithm::PS256, Algorithm::ES384] {
        let k = Key::new(&h, alg);
        let r = cc(&h, &c, Some(&k.proof(&h, "POST", TOKEN_URL, None)));
        assert_eq!(json(&r)["token_type"], "DPoP", "{alg:?}");
        assert_eq!(h.introspect(&c, &at(&r))["cnf"]["jkt"], k.jkt.as_str());
    }
    // EdDSA by its fully-specified name (RFC 9864 §2.2), as oauth4webapi signs.
    let ed = Key::new(&h, Algorithm::EdDSA);
    let mut header = ed.header();
    header.alg = "Ed25519".into();
    let proof = ed.sign(&h, header, &ed.claims(&h, "POST", TOKEN_URL));
    let r = cc(&h, &c, Some(&proof));
    assert_eq!(h.introspect(&c, &at(&r))["cnf"]["jkt"], ed.jkt.as_str());
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert!(
        d["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("ES256"))
    );
    assert!(
        d["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("Ed25519"))
    );
}

#[test]
fn a_bound_jwt_access_token_verifies_only_with_a_proof_of_its_key() {
    let h = harness();
    let c = h.register(json!({"scope": "read", "access_token_as_jwt": true}));
    let key = Key::new(&h, Algorithm::ES256);
    let token = at(&cc(&h, &c, Some(&key.proof(&h, "POST", TOKEN_URL, None))));
    let payload = jws::decode(&token).unwrap().payload_unverified().to_vec();
    let claims: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims["cnf"]["jkt"], key.jkt.as_str());

    let api = "https://api.example.com/photos";
    // As a bearer token it is refused: a copy alone is worth nothing.
    assert_eq!(
        h.engine.verify_token(&token, None, h.clock.now()),
        Err(jans_core::auth::oauth::verify::VerifyError::Bound)
    );
    let verify = |proof: &str, method: &str, url: &str| {
        block_on(
            h.engine
                .verify_token_dpop(&token, proof, method, url, None, None, &h.ctx()),
        )
    };
    let good = key.proof(&h, "GET", api, Some(&token));
    let ok = verify(&good, "GET", api).unwrap();
    assert_eq!(ok.claims["client_id"], c.client.client_id.as_str());
    // Once: the same proof again is a replay.
    assert!(verify(&good, "GET", api).is_err());
    // The query is not part of htu (§4.3 item 9); case of scheme and host neither.
    let p = key.proof(
        &h,
        "GET",
        "HTTPS://API.example.com:443/photos",
        Some(&token),
    );
    assert!(verify(&p, "GET", api).is_ok());
    let other = Key::new(&h, Algorithm::ES256);
    let refused = [
        (
            other.proof(&h, "GET", api, Some(&token)),
            "GET",
            api,
            "not of the token's key",
        ),
        (key.proof(&h, "GET", api, None), "GET", api, "ath"),
        (key.proof(&h, "GET", api, Some("other")), "GET", api, "ath"),
        (key.proof(&h, "POST", api, Some(&token)), "GET", api, "htm"),
        (
            key.proof(&h, "GET", "https://api.example.com/other", Some(&token)),
            "GET",
            api,
            "htu",
        ),
    ];
    for (proof, method, url, why) in refused {
        let e = verify(&proof, method, url).unwrap_err().to_string();
        assert!(e.contains(why), "{e} should say {why}");
    }
    // A bearer token with a proof is not a DPoP token.
    let bearer = at(&cc(&h, &c, None));
    let p = key.proof(&h, "GET", api, Some(&bearer));
    assert!(
        block_on(
            h.engine
                .verify_token_dpop(&bearer, &p, "GET", api, None, None, &h.ctx())
        )
        .is_err()
    );
    assert!(h.engine.verify_token(&bearer, None, h.clock.now()).is_ok());
}

#[test]
fn bad_proofs_get_invalid_dpop_proof_and_store_nothing() {
    let h = harness();
    let c = h.register(json!({"scope": "read"}));
    let key = Key::new(&h, Algorithm::ES256);
    let other = Key::new(&h, Algorithm::ES256);
    let now = h.clock.now();
    let with = |f: &dyn Fn(&mut jws::Header, &mut Value)| {
        let mut header = key.header();
        let mut claims = key.claims(&h, "POST", TOKEN_URL);
        f(&mut header, &mut claims);
        key.sign(&h, header, &claims)
    };
    let mut cases: Vec<(&str, String)> = vec![
        ("garbage", "not.a.jwt".into()),
        ("typ", with(&|hd, _| hd.typ = Some("JWT".into()))),
        ("no typ", with(&|hd, _| hd.typ = None)),
        ("no jwk", with(&|hd, _| hd.jwk = None)),
        (
            "jwk of another key",
            with(&|hd, _| hd.jwk = Some(other.jwk.clone())),
        ),
        (
            "private jwk",
            with(&|hd, _| {
                if let Some(j) = hd.jwk.as_mut() {
                    j.extra.insert("d".into(), "AAAA".into());
                }
            }),
        ),
        ("htm", with(&|_, c| c["htm"] = "GET".into())),
        (
            "htu",
            with(&|_, c| c["htu"] = "https://id.example.com/jans-auth/restv1/par".into()),
        ),
        (
            "htu of another host",
            with(&|_, c| c["htu"] = "https://evil.example/jans-auth/restv1/token".into()),
        ),
        ("stale iat", with(&|_, c| c["iat"] = (now - 66).into())),
        ("future iat", with(&|_, c| c["iat"] = (now + 61).into())),
        (
            "iat as text",
            with(&|_, c| c["iat"] = now.to_string().into()),
        ),
        (
            "no jti",
            with(&|_, c| {
                c.as_object_mut().unwrap().remove("jti");
            }),
        ),
        ("empty jti", with(&|_, c| c["jti"] = "".into())),
        ("nonce not text", with(&|_, c| c["nonce"] = 5.into())),
        (
            "alg none",
            format!(
                "{}.{}.",
                jans_core::b64::encode(br#"{"alg":"none","typ":"dpop+jwt"}"#),
                jans_core::b64::encode(
                    serde_json::to_string(&key.claims(&h, "POST", TOKEN_URL))
                        .unwrap()
                        .as_bytes()
                )
            ),
        ),
    ];
    // A symmetric alg is never a proof (§4.3 item 5).
    let mut hs = jws::Header::new(Algorithm::HS256);
    hs.typ = Some("dpop+jwt".into());
    hs.jwk = Some(key.jwk.clone());
    let claims = serde_json::to_vec(&key.claims(&h, "POST", TOKEN_URL)).unwrap();
    cases.push((
        "HS256",
        jws::sign_hmac(&hs, &claims, Algorithm::HS256, &[7u8; 32]).unwrap(),
    ));
    // A tampered signature.
    let good = key.proof(&h, "POST", TOKEN_URL, None);
    let (body, sig) = good.rsplit_once('.').unwrap();
    let mut sig = jans_core::b64::decode(sig).unwrap();
    sig[0] ^= 1;
    cases.push((
        "signature",
        format!("{body}.{}", jans_core::b64::encode(&sig)),
    ));

    // (count_grants sweeps what it counts: each count sees what was stored since the last.)
    h.count_grants();
    for (why, proof) in cases {
        let r = cc(&h, &c, Some(&proof));
        assert_eq!(r.status(), 400, "{why}: {:?}", r.body);
        assert_eq!(json(&r)["error"], "invalid_dpop_proof", "{why}");
        assert_eq!(h.count_grants(), 0, "{why}: nothing stored");
    }

    // A proof is used once: the second time it is a replay, and issues nothing.
    let proof = key.proof(&h, "POST", TOKEN_URL, None);
    let r = cc(&h, &c, Some(&proof));
    at(&r);
    let r = cc(&h, &c, Some(&proof));
    assert_error(&r, 400, "invalid_dpop_proof");
    // The jti is remembered as long as the proof could be accepted (iat + dpopTimeframe +
    // clockSkewSeconds), then swept; the token (300 s) stays.
    h.clock.advance(66);
    let swept = block_on(h.stores.grants.sweep(h.clock.now(), usize::MAX)).unwrap();
    assert_eq!(swept, 1, "the jti alone");
    assert_error(&cc(&h, &c, Some(&proof)), 400, "invalid_dpop_proof");
    assert_eq!(h.count_grants(), 1, "the first use's token");

    // Two DPoP headers (§4.3 item 1), as a host hands them over.
    let p = key.proof(&h, "POST", TOKEN_URL, None);
    let refused = Request::from_http(
        AuthEndpoint::Token.into(),
        "POST",
        None,
        &[("dpop", p.as_bytes()), ("DPoP", p.as_bytes())],
        Vec::new(),
    )
    .unwrap_err();
    assert_eq!(refused.code.as_str(), "invalid_dpop_proof");
}

#[test]
fn a_client_registered_for_dpop_must_send_a_proof() {
    let h = harness();
    let c = h.register(json!({"scope": "read", "dpop_bound_access_tokens": true}));
    let r = cc(&h, &c, None);
    assert_error(&r, 400, "invalid_dpop_proof");
    let key = Key::new(&h, Algorithm::ES256);
    let r = cc(&h, &c, Some(&key.proof(&h, "POST", TOKEN_URL, None)));
    assert_eq!(json(&r)["token_type"], "DPoP");
}

/// A code for `c` (alice consents), asked with `extra` parameters.
fn code(h: &Harness, c: &RegisteredClient, extra: &[(&str, &str)]) -> String {
    let mut p = std_params(c);
    p.extend_from_slice(extra);
    let (cb, _) = login_and_consent(h, &authorize(h, &p, None));
    q(&cb, "code").unwrap()
}

fn redeem_with(h: &Harness, c: &RegisteredClient, code: &str, proof: Option<&str>) -> Response {
    token_with(
        h,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", &c.client.client_id),
        ],
        c.client_secret.as_ref().map(|_| basic(c)),
        proof,
    )
}

#[test]
fn userinfo_takes_a_bound_token_only_with_the_dpop_scheme_and_its_proof() {
    let h = harness();
    let c = rp(&h, json!({}));
    let key = Key::new(&h, Algorithm::ES256);
    let cd = code(&h, &c, &[]);
    let r = redeem_with(&h, &c, &cd, Some(&key.proof(&h, "POST", TOKEN_URL, None)));
    assert_eq!(json(&r)["token_type"], "DPoP");
    let token = at(&r);
    let dpop = format!("DPoP {token}");

    let ok = userinfo(
        &h,
        &dpop,
        Some(key.proof(&h, "GET", USERINFO_URL, Some(&token))),
    );
    assert_eq!(ok.status(), 200, "{:?}", ok.body);
    assert!(json(&ok)["sub"].is_string());

    let other = Key::new(&h, Algorithm::ES256);
    let cases = [
        // A copy of the token as a bearer token (§7.2: no downgrade).
        (format!("Bearer {token}"), None, "invalid_token"),
        (dpop.clone(), None, "invalid_dpop_proof"),
        (
            dpop.clone(),
            Some(key.proof(&h, "GET", USERINFO_URL, None)),
            "invalid_dpop_proof",
        ),
        (
            dpop.clone(),
            Some(other.proof(&h, "GET", USERINFO_URL, Some(&token))),
            "invalid_dpop_proof",
        ),
        (
            dpop.clone(),
            Some(key.proof(&h, "POST", USERINFO_URL, Some(&token))),
            "invalid_dpop_proof",
        ),
    ];
    for (authorization, proof, code) in cases {
        let r = userinfo(&h, &authorization, proof);
        assert_error(&r, 401, code);
        let challenge = headers(&r, "www-authenticate").join(" | ");
        assert!(
            challenge.starts_with(&format!("DPoP error=\"{code}\"")) && challenge.contains("algs="),
            "{challenge}"
        );
    }
    // A bearer token is not presented with the DPoP scheme.
    let plain = rp(&h, json!({}));
    let cd = code(&h, &plain, &[]);
    let bearer = at(&redeem_with(&h, &plain, &cd, None));
    let r = userinfo(
        &h,
        &format!("DPoP {bearer}"),
        Some(key.proof(&h, "GET", USERINFO_URL, Some(&bearer))),
    );
    assert_error(&r, 401, "invalid_token");
    assert_eq!(
        userinfo(&h, &format!("Bearer {bearer}"), None).status(),
        200
    );
    // No token at all: both schemes are offered.
    let r = h.call(Request::new(AuthEndpoint::Userinfo, Method::Get));
    let offered = headers(&r, "www-authenticate");
    assert!(
        offered.iter().any(|v| v.starts_with("Bearer")),
        "{offered:?}"
    );
    assert!(offered.iter().any(|v| v.starts_with("DPoP")), "{offered:?}");

    // Introspection by a bound token's holder needs its proof too.
    let introspect_url = "https://id.example.com/jans-auth/restv1/introspection";
    let ask = |authorization: String, proof: Option<String>| {
        let mut req = Request::new(AuthEndpoint::Introspection, Method::Post)
            .with_form(form(&[("token", &bearer)]));
        req.authorization = Some(authorization);
        req.dpop = proof;
        h.call(req)
    };
    assert_error(&ask(format!("Bearer {token}"), None), 401, "invalid_token");
    let r = ask(
        dpop.clone(),
        Some(key.proof(&h, "POST", introspect_url, Some(&token))),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["active"], true);
}

#[test]
fn a_public_clients_refresh_token_is_bound_to_its_key() {
    let h = harness();
    let c = rp(
        &h,
        json!({"token_endpoint_auth_method": "none", "scope": "profile offline_access",
               "grant_types": ["authorization_code", "refresh_token"]}),
    );
    let key = Key::new(&h, Algorithm::ES256);
    let mut p = std_params(&c);
    p.retain(|(k, _)| *k != "scope");
    p.push(("scope", "openid profile offline_access"));
    let (cb, _) = super::authorize::login_and_consent_scopes(&h, &authorize(&h, &p, None));
    let cd = q(&cb, "code").unwrap();
    let r = redeem_with(&h, &c, &cd, Some(&key.proof(&h, "POST", TOKEN_URL, None)));
    let rt = json(&r)["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |proof: Option<String>| {
        token_with(
            &h,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("client_id", &c.client.client_id),
            ],
            None,
            proof.as_deref(),
        )
    };
    // Without a proof, or with another key's: refused, and the token stays usable.
    assert_error(&refresh(None), 400, "invalid_dpop_proof");
    let other = Key::new(&h, Algorithm::ES256);
    assert_error(
        &refresh(Some(other.proof(&h, "POST", TOKEN_URL, None))),
        400,
        "invalid_dpop_proof",
    );
    let r = refresh(Some(key.proof(&h, "POST", TOKEN_URL, None)));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["token_type"], "DPoP");
    // The new refresh token is bound too.
    let rt2 = json(&r)["refresh_token"].as_str().unwrap().to_owned();
    let r = token_with(
        &h,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt2),
            ("client_id", &c.client.client_id),
        ],
        None,
        None,
    );
    assert_error(&r, 400, "invalid_dpop_proof");

    // A confidential client's refresh token is not bound (§5): it refreshes without one.
    let conf = super::authorize::offline_rp(&h);
    let cd = super::authorize::offline_code(&h, &conf);
    let r = redeem_with(
        &h,
        &conf,
        &cd,
        Some(&key.proof(&h, "POST", TOKEN_URL, None)),
    );
    assert_eq!(json(&r)["token_type"], "DPoP");
    let rt = json(&r)["refresh_token"].as_str().unwrap().to_owned();
    let r = super::authorize::refresh(&h, &conf, &rt, None);
    assert_eq!(json(&r)["token_type"], "Bearer", "{:?}", r.body);
}

#[test]
fn dpop_jkt_and_a_pushed_proof_bind_the_code_to_a_key() {
    let h = harness();
    let c = rp(&h, json!({}));
    let key = Key::new(&h, Algorithm::ES256);
    let other = Key::new(&h, Algorithm::ES256);

    // §10: dpop_jkt at the authorization endpoint.
    let cd = code(&h, &c, &[("dpop_jkt", &key.jkt)]);
    assert_error(&redeem_with(&h, &c, &cd, None), 400, "invalid_dpop_proof");
    let cd = code(&h, &c, &[("dpop_jkt", &key.jkt)]);
    assert_error(
        &redeem_with(&h, &c, &cd, Some(&other.proof(&h, "POST", TOKEN_URL, None))),
        400,
        "invalid_dpop_proof",
    );
    let cd = code(&h, &c, &[("dpop_jkt", &key.jkt)]);
    let r = redeem_with(&h, &c, &cd, Some(&key.proof(&h, "POST", TOKEN_URL, None)));
    assert_eq!(json(&r)["token_type"], "DPoP", "{:?}", r.body);
    // A malformed dpop_jkt goes back to the client as invalid_request.
    let mut p = std_params(&c);
    p.push(("dpop_jkt", "short"));
    let r = authorize(&h, &p, None);
    assert_eq!(
        q(&location(&r), "error").as_deref(),
        Some("invalid_request")
    );

    // §10.1: a request pushed with a proof binds the code to the proof's key.
    let mut pushed: Vec<(&str, &str)> = std_params(&c)
        .into_iter()
        .filter(|(k, _)| *k != "client_id")
        .collect();
    let push = |pairs: &[(&str, &str)], proof: String| {
        let mut req = Request::new(AuthEndpoint::Par, Method::Post).with_form(form(pairs));
        req.authorization = Some(basic(&c));
        req.dpop = Some(proof);
        h.call(req)
    };
    let r = push(&pushed, key.proof(&h, "POST", PAR_URL, None));
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let request_uri = json(&r)["request_uri"].as_str().unwrap().to_owned();
    let start = authorize(
        &h,
        &[
            ("client_id", &c.client.client_id),
            ("request_uri", &request_uri),
        ],
        None,
    );
    let (cb, _) = login_and_consent(&h, &start);
    let cd = q(&cb, "code").unwrap();
    assert_error(
        &redeem_with(&h, &c, &cd, Some(&other.proof(&h, "POST", TOKEN_URL, None))),
        400,
        "invalid_dpop_proof",
    );
    // The proof's key and dpop_jkt must agree; a proof for the token endpoint is refused.
    pushed.push(("dpop_jkt", &other.jkt));
    h.count_grants();
    assert_error(
        &push(&pushed, key.proof(&h, "POST", PAR_URL, None)),
        400,
        "invalid_dpop_proof",
    );
    pushed.pop();
    assert_error(
        &push(&pushed, key.proof(&h, "POST", TOKEN_URL, None)),
        400,
        "invalid_dpop_proof",
    );
    assert_eq!(h.count_grants(), 1, "only the first proof's jti");
}

#[test]
fn server_nonces_when_dpop_use_nonce() {
    let mut config = config();
    config.dpop_use_nonce = true;
    config.dpop_nonce_cache_time = 300;
    let h = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    h.add_user("alice");
    let c = h.register(json!({"scope": "read"}));
    let key = Key::new(&h, Algorithm::ES256);

    let r = cc(&h, &c, Some(&key.proof(&h, "POST", TOKEN_URL, None)));
    assert_error(&r, 400, "use_dpop_nonce");
    let nonce = header(&r, "dpop-nonce").expect("a nonce to use");
    let with_nonce = |nonce: &str| {
        let mut claims = key.claims(&h, "POST", TOKEN_URL);
        claims["nonce"] = nonce.into();
        key.sign(&h, key.header(), &claims)
    };
    let r = cc(&h, &c, Some(&with_nonce(&nonce)));
    assert_eq!(json(&r)["token_type"], "DPoP", "{:?}", r.body);
    let token = at(&r);
    // A nonce not made here, or made too long ago, is refused the same way.
    assert_error(
        &cc(&h, &c, Some(&with_nonce("made-up"))),
        400,
        "use_dpop_nonce",
    );
    h.clock.advance(301);
    let r = cc(&h, &c, Some(&with_nonce(&nonce)));
    assert_error(&r, 400, "use_dpop_nonce");
    let fresh = header(&r, "dpop-nonce").unwrap();
    assert_ne!(fresh, nonce);
    assert_eq!(cc(&h, &c, Some(&with_nonce(&fresh))).status(), 200);

    // A protected resource asks with 401 and its challenge (§9).
    let c2 = rp(&h, json!({}));
    let cd = code(&h, &c2, &[]);
    let mut claims = key.claims(&h, "POST", TOKEN_URL);
    claims["nonce"] = fresh.clone().into();
    let r = redeem_with(&h, &c2, &cd, Some(&key.sign(&h, key.header(), &claims)));
    let bound = at(&r);
    let r = userinfo(
        &h,
        &format!("DPoP {bound}"),
        Some(key.proof(&h, "GET", USERINFO_URL, Some(&bound))),
    );
    assert_error(&r, 401, "use_dpop_nonce");
    assert!(headers(&r, "www-authenticate")[0].starts_with("DPoP error=\"use_dpop_nonce\""));
    let nonce = header(&r, "dpop-nonce").unwrap();
    let mut claims = key.claims(&h, "GET", USERINFO_URL);
    claims["ath"] = jans_core::auth::oauth::dpop::ath(&bound).into();
    claims["nonce"] = nonce.into();
    let r = userinfo(
        &h,
        &format!("DPoP {bound}"),
        Some(key.sign(&h, key.header(), &claims)),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let _ = token;
}

#[test]
fn a_proof_is_used_once_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let h = harness_on(backend.stores.clone());
        let c = h.register(json!({"scope": "read"}));
        let key = Key::new(&h, Algorithm::ES256);
        let proof = key.proof(&h, "POST", TOKEN_URL, None);
        let answers: Vec<Response> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8)
                .map(|_| s.spawn(|| cc(&h, &c, Some(&proof))))
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let won = answers.iter().filter(|r| r.status() == 200).count();
        assert_eq!(won, 1, "{name}");
        for r in answers.iter().filter(|r| r.status() != 200) {
            assert_error(r, 400, "invalid_dpop_proof");
        }
    }
}
