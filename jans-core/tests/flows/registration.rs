use jans_core::params::Params;
use jans_core::{AuthEndpoint, Method, Request, Response};

use super::harness::*;

fn post(h: &Harness, body: serde_json::Value, auth: Option<String>) -> Response {
    let mut req = Request::new(AuthEndpoint::Register, Method::Post);
    req.content_type = Some("application/json".into());
    req.body = serde_json::to_vec(&body).unwrap();
    req.authorization = auth;
    h.call(req)
}

fn manage(
    h: &Harness,
    method: Method,
    client_id: &str,
    rat: Option<&str>,
    body: Option<serde_json::Value>,
) -> Response {
    let mut req = Request::new(AuthEndpoint::Register, method);
    req.query = Params::from_pairs([("client_id", client_id)]);
    req.authorization = rat.map(|t| format!("Bearer {t}"));
    if let Some(b) = body {
        req.content_type = Some("application/json".into());
        req.body = serde_json::to_vec(&b).unwrap();
    }
    h.call(req)
}

#[test]
fn register_read_update_delete() {
    let h = Harness::new();
    let r = post(
        &h,
        serde_json::json!({"client_name": "dyn", "redirect_uris": ["https://rp.example.com/cb"], "scope": "openid profile"}),
        None,
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let c = json(&r);
    let id = c["client_id"].as_str().unwrap().to_owned();
    let rat = c["registration_access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        c["registration_client_uri"],
        format!("https://id.example.com/jans-auth/restv1/register?client_id={id}")
    );
    assert_eq!(c["grant_types"], serde_json::json!(["authorization_code"]));
    assert_eq!(c["token_endpoint_auth_method"], "client_secret_basic");
    let secret = c["client_secret"].as_str().unwrap().to_owned();
    // RFC 7592 §2.1 read.
    let r = manage(&h, Method::Get, &id, Some(&rat), None);
    assert_eq!(r.status(), 200);
    assert_eq!(json(&r)["client_secret"], secret.as_str());
    assert!(json(&r).get("registration_access_token").is_none());
    for bad in [None, Some("wrong")] {
        assert_error(
            &manage(&h, Method::Get, &id, bad, None),
            401,
            "invalid_token",
        );
    }
    assert_error(
        &manage(&h, Method::Get, "nope", Some(&rat), None),
        401,
        "invalid_token",
    );
    // RFC 7592 §2.2 update.
    let mut update = json(&manage(&h, Method::Get, &id, Some(&rat), None));
    update["client_name"] = "renamed".into();
    let r = manage(&h, Method::Put, &id, Some(&rat), Some(update.clone()));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["client_name"], "renamed");
    assert_eq!(
        json(&r)["client_secret"],
        secret.as_str(),
        "the secret is kept"
    );
    let mut wrong = update.clone();
    wrong["client_id"] = "other".into();
    assert_error(
        &manage(&h, Method::Put, &id, Some(&rat), Some(wrong)),
        400,
        "invalid_request",
    );
    let mut wrong = update.clone();
    wrong["client_secret"] = "guess".into();
    assert_error(
        &manage(&h, Method::Put, &id, Some(&rat), Some(wrong)),
        400,
        "invalid_request",
    );
    let mut wrong = update;
    wrong["scope"] = "openid admin".into();
    assert_error(
        &manage(&h, Method::Put, &id, Some(&rat), Some(wrong)),
        400,
        "invalid_client_metadata",
    );
    assert_eq!(
        block_on_client(&h, &id).metadata.client_name.as_deref(),
        Some("renamed")
    );
    // RFC 7592 §2.3 delete.
    let r = manage(&h, Method::Delete, &id, Some(&rat), None);
    assert_eq!(r.status(), 204);
    assert_error(
        &manage(&h, Method::Get, &id, Some(&rat), None),
        401,
        "invalid_token",
    );
}

fn block_on_client(h: &Harness, id: &str) -> jans_core::repo::client::Client {
    jans_core::testing::block_on(h.engine.client(id))
        .unwrap()
        .unwrap()
}

