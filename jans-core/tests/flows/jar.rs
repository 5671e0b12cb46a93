//! Request objects (RFC 9101, OIDC Core §6; issue 16 item 2): by value and by reference,
//! signed with the client's keys or secret, encrypted to our `use: enc` keys or the
//! client's secret; the request object's claims supersede the query; Janssen's switches
//! (`requestUriBlockList`, `requireRequestUriRegistration`, `forceSignedRequestObject`);
//! every bad request object refused with its OIDC error and nothing stored.

use jans_core::jose::jwe::{self, Enc, KeyAlg, Options, Recipient};
use jans_core::jose::{Algorithm, Jwk, jws};
use jans_core::store::GrantKind;
use jans_core::{AuthEndpoint, Body, Config, Method, RegisteredClient, Request, Response};
use serde_json::{Value, json};

use super::authorize::{
    CB, CHALLENGE, VERIFIER, authorize, harness_on, location, login_and_consent, q, redeem,
};
use super::harness::*;

const OBJECT_URI: &str = "https://rp.example.com/requests/r1.jwt";

/// A client's signing key, published in its `jwks` (signing with `typ: JWT`, which RFC 9101
/// §10.8 allows beside `oauth-authz-req+jwt`).
type ClientKey = super::jwt_bearer::Issuer;

fn jwk_of(key: &ClientKey) -> Value {
    serde_json::to_value(&key.jwks().keys[0]).unwrap()
}

fn setup(edit: impl FnOnce(&mut Config)) -> Harness {
    let mut config = config();
    config
        .key_algs_allowed_for_generation
        .push(KeyAlg::RsaOaep256.into());
    edit(&mut config);
    harness_on_config(config)
}

fn harness_on_config(config: Config) -> Harness {
    let h = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    let _ = harness_on;
    h.add_user("alice");
    h
}

/// A client with `key` in its `jwks` (and `extra` metadata).
fn client(h: &Harness, key: &ClientKey, extra: Value) -> RegisteredClient {
    let mut m =
        json!({"redirect_uris": [CB], "scope": "profile email", "jwks": {"keys": [jwk_of(key)]}});
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    h.register(m)
}

/// The standard request as request object claims.
fn claims(c: &RegisteredClient) -> Value {
    json!({
        "iss": c.client.client_id, "aud": ISSUER, "exp": T0 + 300, "iat": T0,
        "client_id": c.client.client_id,
        "response_type": "code", "redirect_uri": CB, "scope": "openid profile",
        "state": "inner-state", "nonce": "inner-nonce",
        "code_challenge": CHALLENGE, "code_challenge_method": "S256",
        "max_age": 3600,
    })
}

fn with_object<'a>(
    c: &'a RegisteredClient,
    name: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![("client_id", c.client.client_id.as_str()), (name, value)]
}

/// A whole flow from `start`: the ID token's nonce, checked to be the request object's.
fn completes(h: &Harness, c: &RegisteredClient, start: &Response) {
    let (cb, _) = login_and_consent(h, start);
    assert!(cb.starts_with(CB), "{cb}");
    assert_eq!(q(&cb, "state").as_deref(), Some("inner-state"));
    let tok = json(&redeem(h, c, &q(&cb, "code").unwrap(), VERIFIER));
    let id_token = tok["id_token"].as_str().expect("an ID token");
    let payload = jws::decode(id_token)
        .unwrap()
        .verify_with_jwks(&h.jwks(), &Algorithm::ASYMMETRIC, h.provider().as_ref())
        .unwrap();
    let claims: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(claims["nonce"], "inner-nonce");
}

fn grants(h: &Harness) -> usize {
    [GrantKind::Interaction, GrantKind::AuthorizationCode]
        .into_iter()
        .map(|k| {
            jans_core::testing::block_on(h.stores.grants.scan(k, h.ctx().now, 1000))
                .unwrap()
                .len()
        })
        .sum()
}

