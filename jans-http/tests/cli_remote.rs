//! The CLI through the config API (issue 14 item 5): while `jans serve` holds the data
//! directory (the embedded database admits one process), `jans client|user|scope|config`
//! ask the server instead, as its admin client; with `--url` and a token they ask any
//! server. What they print is what they print on the data directory itself: the lists
//! read both ways, before and after the server stops, are the same.

mod common;

use common::*;
use serde_json::Value;

fn ok(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn json_of(out: std::process::Output) -> Value {
    serde_json::from_str(&ok(out)).unwrap()
}

/// `config show` without what only the direct path shows (the pairwise secrets, which
/// the API redacts).
fn comparable(mut config: Value) -> Value {
    let m = config.as_object_mut().unwrap();
    m.remove("pairwiseCalculationKey");
    m.remove("pairwiseCalculationSalt");
    config
}

#[test]
fn commands_work_while_the_server_runs_and_print_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let (server, base) = start(&data, &[]);
    // A newcomer's second terminal: the data directory is the server's now.
    let added = json_of(jans(
        &data,
        &[
            "client",
            "add",
            "--name",
            "billing",
            "--grant-type",
            "client_credentials",
            "--scope",
            "openid profile",
        ],
    ));
    let id = added["client_id"].as_str().unwrap().to_owned();
    let secret = added["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(added["scope"], "openid profile", "{added}");
    assert_eq!(added["client_secret_expires_at"], 0);
    // It is the server's client at once: its secret gets a token there.
    let r = client()
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let shown = json_of(jans(&data, &["client", "show", &id]));
    assert_eq!(shown["client_name"], "billing");
    assert!(shown.get("client_secret").is_none());
    let out = jans(&data, &["client", "show", "nobody"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no client nobody"));

    // People.
    let bob = json_of(jans_stdin(
        &data,
        &[
            "user",
            "add",
            "--username",
            "bob",
            "--email",
            "bob@example.com",
            "--given-name",
            "Bob",
            "--family-name",
            "Builder",
            "--name",
            "Bob B",
            "--password-stdin",
        ],
        "correct horse battery\n",
    ));
    assert_eq!(bob["uid"], "bob");
    assert_eq!(bob["family_name"], "Builder");
    assert!(bob.get("password_hash").is_none());
    ok(jans_stdin(
        &data,
        &["user", "passwd", "bob", "--password-stdin"],
        "another good password\n",
    ));
    assert!(ok(jans(&data, &["user", "disable", "bob"])).contains("bob is now inactive"));
    let out = jans_stdin(
        &data,
        &[
            "user",
            "add",
            "--username",
            "bob",
            "--email",
            "b@x.org",
            "--given-name",
            "B",
            "--name",
            "B",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));

    // Scopes.
    let scope_file = dir.path().join("scope.json");
    std::fs::write(&scope_file, r#"{"id": "billing.read", "inum": "B111", "scopeType": "oauth", "description": "Read bills"}"#).unwrap();
    assert!(
        ok(jans(
            &data,
            &["scope", "put", "--json", scope_file.to_str().unwrap()]
        ))
        .contains("added scope billing.read")
    );
    std::fs::write(&scope_file, r#"{"id": "billing.read", "inum": "B111", "scopeType": "oauth", "description": "Read the bills"}"#).unwrap();
    assert!(
        ok(jans(
            &data,
            &["scope", "put", "--json", scope_file.to_str().unwrap()]
        ))
        .contains("replaced scope billing.read")
    );

    // The configuration: changed on the running server at once.
    let config = json_of(jans(&data, &["config", "set", "accessTokenLifetime=777"]));
    assert_eq!(config["accessTokenLifetime"], 777);
    let r = client()
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap();
    assert_eq!(r.json::<Value>().unwrap()["expires_in"], 777);
    let bad = jans(&data, &["config", "set", "accessTokenLifetime=0"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("accessTokenLifetime"));

    // Another server by --url, with a token of its own (read from the environment).
    let admin: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("admin-client.json")).unwrap())
            .unwrap();
    let token: Value = client()
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(
            admin["client_id"].as_str().unwrap(),
            admin["client_secret"].as_str(),
        )
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap()
        .json()
        .unwrap();
    let elsewhere = dir.path().join("elsewhere");
    let by_url = ok(jans_cmd(&elsewhere)
        .args(["--url", &base, "client", "show", &id])
        .env("JANS_TOKEN", token["access_token"].as_str().unwrap())
        .output()
        .unwrap());
    assert!(by_url.contains("billing"));
    assert!(!elsewhere.exists(), "--url opened no data directory");

    // Keys: rotated by the server now.
    let before = json_of(jans(&data, &["keys", "list"]));
    let rotated = jans(&data, &["keys", "rotate"]);
    assert!(ok(rotated).contains("\"active\""));
    let after = json_of(jans(&data, &["keys", "list"]));
    assert_ne!(before, after);

    // What the commands print through the server...
    let lists: Vec<Value> = [
        vec!["client", "list"],
        vec!["user", "list"],
        vec!["scope", "list"],
        vec!["config", "show"],
        vec!["keys", "list"],
    ]
    .iter()
    .map(|args| json_of(jans(&data, args)))
    .collect();
    assert!(
        ok(jans(&data, &["scope", "remove", "billing.read"]))
            .contains("removed scope billing.read")
    );
    assert!(ok(jans(&data, &["client", "remove", &id])).contains(&format!("removed {id}")));
    // Killed, it leaves its server.json behind: the commands open the data directory all
    // the same, since nothing holds it.
    drop(server);
    assert!(data.join("server.json").exists());
    // ... is what they print on the data directory (the removals aside).
    let mut clients = json_of(jans(&data, &["client", "list"]));
    let mut scopes = json_of(jans(&data, &["scope", "list"]));
    let remote_clients: Vec<Value> = lists[0]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["client_id"] != id.as_str())
        .cloned()
        .collect();
    let remote_scopes: Vec<Value> = lists[2]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["id"] != "billing.read")
        .cloned()
        .collect();
    assert_eq!(clients.as_array_mut().unwrap(), &remote_clients);
    assert_eq!(scopes.as_array_mut().unwrap(), &remote_scopes);
    assert_eq!(json_of(jans(&data, &["user", "list"])), lists[1]);
    assert_eq!(json_of(jans(&data, &["keys", "list"])), lists[4]);
    assert_eq!(
        comparable(json_of(jans(&data, &["config", "show"]))),
        comparable(lists[3].clone())
    );
    // The changes were the server's: on its store, with the new password.
    let users = json_of(jans(&data, &["user", "list"]));
    assert_eq!(users[0]["status"], "inactive");

    // A server stopped by a signal withdraws its address.
    let (mut server, _) = start(&data, &[]);
    assert!(data.join("server.json").exists());
    let pid = server.0.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    assert!(server.0.wait().unwrap().success());
    assert!(
        !data.join("server.json").exists(),
        "server.json left behind"
    );
}
