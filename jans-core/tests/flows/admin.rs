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

fn token(h: &Harness, scope: &str) -> String {
    let c = h.register(json!({"client_name": "operator", "scope": scope}));
    h.cc_token(&c)
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
    let list = |query: &[(&str, &str)]| {
        let mut req = Request::new(AdminEndpoint::Scopes, Method::Get);
        req.authorization = Some(format!("Bearer {t}"));
        req.query = jans_core::params::Params::from_pairs(
            query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        h.call(req)
    };
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
    let r = call(
        &h,
        AdminEndpoint::Scope("nope".into()),
        Method::Get,
        Some(&t),
    );
    refused(&r, 404);
}
