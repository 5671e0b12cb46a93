//! End to end over real sockets: the `jans` binary (CLI and `serve`) and the router
//! mounted in-process, driven with an ordinary HTTP client.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn cli_and_server_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Commands that need an initialized directory say so.
    let out = jans(&data, &["client", "list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not initialized"));

    let out = jans(&data, &["init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let admin_path = data.join("admin-client.json");
    assert!(String::from_utf8_lossy(&out.stdout).contains(admin_path.to_str().unwrap()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&admin_path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let mode = std::fs::metadata(data.join("master.key"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }
    let admin: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&admin_path).unwrap()).unwrap();
    let admin_id = admin["client_id"].as_str().unwrap().to_owned();
    let admin_secret = admin["client_secret"].as_str().unwrap().to_owned();
    // init is idempotent.
    let out = jans(&data, &["init"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("already initialized"));

    // client add with flags and with a JSON file.
    let out = jans(
        &data,
        &[
            "client",
            "add",
            "--name",
            "svc",
            "--scope",
            "read write",
            "--access-token-as-jwt",
            "--access-token-signing-alg",
            "ES256",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let jwt_client: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(jwt_client["client_name"], "svc");
    assert!(jwt_client["client_secret"].as_str().unwrap().len() >= 43);
    let meta = dir.path().join("c.json");
    std::fs::write(
        &meta,
        r#"{"client_name":"post","token_endpoint_auth_method":"client_secret_post"}"#,
    )
    .unwrap();
    let out = jans(&data, &["client", "add", "--json", meta.to_str().unwrap()]);
    assert!(out.status.success());
    let post_client: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Invalid metadata is refused with a reason.
    let out = jans(&data, &["client", "add", "--auth-method", "magic"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid_client_metadata"));
    // list / show never print secrets.
    let out = jans(&data, &["client", "list"]);
    let list = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(list.contains(&admin_id) && !list.contains(&admin_secret));
    assert!(!list.contains("client_secret_sealed"));
    let out = jans(
        &data,
        &["client", "show", post_client["client_id"].as_str().unwrap()],
    );
    assert!(out.status.success());
    // keys list shows active and next keys.
    let out = jans(&data, &["keys", "list"]);
    let keys: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .any(|k| k["status"] == "active" && k["alg"] == "ES256")
    );
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .any(|k| k["status"] == "next")
    );

    let (server, base) = start(&data, &[]);
    // While the server runs, the data directory is held: the commands the config API
    // serves ask the server (below, and jans-http/tests/cli_remote.rs), the others say so
    // clearly.
    let out = jans(&data, &["cleanup"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("in use by a running `jans serve`"));

    let http = client();
    let ready = http.get(format!("{base}/health/ready")).send().unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        http.get(format!("{base}/health/live"))
            .send()
            .unwrap()
            .status(),
        200
    );
    let disc: serde_json::Value = http
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    // The issuer is derived from the loopback listener.
    let port = base.rsplit(':').next().unwrap();
    assert_eq!(disc["issuer"], format!("http://localhost:{port}"));

    // client_credentials with Basic → JWT access token, introspect, revoke.
    let id = jwt_client["client_id"].as_str().unwrap();
    let secret = jwt_client["client_secret"].as_str().unwrap();
    let r = http
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("scope", "read")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.headers().contains_key("x-request-id"));
    let tok: serde_json::Value = r.json().unwrap();
    let at = tok["access_token"].as_str().unwrap();
    assert_eq!(at.split('.').count(), 3);
    let active = |token: &str| -> serde_json::Value {
        let i: serde_json::Value = http
            .post(format!("{base}/jans-auth/restv1/introspection"))
            .basic_auth(&admin_id, Some(&admin_secret))
            .form(&[("token", token)])
            .send()
            .unwrap()
            .json()
            .unwrap();
        i["active"].clone()
    };
    assert_eq!(active(at), true);
    let r = http
        .post(format!("{base}/jans-auth/restv1/revoke"))
        .basic_auth(id, Some(secret))
        .form(&[("token", at)])
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(active(at), false);

    // Bad input over the wire: protocol errors, never 5xx.
    let r = http
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(
        r.json::<serde_json::Value>().unwrap()["error"],
        "invalid_client"
    );
    // The server refuses an oversized body without reading it and drops the connection,
    // so this request gets a connection of its own (a pooled one could be reused too early).
    let unpooled = reqwest::blocking::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let r = unpooled
        .post(format!("{base}/jans-auth/restv1/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 200 * 1024])
        .send()
        .unwrap();
    assert_eq!(r.status(), 413, "oversized body");
    let r = http
        .post(format!("{base}/jans-auth/restv1/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(&b"grant_type=%ff%fe"[..])
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().unwrap()["error"],
        "invalid_request"
    );
    let r = http
        .post(format!("{base}/jans-auth/restv1/token?x=%zz"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .unwrap();
    assert!(r.status().is_client_error());
    let r = http
        .get(format!("{base}/jans-auth/restv1/nothing"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .get(format!("{base}/jans-auth/restv1/jwks/archived/unknown-kid"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    let jwks: serde_json::Value = http
        .get(format!("{base}/jans-auth/restv1/jwks"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(jwks["keys"].as_array().unwrap().len() >= 2);
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("d").is_none())
    );

    // Metrics count requests by endpoint and tokens by grant.
    let m = http
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        m.contains("jans_tokens_issued_total{grant_type=\"client_credentials\"} 1"),
        "{m}"
    );
    assert!(m.contains("jans_http_requests_total{endpoint=\"token\",status=\"4xx\"}"));
    assert!(m.contains("jans_http_request_duration_seconds_bucket{endpoint=\"token\""));
    assert!(jans(&data, &["client", "list"]).status.success());

    // Graceful stop on SIGTERM, then the directory is free again.
    let pid = server.0.id();
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(st) = server.0.try_wait().unwrap() {
            assert!(st.success(), "clean exit on SIGTERM");
            break;
        }
        assert!(Instant::now() < deadline, "no exit after SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = jans(&data, &["keys", "rotate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let keys: serde_json::Value =
        serde_json::from_slice(&out.stdout[out.stdout.iter().position(|b| *b == b'[').unwrap()..])
            .unwrap();
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .any(|k| k["status"] == "retired")
    );
    let out = jans(&data, &["cleanup"]);
    assert!(out.status.success());
    let out = jans(
        &data,
        &[
            "client",
            "remove",
            post_client["client_id"].as_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let out = jans(&data, &["client", "remove", "nope"]);
    assert!(!out.status.success());
}

#[test]
fn bad_configuration_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("jans.toml");
    std::fs::write(&cfg, "accessTokenLifetime = 0\n").unwrap();
    let out = Command::new(JANS)
        .arg("--data-dir")
        .arg(dir.path().join("d"))
        .arg("--config")
        .arg(&cfg)
        .arg("init")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("accessTokenLifetime"));
    let out = Command::new(JANS)
        .arg("--data-dir")
        .arg(dir.path().join("d"))
        .arg("init")
        .env("JANS_REFRESH_TOKEN_LIFETIME", "soon")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refreshTokenLifetime"));
}

#[test]
fn tls_serving() {
    // A certificate for localhost from a test CA (common::pki, made with openssl).
    let dir = tempfile::tempdir().unwrap();
    common::pki::certificates(dir.path());
    let cert = dir.path().join("server.pem");
    let key = dir.path().join("server.key");
    let data = dir.path().join("data");
    let (_server, base) = start(
        &data,
        &[
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--issuer",
            "https://localhost",
        ],
    );
    let port = base.rsplit(':').next().unwrap();
    let pem = std::fs::read(dir.path().join("ca.pem")).unwrap();
    let http = reqwest::blocking::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .resolve("localhost", format!("127.0.0.1:{port}").parse().unwrap())
        .build()
        .unwrap();
    let r = http
        .get(format!(
            "https://localhost:{port}/.well-known/openid-configuration"
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("strict-transport-security"));
    assert_eq!(
        r.json::<serde_json::Value>().unwrap()["issuer"],
        "https://localhost"
    );
}

#[test]
fn user_commands() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let add = [
        "user",
        "add",
        "--username",
        "alice",
        "--email",
        "alice@example.com",
        "--given-name",
        "Alice",
        "--family-name",
        "Liddell",
        "--password-stdin",
    ];
    let out = jans_stdin(&data, &add, "correct horse battery\n");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let user: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(user["uid"], "alice");
    assert_eq!(user["mail"], "alice@example.com");
    assert!(user.get("password_hash").is_none());
    // Duplicate names, weak passwords and a missing --password-stdin are refused.
    let out = jans_stdin(&data, &add, "another good one\n");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = jans_stdin(
        &data,
        &["user", "add", "--username", "bob", "--password-stdin"],
        "short\n",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("password"));
    let out = jans(&data, &["user", "add", "--username", "bob"]);
    assert!(!out.status.success());
    // list never shows hashes.
    let out = jans(&data, &["user", "list"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("alice") && !text.contains("argon2") && !text.contains("password"));
    let out = jans_stdin(
        &data,
        &["user", "passwd", "alice", "--password-stdin"],
        "a brand new password\n",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = jans_stdin(
        &data,
        &["user", "passwd", "nobody", "--password-stdin"],
        "a brand new password\n",
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user named nobody"));
    let out = jans(&data, &["user", "disable", "alice"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("inactive"));
    let out = jans(&data, &["user", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"inactive\""));
    let out = jans(&data, &["user", "enable", "alice"]);
    assert!(out.status.success());
}

/// The value of `name="..." value="..."` in a page.
#[test]
fn browser_code_flow_through_the_pages() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let out = jans_stdin(
        &data,
        &[
            "user",
            "add",
            "--username",
            "alice",
            "--given-name",
            "Alice",
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    assert!(out.status.success());
    let cb = "http://localhost:9/cb";
    let out = jans(
        &data,
        &[
            "client",
            "add",
            "--name",
            "Demo RP",
            "--redirect-uri",
            cb,
            "--scope",
            "profile",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rp: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rp["grant_types"], serde_json::json!(["authorization_code"]));
    assert_eq!(rp["response_types"], serde_json::json!(["code"]));
    let (id, secret) = (
        rp["client_id"].as_str().unwrap(),
        rp["client_secret"].as_str().unwrap(),
    );
    let (_server, base) = start(&data, &[]);
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let authorize_url = format!(
        "{base}/jans-auth/restv1/authorize?response_type=code&client_id={id}&redirect_uri={}\
         &scope=openid%20profile&state=xyz&nonce=n1\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256",
        "http%3A%2F%2Flocalhost%3A9%2Fcb"
    );
    let r = http.get(&authorize_url).send().unwrap();
    assert_eq!(r.status(), 302);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    let port = base.rsplit(':').next().unwrap();
    let issuer = format!("http://localhost:{port}");
    assert!(
        to.starts_with(&format!("{issuer}/jans-auth/interaction?interaction=")),
        "{to}"
    );
    let page_url = to.replacen(&issuer, &base, 1);
    // The login page.
    let r = http.get(&page_url).send().unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"));
    let html = r.text().unwrap();
    assert!(html.contains("Demo RP"));
    let (interaction, csrf) = (form_value(&html, "interaction"), form_value(&html, "csrf"));
    let post = |form: &[(&str, &str)], cookie: Option<&str>| {
        let mut b = http
            .post(format!("{base}/jans-auth/interaction"))
            .form(form);
        if let Some(c) = cookie {
            b = b.header("cookie", format!("session_id={c}"));
        }
        b.send().unwrap()
    };
    // Wrong password: the form again, with the error.
    let r = post(
        &[
            ("interaction", &interaction),
            ("csrf", &csrf),
            ("action", "login"),
            ("username", "alice"),
            ("password", "nope nope"),
        ],
        None,
    );
    assert_eq!(r.status(), 401);
    assert!(r.text().unwrap().contains("4 attempts left"));
    // A forged CSRF token is refused.
    let r = post(
        &[
            ("interaction", &interaction),
            ("csrf", "forged"),
            ("action", "login"),
            ("username", "alice"),
            ("password", "correct horse battery"),
        ],
        None,
    );
    assert_eq!(r.status(), 400);
    let r = post(
        &[
            ("interaction", &interaction),
            ("csrf", &csrf),
            ("action", "login"),
            ("username", "alice"),
            ("password", "correct horse battery"),
        ],
        None,
    );
    assert_eq!(r.status(), 302);
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"));
    assert!(!set_cookie.contains("Secure"), "plain-http localhost dev");
    let cookie = set_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("session_id=")
        .to_owned();
    let sessions_list = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("jans_sessions="))
        .map(|v| v.split(';').next().unwrap().to_owned())
        .expect("the browser's session list");
    assert_eq!(sessions_list, cookie);
    let consent_url = r.headers()["location"]
        .to_str()
        .unwrap()
        .replacen(&issuer, &base, 1);
    let html = http.get(&consent_url).send().unwrap().text().unwrap();
    assert!(html.contains("Allow access?") && html.contains("see your name and profile"));
    let r = post(
        &[
            ("interaction", &form_value(&html, "interaction")),
            ("csrf", &form_value(&html, "csrf")),
            ("action", "allow"),
            ("remember", "1"),
        ],
        Some(&cookie),
    );
    assert_eq!(r.status(), 302);
    let back = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with(cb), "{back}");
    assert_eq!(query_value(&back, "state").as_deref(), Some("xyz"));
    assert_eq!(query_value(&back, "iss").as_deref(), Some(issuer.as_str()));
    let code = query_value(&back, "code").unwrap();
    let tok: serde_json::Value = http
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", cb),
            ("code_verifier", verifier),
        ])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        tok["id_token"].as_str().unwrap().split('.').count() == 3,
        "{tok}"
    );
    // Same browser again: session and remembered consent give a code at once.
    let r = http
        .get(&authorize_url)
        .header("cookie", format!("session_id={cookie}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().starts_with(cb));
    // Errors that cannot go back to the client are shown as a page.
    let r = http
        .get(format!(
            "{base}/jans-auth/restv1/authorize?response_type=code&client_id=nope&redirect_uri=x"
        ))
        .send()
        .unwrap();
    assert_error_page(r, "invalid_request");
    // So are requests the host refuses before the engine sees them (a repeated header).
    let r = http
        .get(&authorize_url)
        .header("accept", "text/html")
        .header("accept", "application/json")
        .send()
        .unwrap();
    assert_error_page(r, "repeated accept header");
    // The account chooser lists the browser's signed-in accounts.
    let both = format!("session_id={cookie}; jans_sessions={sessions_list}");
    let r = http
        .get(format!("{authorize_url}&prompt=select_account"))
        .header("cookie", &both)
        .send()
        .unwrap();
    let chooser = r.headers()["location"]
        .to_str()
        .unwrap()
        .replacen(&issuer, &base, 1);
    let html = http
        .get(&chooser)
        .header("cookie", &both)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        html.contains("Choose an account") && html.contains("Alice · alice"),
        "{html}"
    );
    let r = http
        .post(format!("{base}/jans-auth/interaction"))
        .header("cookie", &both)
        .form(&[
            ("interaction", form_value(&html, "interaction").as_str()),
            ("csrf", form_value(&html, "csrf").as_str()),
            ("action", "select"),
            ("account", "0"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().starts_with(cb));
    // Logout without a hint: the confirmation page, then the signed-out page.
    let r = http
        .get(format!("{base}/jans-auth/restv1/end_session"))
        .header("cookie", format!("session_id={cookie}"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    let confirm_url = r.headers()["location"]
        .to_str()
        .unwrap()
        .replacen(&issuer, &base, 1);
    let html = http.get(&confirm_url).send().unwrap().text().unwrap();
    assert!(html.contains("Sign out?"));
    let r = http
        .post(format!("{base}/jans-auth/logout"))
        .header("cookie", format!("session_id={cookie}"))
        .form(&[
            ("logout", form_value(&html, "logout").as_str()),
            ("csrf", form_value(&html, "csrf").as_str()),
            ("action", "logout"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let done = r.headers()["location"]
        .to_str()
        .unwrap()
        .replacen(&issuer, &base, 1);
    assert!(
        http.get(&done)
            .send()
            .unwrap()
            .text()
            .unwrap()
            .contains("You are signed out")
    );
    let r = http
        .get(format!("{authorize_url}&prompt=none"))
        .header("cookie", format!("session_id={cookie}"))
        .send()
        .unwrap();
    assert!(
        r.headers()["location"]
            .to_str()
            .unwrap()
            .contains("error=login_required")
    );
    let css = http
        .get(format!("{base}/jans-auth/static/jans.css"))
        .send()
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

/// A credential id is base64url, so one in 64 begins with `-`: the CLI takes it as the id,
/// not as a flag (`-h` would print the help and succeed, removing nothing).
#[test]
fn a_credential_id_may_begin_with_a_dash() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    for args in [
        &["fido2", "remove", "nobody", "-haCY-aL7AhX"][..],
        &["fido2", "rename", "nobody", "-haCY-aL7AhX", "name"][..],
    ] {
        let out = jans(&data, args);
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
        assert!(stderr.contains("nobody"), "{args:?}: {stderr}");
    }
}

#[test]
fn components_expose_only_their_routes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let out = jans(
        &data,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--components",
            "auth,oauth",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("unknown component \"oauth\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A SCIM-only node: no auth-server routes, health and metrics still there.
    let (_scim, base) = start(&data, &["--components", "scim"]);
    let http = client();
    let r = http
        .get(format!("{base}/.well-known/openid-configuration"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<serde_json::Value>().unwrap()["error"], "not_found");
    for path in ["/jans-auth/restv1/token", "/jans-auth/interaction"] {
        assert_eq!(
            http.post(format!("{base}{path}")).send().unwrap().status(),
            404,
            "{path}"
        );
    }
    assert_eq!(
        http.get(format!("{base}/health/ready"))
            .send()
            .unwrap()
            .status(),
        200
    );
    // It serves SCIM discovery, in SCIM's media type, with URLs at its issuer (derived from
    // --listen: localhost).
    let issuer = base.replace("127.0.0.1", "localhost");
    let r = http
        .get(format!("{base}/jans-scim/restv1/v2/ServiceProviderConfig"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/scim+json");
    let spc: serde_json::Value = r.json().unwrap();
    assert_eq!(
        spc["meta"]["location"],
        format!("{issuer}/jans-scim/restv1/v2/ServiceProviderConfig")
    );
    let schema = http
        .get(format!(
            "{base}/jans-scim/restv1/v2/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group"
        ))
        .send()
        .unwrap();
    assert_eq!(schema.status(), 200);
    assert_eq!(schema.json::<serde_json::Value>().unwrap()["name"], "Group");
    let directory: serde_json::Value = http
        .get(format!("{base}/.well-known/scim-configuration"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        directory[0]["user_endpoint"],
        format!("{issuer}/jans-scim/restv1/v2/Users")
    );
    // Under the SCIM root, what is not served answers in SCIM's error form.
    for path in [
        "/jans-scim/restv1/v2/Nope",
        "/jans-scim/restv1/v2/Schemas/urn:x",
    ] {
        let r = http.get(format!("{base}{path}")).send().unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.headers()["content-type"], "application/scim+json");
        let e: serde_json::Value = r.json().unwrap();
        assert_eq!(e["status"], "404", "{path}");
        assert_eq!(
            e["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
    }
    drop(_scim);
    // auth alone serves the auth-server, and no SCIM.
    let (_auth, base) = start(&data, &["--components", "auth"]);
    assert_eq!(
        http.get(format!("{base}/.well-known/openid-configuration"))
            .send()
            .unwrap()
            .status(),
        200
    );
    for path in [
        "/jans-scim/restv1/v2/ServiceProviderConfig",
        "/.well-known/scim-configuration",
    ] {
        let r = http.get(format!("{base}{path}")).send().unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    // UMA is served with the auth-server, and off by default (Janssen's `uma` feature
    // flag): its paths answer UMA's own 404, which says why.
    for path in [
        "/.well-known/uma2-configuration",
        "/jans-auth/restv1/host/rsrc/resource_set/r-1",
    ] {
        let r = http.get(format!("{base}{path}")).send().unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let e: serde_json::Value = r.json().unwrap();
        assert_eq!(e["error"], "not_found", "{path}");
        assert!(
            e["error_description"]
                .as_str()
                .unwrap_or_default()
                .contains("UMA is not enabled"),
            "{path}: {e}"
        );
    }
}

/// The config API (issue 14) over HTTP: its health endpoints on an all-in-one node, the
/// admin client `init` made reading with the super scope, Janssen's `ApiError` form under
/// its root, and nothing of it on a node that does not serve it.
#[test]
fn config_api_serves_health_to_the_admin_client() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let admin: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("admin-client.json")).unwrap())
            .unwrap();
    let (_all, base) = start(&data, &[]);
    let http = client();
    let api = format!("{base}/jans-config-api/api/v1");
    let live: serde_json::Value = http
        .get(format!("{api}/health/live"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(live["status"], "UP");
    let r = http
        .get(format!("{api}/health/app-version"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Bearer realm=\"jans-config-api\""
    );
    let token = http
        .post(format!("{base}/jans-auth/restv1/token"))
        .basic_auth(
            admin["client_id"].as_str().unwrap(),
            admin["client_secret"].as_str(),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "https://jans.io/oauth/config/read-all"),
        ])
        .send()
        .unwrap()
        .json::<serde_json::Value>()
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = http
        .get(format!("{api}/health/app-version"))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().unwrap()["version"],
        env!("CARGO_PKG_VERSION")
    );
    let r = http.get(format!("{api}/nope")).send().unwrap();
    assert_eq!(r.status(), 404);
    let e: serde_json::Value = r.json().unwrap();
    assert_eq!(
        (e["code"].as_str(), e["message"].as_str()),
        (Some("404"), Some("Not Found"))
    );
    drop(_all);
    let (_auth, base) = start(&data, &["--components", "auth"]);
    let r = http
        .get(format!("{base}/jans-config-api/api/v1/health/live"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.json::<serde_json::Value>().unwrap()["code"], "404");
}

#[test]
fn healthcheck_command() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let (server, base) = start_cmd(jans_cmd(&data), port, &[]);
    // From JANS_LISTEN, as in the container image (a wildcard host is asked on loopback).
    let out = Command::new(JANS)
        .arg("healthcheck")
        .env("JANS_LISTEN", format!("0.0.0.0:{port}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(&format!("http://127.0.0.1:{port}/health/ready: 200")),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // An explicit URL; one that does not answer 200 fails with the status.
    let ok = Command::new(JANS)
        .args(["healthcheck", "--url", &format!("{base}/health/ready")])
        .output()
        .unwrap();
    assert!(ok.status.success());
    let missing = Command::new(JANS)
        .args(["healthcheck", "--url", &format!("{base}/no-such-path")])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("404"),
        "{}",
        String::from_utf8_lossy(&missing.stderr)
    );
    drop(server);
    // Nothing listening: exit status 1 and the reason, well within the timeout.
    let started = Instant::now();
    let out = Command::new(JANS)
        .args(["healthcheck", "--listen", &format!("127.0.0.1:{port}")])
        .env_remove("JANS_LISTEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("http://127.0.0.1:{port}/health/ready"))
            && stderr.to_lowercase().contains("connect"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// `jans migrate` writes the master key every node needs: never silently into the working
/// directory (issue 10 item 10). Without JANS_MASTER_KEY or a named data directory it
/// refuses and says what to do; with a data directory it says where the key went.
#[test]
fn migrate_says_where_the_master_key_goes() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(JANS)
            .current_dir(dir.path())
            .env_remove("JANS_DATA_DIR")
            .env_remove("JANS_MASTER_KEY")
            .env_remove("JANS_PERSISTENCE_TYPE")
            .env_remove("JANS_DATABASE_URL")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["migrate"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("JANS_MASTER_KEY") && said.contains("--data-dir"),
        "{said}"
    );
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "nothing was written in the working directory"
    );
    let out = run(&["--data-dir", "keys-here", "migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("master key written to keys-here/master.key"),
        "{said}"
    );
    assert!(dir.path().join("keys-here/master.key").exists());
}

/// The engine hands its configuration's address policy to every fetch (issue 10 item 5):
/// with the default `outboundBlockPrivateIp`, a client's `jwks_uri` or
/// `sector_identifier_uri` on a private address is never contacted, and the protocol says
/// why (invalid_client, invalid_client_metadata).
#[test]
fn private_addresses_are_not_fetched_by_default() {
    use base64::Engine as _;
    use std::io::{Read, Write};
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let doc = format!(
        "http://127.0.0.1:{}/doc",
        listener.local_addr().unwrap().port()
    );
    let seen = hits.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = conn.read(&mut [0; 4096]);
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{\"keys\":[]}",
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    let out = jans(
        &data,
        &[
            "client",
            "add",
            "--name",
            "keys elsewhere",
            "--auth-method",
            "private_key_jwt",
            "--auth-signing-alg",
            "ES256",
            "--jwks-uri",
            &doc,
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = c["client_id"].as_str().unwrap();
    let (_server, base) = start(&data, &[]);
    let issuer = format!("http://localhost:{}", base.rsplit(':').next().unwrap());
    let b64 = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let assertion = format!(
        "{}.{}.{}",
        b64(&serde_json::json!({"alg": "ES256", "kid": "k1"})),
        b64(
            &serde_json::json!({"iss": id, "sub": id, "jti": "j1", "exp": now + 60,
                                "aud": format!("{issuer}/jans-auth/restv1/token")})
        ),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode([0u8; 64])
    );
    let r = client()
        .post(format!("{base}/jans-auth/restv1/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &assertion),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<serde_json::Value>().unwrap()["error"],
        "invalid_client"
    );
    let r = client()
        .post(format!("{base}/jans-auth/restv1/register"))
        .json(
            &serde_json::json!({"redirect_uris": ["https://rp.example.com/cb"],
                                  "sector_identifier_uri": doc.replace("http:", "https:")}),
        )
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().unwrap()["error"],
        "invalid_client_metadata"
    );
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the private address was never contacted"
    );
}

/// The login page under the per-user brute-force protection: once the allowance is spent,
/// the page answers 429 with `Retry-After` and the time to wait, without checking the
/// password (the right one included) — the engine decides, the host does not sleep.
#[test]
fn login_page_refuses_guesses_beyond_the_allowance() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (id, _) = init_with_alice(
        &data,
        &serde_json::json!({"client_name": "RP", "redirect_uris": ["http://localhost:9/cb"]}),
    );
    let (_server, base) = start(&data, &[]);
    let issuer = format!("http://localhost:{}", base.rsplit(':').next().unwrap());
    let http = no_redirects();
    let attempt = |password: &str| {
        submit_login(
            &http,
            &base,
            &issuer,
            &authorize_url(&base, &id, "openid", ""),
            "alice",
            password,
        )
    };
    // Janssen's defaults: four attempts, then one more that starts the 2-second delay.
    for _ in 0..5 {
        assert_eq!(attempt("wrong password").status(), 401);
    }
    let r = attempt("correct horse battery");
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    assert!(r.text().unwrap().contains("Try again in"));
    // After the delay the right password signs in.
    std::thread::sleep(Duration::from_secs(wait + 1));
    assert_eq!(attempt("correct horse battery").status(), 302);
}

/// A 400 error page (HTML) that says `what`.
fn assert_error_page(r: reqwest::blocking::Response, what: &str) {
    assert_eq!(r.status(), 400);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().unwrap();
    assert!(html.contains(what), "{html}");
}

/// FIDO metadata as `jans serve` loads it: roots, a BLOB and an authenticator root from
/// the configured folders at the start, then a BLOB fetched from `metadataServers` (with
/// the CRLs its chain names) by the background tick; Janssen's health report says which.
#[test]
fn fido2_metadata_from_folders_and_from_a_url() {
    use jans_core::testing::SeededRandom;
    use jans_core::testing::pki::{self, Spec};
    use std::io::{Read, Write};
    use std::sync::{Arc, Mutex};

    let provider = jans_core::crypto::default_provider();
    let rng = SeededRandom::new(12);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let from = now - 86_400;
    let issue = |spec: &Spec, by: Option<&pki::Issued>| {
        pki::issue(spec, by, provider.as_ref(), &rng).unwrap()
    };

    // A loopback server for the BLOB and the CRLs.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let docs: Arc<Mutex<std::collections::HashMap<String, Vec<u8>>>> = Arc::default();
    let served = docs.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut buf = [0; 4096];
            let n = conn.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let body = served.lock().unwrap().get(&path).cloned();
            let reply = match body {
                Some(b) => [
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                        b.len()
                    )
                    .into_bytes(),
                    b,
                ]
                .concat(),
                None => b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    .to_vec(),
            };
            let _ = conn.write_all(&reply);
        }
    });

    let root = issue(&Spec::new("E2E MDS Root", 1, from, true), None);
    let mut spec = Spec::new("E2E MDS CA", 2, from, true);
    spec.crl_url = Some(format!("{base}/root.crl"));
    let ca = issue(&spec, Some(&root));
    let mut spec = Spec::new("E2E MDS signer", 3, from, false);
    spec.crl_url = Some(format!("{base}/ca.crl"));
    let signer = issue(&spec, Some(&ca));
    let payload = |no: u64, aaguid: &str| {
        serde_json::json!({"no": no, "nextUpdate": "2099-01-01", "entries": [
            {"aaguid": aaguid, "metadataStatement": {"description": format!("Key {no}"),
             "aaguid": aaguid, "attestationTypes": ["basic_full"]}, "statusReports": []}]})
    };
    let blob =
        |no, aaguid| pki::blob(&payload(no, aaguid), &signer, &[&signer, &ca], &rng).unwrap();
    docs.lock().unwrap().extend([
        (
            "/blob".to_owned(),
            blob(2, "22222222-2222-2222-2222-222222222222"),
        ),
        (
            "/root.crl".to_owned(),
            pki::crl(&root, &[], from, now + 86_400, &rng).unwrap(),
        ),
        (
            "/ca.crl".to_owned(),
            pki::crl(&ca, &[], from, now + 86_400, &rng).unwrap(),
        ),
    ]);

    let dir = tempfile::tempdir().unwrap();
    let folder = |name: &str, files: &[(&str, Vec<u8>)]| {
        let d = dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (f, b) in files {
            std::fs::write(d.join(f), b).unwrap();
        }
        d.display().to_string()
    };
    let toc = folder(
        "toc",
        &[("1.jwt", blob(1, "11111111-1111-1111-1111-111111111111"))],
    );
    let certs = folder("cert", &[("root.pem", pki::pem(&root.der).into_bytes())]);
    let vendor = issue(&Spec::new("Vendor Root", 9, from, true), None);
    let authn = folder(
        "authn",
        &[("vendor.pem", pki::pem(&vendor.der).into_bytes())],
    );
    let cfg = dir.path().join("jans.toml");
    std::fs::write(
        &cfg,
        format!(
            "cleanServiceInterval = 1\noutboundBlockPrivateIp = false\n\n\
             [fido2Configuration]\nattestationMode = \"enforced\"\n\
             mdsTocsFolder = {toc:?}\nmdsCertsFolder = {certs:?}\nauthenticatorCertsFolder = {authn:?}\n\
             metadataServers = [{{ url = \"{base}/blob\" }}]\n"
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let mut init = jans_cmd(&data);
    init.arg("--config").arg(&cfg).arg("init");
    assert!(init.output().unwrap().status.success());
    let mut cmd = jans_cmd(&data);
    cmd.arg("--config").arg(&cfg);
    let (_server, url) = start_cmd(cmd, free_port(), &[]);
    let health = || {
        let r = client()
            .get(format!("{url}/jans-fido2/restv1/trust/mds/health"))
            .send()
            .unwrap();
        (r.status().as_u16(), r.json::<serde_json::Value>().unwrap())
    };
    // The folder's BLOB from the start; the URL's within a few ticks.
    let deadline = Instant::now() + Duration::from_secs(20);
    let body = loop {
        let (status, body) = health();
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "UP");
        if body["blobs"].as_array().unwrap().len() == 2 {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "the URL's BLOB was not fetched: {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let sources: Vec<(&str, u64)> = body["blobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["source"].as_str().unwrap(), b["no"].as_u64().unwrap()))
        .collect();
    assert!(sources.contains(&("folder", 1)), "{body}");
    assert!(
        sources.contains(&(format!("{base}/blob").as_str(), 2)),
        "{body}"
    );
    assert_eq!(body["tocEntryCount"], 2);
    assert!(body["lastSuccessfulRefresh"].is_string());
    let r = client()
        .get(format!("{url}/jans-fido2/restv1/trust/attestation/config"))
        .send()
        .unwrap();
    assert_eq!(
        r.json::<serde_json::Value>().unwrap()["attestationMode"],
        "enforced"
    );
}

/// SCIM over HTTP with the admin client `init` made (issue 13 item 9): it may ask for the
/// SCIM scopes, and its token reads the users the CLI added.
#[test]
fn scim_users_with_the_admin_client() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    assert!(jans(&data, &["init"]).status.success());
    for name in ["alice", "bob"] {
        let out = jans_stdin(
            &data,
            &["user", "add", "--username", name, "--password-stdin"],
            "correct horse battery\n",
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let admin: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("admin-client.json")).unwrap())
            .unwrap();
    let (_server, base) = start(&data, &[]);
    let http = client();
    let token = |scope: &str| -> String {
        let r = http
            .post(format!("{base}/jans-auth/restv1/token"))
            .basic_auth(
                admin["client_id"].as_str().unwrap(),
                admin["client_secret"].as_str(),
            )
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .unwrap();
        assert_eq!(r.status(), 200, "{scope}");
        r.json::<serde_json::Value>().unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let read = token("https://jans.io/scim/users.read");
    let filter: String = form_urlencoded::byte_serialize(br#"userName eq "ALICE""#).collect();
    let r = http
        .get(format!("{base}/jans-scim/restv1/v2/Users?filter={filter}"))
        .bearer_auth(&read)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/scim+json");
    let list: serde_json::Value = r.json().unwrap();
    assert_eq!(list["totalResults"], 1);
    let alice = &list["Resources"][0];
    assert_eq!(alice["userName"], "alice");
    // By id, and the same search as a SearchRequest.
    let id = alice["id"].as_str().unwrap();
    let one = http
        .get(format!("{base}/jans-scim/restv1/v2/Users/{id}"))
        .bearer_auth(&read)
        .send()
        .unwrap();
    assert_eq!(one.status(), 200);
    assert!(one.headers()["etag"].to_str().unwrap().starts_with("W/\""));
    let etag = one.headers()["etag"].to_str().unwrap().to_owned();
    let again = http
        .get(format!("{base}/jans-scim/restv1/v2/Users/{id}"))
        .bearer_auth(&read)
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    let found: serde_json::Value = http
        .post(format!("{base}/jans-scim/restv1/v2/Users/.search"))
        .bearer_auth(&read)
        .header("content-type", "application/scim+json")
        .body(r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "sortBy": "userName", "sortOrder": "descending"}"#)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(found["Resources"][0]["userName"], "bob");
    // SCIM bodies may pass the host's usual 64 KiB; over 1 MiB they get SCIM's 413.
    let padded = |size: usize| {
        format!(
            r#"{{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "pad": "{}"}}"#,
            "x".repeat(size)
        )
    };
    let search = |body: String| {
        http.post(format!("{base}/jans-scim/restv1/v2/Users/.search"))
            .bearer_auth(&read)
            .header("content-type", "application/scim+json")
            .body(body)
            .send()
            .unwrap()
    };
    assert_eq!(search(padded(200 * 1024)).status(), 200);
    let r = search(padded(1024 * 1024));
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/scim+json");
    assert_eq!(r.json::<serde_json::Value>().unwrap()["status"], "413");
    // A query that does not decode: 400, in SCIM's form too.
    let r = http
        .get(format!("{base}/jans-scim/restv1/v2/Users?filter=%ZZ"))
        .bearer_auth(&read)
        .send()
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/scim+json");
    // Without the scope, or without a token: RFC 6750 refusals in SCIM's form.
    let other = token("https://jans.io/scim/groups.read");
    let r = http
        .get(format!("{base}/jans-scim/restv1/v2/Users"))
        .bearer_auth(&other)
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    let r = http
        .get(format!("{base}/jans-scim/restv1/v2/Users"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<serde_json::Value>().unwrap()["status"], "401");
}

/// Casa's branding and the IP-to-country table through `jans serve`: the branding
/// stylesheet made from the configuration, the branding directory's plain small files (and
/// nothing else), and a table read at start — one that does not read stops the server,
/// naming the line.
#[test]
fn casa_branding_files_and_the_country_table() {
    let dir = tempfile::tempdir().unwrap();
    let brand = dir.path().join("brand");
    std::fs::create_dir(&brand).unwrap();
    std::fs::write(brand.join("custom.css"), "h1 { color: #123456; }").unwrap();
    std::fs::write(brand.join("big.png"), vec![0u8; 1024 * 1024 + 1]).unwrap();
    std::fs::write(brand.join("notes.txt"), "private").unwrap();
    std::fs::write(dir.path().join("secret.css"), "outside").unwrap();
    let table = dir.path().join("countries.csv");
    std::fs::write(&table, "1.0.0.0,1.0.0.255,AU\n").unwrap();
    let (_server, base) = start(
        dir.path(),
        &[
            "--casa-branding",
            brand.to_str().unwrap(),
            "--geoip-file",
            table.to_str().unwrap(),
        ],
    );
    let http = client();
    let css = http
        .get(format!("{base}/jans-casa/static/brand.css"))
        .send()
        .unwrap();
    assert_eq!(css.status(), 200);
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(css.text().unwrap().contains("--accent: #1a6bd6"));
    let custom = http
        .get(format!("{base}/jans-casa/custom/custom.css"))
        .send()
        .unwrap();
    assert_eq!(custom.status(), 200);
    assert_eq!(custom.text().unwrap(), "h1 { color: #123456; }");
    for refused in ["big.png", "notes.txt", "..%2Fsecret.css", "missing.css"] {
        let r = http
            .get(format!("{base}/jans-casa/custom/{refused}"))
            .send()
            .unwrap();
        assert_eq!(r.status(), 404, "{refused}");
    }

    // A table that does not read: the server does not start, and says where.
    std::fs::write(&table, "1.0.0.0,1.0.0.255,AU\n1.0.1.0,nowhere,NZ\n").unwrap();
    let out = jans_cmd(&dir.path().join("another"))
        .args(["serve", "--listen", "127.0.0.1:0", "--geoip-file"])
        .arg(&table)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("line 2"), "{said}");
}
