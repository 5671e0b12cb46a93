//! UMA 2.0 (issue 15, items 1 and 2): discovery behind Janssen's `uma` feature flag, and
//! resource registration (Federated Authorization §3) with a protection API token: each
//! resource its owner's, described, listed, replaced, deleted and expired, and bad
//! descriptions refused with `invalid_request` while nothing stored changes.

use jans_core::config::Config;
use jans_core::request::UmaEndpoint;
use jans_core::{Method, RegisteredClient, Request, Response};
use serde_json::{Value, json};

use super::harness::*;

/// The configuration with every feature on, UMA too.
pub(crate) fn with_uma(mut c: Config) -> Config {
    c.feature_flags = jans_core::config::FEATURE_FLAGS
        .iter()
        .map(|f| (*f).to_owned())
        .collect();
    c
}

pub(crate) fn uma(
    h: &Harness,
    endpoint: UmaEndpoint,
    method: Method,
    pat: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut req = Request::new(endpoint, method);
    req.authorization = pat.map(|t| format!("Bearer {t}"));
    if let Some(b) = body {
        req.content_type = Some("application/json".into());
        req.body = serde_json::to_vec(&b).unwrap();
    }
    h.call(req)
}

/// A resource server: a client whose own token is a PAT.
pub(crate) fn resource_server(h: &Harness) -> (RegisteredClient, String) {
    let c = h.register(json!({"client_name": "rs", "scope": "uma_protection"}));
    let pat = h.cc_token(&c);
    (c, pat)
}

