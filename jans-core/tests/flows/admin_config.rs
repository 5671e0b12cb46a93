//! The auth-server's configuration through the config API (`jans-auth-server/config`,
//! issue 14): read whole with its secrets redacted, changed by JSON Patch, validated as a
//! whole (nothing changes when the result is invalid), stored so a restart runs it, and
//! compare-and-set under concurrent patches on every backend. Three PostgreSQL nodes
//! running one change: `jans-http/tests/cluster.rs`.

use jans_core::Method;
use jans_core::Request;
use jans_core::request::AdminEndpoint;
use jans_core::testing::block_on;
use serde_json::{Value, json};

use super::admin_util::{patch_concurrently, token};
use super::harness::*;

const PATCH: &str = "application/json-patch+json";

fn call(h: &Harness, method: Method, token: &str, patch: Option<Value>) -> jans_core::Response {
    let mut req = Request::new(AdminEndpoint::AuthConfig, method);
    req.authorization = Some(format!("Bearer {token}"));
    if let Some(p) = patch {
        req.content_type = Some(PATCH.to_owned());
        req.body = serde_json::to_vec(&p).unwrap();
    }
    h.call(req)
}

fn expires_in(h: &Harness) -> u64 {
    let c = h.register(json!({"client_name": "svc"}));
    let r = h.token(&[("grant_type", "client_credentials")], Some(basic(&c)));
    json(&r)["expires_in"].as_u64().unwrap()
}

#[test]
fn the_configuration_is_read_and_patched_then_kept() {
    let stores = jans_core::repo::Stores::memory();
    let h = Harness::with(
        jans_core::Config {
            pairwise_calculation_key: "a-very-secret-pairwise-key".into(),
            ..config()
        },
        stores.clone(),
        [7; 32],
    );
    let r = token(
        &h,
        "https://jans.io/oauth/jans-auth-server/config/properties.readonly",
    );
    let w = token(
        &h,
        "https://jans.io/oauth/jans-auth-server/config/properties.write",
    );
    let shown = json(&call(&h, Method::Get, &r, None));
    assert_eq!(shown["issuer"], ISSUER);
    assert_eq!(shown["accessTokenLifetime"], 300);
    assert!(shown.get("persistence").is_none(), "{shown}");
    assert_eq!(shown["pairwiseCalculationKey"], "[redacted]");
    assert!(!shown.to_string().contains("a-very-secret-pairwise-key"));

    // A read scope does not write.
    let patch = json!([
        {"op": "replace", "path": "/accessTokenLifetime", "value": 900},
        {"op": "add", "path": "/dynamicRegistrationAllowedScopes/-", "value": "email"},
        {"op": "test", "path": "/issuer", "value": ISSUER},
    ]);
    assert_eq!(
        call(&h, Method::Patch, &r, Some(patch.clone())).status(),
        403
    );
    let patched = call(&h, Method::Patch, &w, Some(patch));
    assert_eq!(patched.status(), 200, "{:?}", patched.body);
    assert_eq!(json(&patched)["accessTokenLifetime"], 900);
    assert_eq!(json(&patched)["pairwiseCalculationKey"], "[redacted]");
    // Run at once: a token issued now lives 900 s.
    assert_eq!(expires_in(&h), 900);
    assert_eq!(
        h.engine.config().pairwise_calculation_key,
        "a-very-secret-pairwise-key"
    );

    // A restart on the same store runs the stored configuration, not the file's.
    drop(h);
    let again = Harness::with(config(), stores, [7; 32]);
    assert_eq!(again.engine.config().access_token_lifetime, 900);
    assert_eq!(
        again.engine.config().pairwise_calculation_key,
        "a-very-secret-pairwise-key"
    );
    assert!(
        again
            .engine
            .config()
            .dynamic_registration_allowed_scopes
            .iter()
            .any(|s| s == "email")
    );
    // Until reset: then the file's again, from the next start.
    assert!(block_on(again.engine.reset_config()).unwrap());
    let stores = again.stores.clone();
    drop(again);
    let third = Harness::with(config(), stores, [7; 32]);
    assert_eq!(third.engine.config().access_token_lifetime, 300);
}

/// Patches that fail, or whose result is not a valid configuration: 400 naming the
/// problem, and nothing stored or run changes.
#[test]
fn a_bad_patch_changes_nothing() {
    let h = Harness::new();
    let w = token(
        &h,
        "https://jans.io/oauth/jans-auth-server/config/properties.admin",
    );
    let before = h.engine.config();
    for (patch, named) in [
        (
            json!([{"op": "replace", "path": "/accessTokenLifetime", "value": 0}]),
            "accessTokenLifetime",
        ),
        (
            json!([{"op": "replace", "path": "/accessTokenLifetime", "value": "long"}]),
            "accessTokenLifetime",
        ),
        (
            json!([{"op": "add", "path": "/madeUpProperty", "value": 1}]),
            "madeUpProperty",
        ),
        (
            json!([{"op": "replace", "path": "/accessTokenLifetime", "value": 900},
                {"op": "test", "path": "/issuer", "value": "https://elsewhere"}]),
            "test",
        ),
        (
            json!([{"op": "remove", "path": "/noSuchProperty"}]),
            "noSuchProperty",
        ),
        (
            json!([{"op": "replace", "path": "/persistence/type", "value": "sled"}]),
            "persistence",
        ),
        (json!([{"op": "nope", "path": "/issuer"}]), "nope"),
        (
            json!([{"op": "add", "path": "", "value": {}}]),
            "a member at a time",
        ),
        (json!({"op": "replace"}), "array"),
    ] {
        let r = call(&h, Method::Patch, &w, Some(patch.clone()));
        assert_eq!(r.status(), 400, "{patch}: {:?}", r.body);
        let d = json(&r)["description"].as_str().unwrap().to_owned();
        assert!(d.contains(named), "{patch}: {d}");
    }
    assert_eq!(*h.engine.config(), *before);
    assert!(
        block_on(h.stores.config.get()).unwrap().is_none(),
        "nothing stored"
    );
    assert_eq!(expires_in(&h), 300);
    // Neither POST nor PUT: 405 with Allow.
    let r = call(&h, Method::Put, &w, None);
    assert_eq!(r.status(), 405);
    assert_eq!(header(&r, "allow").as_deref(), Some("GET, PATCH"));
}

/// Concurrent patches on every backend: each lands, applied to what the others left.
#[test]
fn concurrent_configuration_patches_all_apply() {
    for backend in super::backends::all() {
        let h = Harness::with(config(), backend.stores.clone(), [7; 32]);
        let w = token(&h, "https://jans.io/oauth/config/write-all");
        let threads = 8;
        patch_concurrently(
            &h,
            AdminEndpoint::AuthConfig,
            &w,
            threads,
            |t| json!([{"op": "add", "path": "/dynamicRegistrationAllowedScopes/-", "value": format!("s{t}")}]),
        );
        let stored = block_on(h.stores.config.get()).unwrap().unwrap();
        let mut scopes: Vec<String> =
            serde_json::from_value(stored.doc["dynamicRegistrationAllowedScopes"].clone()).unwrap();
        scopes.retain(|s| s.starts_with('s') && s.len() == 2);
        scopes.sort();
        let want: Vec<String> = (0..threads).map(|t| format!("s{t}")).collect();
        assert_eq!(scopes, want, "{}", backend.name);
    }
}
