//! The signing keys through the config API (`config/jwks`, issue 14): each key's public
//! JWK with its life-cycle, never a private part; one by its kid; a rotation now, with its
//! scopes, audited.

use jans_core::request::AdminEndpoint;
use jans_core::{Method, Request};
use serde_json::{Value, json};

use super::harness::*;

fn call(h: &Harness, endpoint: AdminEndpoint, method: Method, scope: &str) -> jans_core::Response {
    let c = h.register(json!({"client_name": "operator", "scope": scope}));
    let mut req = Request::new(endpoint, method);
    req.authorization = Some(format!("Bearer {}", h.cc_token(&c)));
    h.call(req)
}

#[test]
fn keys_are_listed_and_rotated() {
    let h = Harness::new();
    let read = "https://jans.io/oauth/config/jwks.readonly";
    let set = json(&call(&h, AdminEndpoint::Jwks, Method::Get, read));
    let keys = set["keys"].as_array().unwrap();
    let stored = h.engine.keys().ring().keys().to_vec();
    assert_eq!(keys.len(), stored.len());
    for (k, s) in keys.iter().zip(&stored) {
        assert_eq!(k["kid"], s.kid.as_str());
        assert_eq!(k["status"], s.status.as_str());
        assert_eq!(k["created_at"], s.created_at);
        assert!(
            k.get("d").is_none() && k.get("sealed_private").is_none(),
            "{k}"
        );
    }
    let active = keys.iter().find(|k| k["status"] == "active").unwrap();
    let kid = active["kid"].as_str().unwrap().to_owned();
    let one = json(&call(
        &h,
        AdminEndpoint::JwksKey(kid.clone()),
        Method::Get,
        read,
    ));
    assert_eq!(&one, active);
    let missing = call(&h, AdminEndpoint::JwksKey("nope".into()), Method::Get, read);
    assert_eq!(missing.status(), 404);
    // Rotation: a read scope may not; the write scope does, and the active key retires.
    assert_eq!(
        call(&h, AdminEndpoint::JwksRotate, Method::Post, read).status(),
        403
    );
    assert_eq!(
        call(&h, AdminEndpoint::JwksRotate, Method::Get, read).status(),
        405
    );
    let r = call(
        &h,
        AdminEndpoint::JwksRotate,
        Method::Post,
        "https://jans.io/oauth/config/jwks.write",
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let after = json(&r);
    assert!(after["changes"].as_u64().unwrap() > 0);
    let was: Vec<&Value> = after["keys"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["kid"] == kid.as_str())
        .collect();
    assert_eq!(was[0]["status"], "retired", "{after}");
    assert!(was[0]["publish_until"].is_u64());
    let log = json(&call(
        &h,
        AdminEndpoint::Audit,
        Method::Get,
        "https://jans.io/oauth/config/logging.readonly",
    ));
    assert!(log.to_string().contains("rotate"), "{log}");
}
