//! The host's side of UMA's policies (issue 15 item 6): `jans serve` reads the Cedar files
//! `umaCedarPolicies` names; one that does not parse stops it, with the file, line and
//! column; the policies are read again when the shared configuration changes (and a bad
//! file then leaves the policies in force). Decisions are observed through AuthZEN over
//! HTTP, and each is logged with its request id.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const ADMINS: &str = "@id(\"admins\")\npermit(principal, action, resource)\n\
    when { principal.claims has role && principal.claims.role == \"admin\" };\n";

fn set(data: &std::path::Path, assignments: &[&str]) {
    let mut args = vec!["config", "set"];
    args.extend_from_slice(assignments);
    let out = jans(data, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn policies_are_read_at_start_and_when_the_configuration_changes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let (id, secret) = add_client(
        &data,
        &json!({"client_name": "pep", "grant_types": ["client_credentials"],
                "scope": "access_evaluation"}),
    );
    let port = free_port();
    let policies = dir.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    let file = policies.join("main.cedar");
    std::fs::write(
        &file,
        format!("{ADMINS}\nforbid(principal action, resource);\n"),
    )
    .unwrap();
    set(
        &data,
        &[
            &format!("issuer=http://localhost:{port}"),
            &format!("umaCedarPolicies={}", policies.display()),
            "cleanServiceInterval=1",
            "configurationUpdateInterval=1",
        ],
    );

    // A policy that does not parse: the server does not start, and says where.
    let out = jans_cmd(&data)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("umaCedarPolicies"), "{err}");
    assert!(err.contains("main.cedar:5:"), "{err}");

    std::fs::write(&file, ADMINS).unwrap();
    // The server's output kept in a file, to find its decision log lines.
    let log = dir.path().join("serve.log");
    let out = std::fs::File::create(&log).unwrap();
    let _server = Server(
        jans_cmd(&data)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = client();
    let ready = Instant::now() + Duration::from_secs(30);
    while !http
        .get(format!("{base}/health/ready"))
        .send()
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(
            Instant::now() < ready,
            "not ready: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let token: Value = http
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap()
        .json()
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();
    let decide =
        || -> bool {
            let r = http
            .post(format!("{base}/jans-auth/restv1/access/v1/evaluation"))
            .bearer_auth(&token)
            .header("x-request-id", "authzen-req-1")
            .json(&json!({"subject": {"type": "user", "id": "ann", "properties": {"role": "admin"}},
                          "action": {"name": "delete"},
                          "resource": {"type": "doc", "id": "d1"}}))
            .send()
            .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().unwrap()["decision"].as_bool().unwrap()
        };
    assert!(decide());
    // Each decision is logged with the request id.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(
        logged
            .lines()
            .any(|l| l.contains("AuthZEN decision") && l.contains("authzen-req-1")),
        "{logged}"
    );

    // The file changes: nothing until the configuration does.
    std::fs::write(
        &file,
        format!("{ADMINS}\nforbid(principal, action, resource);\n"),
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert!(decide(), "the policies are not read again on their own");
    set(&data, &["accessTokenLifetime=301"]);
    let until = Instant::now() + Duration::from_secs(20);
    while decide() {
        assert!(
            Instant::now() < until,
            "the forbid was not loaded after the configuration changed"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // A bad file on a change: logged, and the policies in force stay.
    std::fs::write(&file, "permit(").unwrap();
    set(&data, &["accessTokenLifetime=302"]);
    std::thread::sleep(Duration::from_millis(3000));
    assert!(!decide(), "the forbid stays in force");
}
