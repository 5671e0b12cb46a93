//! Pushed authorization requests (RFC 9126; issue 16 item 1): pushed by an authenticated
//! client, validated at once (refusals in the token endpoint's JSON form), then used once
//! at the authorization endpoint by `request_uri` and `client_id` alone; expiry; PAR
//! required per client and server-wide; discovery.

use jans_core::{AuthEndpoint, Method, Request, Response};
use serde_json::json;

use super::authorize::{
    CB, VERIFIER, authorize, harness, location, login_and_consent, q, redeem, rp, std_params,
};
use super::harness::*;

fn push(h: &Harness, form: &[(&str, &str)], auth: Option<String>) -> Response {
    h.post(AuthEndpoint::Par, form, auth)
}

/// The standard authorization request without its `client_id` (the client authenticates).
fn pushed_params(c: &jans_core::RegisteredClient) -> Vec<(&str, &str)> {
    std_params(c)
        .into_iter()
        .filter(|(k, _)| *k != "client_id")
        .collect()
}

fn is_error_page(r: &Response) -> bool {
    r.status() == 400 && matches!(&r.body, jans_core::Body::Page(p) if p.template == "error.html")
}

#[test]
fn a_pushed_request_is_used_once_by_its_request_uri() {
    let h = harness();
    let c = rp(&h, json!({}));
    let other = rp(&h, json!({}));
    let id = c.client.client_id.clone();

    let r = push(&h, &pushed_params(&c), Some(basic(&c)));
    assert_eq!(r.status(), 201, "{:?}", r.body);
    let body = json(&r);
    assert_eq!(body["expires_in"], 60);
    let request_uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));

    // Another client cannot use it; presenting it spends it all the same (a request_uri
    // is taken once, by whoever presents it first).
    let stolen = authorize(
        &h,
        &[
            ("client_id", &other.client.client_id),
            ("request_uri", &request_uri),
        ],
        None,
    );
    assert!(is_error_page(&stolen), "{:?}", stolen.body);

    // Pushed again, used by request_uri and client_id alone; other parameters are not read.
    let r = push(&h, &pushed_params(&c), Some(basic(&c)));
    let request_uri = json(&r)["request_uri"].as_str().unwrap().to_owned();
    let start = authorize(
        &h,
        &[
            ("client_id", &id),
            ("request_uri", &request_uri),
            ("redirect_uri", "https://evil.example/cb"),
            ("state", "not-the-pushed-one"),
        ],
        None,
    );
    let (cb, _) = login_and_consent(&h, &start);
    assert!(cb.starts_with(CB), "{cb}");
    assert_eq!(q(&cb, "state").as_deref(), Some("st-1"), "the pushed state");
    let code = q(&cb, "code").unwrap();
    let r = redeem(&h, &c, &code, VERIFIER);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    // Used: a second use is refused on a page (nowhere safe to redirect).
    let again = authorize(
        &h,
        &[("client_id", &id), ("request_uri", &request_uri)],
        None,
    );
    assert!(is_error_page(&again), "{:?}", again.body);

    // Expired after requestUriParLifetime.
    let r = push(&h, &pushed_params(&c), Some(basic(&c)));
    let request_uri = json(&r)["request_uri"].as_str().unwrap().to_owned();
    h.clock.advance(60);
    let late = authorize(
        &h,
        &[("client_id", &id), ("request_uri", &request_uri)],
        None,
    );
    assert!(is_error_page(&late), "{:?}", late.body);
    let unknown = authorize(
        &h,
        &[
            ("client_id", &id),
            ("request_uri", "urn:ietf:params:oauth:request_uri:nope"),
        ],
        None,
    );
    assert!(is_error_page(&unknown));
}

