//! OpenID Connect clients through the config API (`openid/clients`, issue 14): Janssen's
//! client JSON in and out, the registration rules on every write, the secret shown once,
//! JSON Patch all or nothing, compare-and-set under concurrent patches on every backend,
//! each operation's scopes, and the audit log.

use jans_core::repo::client::Client;
use jans_core::request::AdminEndpoint;
use jans_core::testing::block_on;
use jans_core::{Method, Request};
use serde_json::{Value, json};

use super::admin_util::*;
use super::harness::*;

const PATCH: &str = "application/json-patch+json";

fn stored(h: &Harness, inum: &str) -> Option<Client> {
    block_on(h.stores.clients.get(inum)).unwrap()
}

fn all_clients(h: &Harness) -> Vec<Client> {
    block_on(h.stores.clients.list()).unwrap()
}

fn scope_inum(h: &Harness, id: &str) -> String {
    block_on(h.stores.scopes.list())
        .unwrap()
        .into_iter()
        .find(|s| s.id == id)
        .unwrap()
        .inum
}

/// The client's secret works at the token endpoint.
fn secret_works(h: &Harness, inum: &str, secret: &str) -> bool {
    h.token(
        &[("grant_type", "client_credentials")],
        Some(basic_raw(inum, secret)),
    )
    .status()
        == 200
}

