use jans_core::{AuthEndpoint, Method, Request};

use super::harness::*;

#[test]
fn discovery_lists_what_is_implemented() {
    let h = Harness::new();
    let r = h.call(Request::new(AuthEndpoint::Discovery, Method::Get));
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "cache-control").as_deref(),
        Some("public, max-age=3600")
    );
    let d = json(&r);
    assert_eq!(d["issuer"], ISSUER);
    assert_eq!(
        d["token_endpoint"],
        "https://id.example.com/jans-auth/restv1/token"
    );
    assert_eq!(
        d["jwks_uri"],
        "https://id.example.com/jans-auth/restv1/jwks"
    );
    assert_eq!(
        d["introspection_endpoint"],
        "https://id.example.com/jans-auth/restv1/introspection"
    );
    assert_eq!(
        d["revocation_endpoint"],
        "https://id.example.com/jans-auth/restv1/revoke"
    );
    assert_eq!(
        d["grant_types_supported"],
        serde_json::json!([
            "authorization_code",
            "client_credentials",
            "implicit",
            "refresh_token",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:jwt-bearer",
            "urn:ietf:params:oauth:grant-type:token-exchange",
            "urn:openid:params:grant-type:ciba"
        ])
    );
    assert_eq!(
        d["device_authorization_endpoint"],
        "https://id.example.com/jans-auth/restv1/device_authorization"
    );
    assert_eq!(
        d["authorization_endpoint"],
        "https://id.example.com/jans-auth/restv1/authorize"
    );
    let methods = d["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    for m in [
        "client_secret_basic",
        "client_secret_post",
        "client_secret_jwt",
        "private_key_jwt",
        "none",
    ] {
        assert!(methods.iter().any(|v| v == m), "{m}");
    }
    assert_eq!(
        d["userinfo_endpoint"],
        "https://id.example.com/jans-auth/restv1/userinfo"
    );
    assert_eq!(
        d["end_session_endpoint"],
        "https://id.example.com/jans-auth/restv1/end_session"
    );
    assert_eq!(
        d["registration_endpoint"],
        "https://id.example.com/jans-auth/restv1/register"
    );
    // Not implemented yet, so not advertised.
    assert_eq!(d["frontchannel_logout_supported"], true);
    assert_eq!(d["backchannel_logout_supported"], true);
    assert_eq!(
        d["scopes_supported"],
        // The stored scopes shown in discovery (the defaults here), ordered by value.
        serde_json::json!([
            "address",
            "email",
            "offline_access",
            "openid",
            "phone",
            "profile"
        ])
    );
    assert_eq!(
        d["check_session_iframe"],
        "https://id.example.com/jans-auth/opiframe.htm"
    );
    assert_error(
        &h.call(Request::new(AuthEndpoint::Discovery, Method::Post)),
        405,
        "method_not_allowed",
    );
}

#[test]
fn discovery_lists_the_code_flow_when_enabled() {
    let mut c = config();
    c.grant_types_supported = vec!["authorization_code".into(), "client_credentials".into()];
    let h = Harness::with(c, jans_core::repo::Stores::memory(), [7; 32]);
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(
        d["authorization_endpoint"],
        "https://id.example.com/jans-auth/restv1/authorize"
    );
    assert_eq!(d["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        d["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(d["authorization_response_iss_parameter_supported"], true);
    assert_eq!(
        d["id_token_signing_alg_values_supported"],
        serde_json::json!(["ES256", "EdDSA"])
    );
}

#[test]
fn webfinger_issuer_discovery() {
    let h = Harness::new();
    let wf = |pairs: &[(&str, &str)]| {
        let mut req = Request::new(AuthEndpoint::Webfinger, Method::Get);
        req.query = jans_core::params::Params::from_pairs(pairs.iter().copied());
        h.call(req)
    };
    let rel = "http://openid.net/specs/connect/1.0/issuer";
    for resource in [
        "acct:alice@id.example.com",
        "https://id.example.com/alice",
        "alice@ID.example.com",
    ] {
        let r = wf(&[("resource", resource), ("rel", rel)]);
        assert_eq!(r.status(), 200, "{resource}");
        let j = json(&r);
        assert_eq!(j["subject"], resource);
        assert_eq!(j["links"][0]["rel"], rel);
        assert_eq!(j["links"][0]["href"], ISSUER);
    }
    let j = json(&wf(&[
        ("resource", "acct:alice@id.example.com"),
        ("rel", "other"),
    ]));
    assert_eq!(j["links"], serde_json::json!([]));
    assert_error(
        &wf(&[("resource", "acct:alice@elsewhere.example")]),
        404,
        "not_found",
    );
    assert_error(&wf(&[]), 400, "invalid_request");
}
