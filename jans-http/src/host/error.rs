//! What a host's own operations fail with (DESIGN.md §7: typed errors in host code too):
//! opening a data directory, reading configuration and TLS files, loading templates.
//! Each variant's message names the file, the setting or the command that fixes it.

use std::path::PathBuf;

/// A host operation's failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// A file or directory could not be read, written or created.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `create`, ..).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file holds something unusable (a key of the wrong length, a PEM file without a
    /// certificate, a template that does not parse, a configuration that does not validate).
    #[error("{}: {reason}", file.display())]
    Invalid {
        /// The file (or the setting, for values from the environment).
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The data directory was never initialized.
    #[error("{} is not initialized (run `jans --data-dir {} init` or `jans serve`)", .0.display(), .0.display())]
    NotInitialized(PathBuf),
    /// Another process holds the embedded database.
    #[error(
        "the data directory {} is in use by a running `jans serve`; stop it first (the \
         embedded database admits one process at a time)",
        .0.display()
    )]
    InUse(PathBuf),
    /// The database is unusable as it is (its schema, a connection that failed).
    #[error("database: {0}")]
    Database(String),
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] jans_core::Error),
    /// A command-line or environment value that cannot be used.
    #[error("{setting}: {reason}")]
    Setting {
        /// The option or variable (`--components`, `JANS_MASTER_KEY`).
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The deployment is not ready for this (keys another node is still generating).
    #[error("{0}")]
    NotReady(&'static str),
}

impl HostError {
    /// An I/O failure on `path`.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        HostError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Something unusable in `file`.
    pub fn invalid(file: impl Into<PathBuf>, reason: impl std::fmt::Display) -> Self {
        HostError::Invalid {
            file: file.into(),
            reason: reason.to_string(),
        }
    }

    /// An unusable option or variable.
    pub fn setting(setting: &'static str, reason: impl std::fmt::Display) -> Self {
        HostError::Setting {
            setting,
            reason: reason.to_string(),
        }
    }
}