#[test]
fn a_client_is_created_read_changed_and_deleted() {
    let h = Harness::new();
    let w = token(&h, "https://jans.io/oauth/config/openid/clients.write");
    let r = token(&h, "https://jans.io/oauth/config/openid/clients.readonly");
    let d = token(&h, "https://jans.io/oauth/config/openid/clients.delete");
    let openid = scope_inum(&h, "openid");
    let dn = format!("inum={openid},ou=scopes,o=jans");
    // Created from Janssen's JSON, as jans-cli sends it (defaults of settings this server
    // does not have included).
    let created = send(
        &h,
        AdminEndpoint::Clients,
        Method::Post,
        &w,
        Some((
            "application/json",
            json!({
                "displayName": "Billing",
                "description": "the billing app",
                "redirectUris": ["https://billing.example/cb"],
                "grantTypes": ["authorization_code", "client_credentials", "refresh_token"],
                "responseTypes": ["code"],
                "scopes": [dn, "profile"],
                "tokenEndpointAuthMethod": "client_secret_basic",
                "applicationType": "web",
                "subjectType": "public",
                "persistClientAuthorizations": true,
                "idTokenEncryptedResponseAlg": null,
                "requestUris": [],
                "customAttributes": [],
                "attributes": {"requirePkce": true, "requirePar": false,
                    "backchannelLogoutUri": ["https://billing.example/bc"]},
            }),
        )),
    );
    assert_eq!(created.status(), 201, "{:?}", created.body);
    let c = json(&created);
    let inum = c["inum"].as_str().unwrap().to_owned();
    let secret = c["clientSecret"].as_str().unwrap().to_owned();
    assert!(secret_works(&h, &inum, &secret));
    assert_eq!(c["dn"], format!("inum={inum},ou=clients,o=jans"));
    assert_eq!(c["displayName"], "Billing");
    assert_eq!(c["clientName"], "Billing");
    assert_eq!(
        c["scopes"],
        json!([
            dn,
            format!("inum={},ou=scopes,o=jans", scope_inum(&h, "profile"))
        ])
    );
    assert_eq!(c["attributes"]["requirePkce"], true);
    assert_eq!(
        c["attributes"]["backchannelLogoutUri"],
        json!(["https://billing.example/bc"])
    );
    let s = stored(&h, &inum).unwrap();
    assert_eq!(s.metadata.scope.as_deref(), Some("openid profile"));
    assert!(s.metadata.require_pkce);
    assert_eq!(s.description.as_deref(), Some("the billing app"));
    assert!(
        !serde_json::to_string(&s).unwrap().contains(&secret),
        "the secret is sealed at rest"
    );

    // Reads never show the secret.
    let one = json(&get(&h, AdminEndpoint::Client(inum.clone()), &r, &[]));
    assert!(one.get("clientSecret").is_none(), "{one}");
    assert_eq!(one["redirectUris"], json!(["https://billing.example/cb"]));
    let list = json(&get(
        &h,
        AdminEndpoint::Clients,
        &r,
        &[("pattern", "billing")],
    ));
    assert_eq!(list["totalEntriesCount"], 1, "{list}");
    assert_eq!(list["entries"][0]["inum"], inum.as_str());
    assert!(list["entries"][0].get("clientSecret").is_none());

    // What a GET shows, sent back with a change (PUT), replaces the client; its secret
    // stays and is not shown.
    let mut changed = one.clone();
    changed["displayName"] = "Billing 2".into();
    changed["contacts"] = json!(["ops@billing.example"]);
    let put = send(
        &h,
        AdminEndpoint::Clients,
        Method::Put,
        &w,
        Some(("application/json", changed)),
    );
    assert_eq!(put.status(), 200, "{:?}", put.body);
    assert_eq!(json(&put)["clientName"], "Billing 2");
    assert!(json(&put).get("clientSecret").is_none());
    assert!(secret_works(&h, &inum, &secret));

    // A JSON Patch of the JSON the API shows.
    let patched = send(
        &h,
        AdminEndpoint::Client(inum.clone()),
        Method::Patch,
        &w,
        Some((
            PATCH,
            json!([
                {"op": "replace", "path": "/redirectUris", "value": ["https://billing.example/cb2"]},
                {"op": "add", "path": "/attributes/requirePkce", "value": false},
                {"op": "test", "path": "/displayName", "value": "Billing 2"},
            ]),
        )),
    );
    assert_eq!(patched.status(), 200, "{:?}", patched.body);
    let s = stored(&h, &inum).unwrap();
    assert_eq!(s.metadata.redirect_uris, ["https://billing.example/cb2"]);
    assert!(!s.metadata.require_pkce);
    assert_eq!(s.metadata.contacts, ["ops@billing.example"]);

    // A public client has no secret; made confidential again it gets a new one, shown in
    // that answer only.
    let public = send(
        &h,
        AdminEndpoint::Client(inum.clone()),
        Method::Patch,
        &w,
        Some((
            PATCH,
            json!([
                {"op": "replace", "path": "/tokenEndpointAuthMethod", "value": "none"},
                {"op": "replace", "path": "/grantTypes", "value": ["authorization_code"]},
            ]),
        )),
    );
    assert_eq!(public.status(), 200, "{:?}", public.body);
    assert!(stored(&h, &inum).unwrap().client_secret_sealed.is_none());
    assert!(!secret_works(&h, &inum, &secret));
    let back = send(
        &h,
        AdminEndpoint::Client(inum.clone()),
        Method::Patch,
        &w,
        Some((
            PATCH,
            json!([
                {"op": "replace", "path": "/tokenEndpointAuthMethod", "value": "client_secret_post"},
                {"op": "add", "path": "/grantTypes/-", "value": "client_credentials"},
            ]),
        )),
    );
    assert_eq!(back.status(), 200, "{:?}", back.body);
    let fresh = json(&back)["clientSecret"].as_str().unwrap().to_owned();
    assert_ne!(fresh, secret);
    let r2 = h.token(
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &inum),
            ("client_secret", &fresh),
        ],
        None,
    );
    assert_eq!(r2.status(), 200, "{:?}", r2.body);
    let issued = json(&r2)["access_token"].as_str().unwrap().to_owned();

    // Deleted: gone, and its tokens with it.
    let caller = h.register(json!({"client_name": "rs"}));
    assert_eq!(h.introspect(&caller, &issued)["active"], true);
    assert_eq!(
        send(
            &h,
            AdminEndpoint::Client(inum.clone()),
            Method::Delete,
            &d,
            None
        )
        .status(),
        204
    );
    assert!(stored(&h, &inum).is_none());
    assert_eq!(h.introspect(&caller, &issued)["active"], false);
    refused(&get(&h, AdminEndpoint::Client(inum.clone()), &r, &[]), 404);
    refused(
        &send(
            &h,
            AdminEndpoint::Client(inum.clone()),
            Method::Delete,
            &d,
            None,
        ),
        404,
    );
    refused(
        &send(
            &h,
            AdminEndpoint::Client(inum),
            Method::Patch,
            &w,
            Some((
                PATCH,
                json!([{"op": "add", "path": "/contacts/-", "value": "x"}]),
            )),
        ),
        404,
    );
}

