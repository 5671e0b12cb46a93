//! The config API (issue 14) through `Engine::handle`: its health endpoints, its bearer
//! protection with Janssen's scopes (any one of an operation's scopes), and Janssen's
//! `ApiError` form for every refusal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jans_core::repo::Stores;
use jans_core::request::AdminEndpoint;
use jans_core::store::document::{Document, DocumentStore, Filter, Key};
use jans_core::store::{Backend, StoreError};
use jans_core::{Method, Request, Response};
use serde_json::{Value, json};

use super::admin_util::{get, patch_concurrently, send, token};
use super::harness::*;

fn call(h: &Harness, endpoint: AdminEndpoint, method: Method, token: Option<&str>) -> Response {
    let mut req = Request::new(endpoint, method);
    req.authorization = token.map(|t| format!("Bearer {t}"));
    h.call(req)
}

/// A refusal in Janssen's `ApiError` form, with `status`.
fn refused(r: &Response, status: u16) -> Value {
    assert_eq!(r.status(), status, "{:?}", r.body);
    assert_eq!(r.content_type(), Some("application/json"));
    let v = json(r);
    assert_eq!(v["code"], status.to_string(), "{v}");
    assert!(!v["message"].as_str().unwrap().is_empty(), "{v}");
    assert!(!v["description"].as_str().unwrap().is_empty(), "{v}");
    v
}

#[test]
fn health_answers_without_a_token() {
    let h = Harness::new();
    let live = call(&h, AdminEndpoint::HealthLive, Method::Get, None);
    assert_eq!(live.status(), 200);
    assert_eq!(
        json(&live),
        json!({"name": "jans-config-api liveness", "status": "UP"})
    );
    let ready = call(&h, AdminEndpoint::HealthReady, Method::Get, None);
    assert_eq!(
        (ready.status(), json(&ready)),
        (
            200,
            json!({"name": "jans-config-api readiness", "status": "UP"})
        )
    );
    let both = json(&call(&h, AdminEndpoint::Health, Method::Get, None));
    assert_eq!(both[0]["status"], "UP");
    assert_eq!(both[1]["name"], "jans-config-api readiness");
    let auth = call(&h, AdminEndpoint::AuthServerHealth, Method::Get, None);
    assert_eq!(
        json(&auth),
        json!({"status": "running", "db_status": "online"})
    );
    // Read-only endpoints: anything but GET is 405 with `Allow`.
    let post = call(&h, AdminEndpoint::HealthLive, Method::Post, None);
    refused(&post, 405);
    assert_eq!(header(&post, "allow").as_deref(), Some("GET"));
}

