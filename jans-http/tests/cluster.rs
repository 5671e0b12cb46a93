//! `jans` on PostgreSQL: one node through its life (migrate, serve, restart, the database
//! going away and coming back) and three nodes sharing one database (codes, refresh tokens,
//! sessions and clients seen by every node; single use across nodes).
//!
//! The server is `JANS_TEST_DATABASE_URL`'s (`.ci/run` starts one) or a private one started
//! with the machine's `initdb`/`pg_ctl`; the outage test always uses a private one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Barrier};

use common::*;
use jans_core::store::postgres::test_server::TestServer;
use serde_json::Value;

/// A fixed master key shared by the nodes of a test (base64url of 32 bytes).
const MASTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
const CB: &str = "http://localhost:9/cb";

fn database(server: &TestServer) -> String {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(server.create_database())
        .unwrap()
}

/// `jans --data-dir DIR` on PostgreSQL `db`.
fn pg_cmd(dir: &Path, db: &str) -> Command {
    let mut c = jans_cmd(dir);
    c.env("JANS_PERSISTENCE_TYPE", "postgres")
        .env("JANS_DATABASE_URL", db)
        .env("JANS_MASTER_KEY", MASTER_KEY);
    c
}

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn admin(dir: &Path) -> (String, String) {
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("admin-client.json")).unwrap())
            .unwrap();
    (
        v["client_id"].as_str().unwrap().to_owned(),
        v["client_secret"].as_str().unwrap().to_owned(),
    )
}

fn cc_token(base: &str, id: &str, secret: &str) -> reqwest::blocking::Response {
    client()
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap()
}

fn introspect(base: &str, id: &str, secret: &str, token: &str) -> Value {
    client()
        .post(format!("{base}/jans-auth/restv1/introspection"))
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .unwrap()
        .json()
        .unwrap()
}