/// Refused back at the client with `code` (the query's registered redirect_uri), or on the
/// error page when the query names none.
fn refused(r: &Response, code: &str) {
    match &r.body {
        Body::Redirect(to) => {
            assert!(to.starts_with(CB), "{to}");
            assert_eq!(q(to, "error").as_deref(), Some(code), "{to}");
        }
        Body::Page(p) => {
            assert_eq!(p.template, "error.html");
            assert_eq!(p.context["error"], code, "{:?}", p.context);
        }
        other => panic!("neither a redirect nor a page: {other:?}"),
    }
}

#[test]
fn a_signed_request_object_by_value_supersedes_the_query() {
    let h = setup(|_| {});
    let key = ClientKey::new(1, Algorithm::ES256);
    let c = client(&h, &key, json!({"request_object_signing_alg": "ES256"}));
    let object = key.sign(&claims(&c));
    let mut p = with_object(&c, "request", &object);
    // OIDC Core §6.3.3: the object's values win over the query's.
    p.push(("state", "outer-state"));
    p.push(("nonce", "outer-nonce"));
    completes(&h, &c, &authorize(&h, &p, None));
}

#[test]
fn a_request_object_by_reference_is_fetched() {
    let h = setup(|c| c.require_request_uri_registration = true);
    let key = ClientKey::new(2, Algorithm::PS256);
    let c = client(
        &h,
        &key,
        json!({"request_uris": [format!("{OBJECT_URI}#sha256-ignored")]}),
    );
    h.http
        .docs
        .lock()
        .unwrap()
        .insert(OBJECT_URI.into(), key.sign(&claims(&c)).into_bytes());
    completes(
        &h,
        &c,
        &authorize(&h, &with_object(&c, "request_uri", OBJECT_URI), None),
    );
    // Not registered; nothing there; on the block list; not https.
    let before = grants(&h);
    for (uri, code) in [
        (
            "https://rp.example.com/requests/other.jwt",
            "invalid_request_uri",
        ),
        ("https://localhost/r.jwt", "invalid_request_uri"),
        ("ftp://rp.example.com/r.jwt", "invalid_request_uri"),
    ] {
        refused(
            &authorize(&h, &with_object(&c, "request_uri", uri), None),
            code,
        );
    }
    assert_eq!(grants(&h), before);
    let h = setup(|_| {});
    let c = client(&h, &key, json!({}));
    let mut p = with_object(&c, "request_uri", "https://rp.example.com/nothing-here.jwt");
    p.push(("redirect_uri", CB));
    refused(&authorize(&h, &p, None), "invalid_request_uri");
}

/// `object` encrypted to the server's key for `alg` from its JWKS.
fn to_server(h: &Harness, object: &str, alg: KeyAlg, enc: Enc) -> String {
    let jwks = h.jwks();
    let jwk: &Jwk = jwks
        .keys
        .iter()
        .find(|k| k.alg.as_deref() == Some(alg.as_str()))
        .unwrap_or_else(|| panic!("the JWKS publishes a {alg} key"));
    assert_eq!(jwk.use_.as_deref(), Some("enc"));
    let opts = Options {
        kid: jwk.kid.as_deref(),
        cty: Some("JWT"),
        ..Options::default()
    };
    jwe::encrypt(
        object.as_bytes(),
        alg,
        enc,
        Recipient::Public(jwk),
        &opts,
        h.provider().as_ref(),
        h.ctx().rng.as_ref(),
    )
    .unwrap()
}

