//! The admin routes the components contribute to the config API (issue 14), each served by
//! its own component without the config API's code: FIDO2's `fido2/fido2-config` (GET,
//! PUT) and SCIM's `scim/scim-config` (GET, PATCH), with Janssen's plugin scopes, changes
//! validated and stored for every node, audited, and refusals in Janssen's `ApiError` form.

use jans_core::request::{Fido2Endpoint, ScimEndpoint};
use jans_core::{Endpoint, Method, Request, Response};
use serde_json::{Value, json};

use super::admin_util::token;
use super::harness::*;

fn call(
    h: &Harness,
    endpoint: impl Into<Endpoint>,
    method: Method,
    token: Option<&str>,
    body: Option<(&str, Value)>,
) -> Response {
    let mut req = Request::new(endpoint, method);
    req.authorization = token.map(|t| format!("Bearer {t}"));
    if let Some((media, b)) = body {
        req.content_type = Some(media.to_owned());
        req.body = serde_json::to_vec(&b).unwrap();
    }
    h.call(req)
}

fn api_error(r: &Response, status: u16) -> String {
    assert_eq!(r.status(), status, "{:?}", r.body);
    let v = json(r);
    assert_eq!(v["code"], status.to_string(), "Janssen's ApiError: {v}");
    v["description"].as_str().unwrap().to_owned()
}

#[test]
fn fido2_contributes_its_configuration_route() {
    let h = Harness::new();
    let read = token(&h, "https://jans.io/oauth/config/fido2.readonly");
    let write = token(&h, "https://jans.io/oauth/config/fido2.write");
    let e = || Fido2Endpoint::AdminConfig;
    api_error(&call(&h, e(), Method::Get, None, None), 401);
    let shown = json(&call(&h, e(), Method::Get, Some(&read), None));
    assert_eq!(
        shown["unfinishedRequestExpiration"],
        h.engine
            .config()
            .fido2_configuration
            .unfinished_request_expiration
    );
    let mut changed = shown.clone();
    changed["unfinishedRequestExpiration"] = 90.into();
    let media = Some(("application/json", changed.clone()));
    api_error(&call(&h, e(), Method::Put, Some(&read), media.clone()), 403);
    let r = call(&h, e(), Method::Put, Some(&write), media);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["unfinishedRequestExpiration"], 90);
    assert_eq!(
        h.engine
            .config()
            .fido2_configuration
            .unfinished_request_expiration,
        90
    );
    // Invalid: an unknown member, not an object; a method it does not answer.
    let mut bad = changed.clone();
    bad["madeUp"] = true.into();
    let d = api_error(
        &call(
            &h,
            e(),
            Method::Put,
            Some(&write),
            Some(("application/json", bad)),
        ),
        400,
    );
    assert!(d.contains("madeUp"), "{d}");
    api_error(
        &call(
            &h,
            e(),
            Method::Put,
            Some(&write),
            Some(("application/json", json!([]))),
        ),
        400,
    );
    let post = call(&h, e(), Method::Post, Some(&write), None);
    api_error(&post, 405);
    assert_eq!(header(&post, "allow").as_deref(), Some("GET, PUT"));
    assert_eq!(
        h.engine
            .config()
            .fido2_configuration
            .unfinished_request_expiration,
        90
    );
}

#[test]
fn scim_contributes_its_configuration_route() {
    let h = Harness::new();
    let read = token(&h, "https://jans.io/scim/config.readonly");
    let write = token(&h, "https://jans.io/scim/config.write");
    let e = ScimEndpoint::AdminConfig;
    let shown = json(&call(&h, e.clone(), Method::Get, Some(&read), None));
    assert_eq!(shown["maxCount"], 200);
    let patch = |ops: Value| Some(("application/json-patch+json", ops));
    let r = call(
        &h,
        e.clone(),
        Method::Patch,
        Some(&write),
        patch(json!([{"op": "replace", "path": "/maxCount", "value": 50}])),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["maxCount"], 50);
    assert_eq!(h.engine.config().scim_configuration.max_count, 50);
    for (ops, named) in [
        (
            json!([{"op": "replace", "path": "/maxCount", "value": "many"}]),
            "maxCount",
        ),
        (
            json!([{"op": "add", "path": "/madeUp", "value": 1}]),
            "madeUp",
        ),
        (
            json!([{"op": "test", "path": "/maxCount", "value": 1}]),
            "test",
        ),
        (
            json!([{"op": "add", "path": "", "value": {}}]),
            "member at a time",
        ),
        // Copying the whole resource into one of its members.
        (
            json!([{"op": "copy", "from": "", "path": "/"}]),
            "member at a time",
        ),
    ] {
        let d = api_error(
            &call(
                &h,
                e.clone(),
                Method::Patch,
                Some(&write),
                patch(ops.clone()),
            ),
            400,
        );
        assert!(d.contains(named), "{ops}: {d}");
    }
    api_error(
        &call(&h, e.clone(), Method::Patch, Some(&read), patch(json!([]))),
        403,
    );
    assert_eq!(h.engine.config().scim_configuration.max_count, 50);
    // The writes are in the config API's audit log.
    let audit = token(&h, "https://jans.io/oauth/config/logging.readonly");
    let log = json(&call(
        &h,
        jans_core::request::AdminEndpoint::Audit,
        Method::Get,
        Some(&audit),
        None,
    ));
    assert!(log.to_string().contains("scim/scim-config"), "{log}");
}

