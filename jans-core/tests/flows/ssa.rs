//! Janssen's SSA endpoint (issue 16 item 10): SSAs created with `ssa.admin`, signed with our
//! keys, listed by scope (`ssa.portal` every one, `ssa.developer` its own), their JWT read
//! again, validated by `jti`, revoked; and honoured at dynamic registration — a one-time SSA
//! registers one client, even when raced on every backend.

use jans_core::jose::{Algorithm, jws};
use jans_core::{AuthEndpoint, Method, RegisteredClient, Request, Response};
use serde_json::{Value, json};

use super::authorize::{harness, harness_on};
use super::harness::*;

const ADMIN: &str = "https://jans.io/auth/ssa.admin";
const PORTAL: &str = "https://jans.io/auth/ssa.portal";
const DEVELOPER: &str = "https://jans.io/auth/ssa.developer";

fn token_for(h: &Harness, scope: &str) -> (RegisteredClient, String) {
    let c = h.register(json!({"grant_types": ["client_credentials"], "scope": scope}));
    let t = h.cc_token(&c);
    (c, t)
}

fn call(
    h: &Harness,
    endpoint: AuthEndpoint,
    method: Method,
    token: Option<&str>,
    query: &[(&str, &str)],
    body: Option<Value>,
) -> Response {
    let mut req = Request::new(endpoint, method);
    req.authorization = token.map(|t| format!("Bearer {t}"));
    req.query = jans_core::params::Params::from_pairs(query.iter().copied());
    if let Some(b) = body {
        req.content_type = Some("application/json".into());
        req.body = serde_json::to_vec(&b).unwrap();
    }
    h.call(req)
}