#[test]
fn bad_pushes_are_refused_in_json_and_store_nothing() {
    let h = harness();
    let c = rp(&h, json!({}));
    let before = h.count_grants();
    let mut with_uri = pushed_params(&c);
    with_uri.push(("request_uri", "urn:ietf:params:oauth:request_uri:x"));
    let mut wrong_client = pushed_params(&c);
    wrong_client.push(("client_id", "someone-else"));
    let unregistered: Vec<(&str, &str)> = pushed_params(&c)
        .into_iter()
        .map(|(k, v)| {
            if k == "redirect_uri" {
                (k, "https://evil.example/cb")
            } else {
                (k, v)
            }
        })
        .collect();
    let bad_type: Vec<(&str, &str)> = pushed_params(&c)
        .into_iter()
        .map(|(k, v)| {
            if k == "response_type" {
                (k, "nope")
            } else {
                (k, v)
            }
        })
        .collect();
    for form in [with_uri, wrong_client, unregistered] {
        assert_error(&push(&h, &form, Some(basic(&c))), 400, "invalid_request");
    }
    assert_error(
        &push(&h, &bad_type, Some(basic(&c))),
        400,
        "unsupported_response_type",
    );
    assert_error(&push(&h, &pushed_params(&c), None), 401, "invalid_client");
    let r = h.call(Request::new(AuthEndpoint::Par, Method::Get));
    assert_eq!(r.status(), 405);
    // A sweep far in the future counts what was stored: nothing new.
    assert_eq!(h.count_grants(), before);
}

#[test]
fn par_required_per_client_and_server_wide_and_in_discovery() {
    let h = harness();
    let strict = rp(&h, json!({"require_pushed_authorization_requests": true}));
    let r = authorize(&h, &std_params(&strict), None);
    let to = location(&r);
    assert!(to.starts_with(CB), "{to}");
    assert_eq!(q(&to, "error").as_deref(), Some("invalid_request"));
    let r = push(&h, &pushed_params(&strict), Some(basic(&strict)));
    let request_uri = json(&r)["request_uri"].as_str().unwrap().to_owned();
    let start = authorize(
        &h,
        &[
            ("client_id", &strict.client.client_id),
            ("request_uri", &request_uri),
        ],
        None,
    );
    assert!(
        location(&start).contains("/jans-auth/interaction?"),
        "{:?}",
        start.body
    );

    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(
        d["pushed_authorization_request_endpoint"],
        format!("{ISSUER}/jans-auth/restv1/par")
    );
    assert_eq!(d["require_pushed_authorization_requests"], false);

    let mut c = config();
    c.require_par = true;
    let everyone = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let lax = rp(&everyone, json!({}));
    let to = location(&authorize(&everyone, &std_params(&lax), None));
    assert_eq!(q(&to, "error").as_deref(), Some("invalid_request"), "{to}");
    let d = json(&everyone.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(d["require_pushed_authorization_requests"], true);

    // Behind Janssen's `par` flag.
    let mut c = config();
    c.feature_flags = vec!["userinfo".into()];
    let off = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let o = rp(&off, json!({}));
    assert_error(
        &push(&off, &pushed_params(&o), Some(basic(&o))),
        404,
        "not_found",
    );
    let d = json(&off.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert!(d.get("pushed_authorization_request_endpoint").is_none());
}

#[test]
fn a_request_uri_is_taken_once_on_every_backend() {
    for backend in super::backends::all() {
        let h = super::authorize::harness_on(backend.stores.clone());
        let c = rp(&h, json!({}));
        let r = push(&h, &pushed_params(&c), Some(basic(&c)));
        let request_uri = json(&r)["request_uri"].as_str().unwrap().to_owned();
        let params = [
            ("client_id", c.client.client_id.as_str()),
            ("request_uri", request_uri.as_str()),
        ];
        let answers: Vec<Response> = std::thread::scope(|s| {
            let racers: Vec<_> = (0..8)
                .map(|_| s.spawn(|| authorize(&h, &params, None)))
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let used = answers.iter().filter(|r| !is_error_page(r)).count();
        assert_eq!(used, 1, "{}: one authorization continues", backend.name);
    }
}
