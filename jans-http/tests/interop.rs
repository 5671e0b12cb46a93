//! Third-party interop: real client libraries against a real `jans serve`.
//!
//! Drives the npm project in `tests/interop/` (openid-client v6 + jose, run with `node --test`):
//! initialises a temporary data directory, registers one client per token endpoint
//! authentication method with `jans client add --json`, starts `jans serve` on a free loopback
//! port, runs the node tests against it and stops the server (always: [`Server`]'s `Drop`).
//!
//! Node.js (>= 20.19) and npm are required: without them this test fails, it never skips.
//! `NODE` / `NPM` override the executables. `node_modules` is installed with `npm ci` when absent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "common/pki.rs"]
mod pki;
#[path = "common/process.rs"]
mod process;
use process::{JANS, Server, free_port, jans, run_bounded};

const SCOPE: &str = "read write";

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("interop")
}

/// The executable for `name` (or `$ENV_VAR`), or a loud failure naming what is missing.
fn tool(name: &str, env_var: &str) -> String {
    let exe = std::env::var(env_var).unwrap_or_else(|_| name.to_owned());
    match Command::new(&exe).arg("--version").output() {
        Ok(out) if out.status.success() => {
            eprintln!(
                "interop: {exe} {}",
                String::from_utf8_lossy(&out.stdout).trim()
            );
            exe
        }
        Ok(out) => panic!(
            "`{exe} --version` failed ({}): {}. The interop tests need Node.js >= 20.19 and npm \
             (set {env_var} to override the executable).",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "cannot run `{exe}`: {e}. The interop tests need Node.js >= 20.19 and npm on PATH \
             (set {env_var} to override the executable); they are not skipped without them."
        ),
    }
}

/// The JSON object in `text`: all of it, or the span from its first `{` to its last `}` (so a
/// log line printed around the object does not break the test).
fn json_object(text: &str) -> Value {
    if let Ok(v @ Value::Object(_)) = serde_json::from_str(text.trim()) {
        return v;
    }
    let span = text
        .find('{')
        .zip(text.rfind('}'))
        .and_then(|(a, b)| text.get(a..=b));
    span.and_then(|s| serde_json::from_str(s).ok())
        .filter(Value::is_object)
        .unwrap_or_else(|| panic!("expected a JSON object, got:\n{text}"))
}

/// `jans serve` on `port`, reaching the relying parties these tests run on localhost
/// (back-channel logout).
fn start_server(data: &Path, dir: &Path, port: u16) -> Server {
    process::start_server(
        data,
        dir,
        port,
        &[("JANS_OUTBOUND_BLOCK_PRIVATE_IP", "false")],
    )
}

