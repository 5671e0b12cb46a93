//! What a policy leaves to the resource owner (`@ask_owner`, UMA 2.0 Grant §3.3.6
//! `request_submitted`): the client is told to wait, the owner's resource server lists the
//! request and decides it with its PAT, and the client's next grant follows the decision.

use jans_core::request::UmaEndpoint;
use jans_core::{Method, Request, Response};
use serde_json::{Value, json};

use super::harness::*;
use super::uma::{refused, resource_server, uma};
use super::uma_grant::{grant, requesting_client, resource_owner, ticket, uma_on};

const POLICY: &str = r#"
@id("private-if-the-owner-says")
@ask_owner
permit(principal, action == Jans::Action::"read-private", resource);

@id("public")
permit(principal, action == Jans::Action::"read-public", resource);
"#;

fn requests(
    h: &Harness,
    pat: &str,
    id: Option<&str>,
    method: Method,
    body: Option<Value>,
) -> Response {
    let endpoint = match id {
        Some(id) => UmaEndpoint::PermissionRequest(id.to_owned()),
        None => UmaEndpoint::PermissionRequests,
    };
    uma(h, endpoint, method, Some(pat), body)
}

#[test]
fn the_owner_approves_or_denies_what_policies_leave_to_them() {
    let h = uma_on(jans_core::repo::Stores::memory());
    let (_, pat, album) = resource_owner(&h, POLICY);
    let (_, other_pat) = resource_server(&h);
    let p = requesting_client(&h, json!({}));
    let private = json!({"resource_id": album, "resource_scopes": ["read-private"]});

    // Left to the owner: request_submitted, a new ticket, the interval to wait.
    let t = ticket(&h, &pat, private.clone());
    let r = grant(&h, &p, &[("ticket", &t)]);
    refused(&r, 403, "request_submitted");
    let body = json(&r);
    assert_eq!(body["interval"], 5);
    let t2 = body["ticket"].as_str().unwrap().to_owned();

    // The owner's resource server sees it; another owner's does not.
    let list = json(&requests(&h, &pat, None, Method::Get, None));
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let q = &list[0];
    assert_eq!(q["resource_id"], album.as_str());
    assert_eq!(q["client_id"], p.client.client.client_id.as_str());
    assert_eq!(q["asked"], json!(["read-private"]));
    let id = q["id"].as_str().unwrap().to_owned();
    assert_eq!(
        json(&requests(&h, &other_pat, None, Method::Get, None)),
        json!([])
    );
    refused(
        &requests(&h, &other_pat, Some(&id), Method::Get, None),
        404,
        "not_found",
    );

    // Asked again before the owner decides: still waiting, the request not doubled.
    let r = grant(&h, &p, &[("ticket", &t2)]);
    refused(&r, 403, "request_submitted");
    let t3 = json(&r)["ticket"].as_str().unwrap().to_owned();
    assert_eq!(
        json(&requests(&h, &pat, None, Method::Get, None))
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A mixed ticket: the public scope is granted now, the private one waits.
    let both = json!({"resource_id": album, "resource_scopes": ["read-public", "read-private"]});
    let r = grant(&h, &p, &[("ticket", &ticket(&h, &pat, both.clone()))]);
    assert_eq!(r.status(), 200, "{:?}", r.body);

    // Bad decisions: 400, and nothing changes.
    for (body, code) in [
        (json!({"approved": ["delete-all"]}), "invalid_scope"),
        (
            json!({"approved": ["read-private"], "denied": ["read-private"]}),
            "invalid_request",
        ),
        (json!({"approve": ["read-private"]}), "invalid_request"),
    ] {
        refused(
            &requests(&h, &pat, Some(&id), Method::Put, Some(body)),
            400,
            code,
        );
    }
    refused(
        &requests(
            &h,
            &other_pat,
            Some(&id),
            Method::Put,
            Some(json!({"approved": ["read-private"]})),
        ),
        404,
        "not_found",
    );
    assert_eq!(
        json(&requests(&h, &pat, Some(&id), Method::Get, None))["asked"],
        json!(["read-private"])
    );

    // The owner approves: the waiting client gets its RPT.
    let r = requests(
        &h,
        &pat,
        Some(&id),
        Method::Put,
        Some(json!({"approved": ["read-private"]})),
    );
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(json(&r)["approved"], json!(["read-private"]));
    assert_eq!(json(&r)["asked"], json!([]));
    let r = grant(&h, &p, &[("ticket", &t3)]);
    assert_eq!(r.status(), 200, "{:?}", r.body);

    // The owner changes their mind: refused from then on.
    let r = requests(
        &h,
        &pat,
        Some(&id),
        Method::Put,
        Some(json!({"denied": ["read-private"]})),
    );
    assert_eq!(json(&r)["denied"], json!(["read-private"]));
    assert_eq!(json(&r)["approved"], json!([]));
    refused(
        &grant(&h, &p, &[("ticket", &ticket(&h, &pat, private))]),
        403,
        "request_denied",
    );
    let r = h.call(Request::new(UmaEndpoint::PermissionRequests, Method::Post));
    refused(&r, 405, "unsupported_method_type");
}
