//! Acknowledged means durable on the embedded default (issue 10 item 6): `jans serve` on
//! sled is killed with SIGKILL in the middle of a load of token, code and refresh requests;
//! after a restart every access token a client was given introspects active, and every
//! code and refresh token a client was given is redeemable exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::Value;

const CB: &str = "http://localhost:9/cb";

/// What the load was acknowledged.
#[derive(Default)]
struct Acknowledged {
    access_tokens: Vec<String>,
    codes: Vec<String>,
    refresh_tokens: Vec<String>,
}

#[test]
fn kill_9_loses_no_acknowledged_grant() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (id, secret) = init_with_alice(
        &data,
        &serde_json::json!({"client_name": "RP", "redirect_uris": [CB], "trusted_client": true,
                            "scope": "profile offline_access",
                            "grant_types": ["authorization_code", "refresh_token", "client_credentials"]}),
    );
    let port = free_port();
    let (server, base) = start_cmd(jans_cmd(&data), port, &[]);
    let issuer = format!("http://localhost:{port}");
    // A browser session, for codes without a login each.
    let authorize = authorize_url(&base, &id, "openid offline_access", "");
    let r = submit_login(
        &no_redirects(),
        &base,
        &issuer,
        &authorize,
        "alice",
        "correct horse battery",
    );
    let cookie = session_cookie(&r).unwrap();

    let acked = Arc::new(Mutex::new(Acknowledged::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    // Client credentials tokens.
    for _ in 0..3 {
        let (acked, stop, base, id, secret) = (
            acked.clone(),
            stop.clone(),
            base.clone(),
            id.clone(),
            secret.clone(),
        );
        workers.push(std::thread::spawn(move || {
            let h = no_redirects();
            while !stop.load(Ordering::Relaxed) {
                let Ok(r) = h
                    .post(format!("{base}/jans-auth/restv1/token"))
                    .basic_auth(&id, Some(&secret))
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                else {
                    break;
                };
                let Ok(v) = r.json::<Value>() else { break };
                if let Some(t) = v["access_token"].as_str() {
                    acked.lock().unwrap().access_tokens.push(t.to_owned());
                }
            }
        }));
    }
    // Codes (kept unredeemed), and refresh tokens from redeeming every other one.
    for _ in 0..2 {
        let (acked, stop, base, id, secret, authorize, cookie) = (
            acked.clone(),
            stop.clone(),
            base.clone(),
            id.clone(),
            secret.clone(),
            authorize.clone(),
            cookie.clone(),
        );
        workers.push(std::thread::spawn(move || {
            let h = no_redirects();
            let mut redeem_next = false;
            while !stop.load(Ordering::Relaxed) {
                let Ok(r) = h
                    .get(&authorize)
                    .header("cookie", format!("session_id={cookie}"))
                    .send()
                else {
                    break;
                };
                let Some(code) = code_of(&r) else {
                    break;
                };
                redeem_next = !redeem_next;
                if !redeem_next {
                    acked.lock().unwrap().codes.push(code);
                    continue;
                }
                let Ok(r) = h
                    .post(format!("{base}/jans-auth/restv1/token"))
                    .basic_auth(&id, Some(&secret))
                    .form(&[
                        ("grant_type", "authorization_code"),
                        ("code", &code),
                        ("redirect_uri", CB),
                        ("code_verifier", VERIFIER),
                    ])
                    .send()
                else {
                    break;
                };
                let Ok(v) = r.json::<Value>() else { break };
                let mut a = acked.lock().unwrap();
                if let Some(t) = v["refresh_token"].as_str() {
                    a.refresh_tokens.push(t.to_owned());
                }
                if let Some(t) = v["access_token"].as_str() {
                    a.access_tokens.push(t.to_owned());
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_secs(3));
    // SIGKILL mid-load: no shutdown, no flush but those the server made before answering.
    drop(server);
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.access_tokens.len() > 100
            && acked.codes.len() > 10
            && acked.refresh_tokens.len() > 10,
        "the load ran: {} tokens, {} codes, {} refresh tokens",
        acked.access_tokens.len(),
        acked.codes.len(),
        acked.refresh_tokens.len()
    );

    let (_server, base) = start_cmd(jans_cmd(&data), port, &[]);
    let h = no_redirects();
    let post = |form: &[(&str, &str)], path: &str| {
        h.post(format!("{base}/jans-auth/restv1/{path}"))
            .basic_auth(&id, Some(&secret))
            .form(form)
            .send()
            .unwrap()
    };
    for t in &acked.access_tokens {
        let v: Value = post(&[("token", t)], "introspection").json().unwrap();
        assert_eq!(v["active"], true, "an acknowledged access token was lost");
    }
    for code in &acked.codes {
        let redeem = || {
            post(
                &[
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", CB),
                    ("code_verifier", VERIFIER),
                ],
                "token",
            )
            .status()
        };
        assert_eq!(redeem(), 200, "an acknowledged code was lost");
        assert_eq!(redeem(), 400, "a code redeemed twice");
    }
    for rt in &acked.refresh_tokens {
        let refresh = || {
            post(
                &[("grant_type", "refresh_token"), ("refresh_token", rt)],
                "token",
            )
            .status()
        };
        assert_eq!(refresh(), 200, "an acknowledged refresh token was lost");
        assert_eq!(refresh(), 400, "a refresh token used twice");
    }
    eprintln!(
        "after kill -9: {} access tokens, {} codes, {} refresh tokens, none lost",
        acked.access_tokens.len(),
        acked.codes.len(),
        acked.refresh_tokens.len()
    );
}