#[test]
fn encrypted_request_objects_to_our_keys_or_the_client_secret() {
    let h = setup(|_| {});
    let key = ClientKey::new(3, Algorithm::ES256);
    let c = client(&h, &key, json!({}));
    for (alg, enc) in [
        (KeyAlg::RsaOaep256, Enc::A256Gcm),
        (KeyAlg::EcdhEs, Enc::A128CbcHs256),
    ] {
        let object = to_server(&h, &key.sign(&claims(&c)), alg, enc);
        completes(
            &h,
            &c,
            &authorize(&h, &with_object(&c, "request", &object), None),
        );
    }
    // HS256 inside, A128KW with a key from the secret outside (OIDC Core §10.2).
    let c = client(
        &h,
        &key,
        json!({"request_object_encryption_alg": "A128KW", "request_object_encryption_enc": "A128GCM"}),
    );
    let secret = c.client_secret.clone().unwrap();
    let signed = jws::sign_hmac(
        &jws::Header::new(Algorithm::HS256),
        &serde_json::to_vec(&claims(&c)).unwrap(),
        Algorithm::HS256,
        secret.as_bytes(),
    )
    .unwrap();
    let k = jwe::secret_key(&secret, KeyAlg::A128Kw, Enc::A128Gcm);
    let object = jwe::encrypt(
        signed.as_bytes(),
        KeyAlg::A128Kw,
        Enc::A128Gcm,
        Recipient::Secret(&k),
        &Options::default(),
        h.provider().as_ref(),
        h.ctx().rng.as_ref(),
    )
    .unwrap();
    completes(
        &h,
        &c,
        &authorize(&h, &with_object(&c, "request", &object), None),
    );
    // This client registered A128KW: our RSA key is not its way.
    let rsa = to_server(&h, &signed, KeyAlg::RsaOaep256, Enc::A128Gcm);
    let mut p = with_object(&c, "request", &rsa);
    p.push(("redirect_uri", CB));
    refused(&authorize(&h, &p, None), "invalid_request_object");
}

#[test]
fn bad_request_objects_are_refused_and_store_nothing() {
    let h = setup(|_| {});
    let key = ClientKey::new(4, Algorithm::ES256);
    let stranger = ClientKey::new(5, Algorithm::ES256);
    let c = client(&h, &key, json!({"request_object_signing_alg": "ES256"}));
    let good = claims(&c);
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        f(&mut v);
        key.sign(&v)
    };
    let unsigned = format!(
        "{}.{}.",
        jans_core::b64::encode(br#"{"alg":"none"}"#),
        jans_core::b64::encode(&serde_json::to_vec(&good).unwrap())
    );
    let es384 = ClientKey::new(6, Algorithm::ES384);
    let mut tampered = key.sign(&good);
    tampered.insert(tampered.rfind('.').unwrap() + 1, 'A');
    let encrypted_tampered = {
        let mut t = to_server(&h, &key.sign(&good), KeyAlg::EcdhEs, Enc::A256Gcm);
        let last = t.pop().unwrap();
        t.push(if last == 'A' { 'B' } else { 'A' });
        t
    };
    let cases: Vec<(String, &str)> = vec![
        (unsigned, "invalid_request_object"),
        (stranger.sign(&good), "invalid_request_object"),
        (tampered, "invalid_request_object"),
        (es384.sign(&good), "invalid_request_object"),
        (
            edit(&|v| v["iss"] = "someone-else".into()),
            "invalid_request_object",
        ),
        (
            edit(&|v| v["aud"] = "https://other.example".into()),
            "invalid_request_object",
        ),
        (
            edit(&|v| v["exp"] = (T0 - 3600).into()),
            "invalid_request_object",
        ),
        (
            edit(&|v| v["nbf"] = (T0 + 3600).into()),
            "invalid_request_object",
        ),
        (
            edit(&|v| v["client_id"] = "another-client".into()),
            "invalid_request_object",
        ),
        (
            edit(&|v| v["request_uri"] = OBJECT_URI.into()),
            "invalid_request_object",
        ),
        (encrypted_tampered, "invalid_request_object"),
        ("not.a.jwt".to_owned(), "invalid_request_object"),
    ];
    let before = grants(&h);
    for (object, code) in &cases {
        let mut p = with_object(&c, "request", object);
        p.push(("redirect_uri", CB));
        p.push(("state", "outer"));
        let r = authorize(&h, &p, None);
        refused(&r, code);
        if let Body::Redirect(to) = &r.body {
            assert_eq!(
                q(to, "state").as_deref(),
                Some("outer"),
                "the query's state"
            );
        }
        // Without a redirect_uri in the query: the error page, never the object's.
        refused(
            &authorize(&h, &with_object(&c, "request", object), None),
            code,
        );
    }
    // Both ways at once.
    let o = key.sign(&good);
    let mut p = with_object(&c, "request", &o);
    p.push(("request_uri", OBJECT_URI));
    refused(&authorize(&h, &p, None), "invalid_request");
    assert_eq!(grants(&h), before, "nothing stored");
}

