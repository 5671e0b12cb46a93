//! What the config API's flow tests share: a token with a scope, a request with a body or
//! a query, and the description of a refusal in Janssen's `ApiError` form.

use jans_core::request::AdminEndpoint;
use jans_core::{Method, Request, Response};
use serde_json::Value;

use super::harness::*;

/// A token of a new client registered for `scope` (space-separated).
pub fn token(h: &Harness, scope: &str) -> String {
    let c = h.register(serde_json::json!({"client_name": "operator", "scope": scope}));
    h.cc_token(&c)
}

/// `method endpoint` with `token`, and a body of the media type given.
pub fn send(
    h: &Harness,
    endpoint: AdminEndpoint,
    method: Method,
    token: &str,
    body: Option<(&str, Value)>,
) -> Response {
    let mut req = Request::new(endpoint, method);
    req.authorization = Some(format!("Bearer {token}"));
    if let Some((media, body)) = body {
        req.content_type = Some(media.to_owned());
        req.body = serde_json::to_vec(&body).unwrap();
    }
    h.call(req)
}

/// `GET endpoint?query` with `token`.
pub fn get(h: &Harness, endpoint: AdminEndpoint, token: &str, query: &[(&str, &str)]) -> Response {
    let mut req = Request::new(endpoint, Method::Get);
    req.authorization = Some(format!("Bearer {token}"));
    req.query = jans_core::params::Params::from_pairs(
        query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    h.call(req)
}

/// A refusal in Janssen's `ApiError` form with `status`: its description.
pub fn refused(r: &Response, status: u16) -> String {
    assert_eq!(r.status(), status, "{:?}", r.body);
    let v = json(r);
    assert_eq!(v["code"], status.to_string(), "{v}");
    v["description"].as_str().unwrap().to_owned()
}

/// `threads` JSON Patches of `endpoint` at once with `token` (thread `t` sending
/// `ops(t)`), each answered 200.
pub fn patch_concurrently(
    h: &Harness,
    endpoint: AdminEndpoint,
    token: &str,
    threads: usize,
    ops: impl Fn(usize) -> Value + Sync,
) {
    std::thread::scope(|s| {
        for t in 0..threads {
            let (engine, endpoint, ops) = (h.engine.clone(), endpoint.clone(), &ops);
            let ctx = h.ctx();
            s.spawn(move || {
                let mut req = Request::new(endpoint, Method::Patch);
                req.authorization = Some(format!("Bearer {token}"));
                req.content_type = Some("application/json-patch+json".to_owned());
                req.body = serde_json::to_vec(&ops(t)).unwrap();
                let r = jans_core::testing::block_on(engine.handle(req, &ctx));
                assert_eq!(r.status(), 200, "{:?}", r.body);
            });
        }
    });
}
