//! The embedders' side: the C example built with gcc against `libjans.so` and run under
//! valgrind (zero errors, zero definite leaks), and the Go package's `go vet` and
//! `go test`, the Go example program, and the Go HTTP server example answered by curl.
//!
//! They build and use `target/debug/libjans.so` (`cargo build --workspace --lib --tests`). gcc,
//! make, valgrind, Go (Debian's `golang-go`), pkg-config and curl are required: without
//! them these tests fail, they never skip (`.ci/run` installs them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use jans_testkit::{repo_root as repo, run};

/// The directory holding `libjans.so` (target/debug), built for this run: `cargo test`
/// builds jans-ffi only as an rlib for the tests, so the C library is built here.
fn lib_dir() -> PathBuf {
    let dir = jans_testkit::workspace_built();
    assert!(
        dir.join("libjans.so").exists(),
        "{} has no libjans.so",
        dir.display()
    );
    dir
}

/// Fail loudly when a tool is missing.
fn require(tool: &str, version_arg: &str) {
    jans_testkit::require(
        tool,
        version_arg,
        "these tests need gcc, make, valgrind, Go (golang-go), pkg-config and curl",
    );
}

/// The directory holding a release (optimized, thin-LTO) `libjans.so`, built for this run:
/// valgrind must be clean on the build embedders ship, not only on the debug one.
fn release_lib_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target = lib_dir().parent().unwrap().to_owned();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            run(Command::new(cargo)
                .current_dir(repo())
                .args([
                    "build",
                    "--release",
                    "-p",
                    "jans-ffi",
                    "--lib",
                    "--target-dir",
                ])
                .arg(&target));
            let dir = target.join("release");
            assert!(dir.join("libjans.so").exists(), "no release libjans.so");
            dir
        })
        .clone()
}

/// A C host that forks after using an engine: parent and child must not issue the same
/// tokens, and the child can still check passwords (issue 10 item 7); built with gcc
/// against libjans and run for real (a child whose hashing workers were not restarted
/// would wait forever: the run is bounded).
#[test]
fn tokens_differ_across_fork() {
    require("gcc", "--version");
    let build = tempfile::tempdir().unwrap();
    let exe = build.path().join("fork");
    let lib = lib_dir();
    run(Command::new("gcc")
        .args([
            "-std=c11",
            "-D_POSIX_C_SOURCE=200809L",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-o",
        ])
        .arg(&exe)
        .arg(repo().join("jans-ffi/tests/c/fork.c"))
        .arg(format!("-I{}", repo().join("jans-ffi/include").display()))
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-ljans"));
    let out = run(&mut Command::new(&exe));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("fork-safe: every token differs"),
        "{stdout}"
    );
}

#[test]
fn c_example_under_valgrind_debug_build() {
    c_example_under_valgrind(&lib_dir());
}

/// The release build too: optimized code once made valgrind report reads of uninitialised
/// values in the HTTP library's header lookups (issue 10 item 8).
#[test]
fn c_example_under_valgrind_release_build() {
    c_example_under_valgrind(&release_lib_dir());
}

fn c_example_under_valgrind(lib: &Path) {
    require("gcc", "--version");
    require("make", "--version");
    require("valgrind", "--version");
    let build = tempfile::tempdir().unwrap();
    let make = |extra: &[&str]| {
        let mut c = Command::new("make");
        c.arg("-C")
            .arg(repo().join("examples/c"))
            .arg(format!("LIBDIR={}", lib.display()))
            .arg(format!("BUILD={}", build.path().display()))
            .arg("CC=gcc")
            .args(extra);
        c
    };
    run(&mut make(&[]));
    let data = tempfile::tempdir().unwrap();
    let data_arg = format!("ARGS={}", data.path().join("jans").display());
    for args in [vec!["valgrind"], vec!["valgrind", data_arg.as_str()]] {
        let out = run(&mut make(&args));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stdout.contains("all steps passed"), "{stdout}");
        for step in [
            "1. engine",
            "2. client registered",
            "3. POST",
            "4. verified",
            "5. introspection",
            "6. POST",
            "7. malformed",
        ] {
            assert!(stdout.contains(step), "missing step {step}: {stdout}");
        }
        assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
        assert!(
            stderr.contains("definitely lost: 0 bytes")
                || stderr.contains("All heap blocks were freed"),
            "{stderr}"
        );
    }
    // The data directory is the one `jans serve` would use.
    assert!(data.path().join("jans/master.key").exists());
    assert!(data.path().join("jans/db").exists());
}

