//! The FIDO2 metadata folders of `fido2Configuration` (`mdsTocsFolder`, `mdsCertsFolder`,
//! `serverMetadataFolder`, `authenticatorCertsFolder`), read for the engine, which reads no
//! file itself (DESIGN.md §3).

use std::path::Path;

use jans_core::config::fido2::Fido2Configuration;
use jans_core::fido2::mds::{MAX_FILE_BYTES, Sources};
use jans_core::{Ctx, Engine};

/// Files read from one folder at most.
pub const MAX_FILES: usize = 10_000;

/// The regular files of `dir` (sorted by name), each at most [`MAX_FILE_BYTES`]; what
/// could not be read is reported.
fn read_folder(dir: &Path, problems: &mut Vec<String>) -> Vec<(String, Vec<u8>)> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            problems.push(format!("{}: {e}", dir.display()));
            return Vec::new();
        }
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .take(MAX_FILES)
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for p in paths {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match std::fs::metadata(&p) {
            Ok(m) if m.len() > MAX_FILE_BYTES as u64 => {
                problems.push(format!(
                    "{}: larger than {MAX_FILE_BYTES} bytes",
                    p.display()
                ));
            }
            Ok(_) => match std::fs::read(&p) {
                Ok(bytes) => files.push((name, bytes)),
                Err(e) => problems.push(format!("{}: {e}", p.display())),
            },
            Err(e) => problems.push(format!("{}: {e}", p.display())),
        }
    }
    files
}

/// Read the configured folders (those set; relative paths from the working directory).
pub fn read(config: &Fido2Configuration) -> (Sources, Vec<String>) {
    let mut problems = Vec::new();
    let mut folder = |dir: &Option<String>| {
        dir.as_deref()
            .map(|d| read_folder(Path::new(d), &mut problems))
            .unwrap_or_default()
    };
    let sources = Sources {
        blobs: folder(&config.mds_tocs_folder),
        mds_certs: folder(&config.mds_certs_folder),
        statements: folder(&config.server_metadata_folder),
        authenticator_certs: folder(&config.authenticator_certs_folder),
    };
    (sources, problems)
}

/// Read the folders and load them into `engine`'s FIDO2 server; every problem is logged
/// (a file that fails is skipped, never fatal). Returns the problems.
pub fn load(engine: &Engine, ctx: &Ctx) -> Vec<String> {
    let (sources, mut problems) = read(&engine.config().fido2_configuration);
    problems.extend(engine.fido2().load_metadata(&sources, ctx));
    for p in &problems {
        tracing::warn!(problem = %p, "FIDO metadata file skipped");
    }
    let md = engine.fido2().metadata();
    if !md.is_empty() {
        tracing::info!(entries = md.len(), "FIDO metadata loaded");
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_read_sorted_and_problems_reported() {
        let dir = std::env::temp_dir().join(format!("jans-mds-{}", std::process::id()));
        let toc = dir.join("toc");
        std::fs::create_dir_all(toc.join("sub")).unwrap();
        std::fs::write(toc.join("b.jwt"), b"b").unwrap();
        std::fs::write(toc.join("a.jwt"), b"a").unwrap();
        let config = Fido2Configuration {
            mds_tocs_folder: Some(toc.display().to_string()),
            server_metadata_folder: Some(dir.join("missing").display().to_string()),
            ..Fido2Configuration::default()
        };
        let (sources, problems) = read(&config);
        let names: Vec<&str> = sources.blobs.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["a.jwt", "b.jwt"], "files only, sorted");
        assert_eq!(sources.blobs[0].1, b"a");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].contains("missing"));
        assert!(sources.mds_certs.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
