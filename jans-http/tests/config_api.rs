//! The config API against a real third-party tester (issue 14 item 6): PyPI's
//! `schemathesis` reads the OpenAPI document `jans serve` publishes and runs every
//! operation of it, with generated valid and invalid requests and the document's links
//! (create, then read, replace, patch and delete what was made), as the admin client `init`
//! makes. Every check passes: no 5xx, every status, content type and body as the document
//! says, invalid requests refused, what was created found and what was deleted gone.
//! `.ci/run` installs the pinned package; without it this test fails, it never skips.
//!
//! Two checks are left out, each for a reason given in `tests/schemathesis.toml`:
//! `positive_data_acceptance` everywhere (a schema cannot carry the rules between members
//! that registration checks), and `ensure_resource_availability` on the two `PUT`s (they
//! name the resource in the body, which the check's bookkeeping of deletions cannot see).

mod common;

use common::*;
use std::process::Command;

#[test]
fn schemathesis_passes_every_check_on_every_operation() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let admin: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("admin-client.json")).unwrap())
            .unwrap();
    let (_server, base) = start(&data, &[]);
    let r = client()
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(
            admin["client_id"].as_str().unwrap(),
            admin["client_secret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let api = format!("{base}/jans-config-api/api/v1");
    // The tester's configuration (what it checks, and why two checks are left out) is
    // committed beside this test; the token goes in the environment it reads.
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");
    let out = Command::new("python3")
        .args(["-m", "schemathesis.cli", "--config-file", config])
        .args(["run", &format!("{api}/openapi.json"), "--url", &api])
        .args(["--max-examples", "50", "--no-color"])
        .env("JANS_TEST_TOKEN", &token)
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named schemathesis"),
        "schemathesis is not installed (PyPI schemathesis==4.32.5; .ci/run installs it): {stderr}"
    );
    assert!(
        out.status.success(),
        "schemathesis failed:\n{stdout}\n{stderr}"
    );
    // Every operation of the document was run, and none was only refused for want of
    // authentication.
    let doc: serde_json::Value = client()
        .get(format!("{api}/openapi.json"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    // "Operations: N selected / N total": all of them, but the tester may leave out the
    // one serving the document it loaded (`GET openapi.json`).
    let counted: Vec<usize> = stdout
        .lines()
        .find(|l| l.contains("selected /") && l.contains("Operations:"))
        .unwrap_or_else(|| panic!("no operation count:\n{stdout}"))
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(counted.len(), 2, "{stdout}");
    assert_eq!(
        counted[0], counted[1],
        "not every operation selected:\n{stdout}"
    );
    assert!(
        counted[1] + 1 >= operations && counted[1] <= operations,
        "{operations} operations in the document, {} run:\n{stdout}",
        counted[1]
    );
    assert!(
        stdout.contains(&format!("Tested: {}", counted[0])),
        "not every operation tested:\n{stdout}"
    );
    assert!(!stdout.contains("Authentication failed"), "{stdout}");
    for phase in ["Coverage", "Fuzzing", "Stateful"] {
        assert!(
            stdout.contains(&format!("✅ {phase}")),
            "{phase}:\n{stdout}"
        );
    }
    // The server is still whole: ready, and the admin client's token still works.
    let ready = client().get(format!("{api}/health/ready")).send().unwrap();
    assert_eq!(ready.status(), 200);
    let version = client()
        .get(format!("{api}/health/app-version"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(version.status(), 200);
}

/// A body larger than the host reads is refused in each API's own error form with 413,
/// never the host's plain text: Janssen's `ApiError` under the config API, RFC 7644's
/// error under SCIM.
#[test]
fn an_oversized_body_is_refused_in_the_api_s_own_form() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let (_server, base) = start(&data, &[]);
    for (path, media, size, code) in [
        (
            "/jans-config-api/api/v1/openid/clients",
            "application/json",
            200_000,
            "code",
        ),
        (
            "/jans-scim/restv1/v2/Users",
            "application/scim+json",
            3_200_000,
            "status",
        ),
    ] {
        let (status, body) = post_unread(&base, path, media, size);
        assert_eq!(status, 413, "{path}: {body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v[code], "413", "{path}: {v}");
    }
}

/// POST `size` bytes of JSON to `path` over a raw connection, the body written on another
/// thread (the server may answer before reading it all and close): the status and body.
fn post_unread(base: &str, path: &str, media: &str, size: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let addr = base
        .trim_start_matches("http://")
        .replace("localhost", "127.0.0.1");
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    let body = format!("{{\"displayName\": \"{}\"}}", "x".repeat(size));
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-type: {media}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let mut writer = stream.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(body.as_bytes());
    });
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    drop(sending);
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

/// The configuration's `loggingLevel`, changed through the API, is applied by the running
/// server within its tick: a debug line appears once the level is `DEBUG`, not before.
#[test]
fn the_log_level_changes_while_the_server_runs() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let log = dir.path().join("stderr.log");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let child = jans_cmd(&data)
        .env_remove("RUST_LOG")
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let _server = Server(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while client().get(format!("{base}/health/ready")).send().is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let admin: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("admin-client.json")).unwrap())
            .unwrap();
    let token = client()
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(
            admin["client_id"].as_str().unwrap(),
            admin["client_secret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap()
        .json::<serde_json::Value>()
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // A client assertion that is no JWT: rejected, with a debug line saying why.
    let bad_assertion = || {
        let r = client()
            .post(format!("{base}/jans-auth/restv1/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", "not.a.jwt"),
            ])
            .send()
            .unwrap();
        assert_eq!(r.status(), 401);
    };
    let logged = |what: &str| std::fs::read_to_string(&log).unwrap().contains(what);
    bad_assertion();
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !logged("client assertion rejected"),
        "no debug lines at INFO"
    );
    let r = client()
        .put(format!("{base}/jans-config-api/api/v1/logging"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"loggingLevel": "DEBUG"}))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !logged("log level set level=DEBUG") {
        assert!(
            Instant::now() < deadline,
            "the level was not applied:\n{}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    bad_assertion();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !logged("client assertion rejected") {
        assert!(
            Instant::now() < deadline,
            "no debug line at DEBUG:\n{}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
