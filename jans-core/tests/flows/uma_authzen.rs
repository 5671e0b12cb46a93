//! AuthZEN access evaluation (issue 15 item 8) over the UMA Cedar policies: the spec's
//! request shapes (§6, §7 with defaults and the three semantics), the metadata (§13), the
//! `access_evaluation` scope, and malformed bodies refused with 400.

use jans_core::request::UmaEndpoint;
use jans_core::{Method, Request, Response};
use serde_json::{Value, json};

use super::harness::*;
use super::uma::refused;
use super::uma_grant::load;

const POLICIES: &str = r#"
@id("admins-do-anything")
permit(principal, action, resource)
when { principal.type == "user" && principal.claims has role && principal.claims.role == "admin" };

@id("readers-read-public-docs")
permit(principal, action == Jans::Action::"can_read", resource)
when { resource.type == "document" && resource.properties has visibility
       && resource.properties.visibility == "public" };

@id("nothing-off-hours")
forbid(principal, action, resource)
when { context has time && context.time == "night" };
"#;

fn ask(h: &Harness, endpoint: UmaEndpoint, token: Option<&str>, body: &str) -> Response {
    let mut req = Request::new(endpoint, Method::Post);
    req.authorization = token.map(|t| format!("Bearer {t}"));
    req.content_type = Some("application/json".into());
    req.body = body.as_bytes().to_vec();
    h.call(req)
}

fn decision(h: &Harness, token: &str, body: Value) -> bool {
    let r = ask(h, UmaEndpoint::Evaluation, Some(token), &body.to_string());
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(&r)["decision"].as_bool().unwrap()
}

fn pep(h: &Harness) -> String {
    let c = h.register(json!({"client_name": "pep", "scope": "access_evaluation"}));
    h.cc_token(&c)
}

