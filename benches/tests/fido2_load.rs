//! `benches/load/fido2.sh` in small: `jans serve` and the `@simplewebauthn/server` baseline
//! each take a second of `assertion/result` posts from wrk, every answer a 200 and no
//! prepared ceremony posted twice. The README's figures come from the full run; this keeps
//! the script, its load tool and its baseline working. 20,000 ceremonies outlast a second
//! of posting even on CI's faster machines, where a debug build answered about 3,500/s (4,000
//! ran out there).
//!
//! Needs bash, curl, Node.js with the baseline's npm packages, and wrk (`.ci/run` installs
//! them); it fails rather than skips without them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use jans_testkit::repo_root as repo;

#[test]
fn both_servers_answer_every_prepared_assertion() {
    let out = Command::new("bash")
        .arg(repo().join("benches/load/fido2.sh"))
        .env("JANS_BIN", jans_testkit::workspace_built().join("jans"))
        .env("FIDO2_LOAD_BIN", env!("CARGO_BIN_EXE_fido2-load"))
        .env("COUNT", "20000")
        .env("DURATION", "1s")
        .env("CONNECTIONS", "8")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for server in ["jans", "simplewebauthn"] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(&format!("FIDO2_RESULT server={server} ")))
            .unwrap_or_else(|| panic!("no result for {server}:\n{stdout}\n{stderr}"));
        let field = |name: &str| -> String {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .unwrap_or_else(|| panic!("no {name} in {line}"))
                .to_owned()
        };
        assert!(field("requests").parse::<u64>().unwrap() > 0, "{line}");
        for zero in ["non2xx", "socket_errors", "exhausted"] {
            assert_eq!(field(zero), "0", "{zero}: {line}");
        }
    }
}