#[test]
fn one_node_on_postgresql_survives_restarts_and_outages() {
    let server = TestServer::start_private().unwrap();
    let db = database(&server);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");

    // serve refuses a database without the schema, and says what fixes it.
    let out = pg_cmd(&data, &db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("run `jans migrate`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = ok(pg_cmd(&data, &db).arg("migrate").output().unwrap());
    assert!(
        first.contains("applied schema versions [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]"),
        "{first}"
    );
    assert!(
        first.contains("admin client credentials written"),
        "{first}"
    );
    let seeded = format!("{} scopes", jans_core::repo::scope::defaults().len());
    assert!(first.contains(&seeded), "the default scopes: {first}");
    // A node with another master key is told what is wrong and how to fix it.
    let out = pg_cmd(&dir.path().join("wrong-key"), &db)
        .env(
            "JANS_MASTER_KEY",
            "_-8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0",
        )
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("not the one the store was initialized with")
            && said.contains("JANS_MASTER_KEY"),
        "{said}"
    );
    // Scopes are data: listed, added, replaced, removed; a bad one refused.
    let scopes = |dir: &Path| -> Vec<String> {
        let list = ok(pg_cmd(dir, &db).args(["scope", "list"]).output().unwrap());
        serde_json::from_str::<Value>(&list)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(scopes(&data).contains(&"offline_access".to_owned()));
    let scope_file = dir.path().join("scope.json");
    std::fs::write(
        &scope_file,
        r#"{"id":"work","inum":"W0RK","scopeType":"openid","claims":["email"],
            "attributes":{"showInConfigurationEndpoint":true}}"#,
    )
    .unwrap();
    let put = || {
        pg_cmd(&data, &db)
            .args(["scope", "put", "--json"])
            .arg(&scope_file)
            .output()
            .unwrap()
    };
    assert!(ok(put()).contains("added scope work"));
    assert!(ok(put()).contains("replaced scope work"));
    assert_eq!(
        scopes(&data).len(),
        jans_core::repo::scope::defaults().len() + 1
    );
    std::fs::write(
        &scope_file,
        r#"{"id":"two words","inum":"X","scopeType":"oauth"}"#,
    )
    .unwrap();
    let bad = put();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("scope token"));
    assert!(
        ok(pg_cmd(&data, &db)
            .args(["scope", "remove", "work"])
            .output()
            .unwrap())
        .contains("removed")
    );
    assert!(
        !pg_cmd(&data, &db)
            .args(["scope", "remove", "work"])
            .output()
            .unwrap()
            .status
            .success()
    );
    assert_eq!(
        scopes(&data).len(),
        jans_core::repo::scope::defaults().len()
    );
    let again = ok(pg_cmd(&data, &db).arg("migrate").output().unwrap());
    assert!(again.contains("schema is current"), "{again}");
    assert!(
        !again.contains("admin client"),
        "migrate is idempotent: {again}"
    );
    let (id, secret) = admin(&data);
    let clients = |dir: &Path| {
        let list = ok(pg_cmd(dir, &db).args(["client", "list"]).output().unwrap());
        serde_json::from_str::<Value>(&list)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    let registered = clients(&data);

    // A node started on an empty data directory (a new pod) registers nothing.
    let fresh = dir.path().join("pod");
    let (pod, _) = start_cmd(pg_cmd(&fresh, &db), free_port(), &[]);
    drop(pod);
    assert!(!fresh.join("admin-client.json").exists());
    assert_eq!(clients(&data), registered, "serve registered a client");
    // Nor does a migration told not to (the chart's Job, whose directory is thrown away).
    let job = dir.path().join("job");
    let out = ok(pg_cmd(&job, &db)
        .args(["migrate", "--no-admin-client"])
        .output()
        .unwrap());
    assert!(out.contains("schema is current"), "{out}");
    assert!(!job.join("admin-client.json").exists());
    assert_eq!(clients(&data), registered, "migrate registered a client");

    let (node, base) = start_cmd(pg_cmd(&data, &db), free_port(), &[]);
    let r = cc_token(&base, &id, &secret);
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(node);

    // A new process sees what the last one acknowledged.
    let (_node, base) = start_cmd(pg_cmd(&data, &db), free_port(), &[]);
    assert_eq!(introspect(&base, &id, &secret, &token)["active"], true);

    // The database goes away: 503 with the OAuth error, not a hang or a 500.
    server.stop().unwrap();
    let r = cc_token(&base, &id, &secret);
    assert_eq!(r.status(), 503);
    assert_eq!(
        r.json::<Value>().unwrap()["error"],
        "temporarily_unavailable"
    );
    let ready = client().get(format!("{base}/health/ready")).send().unwrap();
    assert_eq!(ready.status(), 503);
    // ... and comes back: the node recovers by itself, nothing acknowledged is lost.
    server.restart().unwrap();
    let mut status = 0;
    for _ in 0..50 {
        status = cc_token(&base, &id, &secret).status().as_u16();
        if status == 200 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(status, 200);
    assert_eq!(introspect(&base, &id, &secret, &token)["active"], true);
    assert_eq!(
        client()
            .get(format!("{base}/health/ready"))
            .send()
            .unwrap()
            .status(),
        200
    );
}

/// Log in at `base` through the pages (login, then consent remembered) and return the
/// authorization code and the session cookie.
fn login(
    http: &reqwest::blocking::Client,
    base: &str,
    issuer: &str,
    client_id: &str,
) -> (String, String) {
    let r = submit_login(
        http,
        base,
        issuer,
        &authorize_url(base, client_id, "openid profile offline_access", ""),
        "alice",
        "correct horse battery",
    );
    assert_eq!(r.status(), 302);
    let cookie = session_cookie(&r).unwrap();
    let consent = r.headers()["location"]
        .to_str()
        .unwrap()
        .replacen(issuer, base, 1);
    let html = http
        .get(&consent)
        .header("cookie", format!("session_id={cookie}"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let r = http
        .post(format!("{base}/jans-auth/interaction"))
        .header("cookie", format!("session_id={cookie}"))
        .form(&[
            ("interaction", form_value(&html, "interaction").as_str()),
            ("csrf", form_value(&html, "csrf").as_str()),
            ("action", "allow"),
            ("remember", "1"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    (query_value(&back, "code").unwrap(), cookie)
}

fn redeem(base: &str, id: &str, secret: &str, code: &str) -> reqwest::blocking::Response {
    client()
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .unwrap()
}

fn refresh(base: &str, id: &str, secret: &str, rt: &str) -> reqwest::blocking::Response {
    client()
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
        .send()
        .unwrap()
}

#[test]
fn three_nodes_share_one_database() {
    let server = TestServer::start().unwrap();
    let db = database(&server);
    let dir = tempfile::tempdir().unwrap();
    let ops = dir.path().join("ops");
    // Three nodes behind one issuer, as behind a load balancer; the issuer is part of the
    // shared configuration that `jans migrate` seeds.
    let ports = [free_port(), free_port(), free_port()];
    let issuer = format!("http://localhost:{}", ports[0]);
    ok(pg_cmd(&ops, &db)
        .env("JANS_ISSUER", &issuer)
        .arg("migrate")
        .output()
        .unwrap());
    ok(jans_stdin_cmd(
        pg_cmd(&ops, &db),
        &["user", "add", "--username", "alice", "--password-stdin"],
        "correct horse battery\n",
    ));
    let rp: Value = serde_json::from_str(&ok(pg_cmd(&ops, &db)
        .args([
            "client",
            "add",
            "--name",
            "RP",
            "--redirect-uri",
            CB,
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--scope",
            "profile offline_access",
        ])
        .output()
        .unwrap()))
    .unwrap();
    let (rp_id, rp_secret) = (
        rp["client_id"].as_str().unwrap().to_owned(),
        rp["client_secret"].as_str().unwrap().to_owned(),
    );

    // A node told another issuer than the shared one refuses to start.
    let out = pg_cmd(&dir.path().join("stray"), &db)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--issuer",
            "http://localhost:1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("jans config set issuer="));
    let nodes: Vec<(Server, String)> = ports
        .iter()
        .enumerate()
        .map(|(i, port)| {
            let data = dir.path().join(format!("node{i}"));
            start_cmd(pg_cmd(&data, &db), *port, &["--issuer", &issuer])
        })
        .collect();
    let base = |i: usize| nodes[i % 3].1.clone();
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    // A client registered on one node authenticates on another at once.
    let reg: Value = http
        .post(format!("{}/jans-auth/restv1/register", base(1)))
        .json(&serde_json::json!({"grant_types": ["client_credentials"], "client_name": "dcr"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let r = cc_token(
        &base(2),
        reg["client_id"].as_str().unwrap(),
        reg["client_secret"].as_str().unwrap(),
    );
    assert_eq!(r.status(), 200);

    // A login on node A yields a code node B redeems; every node's JWKS verifies the ID token.
    let (code, cookie) = login(&http, &base(0), &issuer, &rp_id);
    let r = redeem(&base(1), &rp_id, &rp_secret, &code);
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().unwrap();
    let kid = kid_of(tokens["id_token"].as_str().unwrap());
    for i in 0..3 {
        let jwks: Value = client()
            .get(format!("{}/jans-auth/restv1/jwks", base(i)))
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert!(
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == kid.as_str()),
            "node {i} does not publish the signing key"
        );
    }
    let rt1 = tokens["refresh_token"].as_str().unwrap().to_owned();

    // Refresh rotation across nodes: reuse of a rotated token on another node revokes
    // the family, so the newest one dies too.
    let r = refresh(&base(0), &rp_id, &rp_secret, &rt1);
    assert_eq!(r.status(), 200);
    let rt2 = r.json::<Value>().unwrap()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let reuse = refresh(&base(1), &rp_id, &rp_secret, &rt1);
    assert_eq!(reuse.status(), 400);
    assert_eq!(reuse.json::<Value>().unwrap()["error"], "invalid_grant");
    assert_eq!(refresh(&base(2), &rp_id, &rp_secret, &rt2).status(), 400);

    // The code replayed on node C: refused (and what it issued is revoked).
    assert_eq!(redeem(&base(2), &rp_id, &rp_secret, &code).status(), 400);

    // The session made on node A is seen by node C: no login, straight back with a code.
    let r = http
        .get(authorize_url(
            &base(2),
            &rp_id,
            "openid profile offline_access",
            "&prompt=none",
        ))
        .header("cookie", format!("session_id={cookie}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(CB), "{back}");
    let code = query_value(&back, "code").unwrap();

    // 200 concurrent redemptions of one code, spread over the three nodes: one wins, and
    // the replays revoke what it got (DESIGN.md §4: the losers learn "already used").
    let outcomes = race(200, |i| {
        let url = base(i);
        let (id, secret, code) = (rp_id.clone(), rp_secret.clone(), code.clone());
        move || redeem(&url, &id, &secret, &code)
    });
    let won = single_winner(&outcomes);
    for t in ["access_token", "refresh_token"] {
        let active = introspect(&base(0), &rp_id, &rp_secret, won[t].as_str().unwrap());
        assert_eq!(active["active"], false, "the winner's {t} is revoked");
    }

    // The same for a refresh token presented 20 times at once on three nodes.
    let r = http
        .get(authorize_url(
            &base(1),
            &rp_id,
            "openid profile offline_access",
            "&prompt=none",
        ))
        .header("cookie", format!("session_id={cookie}"))
        .send()
        .unwrap();
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    let code = query_value(&back, "code").unwrap();
    let first: Value = redeem(&base(2), &rp_id, &rp_secret, &code).json().unwrap();
    let rt = first["refresh_token"].as_str().unwrap().to_owned();
    let outcomes = race(20, |i| {
        let url = base(i);
        let (id, secret, rt) = (rp_id.clone(), rp_secret.clone(), rt.clone());
        move || refresh(&url, &id, &secret, &rt)
    });
    let won = single_winner(&outcomes);
    for token in [
        won["access_token"].as_str().unwrap(),
        won["refresh_token"].as_str().unwrap(),
        first["access_token"].as_str().unwrap(),
    ] {
        assert_eq!(
            introspect(&base(1), &rp_id, &rp_secret, token)["active"],
            false,
            "the whole grant is revoked"
        );
    }
}

/// `n` threads released at once, thread `i` running `make(i)`; their (status, JSON body).
fn race<F, G>(n: usize, make: F) -> Vec<(u16, Value)>
where
    F: Fn(usize) -> G,
    G: FnOnce() -> reqwest::blocking::Response + Send + 'static,
{
    let barrier = Arc::new(Barrier::new(n));
    let racers: Vec<_> = (0..n)
        .map(|i| {
            let (b, run) = (barrier.clone(), make(i));
            std::thread::spawn(move || {
                b.wait();
                let r = run();
                let status = r.status().as_u16();
                (status, r.json::<Value>().unwrap_or(Value::Null))
            })
        })
        .collect();
    racers.into_iter().map(|t| t.join().unwrap()).collect()
}

/// The one 200's body; every other answer is 400 `invalid_grant`.
fn single_winner(outcomes: &[(u16, Value)]) -> Value {
    let statuses: Vec<u16> = outcomes.iter().map(|(s, _)| *s).collect();
    let wins: Vec<&Value> = outcomes
        .iter()
        .filter(|(s, _)| *s == 200)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(wins.len(), 1, "{statuses:?}");
    assert!(
        outcomes
            .iter()
            .all(|(s, b)| *s == 200 || (*s == 400 && b["error"] == "invalid_grant")),
        "{statuses:?}"
    );
    wins[0].clone()
}

/// The `kid` in a compact JWS header.
fn kid_of(jwt: &str) -> String {
    let header: Value =
        serde_json::from_slice(&jans_core::b64::decode(jwt.split('.').next().unwrap()).unwrap())
            .unwrap();
    header["kid"].as_str().unwrap().to_owned()
}

fn published(base: &str) -> Vec<String> {
    let jwks: Value = client()
        .get(format!("{base}/jans-auth/restv1/jwks"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn keys_rotate_once_and_every_node_serves_a_key_before_any_signs_with_it() {
    let server = TestServer::start().unwrap();
    let db = database(&server);
    let dir = tempfile::tempdir().unwrap();
    // One algorithm, and nodes that reload keys every second (so the bound is 2 s).
    let cmd = |name: &str| {
        let mut c = pg_cmd(&dir.path().join(name), &db);
        c.env("JANS_KEY_ALGS_ALLOWED_FOR_GENERATION", "ES256")
            .env("JANS_DEFAULT_SIGNATURE_ALGORITHM", "ES256")
            .env("JANS_CLEAN_SERVICE_INTERVAL", "1");
        c
    };
    ok(cmd("ops").arg("migrate").output().unwrap());
    let svc: Value = serde_json::from_str(&ok(cmd("ops")
        .args(["client", "add", "--name", "svc", "--access-token-as-jwt"])
        .output()
        .unwrap()))
    .unwrap();
    let (id, secret) = (
        svc["client_id"].as_str().unwrap().to_owned(),
        svc["client_secret"].as_str().unwrap().to_owned(),
    );
    let nodes: Vec<(Server, String)> = (0..3)
        .map(|i| start_cmd(cmd(&format!("node{i}")), free_port(), &[]))
        .collect();
    let signing_kid = |base: &str| {
        let r = cc_token(base, &id, &secret);
        assert_eq!(r.status(), 200);
        kid_of(r.json::<Value>().unwrap()["access_token"].as_str().unwrap())
    };
    let before: Vec<String> = published(&nodes[0].1);
    assert_eq!(before.len(), 2, "one active and one next key: {before:?}");
    let active = signing_kid(&nodes[0].1);
    let next = before.iter().find(|k| **k != active).unwrap().clone();
    for (_, base) in &nodes {
        assert_eq!(signing_kid(base), active);
        assert!(
            published(base).contains(&next),
            "every node publishes the next key"
        );
    }

    // Force a rotation from a fourth process while the nodes run and tick.
    let listed: Value =
        serde_json::from_str(&ok(cmd("ops").args(["keys", "rotate"]).output().unwrap())).unwrap();
    let statuses: Vec<(String, String)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kid"].as_str().unwrap().to_owned(),
                k["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        statuses.contains(&(next.clone(), "active".to_owned())),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&(active.clone(), "retired".to_owned())),
        "{statuses:?}"
    );
    let newest = statuses
        .iter()
        .find(|(_, s)| s == "next")
        .map(|(k, _)| k.clone())
        .unwrap();
    assert_eq!(
        statuses.len(),
        3,
        "exactly one rotation happened: {statuses:?}"
    );

    // Within the bound every node signs with the promoted key and serves the new next key;
    // the retired key stays published for what it signed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for (_, base) in &nodes {
        loop {
            let kids = published(base);
            let kid = signing_kid(base);
            assert!(
                kids.contains(&kid),
                "a node signs only with a key it publishes"
            );
            if kid == next && kids.contains(&newest) {
                assert!(kids.contains(&active));
                assert_eq!(kids.len(), 3, "{kids:?}");
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "a node did not pick up the rotation"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    // A configuration change reaches every node within configurationUpdateInterval.
    let lifetime = |base: &str| {
        let r = cc_token(base, &id, &secret);
        assert_eq!(r.status(), 200);
        r.json::<Value>().unwrap()["expires_in"].as_u64().unwrap()
    };
    assert_eq!(lifetime(&nodes[1].1), 300);
    let show = |args: &[&str]| -> Value {
        serde_json::from_str(&ok(cmd("ops").args(args).output().unwrap())).unwrap()
    };
    let before = show(&["config", "show"]);
    assert_eq!(before["accessTokenLifetime"], 300);
    assert!(
        before.get("persistence").is_none(),
        "the DSN is not shared or shown"
    );
    let after = show(&[
        "config",
        "set",
        "accessTokenLifetime=123",
        "configurationUpdateInterval=1",
    ]);
    assert_eq!(after["accessTokenLifetime"], 123);
    assert_eq!(
        after["revision"].as_u64().unwrap(),
        before["revision"].as_u64().unwrap() + 1
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for (_, base) in &nodes {
        while lifetime(base) != 123 {
            assert!(
                std::time::Instant::now() < deadline,
                "a node kept the old configuration"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    // An invalid change is refused, naming the property, and nothing is stored.
    let out = cmd("ops")
        .args(["config", "set", "accessTokenLifetime=0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("accessTokenLifetime"));
    assert_eq!(show(&["config", "show"])["revision"], after["revision"]);

    // The config API (issue 14): a JSON Patch on one node reaches all three.
    let (admin_id, admin_secret) = admin(&dir.path().join("ops"));
    let token = |base: &str| -> String {
        let r = cc_token(base, &admin_id, &admin_secret);
        assert_eq!(r.status(), 200);
        r.json::<Value>().unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let config_url = |base: &str| format!("{base}/jans-config-api/api/v1/jans-auth-server/config");
    let t0 = token(&nodes[0].1);
    let patched = client()
        .patch(config_url(&nodes[0].1))
        .bearer_auth(&t0)
        .header("content-type", "application/json-patch+json")
        .body(r#"[{"op": "replace", "path": "/accessTokenLifetime", "value": 456}]"#)
        .send()
        .unwrap();
    assert_eq!(patched.status(), 200);
    assert_eq!(patched.json::<Value>().unwrap()["accessTokenLifetime"], 456);
    assert_eq!(
        lifetime(&nodes[0].1),
        456,
        "at once on the node that changed it"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    for (_, base) in &nodes {
        let t = token(base);
        loop {
            let seen: Value = client()
                .get(config_url(base))
                .bearer_auth(&t)
                .send()
                .unwrap()
                .json()
                .unwrap();
            if seen["accessTokenLifetime"] == 456 && lifetime(base) == 456 {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "a node kept the old configuration: {seen}"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    assert_eq!(
        show(&["config", "show"])["revision"].as_u64().unwrap(),
        after["revision"].as_u64().unwrap() + 1
    );
    // A patch that would make the configuration invalid: 400 naming the property, and
    // nothing stored changes.
    let refused = client()
        .patch(config_url(&nodes[1].1))
        .bearer_auth(token(&nodes[1].1))
        .header("content-type", "application/json-patch+json")
        .body(r#"[{"op": "replace", "path": "/accessTokenLifetime", "value": 0}]"#)
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(refused.text().unwrap().contains("accessTokenLifetime"));
    assert_eq!(
        show(&["config", "show"])["revision"].as_u64().unwrap(),
        after["revision"].as_u64().unwrap() + 1
    );
}
