//! Mutual TLS (RFC 8705) through `jans serve`: a second HTTPS listener (`--mtls-listen`)
//! that asks for client certificates, published as `mtls_endpoint_aliases`; a real TLS
//! client (reqwest on rustls) authenticating with `tls_client_auth` by a certificate of a
//! trusted CA made with openssl, and getting certificate-bound tokens; what that listener
//! and the main one refuse; and certificates forwarded by a trusted proxy in Janssen's
//! headers, believed only from the configured addresses.

mod common;

use std::path::{Path, PathBuf};

use common::pki::certificates;
use common::*;
use serde_json::{Value, json};

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// An HTTPS client trusting the test CA, reaching `localhost` at 127.0.0.1, presenting the
/// certificate `identity` (NAME.pem and NAME.key) when given.
fn https(dir: &Path, identity: Option<&str>) -> reqwest::blocking::Client {
    let mut b = reqwest::blocking::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(read(dir, "ca.pem").as_bytes()).unwrap(),
        )
        .resolve("localhost", "127.0.0.1:0".parse().unwrap())
        .redirect(reqwest::redirect::Policy::none());
    if let Some(name) = identity {
        let pem = format!(
            "{}{}",
            read(dir, &format!("{name}.pem")),
            read(dir, &format!("{name}.key"))
        );
        b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
    }
    b.build().unwrap()
}

/// The configuration file: the CA trusted for `tls_client_auth`, the token and
/// introspection endpoints' aliases on `mtls_port`.
fn config_file(dir: &Path, port: u16, mtls_port: u16) -> PathBuf {
    let file = dir.join("jans.json");
    let alias = |path: &str| format!("https://localhost:{mtls_port}/jans-auth/restv1/{path}");
    let cfg = json!({
        "issuer": format!("https://localhost:{port}"),
        "mtlsTrustedCaCertificates": [read(dir, "ca.pem")],
        "mtlsTokenEndpoint": alias("token"),
        "mtlsIntrospectionEndpoint": alias("introspection"),
    });
    std::fs::write(&file, cfg.to_string()).unwrap();
    file
}

