//! `benches/load/casa.sh` in small: a person with 20 credentials (10 passkeys, 10
//! authenticator apps) enrolled through the real pages, and 50 dashboards answered, each a
//! 200 listing all of them. The README's figure comes from the full run in release; this
//! keeps the script and its tool working, and times nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use jans_testkit::repo_root as repo;

#[test]
fn the_dashboard_lists_twenty_credentials_every_time() {
    let out = Command::new("bash")
        .arg(repo().join("benches/load/casa.sh"))
        .env("JANS_BIN", jans_testkit::workspace_built().join("jans"))
        .env("CASA_LOAD_BIN", env!("CARGO_BIN_EXE_casa-load"))
        .env("REQUESTS", "50")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("CASA_RESULT "))
        .unwrap_or_else(|| panic!("no result:\n{stdout}\n{stderr}"));
    assert!(line.contains(" requests=50 "), "{line}");
    assert!(line.contains(" credentials=20 "), "{line}");
    assert!(line.ends_with(" failed=0"), "{line}");
}
