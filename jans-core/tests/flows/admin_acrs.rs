//! The default authentication method through the config API (`acrs`, issue 14): read,
//! set to a method this server knows (a blank or unknown one is a 400 and changes nothing),
//! kept in the stored configuration, and used by a sign-in whose request names no method.

use jans_core::request::{AdminEndpoint, AuthEndpoint};
use jans_core::{Method, Request};
use serde_json::json;

use super::harness::*;

fn call(
    h: &Harness,
    method: Method,
    scope: &str,
    body: Option<serde_json::Value>,
) -> jans_core::Response {
    let c = h.register(json!({"client_name": "operator", "scope": scope}));
    let mut req = Request::new(AdminEndpoint::Acrs, method);
    req.authorization = Some(format!("Bearer {}", h.cc_token(&c)));
    if let Some(b) = body {
        req.content_type = Some("application/json".into());
        req.body = serde_json::to_vec(&b).unwrap();
    }
    h.call(req)
}

#[test]
fn the_default_method_is_read_and_set() {
    let h = Harness::new();
    let read = "https://jans.io/oauth/config/acrs.readonly";
    let write = "https://jans.io/oauth/config/acrs.write";
    assert_eq!(
        json(&call(&h, Method::Get, read, None)),
        json!({"defaultAcr": "simple_password_auth"})
    );
    for bad in [
        json!({"defaultAcr": ""}),
        json!({"defaultAcr": "smartcard"}),
        json!({}),
    ] {
        let r = call(&h, Method::Put, write, Some(bad.clone()));
        assert_eq!(r.status(), 400, "{bad}");
        assert!(
            json(&r)["description"]
                .as_str()
                .unwrap()
                .contains("INVALID_ACR")
        );
    }
    assert_eq!(
        call(&h, Method::Put, read, Some(json!({"defaultAcr": "fido2"}))).status(),
        403
    );
    assert_eq!(
        h.engine.config().default_acr,
        "simple_password_auth",
        "nothing changed"
    );
    let r = call(&h, Method::Put, write, Some(json!({"defaultAcr": "fido2"})));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r), json!({"defaultAcr": "fido2"}));
    assert_eq!(h.engine.config().default_acr, "fido2");
    let stored = jans_core::testing::block_on(h.stores.config.get())
        .unwrap()
        .unwrap();
    assert_eq!(stored.doc["defaultAcr"], "fido2");
    // A sign-in that names no method now asks for the password and then a key.
    let rp = h.register(
        json!({"client_name": "rp", "redirect_uris": ["https://rp.example/cb"],
        "scope": "openid"}),
    );
    let mut req = Request::new(AuthEndpoint::Authorize, Method::Get);
    req.query = jans_core::params::Params::from_pairs(
        [
            ("client_id", rp.client.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", "https://rp.example/cb"),
            ("scope", "openid"),
            ("state", "s"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let r = h.call(req);
    let jans_core::Body::Redirect(to) = &r.body else {
        panic!("{:?}", r.body);
    };
    let id = to.split("interaction=").nth(1).unwrap();
    let view = jans_core::testing::block_on(h.engine.interaction(id, &h.ctx()))
        .unwrap()
        .unwrap();
    assert_eq!(view.acr, "fido2");
}