fn create(h: &Harness, token: &str, one_time: bool) -> String {
    let r = call(
        h,
        AuthEndpoint::Ssa,
        Method::Post,
        Some(token),
        &[],
        Some(
            json!({"org_id": "org-1", "description": "partner", "software_id": "scanner",
                    "software_roles": ["password"], "grant_types": ["client_credentials"],
                    "one_time_use": one_time, "rotate_ssa": false, "lifetime": 86400}),
        ),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    json(&r)["ssa"].as_str().unwrap().to_owned()
}

fn claims_of(h: &Harness, ssa: &str) -> Value {
    let p = jws::decode(ssa)
        .unwrap()
        .verify_with_jwks(&h.jwks(), &Algorithm::ASYMMETRIC, h.provider().as_ref())
        .unwrap();
    serde_json::from_slice(&p).unwrap()
}

fn validate(h: &Harness, jti: &str) -> u16 {
    let mut req = Request::new(AuthEndpoint::SsaValidation, Method::Post);
    req.jti = Some(jti.to_owned());
    h.call(req).status()
}

fn register(h: &Harness, ssa: &str) -> Response {
    let mut req = Request::new(AuthEndpoint::Register, Method::Post);
    req.content_type = Some("application/json".into());
    req.body = serde_json::to_vec(
        &json!({"client_name": "from ssa", "software_statement": ssa,
                                           "grant_types": ["authorization_code"],
                                           "redirect_uris": ["https://rp.example.com/cb"]}),
    )
    .unwrap();
    h.call(req)
}

#[test]
fn create_list_read_validate_and_revoke() {
    let h = harness();
    let (admin_client, admin) = token_for(&h, ADMIN);
    let (_, portal) = token_for(&h, PORTAL);
    let (_, developer) = token_for(&h, DEVELOPER);
    let ssa = create(&h, &admin, false);
    let c = claims_of(&h, &ssa);
    assert_eq!(c["iss"], ISSUER);
    assert_eq!(
        (c["org_id"].clone(), c["software_id"].clone()),
        (json!("org-1"), json!("scanner"))
    );
    assert_eq!(c["grant_types"], json!(["client_credentials"]));
    assert_eq!(c["exp"], T0 + 86400);
    let jti = c["jti"].as_str().unwrap().to_owned();
    // Lists: the admin and the portal see it, a developer only its own.
    for token in [&admin, &portal] {
        let list = json(&call(
            &h,
            AuthEndpoint::Ssa,
            Method::Get,
            Some(token),
            &[("org_id", "org-1")],
            None,
        ));
        assert_eq!(list[0]["jti"], jti.as_str());
        assert_eq!(list[0]["status"], "ACTIVE");
        assert_eq!(list[0]["issuer"], admin_client.client.client_id.as_str());
        assert_eq!(list[0]["ssa"]["software_roles"], json!(["password"]));
    }
    assert_eq!(
        json(&call(
            &h,
            AuthEndpoint::Ssa,
            Method::Get,
            Some(&developer),
            &[],
            None
        )),
        json!([])
    );
    // The JWT again, for the admin only.
    let again = json(&call(
        &h,
        AuthEndpoint::SsaJwt,
        Method::Get,
        Some(&admin),
        &[("jti", &jti)],
        None,
    ));
    assert_eq!(
        claims_of(&h, again["ssa"].as_str().unwrap())["jti"],
        jti.as_str()
    );
    assert_error(
        &call(
            &h,
            AuthEndpoint::SsaJwt,
            Method::Get,
            Some(&portal),
            &[("jti", &jti)],
            None,
        ),
        403,
        "insufficient_scope",
    );
    assert_eq!(validate(&h, &jti), 200);
    assert_eq!(validate(&h, "no-such-jti"), 400);
    // Revoked: no longer valid, nor for a registration.
    assert_error(
        &call(
            &h,
            AuthEndpoint::Ssa,
            Method::Delete,
            Some(&admin),
            &[],
            None,
        ),
        406,
        "invalid_request",
    );
    assert_error(
        &call(
            &h,
            AuthEndpoint::Ssa,
            Method::Delete,
            Some(&admin),
            &[("jti", "no-such")],
            None,
        ),
        422,
        "invalid_jti",
    );
    assert_error(
        &call(
            &h,
            AuthEndpoint::Ssa,
            Method::Delete,
            Some(&portal),
            &[("jti", &jti)],
            None,
        ),
        403,
        "insufficient_scope",
    );
    let r = call(
        &h,
        AuthEndpoint::Ssa,
        Method::Delete,
        Some(&admin),
        &[("jti", &jti)],
        None,
    );
    assert!(r.status() < 300, "{:?}", r.body);
    assert_eq!(validate(&h, &jti), 400);
    let list = json(&call(
        &h,
        AuthEndpoint::Ssa,
        Method::Get,
        Some(&admin),
        &[("jti", &jti)],
        None,
    ));
    assert_eq!(list[0]["status"], "REVOKED");
    assert_error(&register(&h, &ssa), 400, "invalid_software_statement");
    // Expired.
    let ssa = create(&h, &admin, false);
    let jti = claims_of(&h, &ssa)["jti"].as_str().unwrap().to_owned();
    h.clock.advance(86401);
    assert_eq!(validate(&h, &jti), 400);
}

#[test]
fn refusals_store_nothing() {
    let h = harness();
    let (_, admin) = token_for(&h, ADMIN);
    let (_, portal) = token_for(&h, PORTAL);
    assert_error(
        &call(
            &h,
            AuthEndpoint::Ssa,
            Method::Post,
            None,
            &[],
            Some(json!({})),
        ),
        401,
        "invalid_token",
    );
    assert_error(
        &call(
            &h,
            AuthEndpoint::Ssa,
            Method::Post,
            Some("dead"),
            &[],
            Some(json!({})),
        ),
        401,
        "invalid_token",
    );
    assert_error(
        &call(
            &h,
            AuthEndpoint::Ssa,
            Method::Post,
            Some(&portal),
            &[],
            Some(json!({})),
        ),
        403,
        "insufficient_scope",
    );
    let good = json!({"org_id": "o", "software_id": "s", "software_roles": [], "grant_types": ["client_credentials"],
                      "one_time_use": true, "rotate_ssa": false});
    for (edit, what) in [
        (json!({"grant_types": ["urn:made:up"]}), "grant type"),
        (json!({"grant_types": []}), "empty"),
        (json!({"org_id": ""}), "empty"),
        (json!({"expiration": T0 - 1}), "future"),
        (json!({"unknown_member": 1}), "unknown"),
        (json!({"one_time_use": "yes"}), "invalid type"),
    ] {
        let mut body = good.clone();
        for (k, v) in edit.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = call(
            &h,
            AuthEndpoint::Ssa,
            Method::Post,
            Some(&admin),
            &[],
            Some(body.clone()),
        );
        assert_error(&r, 400, "invalid_ssa_metadata");
        assert!(
            json(&r)["error_description"]
                .as_str()
                .unwrap()
                .contains(what),
            "{body}: {:?}",
            json(&r)
        );
    }
    assert_eq!(
        json(&call(
            &h,
            AuthEndpoint::Ssa,
            Method::Get,
            Some(&admin),
            &[],
            None
        )),
        json!([])
    );
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(
        d["ssa_endpoint"],
        "https://id.example.com/jans-auth/restv1/ssa"
    );
}

#[test]
fn an_ssa_registers_clients_and_a_one_time_one_registers_one() {
    let h = harness();
    let (_, admin) = token_for(&h, ADMIN);
    let ssa = create(&h, &admin, false);
    for _ in 0..2 {
        let r = register(&h, &ssa);
        assert_eq!(r.status(), 201, "{:?}", r.body);
        let c = json(&r);
        // RFC 7591 §2.3: the statement's values win.
        assert_eq!(c["software_id"], "scanner");
        assert_eq!(c["grant_types"], json!(["client_credentials"]));
    }
    let once = create(&h, &admin, true);
    let jti = claims_of(&h, &once)["jti"].as_str().unwrap().to_owned();
    assert_eq!(register(&h, &once).status(), 201);
    assert_error(&register(&h, &once), 400, "invalid_software_statement");
    assert_eq!(validate(&h, &jti), 400);
    // A statement that does not verify.
    let mut forged = ssa.clone();
    forged.push('A');
    assert_error(&register(&h, &forged), 400, "invalid_software_statement");
}

#[test]
fn a_one_time_ssa_registers_one_client_under_a_race_on_every_backend() {
    for backend in super::backends::all() {
        let name = backend.name;
        let h = harness_on(backend.stores.clone());
        let (_, admin) = token_for(&h, ADMIN);
        let once = create(&h, &admin, true);
        let answers: Vec<u16> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8)
                .map(|_| s.spawn(|| register(&h, &once).status()))
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(
            answers.iter().filter(|s| **s == 201).count(),
            1,
            "{name}: {answers:?}"
        );
        assert!(
            answers.iter().all(|s| *s == 201 || *s == 400),
            "{name}: {answers:?}"
        );
    }
}