/// A registration of `user` with credential id `cred` (base64url), stored directly.
fn registration(h: &Harness, inum: &str, uid: &str, cred: &str) -> String {
    let reg: jans_core::repo::fido2::Fido2Registration = serde_json::from_value(json!({
        "userInum": inum, "username": uid, "credentialId": cred, "publicKey": "secret-ish",
        "algorithm": -7, "signCount": 3, "aaguid": "00000000-0000-0000-0000-000000000000",
        "backupEligible": true, "backedUp": true, "attestationFormat": "none",
        "attestationType": "none", "rpId": "id.example.com",
        "origin": "https://id.example.com", "createdAt": 1, "nickname": "laptop",
    }))
    .unwrap();
    jans_core::testing::block_on(h.stores.fido2.insert(&reg)).unwrap();
    reg.id().unwrap()
}

#[test]
fn fido2_contributes_its_registration_routes() {
    let h = Harness::new();
    let alice = h.add_user("alice").inum;
    let bob = h.add_user("bob").inum;
    let a1 = registration(&h, &alice, "alice", "AQID");
    registration(&h, &alice, "alice", "BAUG");
    let b1 = registration(&h, &bob, "bob", "BwgJ");
    let read = token(&h, "https://jans.io/oauth/config/fido2.readonly");
    let delete = token(&h, "https://jans.io/oauth/config/fido2.delete");

    // Every registration, paged as Janssen pages; never the public key itself.
    let all = Fido2Endpoint::AdminRegistrations;
    api_error(&call(&h, all.clone(), Method::Get, None, None), 401);
    let page = json(&call(&h, all.clone(), Method::Get, Some(&read), None));
    assert_eq!(page["totalEntriesCount"], 3, "{page}");
    assert!(!page.to_string().contains("secret-ish"), "{page}");
    let mut req = Request::new(all.clone(), Method::Get);
    req.authorization = Some(format!("Bearer {read}"));
    req.query = jans_core::params::Params::from_pairs([("pattern".to_owned(), "bob".to_owned())]);
    let bobs = json(&h.call(req));
    assert_eq!(bobs["entries"][0]["id"], b1.as_str(), "{bobs}");
    assert_eq!(bobs["totalEntriesCount"], 1);

    // A person's, by login name: Janssen's Fido2RegistrationEntry.
    let of = |who: &str| Fido2Endpoint::AdminRegistrationsOf(who.into());
    let alices = json(&call(&h, of("alice"), Method::Get, Some(&read), None));
    let alices = alices.as_array().unwrap();
    assert_eq!(alices.len(), 2);
    let one = alices.iter().find(|e| e["id"] == a1.as_str()).unwrap();
    assert_eq!(one["publicKeyId"], "AQID");
    assert_eq!(one["displayName"], "laptop");
    assert_eq!(one["userInum"], alice.as_str());
    assert_eq!(one["counter"], 3);
    assert_eq!(one["registrationStatus"], "registered");
    api_error(&call(&h, of("nobody"), Method::Get, Some(&read), None), 404);

    // Deleted by id, with the delete scope only; audited; then gone.
    let dev = |id: &str| Fido2Endpoint::AdminDevice(id.into());
    api_error(&call(&h, dev(&a1), Method::Delete, Some(&read), None), 403);
    let r = call(&h, dev(&a1), Method::Delete, Some(&delete), None);
    assert_eq!(r.status(), 204, "{:?}", r.body);
    let left = json(&call(&h, of("alice"), Method::Get, Some(&read), None));
    assert_eq!(left.as_array().unwrap().len(), 1);
    api_error(
        &call(&h, dev(&a1), Method::Delete, Some(&delete), None),
        404,
    );
    let r = call(&h, dev(&b1), Method::Get, Some(&read), None);
    assert_eq!(api_error(&r, 405), "this endpoint answers DELETE only");
    assert_eq!(header(&r, "allow").as_deref(), Some("DELETE"));
    let audit = json(&call(
        &h,
        jans_core::request::AdminEndpoint::Audit,
        Method::Get,
        Some(&token(&h, "https://jans.io/oauth/config/read-all")),
        None,
    ));
    assert!(
        audit.to_string().contains(&a1),
        "the delete is audited: {audit}"
    );
}
