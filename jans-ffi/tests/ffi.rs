//! The C ABI, called through its exported functions exactly as C calls them: every
//! operation, every bad-input case (NULL, bad UTF-8, bad JSON, unknown ids, oversized
//! input), many threads on one engine, several engines, and a token minted through the ABI
//! accepted by the HTTP host's introspection over the same data directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, unsafe_code)]

use std::ffi::CString;
use std::ptr::{null, null_mut};

use base64::Engine as _;
use jans::*;
use serde_json::{Value, json};

mod common;
use common::*;

const CONFIG: &str = r#"{"issuer":"https://id.example.com","defaultSignatureAlgorithm":"ES256","keyAlgsAllowedForGeneration":["ES256"]}"#;

fn header<'a>(resp: &'a Value, name: &str) -> Option<&'a str> {
    resp["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == name)
        .and_then(|h| h[1].as_str())
}

fn basic(client: &Value) -> String {
    let creds = format!(
        "{}:{}",
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap()
    );
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(creds)
    )
}

fn token_request(client: &Value) -> Value {
    json!({
        "method": "POST",
        "path": "/jans-auth/restv1/token",
        "headers": {
            "authorization": basic(client),
            "content-type": "application/x-www-form-urlencoded",
        },
        "body": "grant_type=client_credentials&scope=read",
    })
}

fn jwt_client(id: u64) -> Value {
    register(
        id,
        &json!({
            "client_name": "ffi test",
            "grant_types": ["client_credentials"],
            "scope": "read write",
            "access_token_as_jwt": true,
            "access_token_signing_alg": "ES256",
        }),
    )
}

fn verify(id: u64, token: &str, aud: Option<&str>) -> (JansStatus, Option<Value>) {
    let t = CString::new(token).unwrap();
    let a = aud.map(|a| CString::new(a).unwrap());
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let s = unsafe {
        jans_token_verify(
            id,
            t.as_ptr(),
            a.as_ref().map_or(null(), |a| a.as_ptr()),
            &mut out,
        )
    };
    if s == JansStatus::Ok {
        (s, Some(take(&mut out)))
    } else {
        assert!(out.data.is_null());
        (s, None)
    }
}

fn introspect(id: u64, token: &str) -> Value {
    let t = CString::new(token).unwrap();
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let s = unsafe { jans_introspect(id, t.as_ptr(), &mut out) };
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    take(&mut out)
}

