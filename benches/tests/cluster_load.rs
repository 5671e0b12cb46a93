//! `benches/load/cluster.sh` in small: three `jans serve` nodes on one PostgreSQL server, a
//! few seconds of the mixed load (token, introspect, revoke, refresh) spread over them, and
//! the audit: no request failed, nothing acknowledged was lost, no revocation undone, no
//! token value handed out twice, every refresh chain intact. The 60-second run is in the
//! README; this keeps the script and its audit working.
//!
//! Needs bash, curl, Node.js and PostgreSQL's server binaries (`.ci/run` installs them); it
//! fails rather than skips without them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use jans_testkit::repo_root as repo;

/// `target/debug/jans`: `cargo test --workspace` has built it already (for jans-http's
/// integration tests); under `cargo test -p jans-benches` alone it is built here.
fn jans_bin() -> PathBuf {
    jans_testkit::workspace_built().join("jans")
}

#[test]
fn three_nodes_under_mixed_load_lose_and_duplicate_nothing() {
    let out = Command::new("bash")
        .arg(repo().join("benches/load/cluster.sh"))
        .env("JANS_BIN", jans_bin())
        .env("MIXED_LOAD_BIN", env!("CARGO_BIN_EXE_mixed-load"))
        .env("DURATION", "5")
        .env("NODES", "3")
        .env("CONCURRENCY", "16")
        .env("CHAINS", "8")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let result = stdout
        .lines()
        .find_map(|l| l.strip_prefix("MIXED_RESULT "))
        .unwrap_or_else(|| panic!("no MIXED_RESULT line:\n{stdout}\n{stderr}"));
    let field = |name: &str| -> String {
        result
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {result}"))
            .to_owned()
    };
    for zero in ["errors", "lost", "resurrected", "duplicates"] {
        assert_eq!(field(zero), "0", "{zero}: {result}");
    }
    for op in ["token", "introspect", "revoke", "refresh"] {
        assert!(field(op).parse::<u64>().unwrap() > 0, "no {op}: {result}");
    }
    assert_eq!(field("chains"), "8/8", "{result}");
    assert!(field("audited").parse::<u64>().unwrap() > 0, "{result}");
}