/// Registers the clients the node tests use and returns `{ ROLE: <client add output> }`.
fn register_clients(data: &Path, dir: &Path, node: &str, rp_port: u16, uma_port: u16) -> Value {
    let redirect = redirect_uri(rp_port);
    let private_jwk = dir.join("private_key_jwt.private.jwk.json");
    let public_jwk = dir.join("private_key_jwt.public.jwk.json");
    let ran = run_bounded(
        Command::new(node)
            .current_dir(interop_dir())
            .arg("keygen.mjs")
            .arg(&private_jwk)
            .arg(&public_jwk),
        dir,
        "keygen",
        Duration::from_secs(60),
    );
    assert!(
        ran.status.success(),
        "keygen.mjs failed\n{}",
        ran.describe()
    );
    let public: Value = serde_json::from_str(&fs::read_to_string(&public_jwk).unwrap()).unwrap();

    let cc = json!(["client_credentials"]);
    let clients = [
        (
            "basic",
            json!({"client_name": "interop basic", "grant_types": cc, "scope": SCOPE,
                   "token_endpoint_auth_method": "client_secret_basic"}),
        ),
        (
            "post",
            json!({"client_name": "interop post", "grant_types": cc, "scope": SCOPE,
                   "token_endpoint_auth_method": "client_secret_post"}),
        ),
        (
            "basic_jwt",
            json!({"client_name": "interop basic jwt", "grant_types": cc, "scope": SCOPE,
                   "token_endpoint_auth_method": "client_secret_basic",
                   "access_token_as_jwt": true, "access_token_signing_alg": "ES256"}),
        ),
        (
            "private_key_jwt",
            json!({"client_name": "interop private_key_jwt", "grant_types": cc, "scope": SCOPE,
                   "token_endpoint_auth_method": "private_key_jwt",
                   "token_endpoint_auth_signing_alg": "ES256",
                   "jwks": {"keys": [public]},
                   "access_token_as_jwt": true, "access_token_signing_alg": "ES256"}),
        ),
        (
            "secret_jwt",
            json!({"client_name": "interop client_secret_jwt", "grant_types": cc, "scope": SCOPE,
                   "token_endpoint_auth_method": "client_secret_jwt",
                   "token_endpoint_auth_signing_alg": "HS256"}),
        ),
        (
            "code",
            json!({"client_name": "Acme Photos", "redirect_uris": [redirect],
                   "post_logout_redirect_uris": [redirect.replace("/cb", "/logged-out")],
                   "backchannel_logout_uri": redirect.replace("/cb", "/backchannel"),
                   "frontchannel_logout_uri": redirect.replace("/cb", "/frontchannel"),
                   "grant_types": ["authorization_code", "refresh_token", "implicit"],
                   "response_types": ["code", "id_token", "code id_token"],
                   "scope": "profile offline_access",
                   "token_endpoint_auth_method": "client_secret_basic"}),
        ),
        (
            "uma_rs",
            json!({"client_name": "interop UMA resource server", "grant_types": cc,
                   "scope": "uma_protection access_evaluation",
                   "token_endpoint_auth_method": "client_secret_basic"}),
        ),
        (
            "uma_rqp",
            json!({"client_name": "interop UMA client",
                   "grant_types": ["urn:ietf:params:oauth:grant-type:uma-ticket"],
                   "claims_redirect_uri": [format!("http://localhost:{uma_port}/claims-cb")],
                   "token_endpoint_auth_method": "client_secret_basic"}),
        ),
        (
            "code_public",
            json!({"client_name": "interop public code flow", "redirect_uris": [redirect],
                   "scope": "profile", "token_endpoint_auth_method": "none"}),
        ),
        (
            "exchanger",
            json!({"client_name": "interop exchanger", "scope": SCOPE,
                   "grant_types": ["client_credentials",
                                   "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                   "urn:ietf:params:oauth:grant-type:token-exchange"],
                   "token_endpoint_auth_method": "client_secret_basic"}),
        ),
        (
            "device",
            json!({"client_name": "interop device", "scope": "profile",
                   "grant_types": ["urn:ietf:params:oauth:grant-type:device_code"],
                   "token_endpoint_auth_method": "none"}),
        ),
        (
            "dpop",
            json!({"client_name": "interop DPoP public client", "redirect_uris": [redirect],
                   "scope": "profile offline_access",
                   "grant_types": ["authorization_code", "refresh_token"],
                   "token_endpoint_auth_method": "none", "dpop_bound_access_tokens": true}),
        ),
    ];

    let mut out = serde_json::Map::new();
    for (role, metadata) in clients {
        let file = dir.join(format!("client-{role}.json"));
        fs::write(&file, serde_json::to_vec_pretty(&metadata).unwrap()).unwrap();
        let ran = jans(
            data,
            &["client", "add", "--json", file.to_str().unwrap()],
            dir,
            &format!("client-add-{role}"),
        );
        let mut registered = json_object(&ran.stdout);
        assert!(
            registered["client_id"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "`client add` ({role}) printed no client_id:\n{}",
            ran.describe()
        );
        if !["private_key_jwt", "code_public", "dpop", "device"].contains(&role) {
            assert!(
                registered["client_secret"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty()),
                "`client add` ({role}) printed no client_secret:\n{}",
                ran.describe()
            );
        } else {
            registered["private_jwk_file"] = json!(private_jwk);
        }
        out.insert(role.to_owned(), registered);
    }
    Value::Object(out)
}

/// A second `jans serve` with `fapi2SecurityProfile`, alice, and one FAPI client
/// (private_key_jwt with the private_key_jwt client's key; the code flow's redirect URI),
/// added to `clients_file` as the role `fapi`, with its `issuer`.
fn fapi_server(dir: &Path, rp_port: u16, clients_file: &Path) -> Server {
    let data = dir.join("fapi-data");
    jans(&data, &["init"], dir, "fapi-init");
    add_user(&data, dir);
    let port = free_port();
    jans(
        &data,
        &[
            "config",
            "set",
            "fapi2SecurityProfile=true",
            "defaultSignatureAlgorithm=ES256",
            &format!("issuer=http://localhost:{port}"),
            "outboundBlockPrivateIp=false",
        ],
        dir,
        "fapi-config",
    );
    let public: Value = serde_json::from_str(
        &fs::read_to_string(dir.join("private_key_jwt.public.jwk.json")).unwrap(),
    )
    .unwrap();
    let file = dir.join("client-fapi.json");
    let metadata = json!({"client_name": "interop FAPI 2.0", "redirect_uris": [redirect_uri(rp_port)],
                          "scope": "profile", "token_endpoint_auth_method": "private_key_jwt",
                          "token_endpoint_auth_signing_alg": "ES256", "jwks": {"keys": [public]}});
    fs::write(&file, serde_json::to_vec(&metadata).unwrap()).unwrap();
    let ran = jans(
        &data,
        &["client", "add", "--json", file.to_str().unwrap()],
        dir,
        "fapi-client-add",
    );
    let mut registered = json_object(&ran.stdout);
    registered["issuer"] = json!(format!("http://localhost:{port}"));
    registered["private_jwk_file"] = json!(dir.join("private_key_jwt.private.jwk.json"));
    let mut clients: Value = serde_json::from_slice(&fs::read(clients_file).unwrap()).unwrap();
    clients["fapi"] = registered;
    fs::write(clients_file, serde_json::to_vec_pretty(&clients).unwrap()).unwrap();
    start_server(&data, dir, port)
}

/// A third `jans serve`, over TLS with a certificate of a test CA (made with openssl), with
/// `--mtls-listen` for the token, introspection and revocation endpoints' aliases and that
/// CA trusted for `tls_client_auth` (RFC 8705); added to `clients_file` as `mtls`: its
/// `issuer` and the certificate files mtls.test.mjs uses (`ca`, the CA's `client` and the
/// self-signed `stranger`, each `.pem` and `.key`).
fn mtls_server(dir: &Path, clients_file: &Path) -> Server {
    let certs = dir.join("mtls-certs");
    fs::create_dir_all(&certs).unwrap();
    pki::certificates(&certs);
    let data = dir.join("mtls-data");
    let (port, mtls_port) = (free_port(), free_port());
    let issuer = format!("https://localhost:{port}");
    let alias = |path: &str| format!("https://localhost:{mtls_port}/jans-auth/restv1/{path}");
    let cfg = dir.join("mtls-config.json");
    let ca = fs::read_to_string(certs.join("ca.pem")).unwrap();
    fs::write(
        &cfg,
        json!({"issuer": issuer, "mtlsTrustedCaCertificates": [ca],
               "mtlsTokenEndpoint": alias("token"),
               "mtlsIntrospectionEndpoint": alias("introspection"),
               "mtlsTokenRevocationEndpoint": alias("revoke")})
        .to_string(),
    )
    .unwrap();
    let mut server = Server::spawn(
        Command::new(JANS)
            .arg("--data-dir")
            .arg(&data)
            .arg("--config")
            .arg(&cfg)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--tls-cert")
            .arg(certs.join("server.pem"))
            .arg("--tls-key")
            .arg(certs.join("server.key"))
            .args(["--mtls-listen", &format!("127.0.0.1:{mtls_port}")]),
        dir.join("serve-mtls.log"),
    );
    let start = Instant::now();
    // Both listeners are bound before the server says it listens.
    while !server.log().contains("jans listening on") {
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!("the mTLS server exited ({status})\n{}", server.log());
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the mTLS server did not start within 30 s\n{}",
            server.log()
        );
        sleep(Duration::from_millis(100));
    }
    let mut clients: Value = serde_json::from_slice(&fs::read(clients_file).unwrap()).unwrap();
    clients["mtls"] = json!({"issuer": issuer, "certs": certs});
    fs::write(clients_file, serde_json::to_vec_pretty(&clients).unwrap()).unwrap();
    server
}

/// The Cedar policies uma.test.mjs is decided by.
const UMA_POLICIES: &str = r#"
@id("alice-reads")
@required_claims("given_name")
permit(principal, action == Jans::Action::"read", resource)
when { principal.claims has given_name && principal.claims.given_name == "Alice" };

@id("known-parties-comment")
@required_claims("sub")
permit(principal, action == Jans::Action::"comment", resource)
when { principal.claims has sub };

@id("pdp-admins")
permit(principal, action, resource is Jans::Resource)
when { principal.type == "user" && principal.claims has role && principal.claims.role == "admin" };
"#;

/// UMA on (every feature flag), decided by [`UMA_POLICIES`]; DPoP nonces required; the
/// private_key_jwt client's key trusted as the issuer `https://partner.example` of JWT
/// bearer assertions; the authorization details type `payment_initiation` — in the shared
/// configuration (which then holds the issuer too: the server's, on `port`).
fn enable_uma(data: &Path, dir: &Path, port: u16) {
    let policies = dir.join("uma.cedar");
    fs::write(&policies, UMA_POLICIES).unwrap();
    let flags = serde_json::to_string(&jans_core::config::FEATURE_FLAGS).unwrap();
    let public: Value = serde_json::from_str(
        &fs::read_to_string(dir.join("private_key_jwt.public.jwk.json")).unwrap(),
    )
    .unwrap();
    let trusted = json!([{"issuer": "https://partner.example", "jwks": {"keys": [public]}}]);
    jans(
        data,
        &[
            "config",
            "set",
            &format!("featureFlags={flags}"),
            &format!("umaCedarPolicies={}", policies.display()),
            &format!("issuer=http://localhost:{port}"),
            // As the server's environment says (JANS_OUTBOUND_BLOCK_PRIVATE_IP), which a
            // stored configuration governs over.
            "outboundBlockPrivateIp=false",
            // DPoP proofs carry server nonces (RFC 9449 §8): openid-client must take them
            // from use_dpop_nonce answers (dpop.test.mjs).
            "dpopUseNonce=true",
            &format!("jwtBearerTrustedIssuers={trusted}"),
            r#"authorizationDetailsTypesSupported=["payment_initiation"]"#,
            // ciba.test.mjs registers its CIBA client through RFC 7591.
            r#"dynamicRegistrationAllowedGrantTypes=["authorization_code","refresh_token","client_credentials","urn:openid:params:grant-type:ciba"]"#,
        ],
        dir,
        "config-uma",
    );
}

/// Where the code-flow clients are sent back: a port the node test listens on.
fn redirect_uri(port: u16) -> String {
    format!("http://localhost:{port}/cb")
}
/// The person the browser tests sign in as.
const USER: &str = "alice";
const PASSWORD: &str = "correct horse battery staple";

/// The person the Casa browser test turns two-factor authentication on for (so that the
/// other tests, signing in as [`USER`], are not asked for a second factor).
const CASA_USER: &str = "carol";

/// Casa's administrator in the browser test (the `CasaAdmin` role).
const CASA_ADMIN: &str = "dave";

fn add_user(data: &Path, dir: &Path) {
    add_person(data, dir, USER, "Alice", &[]);
    add_person(data, dir, CASA_USER, "Carol", &[]);
    add_person(data, dir, CASA_ADMIN, "Dave", &["--role", "CasaAdmin"]);
}

fn add_person(data: &Path, dir: &Path, username: &str, given_name: &str, more: &[&str]) {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_jans"))
        .arg("--data-dir")
        .arg(data)
        .args([
            "user",
            "add",
            "--username",
            username,
            "--given-name",
            given_name,
            "--password-stdin",
        ])
        .args(more)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "jans user add failed in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn ensure_node_modules(npm: &str, dir: &Path) {
    let modules = interop_dir().join("node_modules");
    if [
        "openid-client",
        "jose",
        "playwright-core",
        "@simplewebauthn/server",
    ]
    .iter()
    .all(|m| modules.join(m).is_dir())
    {
        return;
    }
    let ran = run_bounded(
        Command::new(npm)
            .current_dir(interop_dir())
            .args(["ci", "--no-audit", "--no-fund"]),
        dir,
        "npm-ci",
        Duration::from_secs(600),
    );
    assert!(
        ran.status.success(),
        "`npm ci` in {} failed\n{}",
        interop_dir().display(),
        ran.describe()
    );
}

fn node_test_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(interop_dir().join("test"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".test.mjs"))
        // JANS_INTEROP_ONLY=jwe runs only the files whose name contains it (while developing).
        .filter(|p| {
            std::env::var("JANS_INTEROP_ONLY")
                .map_or(true, |only| p.to_string_lossy().contains(&only))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no tests/interop/test/*.test.mjs");
    files
}

#[test]
fn openid_client_against_jans_serve() {
    let node = tool("node", "NODE");
    let npm = tool("npm", "NPM");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("jans-data");

    ensure_node_modules(&npm, dir);

    jans(&data, &["init"], dir, "init");
    let admin = data.join("admin-client.json");
    let admin_json = json_object(
        &fs::read_to_string(&admin)
            .unwrap_or_else(|e| panic!("init wrote no {}: {e}", admin.display())),
    );
    assert!(
        admin_json["client_id"].is_string() && admin_json["client_secret"].is_string(),
        "admin-client.json: {admin_json}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&admin).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "admin-client.json must be mode 0600");
    }

    let rp_port = free_port();
    let uma_port = free_port();
    let clients = register_clients(&data, dir, &node, rp_port, uma_port);
    add_user(&data, dir);
    let port = free_port();
    enable_uma(&data, dir, port);
    let clients_file = dir.join("clients.json");
    fs::write(&clients_file, serde_json::to_vec_pretty(&clients).unwrap()).unwrap();

    let mut server = start_server(&data, dir, port);
    let issuer = format!("http://localhost:{port}");
    eprintln!("interop: jans serve ready at {issuer}");
    // A second server, with the FAPI 2.0 Security Profile on (fapi2.test.mjs).
    let mut fapi_server = fapi_server(dir, rp_port, &clients_file);
    // A third, over TLS with a mutual-TLS listener (mtls.test.mjs).
    let mut mtls_server = mtls_server(dir, &clients_file);

    let ran = run_bounded(
        Command::new(&node)
            .current_dir(interop_dir())
            .arg("--test")
            .arg("--test-reporter=spec")
            .args(node_test_files())
            .env("JANS_ISSUER", &issuer)
            .env("JANS_CLIENTS", &clients_file)
            .envs(std::env::var_os("JANS_UPDATE_SCREENSHOTS").map(|_| {
                (
                    "JANS_SCREENSHOTS",
                    Path::new(env!("CARGO_MANIFEST_DIR"))
                        .join("../docs/screenshots")
                        .into_os_string(),
                )
            }))
            .env("JANS_USER", USER)
            .env("JANS_CASA_USER", CASA_USER)
            .env("JANS_CASA_ADMIN", CASA_ADMIN)
            .env("JANS_PASSWORD", PASSWORD)
            .env(
                "CHROMIUM",
                std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
            )
            .env("NO_COLOR", "1"),
        dir,
        "node-test",
        Duration::from_secs(300),
    );
    let graceful = server.stop(Duration::from_secs(10));
    let log = server.log();
    drop(server);
    fapi_server.stop(Duration::from_secs(10));
    let fapi_log = fapi_server.log();
    drop(fapi_server);
    mtls_server.stop(Duration::from_secs(10));
    let mtls_log = mtls_server.log();
    drop(mtls_server);

    eprintln!("{}", ran.stdout);
    assert!(
        ran.status.success(),
        "node interop tests failed against jans serve ({issuer})\n{}\n--- jans serve log ---\n{log}\n--- FAPI 2.0 server log ---\n{fapi_log}\n--- mTLS server log ---\n{mtls_log}",
        ran.describe()
    );
    assert!(
        graceful.is_some(),
        "jans serve did not exit within 10s of SIGTERM\n--- log ---\n{log}"
    );
    if std::env::var_os("JANS_INTEROP_ONLY").is_none() {
        fido2_registrations_through_the_cli(&data, dir);
    }
}

/// The credentials Chromium registered in `fido2.test.mjs` (a passkey, a key without UV, a
/// U2F key, and the passkey added on the account page), as `jans fido2` lists them; then
/// one renamed and one removed.
fn fido2_registrations_through_the_cli(data: &Path, dir: &Path) {
    let listed = |name: &str| -> Vec<Value> {
        let ran = jans(data, &["fido2", "list", USER], dir, name);
        serde_json::from_str::<Value>(&ran.stdout)
            .unwrap_or_else(|e| panic!("fido2 list printed no JSON ({e}): {}", ran.stdout))
            .as_array()
            .unwrap()
            .clone()
    };
    let regs = listed("fido2-list");
    let mut formats: Vec<&str> = regs
        .iter()
        .map(|r| r["attestationFormat"].as_str().unwrap())
        .collect();
    formats.sort_unstable();
    assert_eq!(formats, ["fido-u2f", "none", "none", "packed"], "{regs:?}");
    let of = |fmt: &str| {
        regs.iter()
            .find(|r| r["attestationFormat"] == fmt)
            .unwrap()
            .clone()
    };
    let passkey = of("packed");
    assert_eq!(passkey["discoverable"], true);
    assert_eq!(passkey["attestationType"], "basic");
    assert!(passkey["signCount"].as_u64().unwrap() >= 2);
    let passkey_id = passkey["credentialId"].as_str().unwrap();
    let u2f = of("fido-u2f");
    let u2f_id = u2f["credentialId"].as_str().unwrap();
    jans(
        data,
        &["fido2", "rename", USER, passkey_id, "Laptop passkey"],
        dir,
        "fido2-rename",
    );
    jans(
        data,
        &["fido2", "remove", USER, u2f_id],
        dir,
        "fido2-remove",
    );
    let after = listed("fido2-list-after");
    assert_eq!(after.len(), 3, "{after:?}");
    let renamed = after
        .iter()
        .find(|r| r["credentialId"] == passkey_id)
        .unwrap();
    assert_eq!(renamed["nickname"], "Laptop passkey");
    assert!(after.iter().all(|r| r["credentialId"] != u2f_id));
    let last = u2f_id;
    let refused = Command::new(JANS)
        .arg("--data-dir")
        .arg(data)
        .args(["fido2", "remove", USER, last])
        .output()
        .unwrap();
    assert!(!refused.status.success(), "removing it again is refused");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("has no credential"));
}