#[test]
fn a_given_inum_and_secret_are_used_and_the_secret_not_echoed() {
    let h = Harness::new();
    let w = token(&h, "https://jans.io/oauth/config/write-all");
    let secret = "s3cr3t-chosen-by-the-administrator-0001";
    let body = json!({"inum": "billing-app", "displayName": "B", "clientSecret": secret,
        "grantTypes": ["client_credentials"]});
    let r = send(
        &h,
        AdminEndpoint::Clients,
        Method::Post,
        &w,
        Some(("application/json", body.clone())),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    assert!(json(&r).get("clientSecret").is_none());
    assert!(secret_works(&h, "billing-app", secret));
    // The inum is taken now.
    let again = send(
        &h,
        AdminEndpoint::Clients,
        Method::Post,
        &w,
        Some(("application/json", body)),
    );
    assert!(refused(&again, 409).contains("billing-app"));
    // A secret set by PATCH replaces the old one.
    let other = "another-secret-chosen-by-the-administrator";
    let p = send(
        &h,
        AdminEndpoint::Client("billing-app".into()),
        Method::Patch,
        &w,
        Some((
            PATCH,
            json!([{"op": "add", "path": "/clientSecret", "value": other}]),
        )),
    );
    assert_eq!(p.status(), 200, "{:?}", p.body);
    assert!(json(&p).get("clientSecret").is_none());
    assert!(secret_works(&h, "billing-app", other));
    assert!(!secret_works(&h, "billing-app", secret));
}

/// Bad input is the API's 400/404/409/415 with a JSON error naming the problem, and nothing
/// stored changes.
#[test]
fn bad_writes_are_refused_and_change_nothing() {
    let h = Harness::new();
    let w = token(&h, "https://jans.io/oauth/config/openid/clients.admin");
    let r = send(
        &h,
        AdminEndpoint::Clients,
        Method::Post,
        &w,
        Some((
            "application/json",
            json!({"displayName": "A", "redirectUris": ["https://a.example/cb"]}),
        )),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let inum = json(&r)["inum"].as_str().unwrap().to_owned();
    let before = all_clients(&h);
    let post = |body: Value| {
        send(
            &h,
            AdminEndpoint::Clients,
            Method::Post,
            &w,
            Some(("application/json", body)),
        )
    };
    for (body, named) in [
        // OIDC DCR §2: encryption to the client needs its keys; RSA1_5 is not offered.
        (
            json!({"idTokenEncryptedResponseAlg": "RSA-OAEP"}),
            "needs jwks or jwks_uri",
        ),
        (
            json!({"idTokenEncryptedResponseAlg": "RSA1_5"}),
            "idTokenEncryptedResponseAlg",
        ),
        (
            json!({"userInfoEncryptedResponseEnc": "A128GCM"}),
            "an enc needs userinfo_encrypted_response_alg",
        ),
        (
            json!({"grantTypes": ["implicit"], "redirectUris": []}),
            "redirect",
        ),
        (json!({"redirectUris": ["not a url"]}), "redirect_uri"),
        (json!({"grantTypes": ["urn:made:up"]}), "grant type"),
        (
            json!({"tokenEndpointAuthMethod": "private_key_jwt"}),
            "jwks",
        ),
        (json!({"scopes": ["inum=NOPE,ou=scopes,o=jans"]}), "NOPE"),
        (json!({"redirectUris": "https://a.example"}), "redirectUris"),
        (json!("a string"), "object"),
    ] {
        let d = refused(&post(body.clone()), 400);
        assert!(d.contains(named), "{body}: {d}");
    }
    let mut raw = Request::new(AdminEndpoint::Clients, Method::Post);
    raw.authorization = Some(format!("Bearer {w}"));
    raw.content_type = Some("application/json".into());
    raw.body = b"{not json".to_vec();
    refused(&h.call(raw), 400);

    let patch = |ops: Value| {
        send(
            &h,
            AdminEndpoint::Client(inum.clone()),
            Method::Patch,
            &w,
            Some((PATCH, ops)),
        )
    };
    for (ops, named) in [
        // A later operation fails: the earlier ones are not applied either.
        (
            json!([{"op": "replace", "path": "/displayName", "value": "changed"},
                {"op": "test", "path": "/displayName", "value": "wrong"}]),
            "test",
        ),
        (
            json!([{"op": "frobnicate", "path": "/displayName"}]),
            "frobnicate",
        ),
        (json!([{"op": "remove", "path": "/nope/deeper"}]), "nope"),
        (
            json!([{"op": "replace", "path": "/inum", "value": "other"}]),
            "inum",
        ),
        (
            json!([{"op": "replace", "path": "/redirectUris/0", "value": "https://a.example/#frag"}]),
            "fragment",
        ),
        (json!({"op": "add"}), "array"),
    ] {
        let d = refused(&patch(ops.clone()), 400);
        assert!(d.to_lowercase().contains(named), "{ops}: {d}");
    }
    // The wrong media type for a patch.
    let wrong = send(
        &h,
        AdminEndpoint::Client(inum.clone()),
        Method::Patch,
        &w,
        Some(("text/plain", json!([]))),
    );
    refused(&wrong, 415);
    // PUT of a client that is not there, or without an inum.
    let put = |body: Value| {
        send(
            &h,
            AdminEndpoint::Clients,
            Method::Put,
            &w,
            Some(("application/json", body)),
        )
    };
    refused(&put(json!({"inum": "nobody", "displayName": "x"})), 404);
    refused(&put(json!({"displayName": "x"})), 400);
    assert_eq!(all_clients(&h), before, "nothing stored changed");
}

/// Each operation takes one of its scopes; a neighbouring one is a 403 naming them.
#[test]
fn each_operation_needs_its_scopes() {
    let h = Harness::new();
    let read = token(&h, "https://jans.io/oauth/config/openid/clients.readonly");
    let group = token(&h, "https://jans.io/oauth/config/openid/openid.readonly");
    let write = token(&h, "https://jans.io/oauth/config/openid/clients.write");
    let scopes = token(&h, "https://jans.io/oauth/config/scopes.admin");
    let read_all = token(&h, "https://jans.io/oauth/config/read-all");
    let delete_all = token(&h, "https://jans.io/oauth/config/delete-all");
    let some = h
        .register(json!({"client_name": "target"}))
        .client
        .client_id;
    let one = AdminEndpoint::Client(some.clone());
    // Reads.
    for t in [&read, &write, &read_all] {
        assert_eq!(get(&h, one.clone(), t, &[]).status(), 200);
        assert_eq!(get(&h, AdminEndpoint::Clients, t, &[]).status(), 200);
    }
    // Janssen's list takes the group scope; its read of one client does not.
    assert_eq!(get(&h, AdminEndpoint::Clients, &group, &[]).status(), 200);
    refused(&get(&h, one.clone(), &group, &[]), 403);
    refused(&get(&h, AdminEndpoint::Clients, &scopes, &[]), 403);
    // Writes.
    let body = Some(("application/json", json!({"displayName": "x"})));
    for t in [&read, &read_all, &delete_all, &scopes] {
        let r = send(&h, AdminEndpoint::Clients, Method::Post, t, body.clone());
        let d = refused(&r, 403);
        assert!(d.contains("openid/clients.write"), "{d}");
        let p = Some((PATCH, json!([])));
        refused(&send(&h, one.clone(), Method::Patch, t, p), 403);
    }
    // Deletes.
    for t in [&read, &write, &read_all] {
        refused(&send(&h, one.clone(), Method::Delete, t, None), 403);
    }
    assert!(stored(&h, &some).is_some());
    assert_eq!(
        send(&h, one, Method::Delete, &delete_all, None).status(),
        204
    );
    // No token at all.
    let mut bare = Request::new(AdminEndpoint::Clients, Method::Get);
    bare.authorization = None;
    refused(&h.call(bare), 401);
}

/// The client whose token makes the request cannot delete or disable itself (that would
/// end the token in use); another client's token can.
#[test]
fn a_client_cannot_delete_or_disable_itself() {
    let h = Harness::new();
    let me = h.register(json!({"client_name": "operator",
        "scope": "https://jans.io/oauth/config/write-all https://jans.io/oauth/config/delete-all"}));
    let mine = h.cc_token(&me);
    let inum = me.client.client_id.clone();
    let d = refused(
        &send(
            &h,
            AdminEndpoint::Client(inum.clone()),
            Method::Delete,
            &mine,
            None,
        ),
        409,
    );
    assert!(d.contains("itself"), "{d}");
    let p = send(
        &h,
        AdminEndpoint::Client(inum.clone()),
        Method::Patch,
        &mine,
        Some((
            PATCH,
            json!([{"op": "replace", "path": "/disabled", "value": true}]),
        )),
    );
    refused(&p, 409);
    assert!(!stored(&h, &inum).unwrap().disabled);
    // Other changes to itself are allowed, and its token still works.
    let p = send(
        &h,
        AdminEndpoint::Client(inum.clone()),
        Method::Patch,
        &mine,
        Some((
            PATCH,
            json!([{"op": "add", "path": "/contacts/-", "value": "me@example.org"}]),
        )),
    );
    assert_eq!(p.status(), 200, "{:?}", p.body);
    let other = token(&h, "https://jans.io/oauth/config/delete-all");
    assert_eq!(
        send(
            &h,
            AdminEndpoint::Client(inum.clone()),
            Method::Delete,
            &other,
            None
        )
        .status(),
        204
    );
}

#[test]
fn clients_are_paged_sorted_and_filtered() {
    let h = Harness::new();
    let r = token(&h, "https://jans.io/oauth/config/openid/clients.readonly");
    for i in 0..30 {
        let kind = if i % 3 == 0 { "native" } else { "web" };
        h.register(json!({"client_name": format!("app {i:02}"), "application_type": kind}));
    }
    let ids: Vec<String> = all_clients(&h).into_iter().map(|c| c.client_id).collect();
    let total = ids.len();
    let page = json(&get(
        &h,
        AdminEndpoint::Clients,
        &r,
        &[("limit", "10"), ("startIndex", "11")],
    ));
    assert_eq!(page["start"], 11);
    assert_eq!(page["totalEntriesCount"], total);
    assert_eq!(page["entriesCount"], 10);
    let shown: Vec<&str> = page["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["inum"].as_str().unwrap())
        .collect();
    assert_eq!(
        shown,
        ids[10..20].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let last = json(&get(
        &h,
        AdminEndpoint::Clients,
        &r,
        &[("sortOrder", "descending"), ("limit", "1")],
    ));
    assert_eq!(last["entries"][0]["inum"], ids[total - 1].as_str());
    // The pattern searches names, ignoring case.
    let p = json(&get(
        &h,
        AdminEndpoint::Clients,
        &r,
        &[("pattern", "APP 1")],
    ));
    assert_eq!(p["totalEntriesCount"], 10);
    // Another sort, and a fieldValuePair.
    let by_name = json(&get(
        &h,
        AdminEndpoint::Clients,
        &r,
        &[
            ("sortBy", "displayName"),
            ("sortOrder", "descending"),
            ("fieldValuePair", "applicationType=native"),
        ],
    ));
    assert_eq!(by_name["totalEntriesCount"], 10, "{by_name}");
    assert_eq!(by_name["entries"][0]["displayName"], "app 27");
    assert_eq!(by_name["entries"][9]["displayName"], "app 00");
    // Out of range.
    refused(
        &get(&h, AdminEndpoint::Clients, &r, &[("limit", "201")]),
        400,
    );
    refused(
        &get(&h, AdminEndpoint::Clients, &r, &[("sortOrder", "up")]),
        400,
    );
}

/// Concurrent PATCHes of one client, on every backend: each applies to what the others
/// left, none lost.
#[test]
fn concurrent_patches_of_a_client_all_apply() {
    for backend in super::backends::all() {
        let h = Harness::with(config(), backend.stores.clone(), [7; 32]);
        let w = token(&h, "https://jans.io/oauth/config/openid/clients.write");
        let inum = h.register(json!({"client_name": "race"})).client.client_id;
        let threads = 8;
        patch_concurrently(
            &h,
            AdminEndpoint::Client(inum.clone()),
            &w,
            threads,
            |t| json!([{"op": "add", "path": "/contacts/-", "value": format!("c{t}@example.org")}]),
        );
        let mut contacts = stored(&h, &inum).unwrap().metadata.contacts;
        contacts.sort();
        let want: Vec<String> = (0..threads).map(|t| format!("c{t}@example.org")).collect();
        assert_eq!(contacts, want, "{}", backend.name);
    }
}

#[test]
fn client_writes_are_audited_without_secrets() {
    let h = Harness::new();
    let w = token(
        &h,
        "https://jans.io/oauth/config/write-all https://jans.io/oauth/config/delete-all",
    );
    let audit = token(&h, "https://jans.io/oauth/config/logging.readonly");
    let secret = "a-secret-that-must-never-be-in-the-log-0001";
    let r = send(
        &h,
        AdminEndpoint::Clients,
        Method::Post,
        &w,
        Some((
            "application/json",
            json!({"inum": "audited", "clientSecret": secret,
            "grantTypes": ["client_credentials"]}),
        )),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let p = send(
        &h,
        AdminEndpoint::Client("audited".into()),
        Method::Patch,
        &w,
        Some((
            PATCH,
            json!([{"op": "add", "path": "/clientSecret", "value": secret}]),
        )),
    );
    assert_eq!(p.status(), 200, "{:?}", p.body);
    let d = send(
        &h,
        AdminEndpoint::Client("audited".into()),
        Method::Delete,
        &w,
        None,
    );
    assert_eq!(d.status(), 204);
    let log = json(&get(&h, AdminEndpoint::Audit, &audit, &[("limit", "200")]));
    let text = log.to_string();
    assert!(!text.contains(secret), "{text}");
    let entries: Vec<Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str(e.as_str().unwrap()).unwrap())
        .filter(|e: &Value| e["resource"] == "openid/clients")
        .collect();
    // One clock second: the three in any order.
    let mut ops: Vec<&str> = entries
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    ops.sort_unstable();
    assert_eq!(ops, ["create", "delete", "patch"], "{entries:?}");
    let patched = entries.iter().find(|e| e["operation"] == "patch").unwrap();
    assert_eq!(patched["patch"][0]["value"], "[redacted]");
    assert!(
        entries.iter().all(|e| e["resourceId"] == "audited"),
        "{entries:?}"
    );
}