/// `jans --config CFG client add` of a `tls_client_auth` client for the client
/// certificate's subject, with certificate-bound tokens; its id.
fn add_tls_client(data: &Path, cfg: &Path) -> String {
    let file = data.with_extension("tls-client.json");
    let metadata = json!({"token_endpoint_auth_method": "tls_client_auth",
                          "tls_client_auth_subject_dn": "CN=client one,O=Example,C=US",
                          "tls_client_certificate_bound_access_tokens": true,
                          "grant_types": ["client_credentials"], "scope": "openid"});
    std::fs::write(&file, metadata.to_string()).unwrap();
    let out = jans_cmd(data)
        .arg("--config")
        .arg(cfg)
        .args(["client", "add", "--json", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    c["client_id"].as_str().unwrap().to_owned()
}

/// Start `jans serve` over TLS on `port`, with `--mtls-listen` on `mtls_port` and `extra`.
fn serve(dir: &Path, data: &Path, cfg: &Path, port: u16, mtls_port: u16, extra: &[&str]) -> Server {
    let (server, _) = start_cmd(
        {
            let mut c = jans_cmd(data);
            c.arg("--config").arg(cfg);
            c
        },
        port,
        &[
            &["--tls-cert", dir.join("server.pem").to_str().unwrap()][..],
            &["--tls-key", dir.join("server.key").to_str().unwrap()],
            &["--mtls-listen", &format!("127.0.0.1:{mtls_port}")],
            extra,
        ]
        .concat(),
    );
    server
}

/// client_credentials for `id` at `url`, with the `header` (name, value) when given.
fn cc_with(
    http: &reqwest::blocking::Client,
    url: &str,
    id: &str,
    header: Option<(&str, &str)>,
) -> (u16, Value) {
    let mut req = http
        .post(url)
        .form(&[("grant_type", "client_credentials"), ("client_id", id)]);
    if let Some((name, value)) = header {
        req = req.header(name, value);
    }
    let r = req.send().unwrap();
    let status = r.status().as_u16();
    (status, r.json().unwrap())
}

fn cc(http: &reqwest::blocking::Client, url: &str, id: &str) -> (u16, Value) {
    cc_with(http, url, id, None)
}

/// A data directory with the `tls_client_auth` client, and `jans serve` on it over TLS with
/// its mutual-TLS listener, believing proxies at `trusted_proxies`.
struct Running {
    _tmp: tempfile::TempDir,
    _server: Server,
    dir: PathBuf,
    data: PathBuf,
    port: u16,
    mtls_port: u16,
    id: String,
}

fn running(trusted_proxies: &str) -> Running {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_owned();
    certificates(&dir);
    let data = dir.join("data");
    let (port, mtls_port) = (free_port(), free_port());
    let cfg = config_file(&dir, port, mtls_port);
    assert!(
        jans_cmd(&data)
            .arg("--config")
            .arg(&cfg)
            .arg("init")
            .status()
            .unwrap()
            .success()
    );
    let id = add_tls_client(&data, &cfg);
    let server = serve(
        &dir,
        &data,
        &cfg,
        port,
        mtls_port,
        &["--trusted-proxies", trusted_proxies],
    );
    Running {
        _tmp: tmp,
        _server: server,
        dir,
        data,
        port,
        mtls_port,
        id,
    }
}

#[test]
fn tls_client_auth_over_the_mtls_listener_and_from_a_trusted_proxy() {
    let r = running("127.0.0.1/32");
    let (dir, port, mtls_port, id) = (r.dir.as_path(), r.port, r.mtls_port, &r.id);
    let main = format!("https://localhost:{port}/jans-auth/restv1");
    let mtls = format!("https://localhost:{mtls_port}/jans-auth/restv1");

    // Discovery (on the main listener) names the aliases.
    let d: Value = https(dir, None)
        .get(format!(
            "https://localhost:{port}/.well-known/openid-configuration"
        ))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        d["mtls_endpoint_aliases"]["token_endpoint"],
        format!("{mtls}/token")
    );
    assert!(
        d["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("tls_client_auth"))
    );

    // The client certificate of the CA on the mTLS listener: a token bound to it.
    let client = https(dir, Some("client"));
    let (status, body) = cc(&client, &format!("{mtls}/token"), id);
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let der = jans_core::x509::parse_pem_or_der(read(dir, "client.pem").as_bytes()).unwrap();
    let x5t = der[0].thumbprint_s256();
    let i: Value = client
        .post(format!("{mtls}/introspection"))
        .form(&[("token", token.as_str()), ("client_id", id.as_str())])
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(i["active"], true, "{i}");
    assert_eq!(i["cnf"]["x5t#S256"], x5t);

    // Refused: no certificate, a self-signed one, and the main listener (which asks none).
    for (why, http, url) in [
        ("no certificate", https(dir, None), format!("{mtls}/token")),
        (
            "a certificate of no trusted CA",
            https(dir, Some("stranger")),
            format!("{mtls}/token"),
        ),
        (
            "the main listener asks for no certificate",
            https(dir, Some("client")),
            format!("{main}/token"),
        ),
    ] {
        let (status, body) = cc(&http, &url, id);
        assert_eq!(status, 401, "{why}: {body}");
        assert_eq!(body["error"], "invalid_client", "{why}");
    }

    // From a trusted proxy (this test, at 127.0.0.1): the certificate in Janssen's headers.
    let pem = read(dir, "client.pem");
    let plain = https(dir, None);
    let forwarded = |name: &str, value: &str| {
        cc_with(&plain, &format!("{main}/token"), id, Some((name, value)))
    };
    let (status, body) = forwarded("X-ClientCert", &pem.replace('\n', " "));
    assert_eq!(status, 200, "{body}");
    let escaped: String = pem
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let (status, body) = forwarded(
        "X-Forwarded-Client-Cert",
        &format!("By=spiffe://proxy;Hash=00;Cert=\"{escaped}\""),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = forwarded("X-Forwarded-Client-Cert", "Cert=\"%%\"");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_request");
    // A connection's own certificate wins over a header: the stranger's is refused.
    let (status, _) = cc_with(
        &https(dir, Some("stranger")),
        &format!("{mtls}/token"),
        id,
        Some(("X-ClientCert", &pem.replace('\n', " "))),
    );
    assert_eq!(status, 401);
}

#[test]
fn forwarded_certificates_from_other_addresses_are_ignored() {
    // The proxy is elsewhere: this test's requests are not the proxy's.
    let r = running("10.0.0.1");
    let (status, body) = cc_with(
        &https(&r.dir, None),
        &format!("https://localhost:{}/jans-auth/restv1/token", r.port),
        &r.id,
        Some((
            "X-ClientCert",
            &read(&r.dir, "client.pem").replace('\n', " "),
        )),
    );
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    // --mtls-listen without the server's certificate is refused at the start.
    let out = jans_cmd(&r.data)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--mtls-listen",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