/// Go commands, with pkg-config pointed at this build of libjans and no network.
fn go(dir: &Path, pc: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("go");
    c.current_dir(dir)
        .args(args)
        .env("PKG_CONFIG_PATH", pc)
        .env("CGO_ENABLED", "1")
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod");
    c
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn curl(args: &[&str]) -> serde_json::Value {
    let out = run(Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(args));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn go_package_and_examples() {
    require("go", "version");
    require("pkg-config", "--version");
    require("curl", "--version");
    let tmp = tempfile::tempdir().unwrap();
    let pc = tmp.path().join("pkgconfig");
    run(Command::new("make")
        .arg("-C")
        .arg(repo().join("jans-ffi"))
        .arg("pc")
        .arg(format!("LIBDIR={}", lib_dir().display()))
        .arg(format!("PCDIR={}", pc.display())));

    let package = repo().join("jans-ffi/go");
    run(&mut go(&package, &pc, &["vet", "./..."]));
    let tested = run(&mut go(
        &package,
        &pc,
        &["test", "-count=1", "-race", "./..."],
    ));
    assert!(String::from_utf8_lossy(&tested.stdout).contains("ok"));

    let examples = repo().join("examples/go");
    run(&mut go(&examples, &pc, &["vet", "./..."]));
    // The whole code flow from Go, through the server example's own login pages.
    let tested = run(&mut go(&examples, &pc, &["test", "-count=1", "./..."]));
    assert!(
        String::from_utf8_lossy(&tested.stdout).contains("ok"),
        "{}",
        String::from_utf8_lossy(&tested.stdout)
    );
    let steps = tmp.path().join("steps");
    let server = tmp.path().join("server");
    run(&mut go(
        &examples,
        &pc,
        &["build", "-o", steps.to_str().unwrap(), "./steps"],
    ));
    run(&mut go(
        &examples,
        &pc,
        &["build", "-o", server.to_str().unwrap(), "./server"],
    ));
    let out = run(&mut Command::new(&steps));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("all steps passed"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The net/http server with the engine mounted, and curl against it.
    let mut child = Command::new(&server)
        .args(["-listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _server = Killed(child);
    let (mut id, mut secret, mut addr) = (String::new(), String::new(), String::new());
    let deadline = Instant::now() + Duration::from_secs(30);
    for line in BufReader::new(stdout).lines() {
        assert!(Instant::now() < deadline, "the Go server did not start");
        let line = line.unwrap();
        if let Some(v) = line.strip_prefix("client_id=") {
            id = v.to_owned();
        } else if let Some(v) = line.strip_prefix("client_secret=") {
            secret = v.to_owned();
        } else if let Some(rest) = line.strip_prefix("listening on ") {
            addr = rest.split(' ').next().unwrap().to_owned();
            break;
        }
    }
    assert!(!id.is_empty() && !secret.is_empty() && !addr.is_empty());
    let base = format!("http://{addr}");
    let discovery = curl(&[&format!("{base}/.well-known/openid-configuration")]);
    assert_eq!(discovery["issuer"], base.as_str());
    let creds = format!("{id}:{secret}");
    let token = curl(&[
        "-u",
        &creds,
        "-d",
        "grant_type=client_credentials",
        &format!("{base}/jans-auth/restv1/token"),
    ]);
    assert_eq!(token["token_type"], "Bearer", "{token}");
    let at = token["access_token"].as_str().unwrap();
    let introspection = curl(&[
        "-u",
        &creds,
        "-d",
        &format!("token={at}"),
        &format!("{base}/jans-auth/restv1/introspection"),
    ]);
    assert_eq!(introspection["active"], true, "{introspection}");
    assert_eq!(introspection["client_id"], id.as_str());
    let refused = curl(&[
        "-u",
        &format!("{id}:wrong"),
        "-d",
        "grant_type=client_credentials",
        &format!("{base}/jans-auth/restv1/token"),
    ]);
    assert_eq!(refused["error"], "invalid_client");
}

/// libjans links the host part of jans-http only (DESIGN.md §2): no HTTP server, no
/// templates, no command line. Read from the dependency graph cargo resolves for it.
#[test]
fn libjans_links_no_server_templates_or_cli() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = run(Command::new(cargo).current_dir(repo()).args([
        "tree",
        "-p",
        "jans-ffi",
        "-e",
        "normal,features",
        "--prefix",
        "none",
        "--offline",
    ]));
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(
        tree.contains("jans-http"),
        "the host part is linked: {tree}"
    );
    for forbidden in [
        "axum ",
        "minijinja ",
        "clap ",
        "tower-http feature \"trace\"",
        "hyper feature \"server\"",
        "hyper-util feature \"server\"",
        "tracing-subscriber ",
        "jans-http feature \"server\"",
    ] {
        assert!(
            !tree.lines().any(|l| l.starts_with(forbidden)),
            "libjans links {forbidden:?}"
        );
    }
}