#[test]
fn token_verify_introspect_revoke_through_the_abi() {
    let id = new_engine(CONFIG, None);
    let client = jwt_client(id);
    let client_id = client["client_id"].as_str().unwrap();
    assert!(client["client_secret"].as_str().unwrap().len() >= 43);

    let (s, resp) = handle(id, &token_request(&client));
    assert_eq!(s, JansStatus::Ok);
    let resp = resp.unwrap();
    assert_eq!(resp["status"], 200, "{resp}");
    assert_eq!(header(&resp, "cache-control"), Some("no-store"));
    assert!(header(&resp, "x-request-id").unwrap().starts_with("ffi-"));
    let tok = body_json(&resp);
    let at = tok["access_token"].as_str().unwrap();
    assert_eq!(tok["token_type"], "Bearer");

    // Local verification: claims, audience, tampering, other kinds of JWT.
    let (s, claims) = verify(id, at, Some(client_id));
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    let claims = claims.unwrap();
    assert_eq!(claims["iss"], "https://id.example.com");
    assert_eq!(claims["client_id"], client_id);
    assert_eq!(claims["scope"], "read");
    assert_eq!(verify(id, at, None).0, JansStatus::Ok);
    assert_eq!(
        verify(id, at, Some("someone-else")).0,
        JansStatus::TokenInvalid
    );
    assert!(last_error().contains("aud"), "{}", last_error());
    let mut tampered = at.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(verify(id, &tampered, None).0, JansStatus::TokenInvalid);
    assert_eq!(verify(id, "not.a.jwt", None).0, JansStatus::TokenInvalid);
    assert_eq!(verify(id, "", None).0, JansStatus::TokenInvalid);

    // Introspection sees the token, then its revocation; local verification cannot.
    let active = introspect(id, at);
    assert_eq!(active["active"], true);
    assert_eq!(active["client_id"], client_id);
    assert_eq!(active["scope"], "read");
    let (s, resp) = handle(
        id,
        &json!({
            "method": "POST",
            "path": "/jans-auth/restv1/revoke",
            "headers": [["authorization", basic(&client)],
                        ["content-type", "application/x-www-form-urlencoded"]],
            "body": format!("token={at}"),
        }),
    );
    assert_eq!(s, JansStatus::Ok);
    assert_eq!(resp.unwrap()["status"], 200);
    assert_eq!(introspect(id, at), json!({"active": false}));
    assert_eq!(introspect(id, "nonsense"), json!({"active": false}));
    assert_eq!(verify(id, at, Some(client_id)).0, JansStatus::Ok);

    // A reference token: introspection only.
    let plain = register(
        id,
        &json!({"grant_types": ["client_credentials"], "scope": "read"}),
    );
    let (_, resp) = handle(id, &token_request(&plain));
    let rt = body_json(&resp.unwrap())["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(introspect(id, &rt)["active"], true);
    assert_eq!(verify(id, &rt, None).0, JansStatus::TokenInvalid);

    assert_eq!(jans_engine_free(id), JansStatus::Ok);
}

#[test]
fn janssen_paths_behave_as_over_http() {
    let id = new_engine(CONFIG, None);
    // Discovery and JWKS.
    let (_, d) = handle(
        id,
        &json!({"method": "GET", "path": "/.well-known/openid-configuration"}),
    );
    let d = d.unwrap();
    assert_eq!(d["status"], 200);
    let doc = body_json(&d);
    assert_eq!(
        doc["token_endpoint"],
        "https://id.example.com/jans-auth/restv1/token"
    );
    let (_, j) = handle(
        id,
        &json!({"method": "GET", "path": "/jans-auth/restv1/jwks"}),
    );
    let jwks = body_json(&j.unwrap());
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["kty"] == "EC")
    );
    // HEAD: no body.
    let (_, h) = handle(
        id,
        &json!({"method": "HEAD", "path": "/jans-auth/restv1/jwks"}),
    );
    let h = h.unwrap();
    assert_eq!(h["status"], 200);
    assert!(h.get("body").is_none());
    // The check-session iframe discovery advertises is served here too, frameable by any RP
    // and running only its own script.
    let iframe = doc["check_session_iframe"].as_str().unwrap();
    let path = iframe.strip_prefix("https://id.example.com").unwrap();
    let (_, p) = handle(id, &json!({"method": "GET", "path": path}));
    let p = p.unwrap();
    assert_eq!(p["status"], 200);
    assert_eq!(header(&p, "content-type"), Some("text/html; charset=utf-8"));
    let csp = header(&p, "content-security-policy").unwrap();
    assert!(
        csp.contains("frame-ancestors *") && csp.contains("script-src 'sha256-"),
        "{csp}"
    );
    assert!(p["body"].as_str().unwrap().contains("postMessage"));
    // Protocol errors are responses, with the protocol's JSON and status.
    let (s, r) = handle(
        id,
        &json!({"method": "POST", "path": "/jans-auth/restv1/token",
                "headers": {"content-type": "application/x-www-form-urlencoded",
                            "authorization": "Basic bm9ib2R5Om5vdGhpbmc="},
                "body": "grant_type=client_credentials"}),
    );
    assert_eq!(s, JansStatus::Ok);
    let r = r.unwrap();
    assert_eq!(r["status"], 401);
    assert_eq!(body_json(&r)["error"], "invalid_client");
    assert!(header(&r, "www-authenticate").is_some());
    let (_, r) = handle(
        id,
        &json!({"method": "GET", "path": "/jans-auth/restv1/token"}),
    );
    let r = r.unwrap();
    assert_eq!(r["status"], 405);
    assert_eq!(header(&r, "allow"), Some("POST"));
    let (_, r) = handle(id, &json!({"method": "GET", "path": "/nowhere"}));
    assert_eq!(r.unwrap()["status"], 404);
    // Repeated parameters are refused as on the wire (RFC 6749 §3.1).
    let (_, r) = handle(
        id,
        &json!({"method": "GET", "path": "/.well-known/webfinger?resource=a&resource=b"}),
    );
    let r = r.unwrap();
    assert_eq!(r["status"], 400);
    assert_eq!(body_json(&r)["error"], "invalid_request");
    // Repeated Authorization headers too.
    let (_, r) = handle(
        id,
        &json!({"method": "POST", "path": "/jans-auth/restv1/token",
                "headers": {"authorization": ["Basic YTpi", "Basic Yzpk"]}}),
    );
    assert_eq!(r.unwrap()["status"], 400);
    // The caller's request id is kept when it is plain.
    let (_, r) = handle(
        id,
        &json!({"method": "GET", "path": "/jans-auth/restv1/jwks",
                "headers": {"x-request-id": "abc-123"}}),
    );
    assert_eq!(header(&r.unwrap(), "x-request-id"), Some("abc-123"));
    jans_engine_free(id);
}

