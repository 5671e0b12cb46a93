//! Janssen's client info endpoint (issue 16 item 10): the client of an access token, in the
//! members of Janssen's `ClientInfoResponse`; the token by header or parameter, once; the
//! refusals; the flag and discovery.

use jans_core::params::Params;
use jans_core::{AuthEndpoint, Method, Request, Response};
use serde_json::json;

use super::authorize::CB;
use super::harness::*;

fn clientinfo(h: &Harness, authorization: Option<String>, query: &[(&str, &str)]) -> Response {
    let mut req = Request::new(AuthEndpoint::ClientInfo, Method::Get);
    req.query = Params::from_pairs(query.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    req.authorization = authorization;
    h.call(req)
}

#[test]
fn an_access_token_tells_its_clients_registration() {
    let h = Harness::new();
    let c = h.register(json!({"client_name": "Acme Photos", "redirect_uris": [CB],
                              "grant_types": ["client_credentials", "authorization_code"],
                              "application_type": "web", "id_token_signed_response_alg": "ES256",
                              "scope": "read"}));
    let token = h.cc_token(&c);
    let r = clientinfo(&h, Some(format!("Bearer {token}")), &[]);
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert_eq!(
        json(&r),
        json!({"inum": c.client.client_id, "displayName": "Acme Photos", "jansAppType": "web",
               "jansIdTokenSignedResponseAlg": "ES256", "jansRedirectURI": [CB]})
    );
    // As Janssen takes it: the access_token parameter.
    let r = clientinfo(&h, None, &[("access_token", &token)]);
    assert_eq!(json(&r)["inum"], c.client.client_id.as_str());

    assert_error(&clientinfo(&h, None, &[]), 400, "invalid_request");
    assert_error(
        &clientinfo(
            &h,
            Some(format!("Bearer {token}")),
            &[("access_token", &token)],
        ),
        400,
        "invalid_request",
    );
    assert_error(
        &clientinfo(&h, Some("Bearer nope".into()), &[]),
        401,
        "invalid_token",
    );
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert_eq!(
        d["clientinfo_endpoint"],
        "https://id.example.com/jans-auth/restv1/clientinfo"
    );

    let mut config = config();
    config.feature_flags = vec!["userinfo".into()];
    let off = Harness::with(config, jans_core::repo::Stores::memory(), [7; 32]);
    let c = off.register(json!({"scope": "read"}));
    let token = off.cc_token(&c);
    assert_error(
        &clientinfo(&off, Some(format!("Bearer {token}")), &[]),
        404,
        "not_found",
    );
}