#[test]
fn registration_policy_and_validation() {
    let h = Harness::new();
    h.http.docs.lock().unwrap().insert(
        "https://rp.example.com/sector.json".into(),
        serde_json::to_vec(&serde_json::json!([
            "https://a.rp.example.com/cb",
            "https://b.rp.example.com/cb"
        ]))
        .unwrap(),
    );
    let ok = |b: serde_json::Value| {
        let r = post(&h, b.clone(), None);
        assert_eq!(r.status(), 201, "{b}: {:?}", r.body);
    };
    ok(serde_json::json!({"redirect_uris": ["http://localhost:8080/cb"]}));
    ok(
        serde_json::json!({"application_type": "native", "redirect_uris": ["com.example.app:/cb", "http://127.0.0.1:7000/cb"],
                          "token_endpoint_auth_method": "none"}),
    );
    ok(
        serde_json::json!({"redirect_uris": ["https://a.rp.example.com/cb"], "sector_identifier_uri": "https://rp.example.com/sector.json"}),
    );
    ok(serde_json::json!({"grant_types": ["client_credentials"], "scope": "openid"}));
    for (body, error) in [
        (
            serde_json::json!({"redirect_uris": ["http://rp.example.com/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            serde_json::json!({"application_type": "native", "redirect_uris": ["http://rp.example.com/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            serde_json::json!({"redirect_uris": ["https://rp.example.com/cb#frag"]}),
            "invalid_redirect_uri",
        ),
        (
            serde_json::json!({"redirect_uris": ["https://rp.example.com/cb"], "scope": "openid admin"}),
            "invalid_client_metadata",
        ),
        (
            serde_json::json!({"grant_types": ["password"]}),
            "invalid_client_metadata",
        ),
        (
            serde_json::json!({"application_type": "tv", "redirect_uris": ["https://rp.example.com/cb"]}),
            "invalid_client_metadata",
        ),
        (
            serde_json::json!({"redirect_uris": ["https://c.rp.example.com/cb"], "sector_identifier_uri": "https://rp.example.com/sector.json"}),
            "invalid_client_metadata",
        ),
        (
            serde_json::json!({"redirect_uris": ["https://a.rp.example.com/cb"], "sector_identifier_uri": "https://rp.example.com/missing.json"}),
            "invalid_client_metadata",
        ),
        (
            serde_json::json!({"redirect_uris": ["https://rp.example.com/cb"], "token_endpoint_auth_method": "magic"}),
            "invalid_client_metadata",
        ),
        (
            serde_json::json!({"software_statement": "eyJ..."}),
            "invalid_software_statement",
        ),
        (
            serde_json::json!(["not", "an", "object"]),
            "invalid_client_metadata",
        ),
    ] {
        assert_error(&post(&h, body, None), 400, error);
    }
    let mut req = Request::new(AuthEndpoint::Register, Method::Post);
    req.content_type = Some("text/plain".into());
    req.body = b"{}".to_vec();
    assert_error(&h.call(req), 400, "invalid_request");
    // trusted_client cannot be self-granted.
    let r = post(
        &h,
        serde_json::json!({"redirect_uris": ["https://rp.example.com/cb"], "trusted_client": true}),
        None,
    );
    let id = json(&r)["client_id"].as_str().unwrap().to_owned();
    assert!(!block_on_client(&h, &id).metadata.trusted_client);
}

#[test]
fn initial_access_token_and_disabled_registration() {
    let mut c = config();
    c.dynamic_registration_requires_initial_access_token = true;
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let body = serde_json::json!({"redirect_uris": ["https://rp.example.com/cb"]});
    assert_error(&post(&h, body.clone(), None), 401, "invalid_token");
    let plain = h.register(serde_json::json!({"scope": "read"}));
    let weak = h.cc_token(&plain);
    assert_error(
        &post(&h, body.clone(), Some(format!("Bearer {weak}"))),
        403,
        "insufficient_scope",
    );
    let admin = h.register(serde_json::json!({"scope": "dcr"}));
    let iat = h.cc_token(&admin);
    assert_eq!(
        post(&h, body.clone(), Some(format!("Bearer {iat}"))).status(),
        201
    );

    let mut c = config();
    c.dynamic_registration_enabled = false;
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    assert_error(&post(&h, body, None), 404, "not_found");
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert!(d.get("registration_endpoint").is_none());
}

#[test]
fn software_statements_from_trusted_issuers() {
    use jans_core::jose::{Algorithm, Jwks, jws};
    let issuer = "https://ssa.example.org";
    // The issuer's key, made with the same provider the engine uses.
    let probe = Harness::new();
    let key = probe
        .provider()
        .generate(Algorithm::ES256, probe.rng.as_ref())
        .unwrap();
    let mut jwk = key.public_jwk();
    let kid = jwk.thumbprint().unwrap();
    jwk.kid = Some(kid.clone());
    let mut c = config();
    c.trusted_ssa_issuers
        .insert(issuer.into(), Jwks { keys: vec![jwk] });
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let sign = |claims: serde_json::Value| {
        let mut header = jws::Header::new(Algorithm::ES256);
        header.kid = Some(kid.clone());
        jws::sign(
            &header,
            &serde_json::to_vec(&claims).unwrap(),
            key.as_ref(),
            h.rng.as_ref(),
        )
        .unwrap()
    };
    let ssa = sign(serde_json::json!({
        "iss": issuer, "iat": T0, "exp": T0 + 3600, "software_id": "app-1",
        "client_name": "From the statement", "redirect_uris": ["https://rp.example.com/cb"]
    }));
    let r = post(
        &h,
        serde_json::json!({"client_name": "Plain", "software_statement": ssa}),
        None,
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let c = json(&r);
    assert_eq!(
        c["client_name"], "From the statement",
        "RFC 7591 §2.3: the statement wins"
    );
    assert_eq!(c["software_id"], "app-1");
    assert_eq!(
        c["redirect_uris"],
        serde_json::json!(["https://rp.example.com/cb"])
    );
    // Untrusted issuer, tampering, expiry.
    let other = sign(
        serde_json::json!({"iss": "https://evil.example", "redirect_uris": ["https://rp.example.com/cb"]}),
    );
    assert_error(
        &post(&h, serde_json::json!({"software_statement": other}), None),
        400,
        "unapproved_software_statement",
    );
    let mut parts: Vec<String> = ssa.split('.').map(str::to_owned).collect();
    parts[1] = jans_core::b64::encode(br#"{"iss":"https://ssa.example.org","client_name":"forged","redirect_uris":["https://rp.example.com/cb"]}"#);
    assert_error(
        &post(
            &h,
            serde_json::json!({"software_statement": parts.join(".")}),
            None,
        ),
        400,
        "invalid_software_statement",
    );
    h.clock.advance(7200);
    assert_error(
        &post(&h, serde_json::json!({"software_statement": ssa}), None),
        400,
        "invalid_software_statement",
    );
}
