//! A two-factor sign-in through the C ABI (issue 17 item 1): a program serving its own
//! pages sees the second factors offered in `jans_interaction_get`'s `factors`, answers a
//! one-time password or a recovery code with `"action": "otp"`, and switches factor with
//! `"action": "factor"`; what is not offered, or wrong, is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, unsafe_code)]

use jans::*;
use serde_json::{Value, json};

mod common;
use common::*;

#[test]
fn a_one_time_password_step_through_the_interaction_api() {
    let config = r#"{"issuer":"https://id.example.com","interactionUri":"https://app.example.com/login","defaultSignatureAlgorithm":"ES256","keyAlgsAllowedForGeneration":["ES256"]}"#;
    let id = new_engine(config, None);
    add_user(id, &json!({"uid": "alice"}), "correct horse battery");
    let client = register(
        id,
        &json!({"redirect_uris": ["https://app.example.com/cb"], "trusted_client": true}),
    );
    let cid = client["client_id"].as_str().unwrap();
    let (s, resp) = handle(
        id,
        &json!({"method": "GET", "path": format!(
            "/jans-auth/restv1/authorize?response_type=code&client_id={cid}\
             &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256&acr_values=otp")}),
    );
    assert_eq!(s, JansStatus::Ok);
    let resp = resp.unwrap();
    let interaction_of = |resp: &Value| {
        resp["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h[0] == "location")
            .and_then(|h| h[1].as_str())
            .and_then(|l| l.strip_prefix("https://app.example.com/login?interaction="))
            .unwrap()
            .to_owned()
    };
    let first = interaction_of(&resp);
    let (_, view) = interaction_call(jans_interaction_get, id, &json!({"interaction": first}));
    let view = view.unwrap();
    assert_eq!(
        (view["stage"].as_str(), view["acr"].as_str()),
        (Some("login"), Some("otp"))
    );
    assert_eq!(view["factors"], json!([]));
    let (s, r) = interaction_call(
        jans_interaction_submit,
        id,
        &json!({"action": "login", "interaction": first, "csrf": view["csrf"],
                "username": "alice", "password": "correct horse battery"}),
    );
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    let r = r.unwrap();
    assert_eq!(r["outcome"], "done");
    let second = interaction_of(&r["response"]);
    let (_, view) = interaction_call(jans_interaction_get, id, &json!({"interaction": second}));
    let view = view.unwrap();
    assert_eq!(view["stage"], "second_factor");
    // alice has no app yet: the code is asked for, and nothing else is offered.
    assert_eq!(view["factors"], json!(["otp"]));
    assert!(view["webauthn"].is_null());
    let (s, r) = interaction_call(
        jans_interaction_submit,
        id,
        &json!({"action": "otp", "interaction": second, "csrf": view["csrf"], "code": "123456"}),
    );
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    assert_eq!(r.unwrap(), json!({"outcome": "retry", "remaining": 4}));
    // Another way that is not offered, or a forged token: refused, the step unchanged.
    for doc in [
        json!({"action": "factor", "interaction": second, "csrf": view["csrf"], "factor": "recovery_code"}),
        json!({"action": "factor", "interaction": second, "csrf": "forged", "factor": "otp"}),
        json!({"action": "otp", "interaction": second, "csrf": "forged", "code": "123456"}),
        json!({"action": "otp", "interaction": second, "csrf": view["csrf"]}),
    ] {
        let (s, _) = interaction_call(jans_interaction_submit, id, &doc);
        assert_ne!(s, JansStatus::Ok, "{doc}");
    }
    let (s, r) = interaction_call(
        jans_interaction_submit,
        id,
        &json!({"action": "factor", "interaction": second, "csrf": view["csrf"], "factor": "otp"}),
    );
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    assert_eq!(r.unwrap(), json!({"outcome": "changed"}));
    let (_, again) = interaction_call(jans_interaction_get, id, &json!({"interaction": second}));
    assert_eq!(again.unwrap()["factors"], json!(["otp"]));
    jans_engine_free(id);
}