#[test]
fn bad_input_returns_a_status_and_never_crashes() {
    let id = new_engine(CONFIG, None);
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let req = CString::new(r#"{"method":"GET","path":"/jans-auth/restv1/jwks"}"#).unwrap();
    unsafe {
        // NULL pointers.
        assert_eq!(jans_handle(id, null(), &mut out), JansStatus::NullArgument);
        assert!(last_error().contains("request_json"));
        assert_eq!(
            jans_handle(id, req.as_ptr(), null_mut()),
            JansStatus::NullArgument
        );
        assert_eq!(
            jans_token_verify(id, null(), null(), &mut out),
            JansStatus::NullArgument
        );
        assert_eq!(
            jans_introspect(id, null(), &mut out),
            JansStatus::NullArgument
        );
        assert_eq!(
            jans_client_register(id, null(), &mut out),
            JansStatus::NullArgument
        );
        let mut new_id = 7;
        assert_eq!(
            jans_engine_new(null(), null(), &mut new_id),
            JansStatus::NullArgument
        );
        assert_eq!(new_id, 0, "out_id is cleared on failure");
        let cfg = CString::new("{}").unwrap();
        assert_eq!(
            jans_engine_new(cfg.as_ptr(), null(), null_mut()),
            JansStatus::NullArgument
        );
        jans_buf_free(null_mut());

        // Invalid UTF-8.
        let bad = c"{\"method\":\"GET\",\"path\":\"/\xff\"}";
        assert_eq!(
            jans_handle(id, bad.as_ptr(), &mut out),
            JansStatus::InvalidUtf8
        );
        assert_eq!(
            jans_token_verify(id, c"\xc3".as_ptr(), null(), &mut out),
            JansStatus::InvalidUtf8
        );
        assert_eq!(
            jans_engine_new(c"{\"issuer\":\"\xe2\x82\"}".as_ptr(), null(), &mut new_id),
            JansStatus::InvalidUtf8
        );

        // Unknown engines: never created, 0, freed.
        assert_eq!(
            jans_handle(u64::MAX, req.as_ptr(), &mut out),
            JansStatus::UnknownEngine
        );
        assert_eq!(
            jans_handle(0, req.as_ptr(), &mut out),
            JansStatus::UnknownEngine
        );
        assert_eq!(jans_engine_free(0), JansStatus::UnknownEngine);
        assert!(out.data.is_null());
    }

    // Invalid JSON, and JSON of the wrong shape.
    for doc in [
        "",
        "{",
        "[]",
        "null",
        r#"{"path":"/jans-auth/restv1/jwks"}"#,
        r#"{"method":"GET"}"#,
        r#"{"method":"GET","path":"/x","bogus":1}"#,
        r#"{"method":"GET","path":"/x","headers":{"a":1}}"#,
        r#"{"method":"GET","path":"/x","headers":7}"#,
    ] {
        assert_eq!(handle_raw(id, doc).0, JansStatus::InvalidJson, "{doc}");
        assert!(!last_error().is_empty());
    }
    // Parsed, but unusable.
    for doc in [
        json!({"method": "G E T", "path": "/x"}),
        json!({"method": "GET", "path": "no-slash"}),
        json!({"method": "GET", "path": "/x?a=1", "query": "b=2"}),
        json!({"method": "GET", "path": "/x y"}),
        json!({"method": "GET", "path": "/x", "headers": {"bad name": "v"}}),
        json!({"method": "GET", "path": "/x", "headers": {"a": "line\nbreak"}}),
        json!({"method": "POST", "path": "/x", "body": "a", "body_base64": "YQ=="}),
        json!({"method": "POST", "path": "/x", "body_base64": "***"}),
        json!({"method": "GET", "path": "/x", "peer_addr": "somewhere"}),
        json!({"method": "GET", "path": "/x", "client_cert_der": "%%%"}),
    ] {
        assert_eq!(handle(id, &doc).0, JansStatus::InvalidArgument, "{doc}");
    }
    // Oversized: the request document, the body inside it, a token, the config.
    let huge = "x".repeat(JANS_MAX_REQUEST_LEN + 1);
    assert_eq!(handle_raw(id, &huge).0, JansStatus::TooLarge);
    let big_body = json!({"method": "POST", "path": "/jans-auth/restv1/token",
                          "body": "a".repeat(64 * 1024 + 1)});
    assert_eq!(handle(id, &big_body).0, JansStatus::TooLarge);
    let many: Vec<(String, String)> = (0..101).map(|i| (format!("h{i}"), "v".into())).collect();
    assert_eq!(
        handle(id, &json!({"method": "GET", "path": "/x", "headers": many})).0,
        JansStatus::TooLarge
    );
    assert_eq!(
        verify(id, &"a".repeat(JANS_MAX_TOKEN_LEN + 1), None).0,
        JansStatus::TooLarge
    );
    let mut new_id = 0;
    let big_cfg = CString::new(format!(
        "{{\"issuer\":\"{}\"}}",
        "a".repeat(JANS_MAX_CONFIG_LEN)
    ))
    .unwrap();
    assert_eq!(
        unsafe { jans_engine_new(big_cfg.as_ptr(), null(), &mut new_id) },
        JansStatus::TooLarge
    );

    // Configurations: not JSON, not an object, an unknown key, a bad value.
    for (cfg, want) in [
        ("nope", JansStatus::InvalidJson),
        ("[1]", JansStatus::InvalidJson),
        (r#"{"accessTokenLifetim": 5}"#, JansStatus::InvalidArgument),
        (
            r#"{"accessTokenLifetime": "soon"}"#,
            JansStatus::InvalidArgument,
        ),
        (
            r#"{"keyAlgsAllowedForGeneration": []}"#,
            JansStatus::InvalidArgument,
        ),
    ] {
        let c = CString::new(cfg).unwrap();
        assert_eq!(
            unsafe { jans_engine_new(c.as_ptr(), null(), &mut new_id) },
            want,
            "{cfg}"
        );
        assert!(!last_error().is_empty());
    }
    let c = CString::new(r#"{"accessTokenLifetim": 5}"#).unwrap();
    unsafe { jans_engine_new(c.as_ptr(), null(), &mut new_id) };
    assert!(
        last_error().contains("accessTokenLifetim"),
        "{}",
        last_error()
    );

    // Client metadata the engine refuses: the RFC 7591 error code first.
    for (m, code) in [
        (
            json!({"redirect_uris": ["not a uri"]}),
            "invalid_redirect_uri",
        ),
        (
            json!({"grant_types": ["telepathy"]}),
            "invalid_client_metadata",
        ),
        (
            json!({"token_endpoint_auth_method": 5}),
            "invalid_client_metadata",
        ),
    ] {
        let c = CString::new(m.to_string()).unwrap();
        let s = unsafe { jans_client_register(id, c.as_ptr(), &mut out) };
        assert_eq!(s, JansStatus::InvalidArgument, "{m}");
        assert!(last_error().starts_with(code), "{m}: {}", last_error());
        assert!(out.data.is_null());
    }
    let c = CString::new("[]").unwrap();
    assert_eq!(
        unsafe { jans_client_register(id, c.as_ptr(), &mut out) },
        JansStatus::InvalidJson
    );

    // After all that the engine still serves, and a success clears the last error.
    let (s, r) = handle(
        id,
        &json!({"method": "GET", "path": "/jans-auth/restv1/jwks"}),
    );
    assert_eq!(s, JansStatus::Ok);
    assert_eq!(r.unwrap()["status"], 200);
    assert_eq!(last_error(), "");

    // Freed: unknown to every call, and freeing twice is an error, not a crash.
    assert_eq!(jans_engine_free(id), JansStatus::Ok);
    assert_eq!(jans_engine_free(id), JansStatus::UnknownEngine);
    assert_eq!(handle_raw(id, "{}").0, JansStatus::UnknownEngine);
    assert_eq!(verify(id, "a.b.c", None).0, JansStatus::UnknownEngine);
}

#[test]
fn many_threads_on_one_engine() {
    let id = new_engine(CONFIG, None);
    let client = jwt_client(id);
    let client_id = client["client_id"].as_str().unwrap().to_owned();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let client = client.clone();
            let client_id = client_id.clone();
            std::thread::spawn(move || {
                let mut tokens = Vec::new();
                for _ in 0..40 {
                    let (s, r) = handle(id, &token_request(&client));
                    assert_eq!(s, JansStatus::Ok);
                    let r = r.unwrap();
                    assert_eq!(r["status"], 200, "{r}");
                    let at = body_json(&r)["access_token"].as_str().unwrap().to_owned();
                    assert_eq!(verify(id, &at, Some(&client_id)).0, JansStatus::Ok);
                    assert_eq!(introspect(id, &at)["active"], true);
                    // Errors on one thread do not leak into another's last error.
                    assert_eq!(handle_raw(id, "{").0, JansStatus::InvalidJson);
                    tokens.push(at);
                }
                tokens
            })
        })
        .collect();
    let mut all = std::collections::HashSet::new();
    for t in threads {
        for tok in t.join().unwrap() {
            assert!(all.insert(tok), "a token was issued twice");
        }
    }
    assert_eq!(all.len(), 320);
    assert_eq!(jans_engine_free(id), JansStatus::Ok);
}

#[test]
fn freeing_while_other_threads_call_is_safe() {
    let id = new_engine(CONFIG, None);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                let mut served = 0;
                loop {
                    match handle(
                        id,
                        &json!({"method": "GET", "path": "/jans-auth/restv1/jwks"}),
                    ) {
                        (JansStatus::Ok, Some(r)) => {
                            assert_eq!(r["status"], 200);
                            served += 1;
                        }
                        (JansStatus::UnknownEngine, None) => return served,
                        other => panic!("{other:?}"),
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(jans_engine_free(id), JansStatus::Ok);
    for w in workers {
        assert!(w.join().unwrap() > 0);
    }
}

#[test]
fn engines_are_separate() {
    let a = new_engine(CONFIG, None);
    let b = new_engine(CONFIG, None);
    assert_ne!(a, b);
    let client = jwt_client(a);
    let (_, r) = handle(a, &token_request(&client));
    let at = body_json(&r.unwrap())["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(verify(a, &at, None).0, JansStatus::Ok);
    // Engine b has other keys, other clients, other grants.
    assert_eq!(verify(b, &at, None).0, JansStatus::TokenInvalid);
    assert_eq!(introspect(b, &at)["active"], false);
    let (_, r) = handle(b, &token_request(&client));
    assert_eq!(r.unwrap()["status"], 401);
    jans_engine_free(a);
    // b is untouched by a's end.
    assert_eq!(introspect(b, &at)["active"], false);
    let (_, r) = handle(
        b,
        &json!({"method": "GET", "path": "/jans-auth/restv1/jwks"}),
    );
    assert_eq!(r.unwrap()["status"], 200);
    jans_engine_free(b);
}

/// A token minted through the C ABI is accepted by the HTTP host's introspection when both
/// use one data directory (one after the other: the embedded database admits one process).
#[test]
fn the_http_host_accepts_what_the_abi_minted() {
    let dir = tempfile::tempdir().unwrap();
    let config = r#"{"issuer":"http://localhost","defaultSignatureAlgorithm":"ES256","keyAlgsAllowedForGeneration":["ES256"]}"#;
    let id = new_engine(config, Some(dir.path()));
    // The directory is taken while the engine lives.
    let c = CString::new(config).unwrap();
    let d = CString::new(dir.path().to_str().unwrap()).unwrap();
    let mut other = 0;
    assert_eq!(
        unsafe { jans_engine_new(c.as_ptr(), d.as_ptr(), &mut other) },
        JansStatus::Store
    );
    assert!(last_error().contains("in use"), "{}", last_error());
    let client = jwt_client(id);
    let (_, r) = handle(id, &token_request(&client));
    let at = body_json(&r.unwrap())["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A refused registration stored nothing.
    let bad = CString::new(r#"{"redirect_uris":["not a uri"]}"#).unwrap();
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    assert_eq!(
        unsafe { jans_client_register(id, bad.as_ptr(), &mut out) },
        JansStatus::InvalidArgument
    );
    assert_eq!(jans_engine_free(id), JansStatus::Ok);

    // The HTTP host over the same directory, on a real socket.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (addr, engine) = rt.block_on(async {
        let data = jans_http::host::datadir::DataDir::new(dir.path());
        let cfg = jans_core::Config::load(Some((config, false)), std::iter::empty()).unwrap();
        let ctx = jans_core::Ctx::new(
            jans_http::now(),
            std::sync::Arc::new(jans_http::OsRandom),
            "t",
        );
        let engine = data.open_engine(cfg, false, &ctx, None).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = jans_http::router(engine.clone(), jans_http::HostConfig::default());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (addr, engine)
    });
    assert_eq!(rt.block_on(engine.clients()).unwrap().len(), 1);
    let http = reqwest::blocking::Client::new();
    let resp: Value = http
        .post(format!("http://{addr}/jans-auth/restv1/introspection"))
        .basic_auth(
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str(),
        )
        .form(&[("token", at.as_str())])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(resp["active"], true, "{resp}");
    assert_eq!(resp["client_id"], client["client_id"]);
    // And its JWKS verifies the token the ABI signed.
    let jwks: Value = http
        .get(format!("http://{addr}/jans-auth/restv1/jwks"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let kid = {
        let h = at.split('.').next().unwrap();
        let h: Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h)
                .unwrap(),
        )
        .unwrap();
        h["kid"].as_str().unwrap().to_owned()
    };
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == kid.as_str())
    );
    assert!(engine.verify_token(&at, None, jans_http::now()).is_ok());
    drop(engine);
    rt.shutdown_background();
}

/// An interaction answer that sends the browser back to the client with a code.
fn back_to_the_client_with_a_code(s: JansStatus, r: Option<Value>) {
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    let r = r.unwrap();
    assert_eq!(r["outcome"], "done", "{r}");
    let back = header(&r["response"], "location").unwrap();
    assert!(
        back.starts_with("https://app.example.com/cb?code="),
        "{back}"
    );
}

/// A C or Go program that serves its own pages finishes a browser login through the ABI
/// (issue 10 item 9): the authorization endpoint sends the browser to `interactionUri`, the
/// program reads each step and answers it, the engine redirects back with a code.
#[test]
fn a_browser_login_through_the_interaction_api() {
    let config = r#"{"issuer":"https://id.example.com","interactionUri":"https://app.example.com/login","defaultSignatureAlgorithm":"ES256","keyAlgsAllowedForGeneration":["ES256"]}"#;
    let id = new_engine(config, None);
    // A person, through the ABI.
    let (user, password) = (
        CString::new(r#"{"uid":"alice","given_name":"Alice"}"#).unwrap(),
        CString::new("correct horse battery").unwrap(),
    );
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    assert_eq!(
        unsafe { jans_user_add(id, user.as_ptr(), password.as_ptr(), &mut out) },
        JansStatus::Ok,
        "{}",
        last_error()
    );
    let alice = take(&mut out);
    assert!(alice.get("password_hash").is_none());
    // The same uid again: the store says it exists. A short password: refused.
    let s = unsafe { jans_user_add(id, user.as_ptr(), password.as_ptr(), &mut out) };
    assert_eq!(s, JansStatus::Store, "{}", last_error());
    let short = CString::new("short").unwrap();
    let bob = CString::new(r#"{"uid":"bob"}"#).unwrap();
    let s = unsafe { jans_user_add(id, bob.as_ptr(), short.as_ptr(), &mut out) };
    assert_eq!(s, JansStatus::InvalidArgument);
    let s = unsafe { jans_user_add(id, null(), password.as_ptr(), &mut out) };
    assert_eq!(s, JansStatus::NullArgument);

    let client = register(
        id,
        &json!({"client_name": "C app", "redirect_uris": ["https://app.example.com/cb"], "scope": "profile"}),
    );
    let cid = client["client_id"].as_str().unwrap();
    let (s, resp) = handle(
        id,
        &json!({"method": "GET", "path": format!(
            "/jans-auth/restv1/authorize?response_type=code&client_id={cid}\
             &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid%20profile&state=s\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256")}),
    );
    assert_eq!(s, JansStatus::Ok);
    let resp = resp.unwrap();
    let to = header(&resp, "location").unwrap();
    let interaction = to
        .strip_prefix("https://app.example.com/login?interaction=")
        .unwrap()
        .to_owned();
    let (s, view) = interaction_call(
        jans_interaction_get,
        id,
        &json!({"interaction": interaction}),
    );
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    let view = view.unwrap();
    assert_eq!(view["stage"], "login");
    assert_eq!(view["client_name"], "C app");
    let csrf = view["csrf"].as_str().unwrap().to_owned();
    // Wrong password, then a forged CSRF token (refused, the step kept), then the right one.
    let login = |password: &str, csrf: &str| {
        interaction_call(
            jans_interaction_submit,
            id,
            &json!({"action": "login", "interaction": interaction, "csrf": csrf,
                    "username": "alice", "password": password}),
        )
    };
    let (s, r) = login("wrong password", &csrf);
    assert_eq!(s, JansStatus::Ok);
    assert_eq!(r.unwrap(), json!({"outcome": "retry", "remaining": 4}));
    let (s, _) = login("correct horse battery", "forged");
    assert_eq!(s, JansStatus::InvalidArgument);
    assert!(last_error().contains("invalid_request"), "{}", last_error());
    let (s, r) = login("correct horse battery", &csrf);
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    let r = r.unwrap();
    assert_eq!(r["outcome"], "done");
    let response = &r["response"];
    assert_eq!(response["status"], 302);
    assert!(
        header(response, "set-cookie")
            .unwrap()
            .starts_with("session_id=")
    );
    // Consent is the next step, at the program's page again.
    let next = header(response, "location")
        .unwrap()
        .strip_prefix("https://app.example.com/login?interaction=")
        .unwrap()
        .to_owned();
    let (_, view) = interaction_call(jans_interaction_get, id, &json!({"interaction": next}));
    let view = view.unwrap();
    assert_eq!(view["stage"], "consent");
    assert_eq!(view["scopes"], json!(["openid", "profile"]));
    let (s, r) = interaction_call(
        jans_interaction_submit,
        id,
        &json!({"action": "consent", "interaction": next, "csrf": view["csrf"],
                "allow": true, "remember": false}),
    );
    back_to_the_client_with_a_code(s, r);
    // Spent: the same answer again is refused.
    let (s, _) = interaction_call(
        jans_interaction_submit,
        id,
        &json!({"action": "consent", "interaction": next, "csrf": view["csrf"], "allow": true}),
    );
    assert_eq!(s, JansStatus::InvalidArgument);
    // Bad documents.
    for bad in [
        json!({}),
        json!({"action": "dance", "interaction": next, "csrf": "x"}),
        json!({"action": "login", "interaction": next}),
        json!({"interaction": next, "extra": 1}),
    ] {
        let (s, _) = interaction_call(jans_interaction_submit, id, &bad);
        assert_eq!(s, JansStatus::InvalidJson, "{bad}");
    }
    let (s, _) = interaction_call(jans_interaction_get, id, &json!({"interaction": "nope"}));
    assert_eq!(s, JansStatus::InvalidArgument);
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    assert_eq!(
        unsafe { jans_interaction_get(id, null(), &mut out) },
        JansStatus::NullArgument
    );
    jans_engine_free(id);
}

/// A passkey sign-in through the ABI (issue 12 item 9): the program's page gets WebAuthn
/// options from `jans_interaction_get` and posts the browser's assertion back with
/// `jans_interaction_submit`; the registration before it goes through `jans_handle` at the
/// FIDO2 paths with the session cookie of a password sign-in.
#[test]
fn a_passkey_sign_in_through_the_interaction_api() {
    use jans_core::testing::authenticator::{Attestation, SoftAuthenticator};
    let config = r#"{"issuer":"https://id.example.com","interactionUri":"https://app.example.com/login","defaultSignatureAlgorithm":"ES256","keyAlgsAllowedForGeneration":["ES256"]}"#;
    let id = new_engine(config, None);
    add_user(id, &json!({"uid": "alice"}), "correct horse battery");
    let client = register(
        id,
        &json!({"redirect_uris": ["https://app.example.com/cb"], "trusted_client": true}),
    );
    let cid = client["client_id"].as_str().unwrap();
    let authorize = |acr: &str| {
        let (s, resp) = handle(
            id,
            &json!({"method": "GET", "path": format!(
                "/jans-auth/restv1/authorize?response_type=code&client_id={cid}\
                 &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid\
                 &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
                 &code_challenge_method=S256&acr_values={acr}")}),
        );
        assert_eq!(s, JansStatus::Ok);
        header(&resp.unwrap(), "location")
            .unwrap()
            .strip_prefix("https://app.example.com/login?interaction=")
            .unwrap()
            .to_owned()
    };
    // A password sign-in gives the session that may register a passkey.
    let first = authorize("simple_password_auth");
    let (_, view) = interaction_call(jans_interaction_get, id, &json!({"interaction": first}));
    let view = view.unwrap();
    assert_eq!(view["acr"], "simple_password_auth");
    assert!(
        view["webauthn"].is_object(),
        "a passkey is offered at the password page too"
    );
    let (_, r) = interaction_call(
        jans_interaction_submit,
        id,
        &json!({"action": "login", "interaction": first, "csrf": view["csrf"],
                "username": "alice", "password": "correct horse battery"}),
    );
    let r = r.unwrap();
    let cookie = header(&r["response"], "set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let fido = |path: &str, body: &Value| {
        let (s, resp) = handle(
            id,
            &json!({"method": "POST", "path": path, "body": body.to_string(),
                    "headers": [["content-type", "application/json"], ["cookie", cookie]]}),
        );
        assert_eq!(s, JansStatus::Ok);
        let resp = resp.unwrap();
        assert_eq!(resp["status"], 200, "{resp}");
        serde_json::from_str::<Value>(resp["body"].as_str().unwrap()).unwrap()
    };
    let provider = jans_core::crypto::default_provider();
    let rng = jans_core::testing::SeededRandom::new(5);
    let mut key =
        SoftAuthenticator::new(provider.as_ref(), jans_core::jose::Algorithm::ES256, &rng).unwrap();
    let options = fido(
        "/jans-fido2/restv1/attestation/options",
        &json!({"username": "alice"}),
    );
    let reg = key
        .register(&options, "https://id.example.com", Attestation::None, &rng)
        .unwrap();
    assert_eq!(
        fido("/jans-fido2/restv1/attestation/result", &reg)["status"],
        "ok"
    );

    // The passkey sign-in, as a program serving its own pages does it.
    let next = authorize("passkey");
    let (s, view) = interaction_call(jans_interaction_get, id, &json!({"interaction": next}));
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    let view = view.unwrap();
    assert_eq!(
        (view["stage"].as_str(), view["acr"].as_str()),
        (Some("login"), Some("passkey"))
    );
    let signed = key
        .assert(&view["webauthn"], "https://id.example.com", &rng)
        .unwrap();
    let (s, r) = interaction_call(
        jans_interaction_submit,
        id,
        &json!({"action": "webauthn", "interaction": next, "csrf": view["csrf"],
                "response": signed}),
    );
    back_to_the_client_with_a_code(s, r);
    // The same assertion again: the interaction is spent.
    let (s, _) = interaction_call(
        jans_interaction_submit,
        id,
        &json!({"action": "webauthn", "interaction": next, "csrf": view["csrf"],
                "response": signed}),
    );
    assert_eq!(s, JansStatus::InvalidArgument);
    jans_engine_free(id);
}

/// The error page of the authorization endpoint is decided in core (issue 11 item 7): the
/// ABI hands on the page the HTTP host renders, with the same status and headers.
#[test]
fn the_authorization_error_page_is_the_same_through_both_hosts() {
    let config = r#"{"issuer":"http://localhost","defaultSignatureAlgorithm":"ES256","keyAlgsAllowedForGeneration":["ES256"]}"#;
    let id = new_engine(config, None);
    let path = "/jans-auth/restv1/authorize?response_type=code&client_id=nobody\
                &redirect_uri=https%3A%2F%2Frp.example.com%2Fcb&scope=openid";
    let (s, resp) = handle(id, &json!({"method": "GET", "path": path}));
    assert_eq!(s, JansStatus::Ok);
    let abi = resp.unwrap();
    assert_eq!(abi["status"], 400, "{abi}");
    assert!(abi.get("body").is_none(), "{abi}");
    assert_eq!(abi["page"]["template"], "error.html", "{abi}");
    assert_eq!(abi["page"]["context"]["error"], "invalid_request");
    assert_eq!(abi["page"]["context"]["description"], "unknown client");
    assert_eq!(jans_engine_free(id), JansStatus::Ok);

    // The HTTP host, on a real socket, over an engine of the same configuration.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let addr = rt.block_on(async {
        let cfg = jans_core::Config::load(Some((config, false)), std::iter::empty()).unwrap();
        let engine = jans_core::Engine::builder(cfg)
            .master_key([7; 32])
            .build()
            .unwrap();
        let ctx = jans_core::Ctx::new(
            jans_http::now(),
            std::sync::Arc::new(jans_http::OsRandom),
            "t",
        );
        engine.start(&ctx).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let router = jans_http::router(engine, jans_http::HostConfig::default());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        addr
    });
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(format!("http://{addr}{path}")).send().unwrap();
    assert_eq!(page.status().as_u16(), 400);
    for name in ["content-security-policy", "content-type", "cache-control"] {
        assert_eq!(
            page.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned()),
            header(&abi, name).map(str::to_owned),
            "{name}"
        );
    }
    let html = page.text().unwrap();
    assert!(html.contains("unknown client"), "{html}");
    assert!(html.contains("invalid_request"), "{html}");
    rt.shutdown_background();
}

/// A DPoP proof (RFC 9449 §4.2) by `key` for `htm` `htu`, with `ath` of `token` if given.
fn dpop_proof(
    key: &dyn jans_core::crypto::SigningKey,
    htm: &str,
    htu: &str,
    token: Option<&str>,
    jti: &str,
) -> String {
    let mut header = jans_core::jose::jws::Header::new(key.algorithm());
    header.typ = Some("dpop+jwt".into());
    header.jwk = Some(key.public_jwk());
    let mut claims = json!({"jti": jti, "htm": htm, "htu": htu, "iat": jans_http::now()});
    if let Some(t) = token {
        claims["ath"] = jans_core::auth::oauth::dpop::ath(t).into();
    }
    let rng = jans_core::testing::SeededRandom::new(9);
    jans_core::jose::jws::sign(&header, &serde_json::to_vec(&claims).unwrap(), key, &rng).unwrap()
}

fn verify_dpop(id: u64, token: &str, proof: &str, method: &str, url: &str) -> JansStatus {
    let t = CString::new(token).unwrap();
    let p = CString::new(proof).unwrap();
    let m = CString::new(method).unwrap();
    let u = CString::new(url).unwrap();
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let s = unsafe {
        jans_token_verify_dpop(
            id,
            t.as_ptr(),
            p.as_ptr(),
            m.as_ptr(),
            u.as_ptr(),
            null(),
            &mut out,
        )
    };
    if s == JansStatus::Ok {
        assert!(take(&mut out)["client_id"].is_string());
    } else {
        assert!(out.data.is_null());
    }
    s
}

#[test]
fn a_dpop_bound_token_verifies_through_the_abi_only_with_its_proof() {
    use jans_core::crypto::CryptoProvider as _;
    let id = new_engine(CONFIG, None);
    let client = jwt_client(id);
    let rng = jans_core::testing::SeededRandom::new(3);
    let key = jans_core::crypto::aws_lc::AwsLcProvider
        .generate(jans_core::jose::Algorithm::ES256, &rng)
        .unwrap();
    let mut req = token_request(&client);
    req["headers"]["dpop"] = dpop_proof(
        key.as_ref(),
        "POST",
        "https://id.example.com/jans-auth/restv1/token",
        None,
        "t-1",
    )
    .into();
    let (_, resp) = handle(id, &req);
    let tok = body_json(&resp.unwrap());
    assert_eq!(tok["token_type"], "DPoP", "{tok}");
    let at = tok["access_token"].as_str().unwrap();

    // As a bearer token it is refused; with a proof of its key over the request, accepted once.
    assert_eq!(verify(id, at, None).0, JansStatus::TokenInvalid);
    assert!(last_error().contains("DPoP-bound"), "{}", last_error());
    let api = "https://api.example.com/photos";
    let proof = dpop_proof(key.as_ref(), "GET", api, Some(at), "r-1");
    assert_eq!(
        verify_dpop(id, at, &proof, "GET", api),
        JansStatus::Ok,
        "{}",
        last_error()
    );
    assert_eq!(
        verify_dpop(id, at, &proof, "GET", api),
        JansStatus::TokenInvalid
    );
    assert!(last_error().contains("used already"), "{}", last_error());
    let wrong = dpop_proof(key.as_ref(), "GET", api, Some(at), "r-2");
    assert_eq!(
        verify_dpop(id, at, &wrong, "POST", api),
        JansStatus::TokenInvalid
    );
    assert!(last_error().contains("htm"), "{}", last_error());
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let t = CString::new(at).unwrap();
    let s =
        unsafe { jans_token_verify_dpop(id, t.as_ptr(), null(), null(), null(), null(), &mut out) };
    assert_eq!(s, JansStatus::NullArgument);
}

/// `prompt=create` through the C ABI: the `create` step, a refused account, then the new
/// person signed in.
#[test]
fn an_account_is_created_through_the_interaction_api() {
    let config = r#"{"issuer":"https://id.example.com","interactionUri":"https://app.example.com/login","defaultSignatureAlgorithm":"ES256","keyAlgsAllowedForGeneration":["ES256"]}"#;
    let id = new_engine(config, None);
    let client = register(
        id,
        &json!({"client_name": "C app", "redirect_uris": ["https://app.example.com/cb"], "scope": "profile"}),
    );
    let cid = client["client_id"].as_str().unwrap();
    let (_, resp) = handle(
        id,
        &json!({"method": "GET", "path": format!(
            "/jans-auth/restv1/authorize?response_type=code&client_id={cid}\
             &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&scope=openid%20profile&state=s\
             &prompt=create&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\
             &code_challenge_method=S256")}),
    );
    let resp = resp.unwrap();
    let interaction = header(&resp, "location")
        .unwrap()
        .strip_prefix("https://app.example.com/login?interaction=")
        .unwrap()
        .to_owned();
    let (_, view) = interaction_call(
        jans_interaction_get,
        id,
        &json!({"interaction": interaction}),
    );
    let view = view.unwrap();
    assert_eq!(view["stage"], "create");
    let csrf = view["csrf"].as_str().unwrap().to_owned();
    let create = |password: &str| {
        interaction_call(
            jans_interaction_submit,
            id,
            &json!({"action": "create", "interaction": interaction, "csrf": csrf,
                    "username": "dana", "email": "dana@example.com", "given_name": "Dana",
                    "password": password}),
        )
    };
    let (s, r) = create("short");
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    let r = r.unwrap();
    assert_eq!(r["outcome"], "refused");
    assert!(r["message"].as_str().unwrap().contains("password"));
    let (s, r) = create("a long enough password");
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    let r = r.unwrap();
    assert_eq!(r["outcome"], "done");
    assert!(
        header(&r["response"], "set-cookie")
            .unwrap()
            .starts_with("session_id=")
    );
}

/// An authentication device answers a backchannel request through the ABI (OpenID CIBA
/// Core 1.0; issue 16 item 8): the client asks at `/bc-authorize`, the device lists the
/// person's pending requests with their binding message and approves one, the client's
/// poll gets the tokens; bad documents are refused.
#[test]
fn a_device_answers_a_ciba_request_through_the_abi() {
    let id = new_engine(CONFIG, None);
    add_user(id, &json!({"uid": "carol"}), "correct horse battery");
    let client = register(
        id,
        &json!({"grant_types": ["urn:openid:params:grant-type:ciba"], "scope": "openid",
                "backchannel_token_delivery_mode": "poll"}),
    );
    let auth = basic(&client);
    let post = |path: &str, form: &str| {
        json!({"method": "POST", "path": path, "headers": {"authorization": auth,
               "content-type": "application/x-www-form-urlencoded"}, "body": form})
    };
    let (s, r) = handle(
        id,
        &post(
            "/jans-auth/restv1/bc-authorize",
            "scope=openid&login_hint=carol&binding_message=K2-Z9",
        ),
    );
    assert_eq!(s, JansStatus::Ok);
    let r = r.unwrap();
    let auth_req_id = body_json(&r)["auth_req_id"].as_str().unwrap().to_owned();
    let (s, listed) =
        interaction_call(jans_ciba, id, &json!({"action": "pending", "uid": "carol"}));
    assert_eq!(s, JansStatus::Ok);
    let listed = listed.unwrap();
    assert_eq!(listed["requests"][0]["binding_message"], "K2-Z9");
    let reference = listed["requests"][0]["reference"]
        .as_str()
        .unwrap()
        .to_owned();
    let decide = |uid: &str| {
        interaction_call(
            jans_ciba,
            id,
            &json!({"action": "decide", "uid": uid, "reference": reference, "approve": true}),
        )
    };
    assert_eq!(decide("nobody").1.unwrap()["answered"], false);
    assert_eq!(decide("carol").1.unwrap()["answered"], true);
    assert_eq!(
        decide("carol").1.unwrap()["answered"],
        false,
        "answered once"
    );
    let (_, r) = handle(
        id,
        &post(
            "/jans-auth/restv1/token",
            &format!(
                "grant_type=urn%3Aopenid%3Aparams%3Agrant-type%3Aciba&auth_req_id={auth_req_id}"
            ),
        ),
    );
    let tokens = body_json(&r.unwrap());
    assert!(
        tokens["access_token"].is_string() && tokens["id_token"].is_string(),
        "{tokens}"
    );
    for bad in [
        json!({"action": "approve"}),
        json!({"action": "pending"}),
        json!([1]),
    ] {
        assert_eq!(
            interaction_call(jans_ciba, id, &bad).0,
            JansStatus::InvalidJson,
            "{bad}"
        );
    }
    assert_eq!(jans_engine_free(id), JansStatus::Ok);
}