pub(crate) fn refused(r: &Response, status: u16, code: &str) -> String {
    assert_eq!(r.status(), status, "{:?}", r.body);
    let v = json(r);
    assert_eq!(v["error"], code, "{v}");
    v["error_description"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn photo() -> Value {
    json!({
        "name": "Tweedl Social Service",
        "icon_uri": "https://www.example.com/icons/sharesocial.png",
        "type": "http://www.example.com/rsrcs/socialstream/140-compatible",
        "resource_scopes": ["read-public", "post-updates", "read-private"],
        "description": "the photo album"
    })
}

fn ids(h: &Harness, pat: &str, scope: Option<&str>) -> Vec<String> {
    let mut req = Request::new(UmaEndpoint::ResourceSets, Method::Get);
    req.authorization = Some(format!("Bearer {pat}"));
    if let Some(s) = scope {
        req.query = jans_core::params::Params::from_pairs([("scope".to_owned(), s.to_owned())]);
    }
    let r = h.call(req);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(&r)
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn discovery_follows_the_feature_flag() {
    let off = Harness::new();
    refused(
        &uma(&off, UmaEndpoint::Configuration, Method::Get, None, None),
        404,
        "not_found",
    );
    let (_, pat) = resource_server(&off);
    refused(
        &uma(
            &off,
            UmaEndpoint::ResourceSets,
            Method::Post,
            Some(&pat),
            Some(photo()),
        ),
        404,
        "not_found",
    );
    let h = Harness::with(
        with_uma(config()),
        jans_core::repo::Stores::memory(),
        [7; 32],
    );
    let r = uma(&h, UmaEndpoint::Configuration, Method::Get, None, None);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let doc = json(&r);
    let issuer = h.engine.config().issuer.clone();
    assert_eq!(doc["issuer"], issuer.as_str());
    assert_eq!(
        doc["resource_registration_endpoint"],
        format!("{issuer}/jans-auth/restv1/host/rsrc/resource_set")
    );
    assert_eq!(
        doc["token_endpoint"],
        format!("{issuer}/jans-auth/restv1/token")
    );
    assert_eq!(doc["uma_profiles_supported"], json!([]));
    let r = uma(&h, UmaEndpoint::Configuration, Method::Post, None, None);
    refused(&r, 405, "unsupported_method_type");
    assert_eq!(header(&r, "allow").as_deref(), Some("GET"));
    // Both of Janssen's paths answer it.
    for path in [
        "/.well-known/uma2-configuration",
        "/jans-auth/restv1/uma2-configuration",
    ] {
        assert_eq!(
            jans_core::Endpoint::from_path(path),
            Some(jans_core::Endpoint::Uma(UmaEndpoint::Configuration))
        );
    }
}

#[test]
fn resources_are_registered_read_listed_replaced_and_deleted() {
    let h = Harness::with(
        with_uma(config()),
        jans_core::repo::Stores::memory(),
        [7; 32],
    );
    let (_, pat) = resource_server(&h);
    let (_, other) = resource_server(&h);

    // The PAT: none or dead, 401; a token without uma_protection, 403; both challenged.
    let r = uma(
        &h,
        UmaEndpoint::ResourceSets,
        Method::Post,
        None,
        Some(photo()),
    );
    refused(&r, 401, "invalid_token");
    assert_eq!(
        header(&r, "www-authenticate").as_deref(),
        Some("Bearer scope=\"uma_protection\""),
        "no token sent: RFC 6750 §3.1's challenge names no error"
    );
    let plain = h.register(json!({"client_name": "not-rs", "scope": "openid"}));
    let not_pat = h.cc_token(&plain);
    let r = uma(
        &h,
        UmaEndpoint::ResourceSets,
        Method::Post,
        Some(&not_pat),
        Some(photo()),
    );
    refused(&r, 403, "insufficient_scope");
    assert!(
        header(&r, "www-authenticate")
            .unwrap()
            .contains("uma_protection")
    );
    let r = uma(
        &h,
        UmaEndpoint::ResourceSets,
        Method::Get,
        Some("dead-token"),
        None,
    );
    refused(&r, 401, "invalid_token");
    assert!(
        header(&r, "www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );

    // Registered: 201, the id, and where it lives.
    let now = h.ctx().now;
    let r = uma(
        &h,
        UmaEndpoint::ResourceSets,
        Method::Post,
        Some(&pat),
        Some(photo()),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let rsid = json(&r)["_id"].as_str().unwrap().to_owned();
    assert_eq!(
        header(&r, "location").unwrap(),
        format!(
            "{}/jans-auth/restv1/host/rsrc/resource_set/{rsid}",
            h.engine.config().issuer
        )
    );
    let one = UmaEndpoint::ResourceSet(rsid.clone());
    let shown = json(&uma(&h, one.clone(), Method::Get, Some(&pat), None));
    assert_eq!(shown["_id"], rsid.as_str());
    assert_eq!(shown["name"], "Tweedl Social Service");
    assert_eq!(shown["type"], photo()["type"]);
    assert_eq!(shown["resource_scopes"], photo()["resource_scopes"]);
    assert_eq!(shown["iat"], now);
    assert_eq!(shown["exp"], now + h.engine.config().uma_resource_lifetime);

    // A second, with a scope expression: its scopes join the resource's.
    let expression = json!({"rule": {"and": [{"or": [{"var": 0}, {"var": 1}]}, {"var": 2}]},
                            "data": ["view", "print", "audit"]});
    let r = uma(
        &h,
        UmaEndpoint::ResourceSets,
        Method::Post,
        Some(&pat),
        Some(
            json!({"name": "report", "resource_scopes": ["view"], "scope_expression": expression}),
        ),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let report = json(&r)["_id"].as_str().unwrap().to_owned();
    let shown = json(&uma(
        &h,
        UmaEndpoint::ResourceSet(report.clone()),
        Method::Get,
        Some(&pat),
        None,
    ));
    assert_eq!(shown["resource_scopes"], json!(["view", "print", "audit"]));
    assert_eq!(shown["scope_expression"], expression);

    // Listed by id; `?scope=` keeps those with the scope.
    let mut both = vec![rsid.clone(), report.clone()];
    both.sort();
    assert_eq!(ids(&h, &pat, None), both);
    assert_eq!(ids(&h, &pat, Some("print")), std::slice::from_ref(&report));
    assert_eq!(
        ids(&h, &pat, Some("read-public")),
        std::slice::from_ref(&rsid)
    );

    // Another owner's PAT finds none of it, and can change none of it.
    assert!(ids(&h, &other, None).is_empty());
    refused(
        &uma(&h, one.clone(), Method::Get, Some(&other), None),
        404,
        "not_found",
    );
    refused(
        &uma(&h, one.clone(), Method::Delete, Some(&other), None),
        404,
        "not_found",
    );
    refused(
        &uma(&h, one.clone(), Method::Put, Some(&other), Some(photo())),
        404,
        "not_found",
    );

    // Replaced: 200 with the id; registration time kept.
    h.clock.advance(10);
    let mut changed = photo();
    changed["name"] = "Renamed".into();
    changed["resource_scopes"] = json!(["read-public"]);
    let r = uma(&h, one.clone(), Method::Put, Some(&pat), Some(changed));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["_id"], rsid.as_str());
    let shown = json(&uma(&h, one.clone(), Method::Get, Some(&pat), None));
    assert_eq!(
        (shown["name"].clone(), shown["iat"].clone()),
        ("Renamed".into(), now.into())
    );
    assert_eq!(shown["resource_scopes"], json!(["read-public"]));

    // Bad descriptions: 400 invalid_request naming the problem; nothing changes.
    for (body, says) in [
        (json!({"name": "no scopes"}), "resource_scopes"),
        (json!({"resource_scopes": "read"}), "resource_scopes"),
        (json!({"resource_scopes": [""]}), "resource_scopes"),
        (
            json!({"resource_scopes": ["a"], "icon_uri": "javascript:alert(1)"}),
            "icon_uri",
        ),
        (json!({"resource_scopes": ["a"], "exp": 5}), "exp"),
        (json!({"resource_scopes": ["a"], "name": 7}), "name"),
        (
            json!({"resource_scopes": ["a"], "scope_expression": {"rule": {"var": 3}, "data": ["a"]}}),
            "rule.var",
        ),
        (json!(["a"]), "object"),
    ] {
        for (endpoint, method) in [
            (UmaEndpoint::ResourceSets, Method::Post),
            (one.clone(), Method::Put),
        ] {
            let why = refused(
                &uma(&h, endpoint, method, Some(&pat), Some(body.clone())),
                400,
                "invalid_request",
            );
            assert!(why.contains(says), "{body}: {why}");
        }
    }
    let mut req = Request::new(UmaEndpoint::ResourceSets, Method::Post);
    req.authorization = Some(format!("Bearer {pat}"));
    req.body = b"{not json".to_vec();
    refused(&h.call(req), 400, "invalid_request");
    assert_eq!(ids(&h, &pat, None), both, "nothing was registered");
    assert_eq!(
        json(&uma(&h, one.clone(), Method::Get, Some(&pat), None))["name"],
        "Renamed",
        "nothing was replaced"
    );
    let r = uma(&h, one.clone(), Method::Patch, Some(&pat), Some(photo()));
    refused(&r, 405, "unsupported_method_type");
    assert_eq!(header(&r, "allow").as_deref(), Some("GET, PUT, DELETE"));

    // Deleted: 204, then gone.
    assert_eq!(
        uma(&h, one.clone(), Method::Delete, Some(&pat), None).status(),
        204
    );
    refused(
        &uma(&h, one.clone(), Method::Get, Some(&pat), None),
        404,
        "not_found",
    );
    refused(
        &uma(&h, one, Method::Delete, Some(&pat), None),
        404,
        "not_found",
    );
    assert_eq!(ids(&h, &pat, None), [report]);
}

#[test]
fn resources_expire_and_may_be_restricted_to_their_client() {
    let mut c = with_uma(config());
    c.uma_resource_lifetime = 60;
    c.grant_types_supported.push("password".into());
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    h.add_user("alice");
    // Two resource servers acting for alice: PATs of the same resource owner.
    let pat_of = |name: &str| {
        let rs = h.register(json!({"client_name": name, "grant_types": ["password"],
                                   "scope": "uma_protection"}));
        let r = h.token(
            &[
                ("grant_type", "password"),
                ("username", "alice"),
                ("password", "correct horse battery"),
                ("scope", "uma_protection"),
            ],
            Some(basic(&rs)),
        );
        assert_eq!(r.status(), 200, "{:?}", r.body);
        json(&r)["access_token"].as_str().unwrap().to_owned()
    };
    let (a, b) = (pat_of("rs-a"), pat_of("rs-b"));
    let r = uma(
        &h,
        UmaEndpoint::ResourceSets,
        Method::Post,
        Some(&a),
        Some(photo()),
    );
    let rsid = json(&r)["_id"].as_str().unwrap().to_owned();
    let one = UmaEndpoint::ResourceSet(rsid.clone());
    // alice's resource, whichever of her resource servers asks.
    assert_eq!(
        uma(&h, one.clone(), Method::Get, Some(&b), None).status(),
        200
    );
    // An exp of its own outlives the lifetime.
    let until = h.ctx().now + 3600;
    let mut long = photo();
    long["exp"] = until.into();
    let r = uma(
        &h,
        UmaEndpoint::ResourceSets,
        Method::Post,
        Some(&a),
        Some(long),
    );
    let lasting = json(&r)["_id"].as_str().unwrap().to_owned();

    // Restricted to the client that registered it: the other finds nothing.
    let mut restricted = h.engine.config().as_ref().clone();
    restricted.uma_restrict_resource_to_associated_client = true;
    block_on_update(&h, restricted);
    refused(
        &uma(&h, one.clone(), Method::Get, Some(&b), None),
        404,
        "not_found",
    );
    assert!(ids(&h, &b, None).is_empty());
    assert_eq!(
        uma(&h, one.clone(), Method::Get, Some(&a), None).status(),
        200
    );

    // umaResourceLifetime later, the first is gone; the other lives to its exp.
    h.clock.advance(61);
    let a = pat_of("rs-a2");
    let mut restricted = h.engine.config().as_ref().clone();
    restricted.uma_restrict_resource_to_associated_client = false;
    block_on_update(&h, restricted);
    refused(&uma(&h, one, Method::Get, Some(&a), None), 404, "not_found");
    assert_eq!(ids(&h, &a, None), [lasting]);
}

/// Apply `config` to the running engine, as a change of the shared configuration does.
pub(crate) fn block_on_update(h: &Harness, config: Config) {
    let doc = jans_core::engine::shared_doc(&config).unwrap();
    jans_core::testing::block_on(h.engine.update_config(doc)).unwrap();
}

/// The config API's `uma/resources` (issue 14): every registered resource listed and read
/// as Janssen's `UmaResource`, by client too, and deleted (then the resource server finds
/// it gone).
#[test]
fn the_config_api_reads_and_deletes_registered_resources() {
    use super::admin_util::{get, refused as api_refused, token};
    use jans_core::request::AdminEndpoint;
    let h = Harness::with(
        with_uma(config()),
        jans_core::repo::Stores::memory(),
        [7; 32],
    );
    let (rs, pat) = resource_server(&h);
    let (_, other) = resource_server(&h);
    let post = |pat: &str, name: &str| {
        let mut d = photo();
        d["name"] = name.into();
        let r = uma(
            &h,
            UmaEndpoint::ResourceSets,
            Method::Post,
            Some(pat),
            Some(d),
        );
        json(&r)["_id"].as_str().unwrap().to_owned()
    };
    let album = post(&pat, "album");
    post(&other, "diary");
    let read = token(&h, "https://jans.io/oauth/config/uma/resources.readonly");
    let delete = token(&h, "https://jans.io/oauth/config/uma/resources.delete");

    let all = json(&get(&h, AdminEndpoint::UmaResources, &read, &[]));
    assert_eq!(all["totalEntriesCount"], 2, "{all}");
    let diary = json(&get(
        &h,
        AdminEndpoint::UmaResources,
        &read,
        &[("pattern", "diary")],
    ));
    assert_eq!(diary["entries"][0]["name"], "diary");
    let one = json(&get(
        &h,
        AdminEndpoint::UmaResource(album.clone()),
        &read,
        &[],
    ));
    assert_eq!(one["id"], album.as_str());
    assert_eq!(one["scopes"], photo()["resource_scopes"]);
    assert_eq!(one["clients"], json!([rs.client.client_id]));
    let of_rs = json(&get(
        &h,
        AdminEndpoint::ClientUmaResources(rs.client.client_id.clone()),
        &read,
        &[],
    ));
    assert_eq!(of_rs.as_array().unwrap().len(), 1);
    api_refused(
        &get(&h, AdminEndpoint::UmaResource("nope".into()), &read, &[]),
        404,
    );

    // Deleted with the delete scope only; the resource server then finds it gone.
    let del = |t: &str, id: &str| {
        let mut req = Request::new(AdminEndpoint::UmaResource(id.into()), Method::Delete);
        req.authorization = Some(format!("Bearer {t}"));
        h.call(req)
    };
    api_refused(&del(&read, &album), 403);
    assert_eq!(del(&delete, &album).status(), 204);
    api_refused(&del(&delete, &album), 404);
    refused(
        &uma(
            &h,
            UmaEndpoint::ResourceSet(album),
            Method::Get,
            Some(&pat),
            None,
        ),
        404,
        "not_found",
    );
    assert_eq!(
        json(&get(&h, AdminEndpoint::UmaResources, &read, &[]))["totalEntriesCount"],
        1
    );
}

/// The permission endpoint (Federated Authorization §4): a ticket for the PAT owner's
/// resources and their registered scopes, one permission or several; anything else
/// refused with UMA's code and no ticket stored; a ticket is taken once, of racing
/// redemptions exactly one wins, and it expires after `umaTicketLifetime`.
#[test]
fn permission_tickets_cover_the_owners_resources_and_are_taken_once() {
    use jans_core::repo::uma_ticket::Permission;
    use jans_core::store::GrantKind;
    use jans_core::testing::block_on;
    let mut c = with_uma(config());
    c.uma_ticket_lifetime = 120;
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let (rs, pat) = resource_server(&h);
    let (_, other) = resource_server(&h);
    let register = |pat: &str| {
        let r = uma(
            &h,
            UmaEndpoint::ResourceSets,
            Method::Post,
            Some(pat),
            Some(photo()),
        );
        json(&r)["_id"].as_str().unwrap().to_owned()
    };
    let (a, b) = (register(&pat), register(&pat));
    let theirs = register(&other);
    let ask = |pat: Option<&str>, body: Value| {
        uma(&h, UmaEndpoint::Permission, Method::Post, pat, Some(body))
    };
    let tickets = || {
        block_on(h.stores.grants.scan(GrantKind::UmaTicket, h.ctx().now, 100))
            .unwrap()
            .len()
    };

    // One permission, and an array of two.
    let r = ask(
        Some(&pat),
        json!({"resource_id": a, "resource_scopes": ["read-public"]}),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let one = json(&r)["ticket"].as_str().unwrap().to_owned();
    let r = ask(
        Some(&pat),
        json!([{"resource_id": a, "resource_scopes": ["read-public", "post-updates"]},
               {"resource_id": b, "resource_scopes": ["read-private"]}]),
    );
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let two = json(&r)["ticket"].as_str().unwrap().to_owned();
    assert_ne!(one, two);
    assert_eq!(tickets(), 2);

    // Refusals: UMA's code, and no ticket stored.
    refused(
        &ask(
            None,
            json!({"resource_id": a, "resource_scopes": ["read-public"]}),
        ),
        401,
        "invalid_token",
    );
    for (body, code) in [
        (
            json!({"resource_id": "nope", "resource_scopes": ["read-public"]}),
            "invalid_resource_id",
        ),
        (
            json!({"resource_id": theirs, "resource_scopes": ["read-public"]}),
            "invalid_resource_id",
        ),
        (
            json!({"resource_id": a, "resource_scopes": ["delete-everything"]}),
            "invalid_scope",
        ),
        (
            json!([{"resource_id": a, "resource_scopes": ["read-public"]},
                {"resource_id": b, "resource_scopes": ["nope"]}]),
            "invalid_scope",
        ),
        (
            json!({"resource_id": a, "resource_scopes": []}),
            "invalid_request",
        ),
        (json!({"resource_id": a}), "invalid_request"),
        (json!([]), "invalid_request"),
        (json!("a"), "invalid_request"),
    ] {
        refused(&ask(Some(&pat), body.clone()), 400, code);
    }
    assert_eq!(tickets(), 2, "no refusal stored a ticket");
    let r = uma(&h, UmaEndpoint::Permission, Method::Get, Some(&pat), None);
    refused(&r, 405, "unsupported_method_type");

    // What the ticket holds, taken once: of eight racing takes exactly one wins.
    let store = &h.stores.uma_tickets;
    let now = h.ctx().now;
    let won: Vec<_> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..8)
            .map(|_| s.spawn(|| block_on(store.take(&two, now)).unwrap()))
            .collect();
        racers
            .into_iter()
            .filter_map(|t| t.join().unwrap())
            .collect()
    });
    assert_eq!(won.len(), 1, "one redemption wins");
    assert_eq!(won[0].client_id, rs.client.client_id);
    assert_eq!(
        won[0].permissions,
        [
            Permission {
                resource_id: a.clone(),
                resource_scopes: vec!["read-public".into(), "post-updates".into()]
            },
            Permission {
                resource_id: b,
                resource_scopes: vec!["read-private".into()]
            },
        ]
    );
    // And a ticket lives umaTicketLifetime seconds.
    assert!(
        block_on(store.take(&one, now + 120)).unwrap().is_none(),
        "expired"
    );
    let doc = json(&uma(
        &h,
        UmaEndpoint::Configuration,
        Method::Get,
        None,
        None,
    ));
    assert_eq!(
        doc["permission_endpoint"],
        format!("{}/jans-auth/restv1/host/rsrc_pr", h.engine.config().issuer)
    );
}