#[test]
fn evaluations_are_decided_by_the_cedar_policies() {
    let h = Harness::new();
    load(&h, POLICIES);
    let token = pep(&h);
    // §6.1's example shape.
    let alice =
        json!({"type": "user", "id": "alice@acmecorp.com", "properties": {"role": "admin"}});
    let bob = json!({"type": "user", "id": "bob@acmecorp.com", "properties": {"role": "viewer"}});
    let public = json!({"type": "document", "id": "doc-1", "properties": {"visibility": "public"}});
    let private =
        json!({"type": "document", "id": "doc-2", "properties": {"visibility": "private"}});
    let read = json!({"name": "can_read"});
    assert!(decision(
        &h,
        &token,
        json!({"subject": alice, "action": {"name": "can_delete"}, "resource": private})
    ));
    assert!(decision(
        &h,
        &token,
        json!({"subject": bob, "action": read, "resource": public})
    ));
    assert!(!decision(
        &h,
        &token,
        json!({"subject": bob, "action": read, "resource": private})
    ));
    assert!(!decision(
        &h,
        &token,
        json!({"subject": bob, "action": {"name": "can_delete"}, "resource": public})
    ));
    assert!(
        !decision(
            &h,
            &token,
            json!({"subject": alice, "action": read, "resource": public, "context": {"time": "night"}})
        ),
        "a forbid wins"
    );

    // §7: the top-level members are each evaluation's defaults.
    let batch = |semantic: Option<&str>| {
        let mut b = json!({
            "subject": bob,
            "action": read,
            "evaluations": [
                {"resource": public},
                {"resource": private},
                {"subject": alice, "resource": private},
            ]
        });
        if let Some(s) = semantic {
            b["options"] = json!({"evaluations_semantic": s});
        }
        let r = ask(&h, UmaEndpoint::Evaluations, Some(&token), &b.to_string());
        assert_eq!(r.status(), 200, "{:?}", r.body);
        json(&r)["evaluations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["decision"].as_bool().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(batch(None), [true, false, true]);
    assert_eq!(batch(Some("execute_all")), [true, false, true]);
    assert_eq!(batch(Some("deny_on_first_deny")), [true, false]);
    assert_eq!(batch(Some("permit_on_first_permit")), [true]);
    // Without evaluations the batch endpoint answers one evaluation.
    let r = ask(
        &h,
        UmaEndpoint::Evaluations,
        Some(&token),
        &json!({"subject": bob, "action": read, "resource": public}).to_string(),
    );
    assert_eq!(json(&r), json!({"decision": true}));

    // Nothing loaded: no policy is bound to anything, and nothing is permitted.
    load(&h, "");
    assert!(!decision(
        &h,
        &token,
        json!({"subject": alice, "action": read, "resource": public})
    ));
}

#[test]
fn bad_requests_tokens_and_metadata() {
    let h = Harness::new();
    load(&h, POLICIES);
    let token = pep(&h);
    let ok = json!({"subject": {"type": "user", "id": "a"}, "action": {"name": "x"},
                    "resource": {"type": "t", "id": "r"}});
    for (body, says) in [
        ("{", "not JSON"),
        ("[]", "object"),
        (
            r#"{"action": {"name": "x"}, "resource": {"type": "t", "id": "r"}}"#,
            "subject is missing",
        ),
        (
            r#"{"subject": {"id": "a"}, "action": {"name": "x"}, "resource": {"type": "t", "id": "r"}}"#,
            "subject.type",
        ),
        (
            r#"{"subject": {"type": "user", "id": "a"}, "action": {}, "resource": {"type": "t", "id": "r"}}"#,
            "action.name",
        ),
        (
            r#"{"subject": {"type": "user", "id": 7}, "action": {"name": "x"}, "resource": {"type": "t", "id": "r"}}"#,
            "subject.id",
        ),
        (
            r#"{"subject": {"type": "user", "id": "a"}, "action": {"name": "x"}, "resource": {"type": "t"}}"#,
            "resource.id",
        ),
        (
            r#"{"subject": {"type": "user", "id": "a", "properties": 3}, "action": {"name": "x"}, "resource": {"type": "t", "id": "r"}}"#,
            "properties",
        ),
        (
            r#"{"subject": {"type": "user", "id": "a"}, "action": {"name": "x"}, "resource": {"type": "t", "id": "r"}, "context": []}"#,
            "context",
        ),
    ] {
        let d = refused(
            &ask(&h, UmaEndpoint::Evaluation, Some(&token), body),
            400,
            "invalid_request",
        );
        assert!(d.contains(says), "{body}: {d}");
    }
    let mut batch = ok.clone();
    batch["evaluations"] = json!([{}, {"resource": {"type": "t"}}]);
    let d = refused(
        &ask(
            &h,
            UmaEndpoint::Evaluations,
            Some(&token),
            &batch.to_string(),
        ),
        400,
        "invalid_request",
    );
    assert!(d.contains("evaluations[1].resource.id"), "{d}");
    batch["evaluations"] = json!([{}]);
    batch["options"] = json!({"evaluations_semantic": "sometimes"});
    refused(
        &ask(
            &h,
            UmaEndpoint::Evaluations,
            Some(&token),
            &batch.to_string(),
        ),
        400,
        "invalid_request",
    );
    batch["options"] = json!({});
    batch["evaluations"] = Value::Array(vec![json!({}); 1001]);
    refused(
        &ask(
            &h,
            UmaEndpoint::Evaluations,
            Some(&token),
            &batch.to_string(),
        ),
        400,
        "invalid_request",
    );

    // The token: none, dead, or without access_evaluation.
    let body = ok.to_string();
    let r = ask(&h, UmaEndpoint::Evaluation, None, &body);
    refused(&r, 401, "invalid_token");
    assert_eq!(
        header(&r, "www-authenticate").as_deref(),
        Some("Bearer scope=\"access_evaluation\"")
    );
    refused(
        &ask(&h, UmaEndpoint::Evaluation, Some("nope"), &body),
        401,
        "invalid_token",
    );
    let other = h.register(json!({"client_name": "other"}));
    let weak = h.cc_token(&other);
    refused(
        &ask(&h, UmaEndpoint::Evaluation, Some(&weak), &body),
        403,
        "insufficient_scope",
    );
    let r = h.call(Request::new(UmaEndpoint::Evaluation, Method::Get));
    refused(&r, 405, "unsupported_method_type");

    // §13: the metadata, public.
    let r = h.call(Request::new(UmaEndpoint::AuthzenConfiguration, Method::Get));
    assert_eq!(r.status(), 200);
    assert_eq!(
        json(&r),
        json!({
            "policy_decision_point": ISSUER,
            "access_evaluation_endpoint": format!("{ISSUER}/jans-auth/restv1/access/v1/evaluation"),
            "access_evaluations_endpoint": format!("{ISSUER}/jans-auth/restv1/access/v1/evaluations"),
            "capabilities": [],
            "access_evaluation_v1_endpoint": format!("{ISSUER}/jans-auth/restv1/access/v1"),
        })
    );
    let oidc = json(&h.call(Request::new(
        jans_core::AuthEndpoint::Discovery,
        Method::Get,
    )));
    assert_eq!(
        oidc["access_evaluation_v1_endpoint"],
        format!("{ISSUER}/jans-auth/restv1/access/v1")
    );
    // Janssen's own discovery document names it too, beside its GluuConfiguration.
    let jans = json(&h.call(Request::new(
        jans_core::AuthEndpoint::JansConfiguration,
        Method::Get,
    )));
    assert_eq!(
        jans["access_evaluation_v1_endpoint"],
        format!("{ISSUER}/jans-auth/restv1/access/v1")
    );
    assert_eq!(
        jans["introspection_endpoint"],
        format!("{ISSUER}/jans-auth/restv1/introspection")
    );
    assert_eq!(
        jans["auth_level_mapping"],
        json!({"10": ["simple_password_auth"], "15": ["casa"], "20": ["passkey"], "25": ["otp"], "30": ["fido2"]})
    );
    assert_eq!(
        jans["scope_to_claims_mapping"]["email"],
        json!(["email", "email_verified"])
    );
    // Behind its own flag, which the default set turns on and a list may leave off.
    let mut c = config();
    c.feature_flags = vec!["userinfo".into()];
    let off = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let r = off.call(Request::new(UmaEndpoint::AuthzenConfiguration, Method::Get));
    refused(&r, 404, "not_found");
    let oidc = json(&off.call(Request::new(
        jans_core::AuthEndpoint::Discovery,
        Method::Get,
    )));
    assert!(
        oidc.get("access_evaluation_v1_endpoint").is_none(),
        "{oidc}"
    );
    let r = off.call(Request::new(
        jans_core::AuthEndpoint::JansConfiguration,
        Method::Get,
    ));
    assert_error(&r, 404, "not_found");
}
