//! The Cedar policies `umaCedarPolicies` names (a `.cedar` file, or a directory of them),
//! read for the engine's UMA component, which reads no file itself (DESIGN.md §3): at
//! start, where a policy that does not parse stops the server with where it is wrong, and
//! again whenever the shared configuration changes, where it is logged and the policies
//! in force stay.

use std::path::Path;

use jans_core::Engine;
use jans_core::uma::policy::cedar::{MAX_FILE_BYTES, PolicyFile};

/// Files read from a directory at most.
pub const MAX_FILES: usize = 10_000;

fn read_file(path: &Path) -> Result<PolicyFile, String> {
    let name = path.display().to_string();
    let size = std::fs::metadata(path)
        .map_err(|e| format!("{name}: {e}"))?
        .len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(format!("{name}: larger than {MAX_FILE_BYTES} bytes"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
    Ok(PolicyFile { name, text })
}

/// The policy files at `path`: the file itself, or a directory's `*.cedar` files by name.
pub fn read(path: &Path) -> Result<Vec<PolicyFile>, String> {
    if !path.is_dir() {
        return Ok(vec![read_file(path)?]);
    }
    let mut paths: Vec<_> = std::fs::read_dir(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "cedar"))
        .take(MAX_FILES)
        .collect();
    paths.sort();
    paths.iter().map(|p| read_file(p)).collect()
}

/// Load the policies the configuration names into `engine` (none named: none in force).
/// How many are in force, or what is wrong and where.
pub fn load(engine: &Engine) -> Result<usize, String> {
    let config = engine.config();
    let files = match config.uma_cedar_policies.as_str() {
        "" => Vec::new(),
        p => read(Path::new(p))?,
    };
    engine
        .uma()
        .load_policies(&files)
        .map_err(|e| e.to_string())
}

/// Reload after a change of the shared configuration: a fault is logged, and the policies
/// in force stay.
pub fn reload(engine: &Engine) {
    match load(engine) {
        Ok(n) => tracing::info!(policies = n, "UMA Cedar policies loaded"),
        Err(e) => {
            tracing::error!(error = %e, "UMA Cedar policies not reloaded; the previous ones stay")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_gives_its_cedar_files_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("b.cedar"),
            "forbid(principal, action, resource);",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("a.cedar"),
            "permit(principal, action, resource);",
        )
        .unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not a policy").unwrap();
        let files = read(dir.path()).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|f| Path::new(&f.name).file_name().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["a.cedar", "b.cedar"]);
        let one = read(&dir.path().join("a.cedar")).unwrap();
        assert_eq!(one.len(), 1);
        assert!(
            read(&dir.path().join("missing.cedar"))
                .unwrap_err()
                .contains("missing.cedar")
        );
    }
}