#[test]
fn app_version_needs_one_of_its_scopes() {
    let h = Harness::new();
    // No token: 401 with a bare challenge (RFC 6750 §3.1).
    let r = call(&h, AdminEndpoint::AppVersion, Method::Get, None);
    refused(&r, 401);
    assert_eq!(
        header(&r, "www-authenticate").as_deref(),
        Some("Bearer realm=\"jans-config-api\"")
    );
    // A token that is no token.
    let r = call(&h, AdminEndpoint::AppVersion, Method::Get, Some("nope"));
    refused(&r, 401);
    assert!(
        header(&r, "www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    // A live token without any of the scopes: 403 naming them.
    let scim = token(&h, "https://jans.io/scim/users.read");
    let r = call(&h, AdminEndpoint::AppVersion, Method::Get, Some(&scim));
    refused(&r, 403);
    let challenge = header(&r, "www-authenticate").unwrap();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    assert!(
        challenge.contains("https://jans.io/oauth/config/app-version.readonly"),
        "{challenge}"
    );
    // Each accepted scope alone is enough: the granular one, the resource's admin scope,
    // the super scope.
    for scope in jans_core::admin::APP_VERSION_SCOPES {
        let t = token(&h, scope);
        let r = call(&h, AdminEndpoint::AppVersion, Method::Get, Some(&t));
        assert_eq!(r.status(), 200, "{scope}: {:?}", r.body);
        assert_eq!(json(&r)["version"], env!("CARGO_PKG_VERSION"));
    }
    // A write super scope does not read.
    let t = token(&h, "https://jans.io/oauth/config/write-all");
    refused(
        &call(&h, AdminEndpoint::AppVersion, Method::Get, Some(&t)),
        403,
    );
}

/// Documents kept in memory, or refused as a database that went away.
struct Flaky {
    inner: Arc<dyn DocumentStore>,
    down: Arc<AtomicBool>,
}

impl Flaky {
    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("the database went away".into()));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl DocumentStore for Flaky {
    async fn insert(
        &self,
        c: &str,
        id: &str,
        body: &Value,
        keys: &[Key],
    ) -> Result<u64, StoreError> {
        self.check()?;
        self.inner.insert(c, id, body, keys).await
    }
    async fn get(&self, c: &str, id: &str) -> Result<Option<Document>, StoreError> {
        self.check()?;
        self.inner.get(c, id).await
    }
    async fn find(&self, c: &str, n: &str, v: &str) -> Result<Option<Document>, StoreError> {
        self.check()?;
        self.inner.find(c, n, v).await
    }
    async fn replace(
        &self,
        c: &str,
        id: &str,
        body: &Value,
        keys: &[Key],
        expected: Option<u64>,
    ) -> Result<u64, StoreError> {
        self.check()?;
        self.inner.replace(c, id, body, keys, expected).await
    }
    async fn delete(&self, c: &str, id: &str, expected: Option<u64>) -> Result<bool, StoreError> {
        self.check()?;
        self.inner.delete(c, id, expected).await
    }
    async fn list(
        &self,
        c: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Document>, StoreError> {
        self.check()?;
        self.inner.list(c, after, limit).await
    }
    async fn query(&self, c: &str, f: &Filter, limit: usize) -> Result<Vec<Document>, StoreError> {
        self.check()?;
        self.inner.query(c, f, limit).await
    }
}

#[test]
fn readiness_follows_the_database() {
    let down = Arc::new(AtomicBool::new(false));
    let memory = Backend::memory();
    let backend = Backend {
        documents: Arc::new(Flaky {
            inner: memory.documents.clone(),
            down: down.clone(),
        }),
        ..memory
    };
    let h = Harness::with(config(), Stores::new(backend), [7; 32]);
    assert_eq!(
        call(&h, AdminEndpoint::HealthReady, Method::Get, None).status(),
        200
    );
    down.store(true, Ordering::SeqCst);
    let ready = call(&h, AdminEndpoint::HealthReady, Method::Get, None);
    assert_eq!(ready.status(), 503);
    assert_eq!(json(&ready)["status"], "DOWN");
    let both = call(&h, AdminEndpoint::Health, Method::Get, None);
    assert_eq!(json(&both)[1]["status"], "DOWN");
    let auth = call(&h, AdminEndpoint::AuthServerHealth, Method::Get, None);
    assert_eq!(json(&auth)["db_status"], "offline");
    // Live as long as it answers.
    assert_eq!(
        call(&h, AdminEndpoint::HealthLive, Method::Get, None).status(),
        200
    );
    down.store(false, Ordering::SeqCst);
    assert_eq!(
        call(&h, AdminEndpoint::HealthReady, Method::Get, None).status(),
        200
    );
}

#[test]
fn scopes_are_listed_and_read() {
    let h = Harness::new();
    // Without one of its scopes, refused; every write, admin and super scope reads.
    let scim = token(&h, "https://jans.io/scim/users.read");
    refused(
        &call(&h, AdminEndpoint::Scopes, Method::Get, Some(&scim)),
        403,
    );
    refused(&call(&h, AdminEndpoint::Scopes, Method::Get, None), 401);
    for scope in jans_core::admin::SCOPES_READ {
        let t = token(&h, scope);
        assert_eq!(
            call(&h, AdminEndpoint::Scopes, Method::Get, Some(&t)).status(),
            200,
            "{scope}"
        );
    }
    let t = token(&h, "https://jans.io/oauth/config/scopes.readonly");
    let list = |query: &[(&str, &str)]| get(&h, AdminEndpoint::Scopes, &t, query);
    let all = json(&list(&[]));
    let total = all["totalEntriesCount"].as_u64().unwrap();
    let stored = jans_core::testing::block_on(h.stores.scopes.list()).unwrap();
    assert_eq!(total as usize, stored.len());
    assert_eq!(all["entriesCount"], total.min(50));
    assert_eq!(all["start"], 1);
    // Sorted by inum, Janssen's members.
    let inums: Vec<&str> = all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["inum"].as_str().unwrap())
        .collect();
    let mut sorted = inums.clone();
    sorted.sort_by_key(|i| i.to_lowercase());
    assert_eq!(inums, sorted);
    assert!(all["entries"][0]["scopeType"].is_string());
    // Only openid scopes, whose id holds "mail".
    let mail = json(&list(&[("type", "openid"), ("pattern", "MAIL")]));
    assert_eq!(mail["totalEntriesCount"], 1, "{mail}");
    let email = &mail["entries"][0];
    assert_eq!(email["id"], "email");
    assert_eq!(email["claims"], json!(["email", "email_verified"]));
    // Paged: two at a time, from the third, descending.
    let page = json(&list(&[
        ("limit", "2"),
        ("startIndex", "3"),
        ("sortBy", "id"),
        ("sortOrder", "descending"),
    ]));
    assert_eq!(page["entriesCount"], 2);
    assert_eq!(page["totalEntriesCount"], total);
    // With the clients that may request each scope (Janssen's withAssociatedClients).
    let app = h.register(json!({"client_name": "mailer", "scope": "openid email"}));
    let with = json(&list(&[
        ("type", "openid"),
        ("pattern", "email"),
        ("withAssociatedClients", "true"),
    ]));
    let clients = &with["entries"][0]["clients"];
    assert_eq!(
        clients,
        &json!([{"inum": app.client.client_id, "displayName": "mailer"}]),
        "{with}"
    );
    assert!(
        !with
            .to_string()
            .contains(app.client_secret.as_deref().unwrap())
    );
    let without = json(&list(&[("type", "openid"), ("pattern", "email")]));
    assert!(without["entries"][0].get("clients").is_none());
    refused(&list(&[("withAssociatedClients", "maybe")]), 400);
    // Over the maximum page: 400 in ApiError form.
    let r = list(&[("limit", "500")]);
    let e = refused(&r, 400);
    assert_eq!(
        e["description"],
        "Maximum number of results per page is 200"
    );
    // One scope by inum; an unknown one is 404.
    let inum = email["inum"].as_str().unwrap();
    let mut one = Request::new(AdminEndpoint::Scope(inum.to_owned()), Method::Get);
    one.authorization = Some(format!("Bearer {t}"));
    let r = h.call(one);
    assert_eq!(json(&r)["id"], "email");
    let one = get(
        &h,
        AdminEndpoint::Scope(inum.to_owned()),
        &t,
        &[("withAssociatedClients", "true")],
    );
    assert_eq!(json(&one)["clients"][0]["displayName"], "mailer");
    let r = call(
        &h,
        AdminEndpoint::Scope("nope".into()),
        Method::Get,
        Some(&t),
    );
    refused(&r, 404);
}

fn stored_scopes(h: &Harness) -> Vec<jans_core::repo::scope::Scope> {
    jans_core::testing::block_on(h.stores.scopes.list()).unwrap()
}

const PATCH: &str = "application/json-patch+json";

#[test]
fn scopes_are_created_changed_and_deleted() {
    let h = Harness::new();
    let w = token(&h, "https://jans.io/oauth/config/scopes.write");
    let d = token(&h, "https://jans.io/oauth/config/scopes.delete");
    let r = token(&h, "https://jans.io/oauth/config/scopes.readonly");
    let before = stored_scopes(&h);
    // Refusals first: none of them changes anything.
    let new = json!({"id": "photos:read", "scopeType": "oauth", "description": "Read photos"});
    refused(
        &send(
            &h,
            AdminEndpoint::Scopes,
            Method::Post,
            &r,
            Some(("application/json", new.clone())),
        ),
        403,
    );
    for bad in [
        json!({"id": "two words", "scopeType": "oauth"}),
        json!({"id": "x", "scopeType": "nonsense"}),
        json!(["not", "an", "object"]),
        json!({"id": "openid", "scopeType": "openid"}),
        json!({"id": "x", "inum": "a/b", "scopeType": "oauth"}),
    ] {
        let res = send(
            &h,
            AdminEndpoint::Scopes,
            Method::Post,
            &w,
            Some(("application/json", bad.clone())),
        );
        assert!(matches!(res.status(), 400 | 409), "{bad}: {:?}", res.body);
        refused(&res, res.status());
    }
    let mut garbage = Request::new(AdminEndpoint::Scopes, Method::Post);
    garbage.authorization = Some(format!("Bearer {w}"));
    garbage.body = b"{not json".to_vec();
    refused(&h.call(garbage), 400);
    assert_eq!(stored_scopes(&h), before);
    // Created: 201, an inum drawn, usable by clients at once.
    let res = send(
        &h,
        AdminEndpoint::Scopes,
        Method::Post,
        &w,
        Some(("application/json", new)),
    );
    assert_eq!(res.status(), 201, "{:?}", res.body);
    let created = json(&res);
    let inum = created["inum"].as_str().unwrap().to_owned();
    assert_eq!(created["id"], "photos:read");
    let app = h.register(json!({"client_name": "gallery", "scope": "photos:read"}));
    assert!(h.cc_token(&app).len() > 10);
    // The same id again: 409.
    let again = json!({"id": "photos:read", "scopeType": "oauth"});
    refused(
        &send(
            &h,
            AdminEndpoint::Scopes,
            Method::Post,
            &w,
            Some(("application/json", again)),
        ),
        409,
    );
    // PUT replaces the scope its inum names; the id stays.
    let mut put = created.clone();
    put["description"] = json!("Read every photo");
    let res = send(
        &h,
        AdminEndpoint::Scopes,
        Method::Put,
        &w,
        Some(("application/json", put.clone())),
    );
    assert_eq!(json(&res)["description"], "Read every photo");
    put["id"] = json!("photos:all");
    refused(
        &send(
            &h,
            AdminEndpoint::Scopes,
            Method::Put,
            &w,
            Some(("application/json", put.clone())),
        ),
        400,
    );
    put["inum"] = json!("NOSUCH");
    refused(
        &send(
            &h,
            AdminEndpoint::Scopes,
            Method::Put,
            &w,
            Some(("application/json", put)),
        ),
        404,
    );
    // PATCH: all of it or nothing.
    let one = || AdminEndpoint::Scope(inum.clone());
    let res = send(
        &h,
        one(),
        Method::Patch,
        &w,
        Some((
            PATCH,
            json!([
                {"op": "replace", "path": "/description", "value": "Photos"},
                {"op": "add", "path": "/claims/-", "value": "picture"},
            ]),
        )),
    );
    assert_eq!(res.status(), 200, "{:?}", res.body);
    assert_eq!(json(&res)["claims"], json!(["picture"]));
    let now = stored_scopes(&h);
    for (patch, status) in [
        (
            json!([{"op": "replace", "path": "/description", "value": "x"}, {"op": "test", "path": "/id", "value": "nope"}]),
            400,
        ),
        (
            json!([{"op": "replace", "path": "/id", "value": "photos:all"}]),
            400,
        ),
        (
            json!([{"op": "replace", "path": "/inum", "value": "OTHER"}]),
            400,
        ),
        (json!([{"op": "remove", "path": "/scopeType"}]), 400),
        (json!([{"op": "jump", "path": "/id"}]), 400),
        (json!({"op": "add"}), 400),
    ] {
        refused(
            &send(&h, one(), Method::Patch, &w, Some((PATCH, patch.clone()))),
            status,
        );
    }
    refused(
        &send(
            &h,
            one(),
            Method::Patch,
            &w,
            Some(("text/plain", json!([]))),
        ),
        415,
    );
    refused(
        &send(
            &h,
            AdminEndpoint::Scope("NOSUCH".into()),
            Method::Patch,
            &w,
            Some((PATCH, json!([]))),
        ),
        404,
    );
    assert_eq!(stored_scopes(&h), now, "a refused patch changes nothing");
    // DELETE needs a delete scope; then 204, then 404.
    refused(&send(&h, one(), Method::Delete, &w, None), 403);
    assert_eq!(send(&h, one(), Method::Delete, &d, None).status(), 204);
    refused(&send(&h, one(), Method::Delete, &d, None), 404);
    refused(&send(&h, one(), Method::Get, &r, None), 404);
    assert_eq!(stored_scopes(&h), before);
    // Methods a path does not take: 405 with Allow.
    let res = send(&h, AdminEndpoint::Scopes, Method::Delete, &d, None);
    refused(&res, 405);
    assert_eq!(header(&res, "allow").as_deref(), Some("GET, POST, PUT"));
}

/// Concurrent PATCHes of one scope, on every backend: each applies, to what the others left
/// (none is lost), through the store's compare-and-set.
#[test]
fn concurrent_patches_all_apply() {
    for backend in super::backends::all() {
        let h = Harness::with(config(), backend.stores.clone(), [7; 32]);
        let w = token(&h, "https://jans.io/oauth/config/scopes.write");
        let res = send(
            &h,
            AdminEndpoint::Scopes,
            Method::Post,
            &w,
            Some((
                "application/json",
                json!({"id": "race", "scopeType": "oauth"}),
            )),
        );
        let inum = json(&res)["inum"].as_str().unwrap().to_owned();
        let threads = 8;
        patch_concurrently(
            &h,
            AdminEndpoint::Scope(inum.clone()),
            &w,
            threads,
            |t| json!([{"op": "add", "path": "/claims/-", "value": format!("c{t}")}]),
        );
        let scope = jans_core::testing::block_on(h.stores.scopes.by_inum(&inum))
            .unwrap()
            .unwrap()
            .1;
        let mut claims = scope.claims.clone();
        claims.sort();
        let want: Vec<String> = (0..threads).map(|t| format!("c{t}")).collect();
        assert_eq!(claims, want, "{}", backend.name);
    }
}

/// Every write through the API is in the audit log, with who, what and the request id;
/// read with the logging scopes, between dates, never with a secret.
#[test]
fn writes_are_audited() {
    let h = Harness::new();
    let w = token(
        &h,
        "https://jans.io/oauth/config/scopes.write https://jans.io/oauth/config/scopes.delete",
    );
    let res = send(
        &h,
        AdminEndpoint::Scopes,
        Method::Post,
        &w,
        Some((
            "application/json",
            json!({"id": "audited", "scopeType": "oauth"}),
        )),
    );
    let inum = json(&res)["inum"].as_str().unwrap().to_owned();
    let patch = json!([{"op": "add", "path": "/description", "value": "seen"}]);
    assert_eq!(
        send(
            &h,
            AdminEndpoint::Scope(inum.clone()),
            Method::Patch,
            &w,
            Some((PATCH, patch.clone()))
        )
        .status(),
        200
    );
    assert_eq!(
        send(
            &h,
            AdminEndpoint::Scope(inum.clone()),
            Method::Delete,
            &w,
            None
        )
        .status(),
        204
    );
    // A refused write is not a write.
    refused(
        &send(
            &h,
            AdminEndpoint::Scope(inum.clone()),
            Method::Delete,
            &w,
            None,
        ),
        404,
    );
    let read = |token: &str, query: &[(&str, &str)]| get(&h, AdminEndpoint::Audit, token, query);
    refused(&read(&w, &[]), 403);
    let r = token(&h, "https://jans.io/oauth/config/logging.readonly");
    let log = json(&read(&r, &[]));
    assert_eq!(log["totalEntriesCount"], 3, "{log}");
    let entries: Vec<Value> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| serde_json::from_str(e.as_str().unwrap()).unwrap())
        .collect();
    let ops: Vec<&str> = entries
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["create", "patch", "delete"]);
    for e in &entries {
        assert_eq!(e["resource"], "scopes");
        assert_eq!(e["resourceId"], inum.as_str());
        assert_eq!(e["requestId"], "test");
        assert!(e["clientId"].as_str().unwrap().len() > 4);
    }
    assert_eq!(entries[1]["patch"], patch);
    // Between dates (Janssen's dd-MM-yyyy): the harness's clock is in 2023.
    let day = |secs: u64| {
        let iso = jans_core::ctx::format_date(secs);
        let parts: Vec<&str> = iso.split('-').collect();
        format!("{}-{}-{}", parts[2], parts[1], parts[0])
    };
    let today = day(h.clock.now());
    let tomorrow = day(h.clock.now() + 86_400);
    assert_eq!(
        json(&read(&r, &[("start_date", &today), ("end_date", &today)]))["totalEntriesCount"],
        3
    );
    assert_eq!(
        json(&read(&r, &[("start_date", &tomorrow)]))["totalEntriesCount"],
        0
    );
    assert_eq!(
        json(&read(&r, &[("pattern", "PATCH")]))["totalEntriesCount"],
        1
    );
    refused(&read(&r, &[("start_date", "31-02-2024")]), 400);
}

