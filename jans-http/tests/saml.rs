//! SAML interop: a real SAML service provider (PyPI pysaml2) against a real `jans serve`.
//!
//! Drives `tests/saml/sp.py`: it makes the SP's key, certificate and metadata
//! (`sp.py metadata DIR`); the SP is trusted with `jans saml sp add --metadata` in a fresh
//! data directory that also holds alice; `jans serve` starts on a free loopback port and
//! `sp.py test DIR` runs its unittest scenarios against it, pysaml2 writing the
//! AuthnRequests and checking the IdP's answers (signature through xmlsec1, audience,
//! recipient, InResponseTo, times; decryption of the AES-256-GCM assertions) while
//! `requests` plays the browser through the login page:
//!
//! - `test_redirect_then_post_within_one_session`: HTTP-Redirect then HTTP-POST, one sign-in,
//!   the same persistent NameID, the `uid` attribute, the authentication context;
//! - `test_name_id_formats`: transient and emailAddress NameIDs (the SP's metadata lists
//!   them);
//! - `test_requested_authn_context`: `PasswordProtectedTransport` asked for exactly and
//!   stated; a class the IdP cannot meet answered `NoAuthnContext` without a sign-in;
//! - `test_force_authn_asks_again`: `ForceAuthn` asks for the password again;
//! - `test_replayed_request_is_denied`: a request answered once is denied the second time;
//! - `test_unsigned_tampered_and_misdirected_requests_get_error_pages`: unsigned, altered,
//!   re-signed-query and unknown-ACS requests get error pages, never a `SAMLResponse`;
//! - `test_hostile_documents_are_refused`: a DTD (XXE), a deflate bomb, bad encoding;
//! - `test_sp_initiated_logout_ends_the_idp_session`: the SP's signed LogoutRequest over
//!   HTTP-Redirect goes through the auth-server's logout and back as a signed Success;
//!   the next sign-on asks for the password;
//! - `test_logout_request_from_elsewhere_gets_no_id_token`: the same signed request sent
//!   without the person's browser is answered `PartialLogout`, with no ID token in any
//!   redirect, and the person's session stays;
//! - `test_unsigned_logout_request_is_refused_and_ends_nothing`;
//! - `test_oidc_logout_sends_the_sp_a_logout_request`: signing out at the auth-server
//!   frames a signed LogoutRequest to the SP, which pysaml2 accepts for its session;
//! - `test_logout_over_http_post_both_ways`: the SP's metadata changed through the config
//!   API to a POST-only logout endpoint; both logouts over HTTP-POST;
//! - `test_ecdsa_signed_response_when_the_relationship_says_so`: the relationship changed
//!   through the config API (multipart `upload`) to ECDSA-SHA256, signed responses, no
//!   encryption.
//!
//! Then Chromium (playwright-core, `tests/interop/saml-browser.mjs`) signs on at a web SP
//! of pysaml2 (`sp.py serve`, a second trust relationship) through the real login page over
//! HTTP-Redirect, again over HTTP-POST without a password, signs out from the SP, and is
//! asked for the password again.
//!
//! Afterwards (the server stopped: sled allows one process) the SP is removed with the CLI,
//! and `saml sp add` of a file that is not metadata fails readably.
//!
//! python3 with pysaml2 (and `requests`, `cryptography`) and `/usr/bin/xmlsec1` are required:
//! without them this test fails, it never skips; `.ci/run` installs them. `PYTHON` overrides
//! the interpreter.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::{self, File};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "common/process.rs"]
mod process;
use process::{Ran, free_port, jans, jans_try, run_bounded, start_server};

const XMLSEC1: &str = "/usr/bin/xmlsec1";
const USER: &str = "alice";
const EMAIL: &str = "alice@example.test";
const PASSWORD: &str = "correct horse battery staple";
/// The SP's entity id, as `sp.py` writes it in its metadata.
const SP_ENTITY: &str = "https://sp.interop.test/metadata";

fn sp_py() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/saml/sp.py")
}

