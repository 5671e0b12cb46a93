//! Which services this process runs (`health/service-status`) and how it logs (`logging`)
//! through the config API (issue 14). The host applying the level at runtime:
//! `jans-http/tests/cli_remote.rs`.

use jans_core::request::AdminEndpoint;
use jans_core::{Method, Request};
use serde_json::json;

use super::harness::*;

fn call(
    h: &Harness,
    endpoint: AdminEndpoint,
    method: Method,
    scope: &str,
    query: &[(&str, &str)],
    body: Option<serde_json::Value>,
) -> jans_core::Response {
    let c = h.register(json!({"client_name": "operator", "scope": scope}));
    let mut req = Request::new(endpoint, method);
    req.authorization = Some(format!("Bearer {}", h.cc_token(&c)));
    req.query = jans_core::params::Params::from_pairs(
        query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    if let Some(b) = body {
        req.content_type = Some("application/json".into());
        req.body = serde_json::to_vec(&b).unwrap();
    }
    h.call(req)
}

#[test]
fn service_status_says_what_this_process_serves() {
    let h = Harness::new();
    let scope = "https://jans.io/oauth/config/data.readonly";
    let all = json(&call(
        &h,
        AdminEndpoint::ServiceStatus,
        Method::Get,
        scope,
        &[],
        None,
    ));
    assert_eq!(all["jans-auth"], "Running");
    assert_eq!(all["jans-scim"], "Running");
    assert_eq!(all["jans-saml"], "Running");
    assert_eq!(all["jans-link"], "Not present");
    h.engine.set_served(&["auth", "config-api"]);
    let all = json(&call(
        &h,
        AdminEndpoint::ServiceStatus,
        Method::Get,
        scope,
        &[],
        None,
    ));
    assert_eq!(all["jans-fido2"], "Not present");
    assert_eq!(all["jans-saml"], "Not present");
    assert_eq!(all["jans-config-api"], "Running");
    let one = json(&call(
        &h,
        AdminEndpoint::ServiceStatus,
        Method::Get,
        scope,
        &[("service", "jans-auth")],
        None,
    ));
    assert_eq!(one, json!({"jans-auth": "Running"}));
    let bad = call(
        &h,
        AdminEndpoint::ServiceStatus,
        Method::Get,
        scope,
        &[("service", "x")],
        None,
    );
    assert_eq!(bad.status(), 400);
    let refused = call(
        &h,
        AdminEndpoint::ServiceStatus,
        Method::Get,
        "https://jans.io/oauth/config/scopes.readonly",
        &[],
        None,
    );
    assert_eq!(refused.status(), 403);
}

#[test]
fn the_logging_level_is_read_and_set() {
    let h = Harness::new();
    let read = "https://jans.io/oauth/config/logging.readonly";
    let write = "https://jans.io/oauth/config/logging.write";
    let get = || {
        json(&call(
            &h,
            AdminEndpoint::Logging,
            Method::Get,
            read,
            &[],
            None,
        ))
    };
    assert_eq!(get(), json!({"loggingLevel": "INFO"}));
    for (bad, named) in [
        (json!({"loggingLevel": "LOUD"}), "loggingLevel"),
        (json!({"loggingLevel": 3}), "loggingLevel"),
        (json!({"loggingLevel": null}), "loggingLevel"),
        (json!({"loggingLevel": "debug"}), "loggingLevel"),
        (json!({"httpLoggingEnabled": true}), "httpLoggingEnabled"),
    ] {
        let r = call(
            &h,
            AdminEndpoint::Logging,
            Method::Put,
            write,
            &[],
            Some(bad.clone()),
        );
        assert_eq!(r.status(), 400, "{bad}");
        assert!(
            json(&r)["description"].as_str().unwrap().contains(named),
            "{bad}"
        );
    }
    assert_eq!(
        call(
            &h,
            AdminEndpoint::Logging,
            Method::Put,
            read,
            &[],
            Some(json!({"loggingLevel": "DEBUG"}))
        )
        .status(),
        403
    );
    assert_eq!(h.engine.config().logging_level, "INFO");
    // Janssen's own members, left at their defaults, pass.
    let r = call(
        &h,
        AdminEndpoint::Logging,
        Method::Put,
        write,
        &[],
        Some(json!({"loggingLevel": "DEBUG", "httpLoggingEnabled": false, "loggingLayout": ""})),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r), json!({"loggingLevel": "DEBUG"}));
    assert_eq!(h.engine.config().logging_level, "DEBUG");
}
