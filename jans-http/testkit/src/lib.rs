//! What the integration tests of several crates (`jans-http`, `jans-ffi`, `benches`) need
//! alike and used to copy: the checkout's root, a command that fails the test with its
//! output, a required tool, and the workspace built once per run into the test's own
//! target directory. A dev-dependency only; it links nothing of jans-rs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The root of the checkout (the workspace's `Cargo.toml`).
pub fn repo_root() -> PathBuf {
    // This crate lives at jans-http/testkit.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("jans-http/testkit sits two levels below the root")
        .to_owned()
}

/// Run `cmd`; a failure to start or a non-zero exit fails the test with both outputs.
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\n--- stdout\n{}\n--- stderr\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// Fail loudly, naming `why`, when `tool version_arg` does not run: tests that need a tool
/// fail without it, they never skip (`.ci/run` installs every one).
pub fn require(tool: &str, version_arg: &str, why: &str) {
    match Command::new(tool).arg(version_arg).output() {
        Ok(o) if o.status.success() => {}
        other => panic!("`{tool} {version_arg}` failed ({other:?}): {why}; .ci/run installs it"),
    }
}

/// The profile directory of the running test's target (`target/debug`), after building
/// every library and test of the workspace into it once per run: the same packages,
/// targets and features as `cargo test --workspace` (dev-dependencies' features
/// included, which a plain `cargo build --bins` would drop and so rebuild half the
/// dependency tree), so under the workspace run everything is built already and only
/// `libjans` and the `jans` binary are linked. Cargo releases its build lock while tests
/// run.
pub fn workspace_built() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().unwrap();
            // target/debug/deps/TEST-HASH -> target/debug
            let profile_dir = exe.parent().unwrap().parent().unwrap().to_owned();
            let target = profile_dir.parent().unwrap().to_owned();
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            run(Command::new(cargo)
                .current_dir(repo_root())
                .args(["build", "--workspace", "--lib", "--tests", "--target-dir"])
                .arg(&target));
            profile_dir
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_holds_the_workspace() {
        let manifest = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
        assert!(manifest.contains("[workspace]"));
    }

    #[test]
    #[should_panic(expected = "failed")]
    fn a_failing_command_fails_the_test() {
        run(&mut Command::new("false"));
    }
}