/// The python interpreter (`$PYTHON` or `python3`), checked to import what `sp.py` needs,
/// with `/usr/bin/xmlsec1` present; or a loud failure naming what is missing.
fn python() -> String {
    let exe = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let hint = ".ci/run installs them (python3, PyPI pysaml2 and requests, Debian xmlsec1); \
                this test is not skipped without them";
    let out = Command::new(&exe)
        .args(["-c", "import saml2, requests, cryptography"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{exe}` (set PYTHON to override): {e}. {hint}"));
    assert!(
        out.status.success(),
        "`{exe}` cannot import pysaml2, requests and cryptography: {}. {hint}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    assert!(
        Path::new(XMLSEC1).is_file(),
        "{XMLSEC1} is missing (pysaml2 runs it to check signatures). {hint}"
    );
    exe
}

/// alice, with her email and [`PASSWORD`] (on stdin).
fn add_person(data: &Path, dir: &Path) {
    let args = [
        "user",
        "add",
        "--username",
        USER,
        "--given-name",
        "Alice",
        "--email",
        EMAIL,
        "--password-stdin",
    ];
    let ran = jans_try(data, &args, Some(&format!("{PASSWORD}\n")), dir, "user-add");
    assert!(
        ran.status.success(),
        "jans user add failed\n{}",
        ran.describe()
    );
}

/// `saml sp list`, as JSON: an array.
fn sp_list(data: &Path, dir: &Path, name: &str) -> Vec<Value> {
    let ran = jans(data, &["saml", "sp", "list"], dir, name);
    serde_json::from_str::<Value>(&ran.stdout)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_else(|| panic!("`saml sp list` printed no JSON array\n{}", ran.describe()))
}

/// Chromium (playwright-core, from the interop tests' `node_modules`) signs on at the
/// pysaml2 web SP `sp.py serve` runs on `port`, through `jans serve` at `issuer`, and out.
fn browser_sign_on(python: &str, sp: &Path, port: u16, issuer: &str, dir: &Path) -> Ran {
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop");
    assert!(
        interop.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing from {}: `.ci/run` (or `npm ci` there) installs it",
        interop.display()
    );
    let log = File::create(dir.join("web-sp.log")).unwrap();
    let mut web = Command::new(python)
        .arg(sp_py())
        .arg("serve")
        .arg(sp)
        .arg(port.to_string())
        .env("JANS_ISSUER", issuer)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start the web SP");
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the web SP did not listen within 30s"
        );
        sleep(Duration::from_millis(100));
    }
    let ran = run_bounded(
        Command::new(std::env::var("NODE").unwrap_or_else(|_| "node".into()))
            .arg(interop.join("saml-browser.mjs"))
            .current_dir(&interop)
            .env("SP", format!("http://localhost:{port}"))
            .env("JANS_USER", USER)
            .env("JANS_PASSWORD", PASSWORD),
        dir,
        "saml-browser",
        Duration::from_secs(120),
    );
    let _ = web.kill();
    let _ = web.wait();
    ran
}

#[test]
fn pysaml2_sp_against_jans_serve() {
    let python = python();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let data = dir.join("data");
    let sp = dir.join("sp");

    // The SP's key, certificate and metadata.
    let ran = run_bounded(
        Command::new(&python).arg(sp_py()).arg("metadata").arg(&sp),
        dir,
        "sp-metadata",
        Duration::from_secs(60),
    );
    assert!(
        ran.status.success(),
        "sp.py metadata failed\n{}",
        ran.describe()
    );
    let metadata = sp.join("sp-metadata.xml");
    for file in ["sp.key", "sp.crt", "sp-metadata.xml"] {
        assert!(sp.join(file).is_file(), "sp.py metadata wrote no {file}");
    }

    jans(&data, &["init"], dir, "init");
    add_person(&data, dir);
    let added = jans(
        &data,
        &[
            "saml",
            "sp",
            "add",
            "--metadata",
            metadata.to_str().unwrap(),
            "--name",
            "interop",
        ],
        dir,
        "sp-add",
    );
    // `added <inum> (<entity id>)`
    let line = added.stdout.trim();
    let inum = line
        .strip_prefix("added ")
        .and_then(|rest| rest.strip_suffix(&format!(" ({SP_ENTITY})")))
        .filter(|inum| !inum.is_empty() && !inum.contains(' '))
        .unwrap_or_else(|| {
            panic!(
                "`saml sp add` printed no `added <inum> ({SP_ENTITY})`\n{}",
                added.describe()
            )
        })
        .to_owned();
    let listed = sp_list(&data, dir, "sp-list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["inum"], inum.as_str(), "{listed:?}");
    assert_eq!(listed[0]["name"], "interop", "{listed:?}");
    assert!(listed[0].to_string().contains(SP_ENTITY), "{listed:?}");

    // The web SP a real browser signs on at (after the scenarios), on a port of its own.
    let web_port = free_port();
    let ran = run_bounded(
        Command::new(&python)
            .arg(sp_py())
            .arg("web-metadata")
            .arg(&sp)
            .arg(web_port.to_string()),
        dir,
        "web-metadata",
        Duration::from_secs(60),
    );
    assert!(
        ran.status.success(),
        "sp.py web-metadata failed\n{}",
        ran.describe()
    );
    // Pasted on stdin this time.
    let web_metadata = fs::read_to_string(sp.join("web-metadata.xml")).unwrap();
    let pasted = jans_try(
        &data,
        &["saml", "sp", "add", "--metadata", "-", "--name", "web"],
        Some(&web_metadata),
        dir,
        "web-sp-add",
    );
    assert!(
        pasted.status.success() && pasted.stdout.starts_with("added "),
        "`saml sp add --metadata -` failed\n{}",
        pasted.describe()
    );

    let port = free_port();
    let issuer = format!("http://localhost:{port}");
    let mut server = start_server(&data, dir, port, &[]);
    eprintln!("saml: jans serve ready at {issuer}");
    let ran = run_bounded(
        Command::new(&python)
            .arg(sp_py())
            .arg("test")
            .arg(&sp)
            .env("JANS_ISSUER", &issuer)
            .env("JANS_USER", USER)
            .env("JANS_PASSWORD", PASSWORD)
            .env("JANS_EMAIL", EMAIL)
            // The admin client `init` wrote: the config API changes the relationship.
            .env("JANS_ADMIN_CLIENT", data.join("admin-client.json")),
        dir,
        "sp-test",
        Duration::from_secs(300),
    );
    let browser = if ran.status.success() {
        Some(browser_sign_on(&python, &sp, web_port, &issuer, dir))
    } else {
        None
    };
    let graceful = server.stop(Duration::from_secs(10));
    let log = server.log();
    drop(server);
    // unittest reports on stderr.
    eprintln!("{}", ran.stderr);
    assert!(
        ran.status.success(),
        "the pysaml2 SP scenarios failed against jans serve ({issuer})\n{}\n--- jans serve log ---\n{log}",
        ran.describe()
    );
    if let Some(b) = browser {
        eprintln!("{}", b.stdout);
        assert!(
            b.status.success(),
            "Chromium's sign-on at the pysaml2 web SP failed\n{}\n--- jans serve log ---\n{log}",
            b.describe()
        );
    }
    assert!(
        graceful.is_some(),
        "jans serve did not exit within 10s of SIGTERM\n--- log ---\n{log}"
    );

    // The server is stopped (sled: one process at a time): remove the SP.
    let removed = jans(&data, &["saml", "sp", "remove", &inum], dir, "sp-remove");
    assert!(
        removed.stdout.contains(&inum),
        "`saml sp remove` said\n{}",
        removed.describe()
    );
    let listed = sp_list(&data, dir, "sp-list-after");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["name"], "web", "{listed:?}");
    let again = jans_try(
        &data,
        &["saml", "sp", "remove", &inum],
        None,
        dir,
        "sp-remove-again",
    );
    assert!(
        !again.status.success(),
        "removing it again is refused\n{}",
        again.describe()
    );

    // A file that is not metadata: refused with a message, not a panic.
    let crt = sp.join("sp.crt");
    let bad = jans_try(
        &data,
        &["saml", "sp", "add", "--metadata", crt.to_str().unwrap()],
        None,
        dir,
        "sp-add-bad",
    );
    assert!(
        !bad.status.success(),
        "a certificate is not metadata\n{}",
        bad.describe()
    );
    assert!(
        !bad.stderr.trim().is_empty() && !bad.stderr.contains("panicked"),
        "`saml sp add` of a certificate must fail with a readable message\n{}",
        bad.describe()
    );
    eprintln!(
        "saml: `saml sp add` of a certificate: {}",
        bad.stderr.trim()
    );
    // Nothing was added: the web SP alone is left.
    assert_eq!(sp_list(&data, dir, "sp-list-end").len(), 1);
}