#[test]
fn switches_turn_request_objects_off_or_make_them_mandatory() {
    let h = setup(|c| {
        c.request_parameter_supported = false;
        c.request_uri_parameter_supported = false;
    });
    let key = ClientKey::new(7, Algorithm::ES256);
    let c = client(&h, &key, json!({}));
    let object = key.sign(&claims(&c));
    refused(
        &authorize(&h, &with_object(&c, "request", &object), None),
        "request_not_supported",
    );
    refused(
        &authorize(&h, &with_object(&c, "request_uri", OBJECT_URI), None),
        "request_uri_not_supported",
    );
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(d["request_parameter_supported"], false);

    // forceSignedRequestObject: a plain request is refused, at PAR too; objects pass.
    let h = setup(|c| c.force_signed_request_object = true);
    let c = client(&h, &key, json!({}));
    let plain = super::authorize::std_params(&c);
    let r = authorize(&h, &plain, None);
    assert_eq!(
        q(&location(&r), "error").as_deref(),
        Some("invalid_request")
    );
    let pushed: Vec<(&str, &str)> = plain
        .iter()
        .copied()
        .filter(|(k, _)| *k != "client_id")
        .collect();
    assert_error(
        &h.post(AuthEndpoint::Par, &pushed, Some(basic(&c))),
        400,
        "invalid_request",
    );
    let object = key.sign(&claims(&c));
    completes(
        &h,
        &c,
        &authorize(&h, &with_object(&c, "request", &object), None),
    );
    // RFC 9126 §3: a request object pushed, then used by its request_uri.
    let object = key.sign(&claims(&c));
    let r = h.post(AuthEndpoint::Par, &[("request", &object)], Some(basic(&c)));
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let uri = json(&r)["request_uri"].as_str().unwrap().to_owned();
    completes(
        &h,
        &c,
        &authorize(&h, &with_object(&c, "request_uri", &uri), None),
    );
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(d["require_signed_request_object"], true);
}

#[test]
fn discovery_and_registration() {
    let h = setup(|_| {});
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(d["request_parameter_supported"], true);
    assert_eq!(d["request_uri_parameter_supported"], true);
    assert_eq!(d["require_request_uri_registration"], false);
    let signing = d["request_object_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(signing.iter().any(|a| a == "ES256") && !signing.iter().any(|a| a == "none"));
    let enc = d["request_object_encryption_alg_values_supported"]
        .as_array()
        .unwrap();
    for alg in ["RSA-OAEP-256", "ECDH-ES", "A128KW", "dir"] {
        assert!(enc.iter().any(|a| a == alg), "{alg} in {enc:?}");
    }
    // RSA-OAEP has no key here: not offered.
    assert!(!enc.iter().any(|a| a == "RSA-OAEP"), "{enc:?}");
    let mut req = Request::new(AuthEndpoint::Register, Method::Post);
    req.content_type = Some("application/json".into());
    for (body, says) in [
        (
            json!({"request_object_signing_alg": "none"}),
            "request_object_signing_alg",
        ),
        (
            json!({"request_object_signing_alg": "ES256"}),
            "needs jwks or jwks_uri",
        ),
        (
            json!({"request_object_signing_alg": "HS256", "token_endpoint_auth_method": "none"}),
            "needs a client secret",
        ),
        (json!({"request_uris": ["not a url"]}), "request_uri"),
        (
            json!({"request_uris": ["http://rp.example.com/r.jwt"]}),
            "https",
        ),
    ] {
        let mut body = body;
        body["redirect_uris"] = json!([CB]);
        req.body = serde_json::to_vec(&body).unwrap();
        let r = h.call(req.clone());
        assert_error(&r, 400, "invalid_client_metadata");
        let d = json(&r)["error_description"].as_str().unwrap().to_owned();
        assert!(d.contains(says), "{body}: {d}");
    }
}