/// A store an earlier version made gets, at start, the protection scopes this version
/// added (so its admin client may request them); one deleted on purpose stays deleted.
#[test]
fn new_protection_scopes_reach_older_stores_once() {
    use jans_core::testing::block_on;
    let newer = [
        "https://jans.io/oauth/config/stats.readonly",
        "https://jans.io/oauth/config/token.delete",
    ];
    // What an earlier version seeded: the defaults of its day, without these two.
    let stores = Stores::memory();
    for s in jans_core::repo::scope::defaults() {
        if !newer.contains(&s.id.as_str()) {
            block_on(stores.scopes.insert(&s)).unwrap();
        }
    }
    let ids = |stores: &Stores| -> Vec<String> {
        block_on(stores.scopes.list())
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect()
    };
    let h = Harness::with(config(), stores.clone(), [7; 32]);
    for id in newer {
        assert!(ids(&stores).iter().any(|s| s == id), "{id} added at start");
        assert!(
            h.engine.scopes().iter().any(|s| s.id == id),
            "{id} in force"
        );
    }
    let total = ids(&stores).len();
    assert_eq!(total, jans_core::repo::scope::defaults().len());
    // Deleted on purpose: not added again at the next start.
    assert!(block_on(stores.scopes.delete(newer[0])).unwrap());
    drop(h);
    let _again = Harness::with(config(), stores.clone(), [7; 32]);
    assert!(!ids(&stores).iter().any(|s| s == newer[0]));
    assert_eq!(ids(&stores).len(), total - 1);
}
