//! The `jans` commands, one module per command group, over what they share: opening the
//! data directory and building the engine ([`open`]), the command context, JSON output.

pub(crate) mod cleanup;
pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod fido2;
pub(crate) mod healthcheck;
pub(crate) mod init;
pub(crate) mod keys;
pub(crate) mod migrate;
pub(crate) mod remote;
pub(crate) mod saml;
pub(crate) mod scope;
pub(crate) mod serve;
pub(crate) mod user;

use std::sync::Arc;

use jans_core::{Ctx, Engine};
use jans_http::OsRandom;
use jans_http::host::datadir::{DataDir, load_config};

use crate::Cli;

/// Why a command failed: the host's or the engine's typed error, or the command's own
/// refusal (what the operator asked for cannot be done, and why).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Opening the data directory, reading files, the database.
    #[error(transparent)]
    Host(#[from] jans_http::host::HostError),
    /// The engine refused or failed.
    #[error(transparent)]
    Engine(#[from] jans_core::Error),
    /// A store operation the command makes itself.
    #[error(transparent)]
    Store(#[from] jans_core::store::StoreError),
    /// Metadata or a request the engine refused as its protocol would.
    #[error(transparent)]
    Protocol(#[from] jans_core::error::oauth::OAuthError),
    /// A JSON document that could not be read or written.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// Serving failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The command cannot do what was asked.
    #[error("{0}")]
    Refused(String),
}

/// A command's result.
pub(crate) type Res<T> = Result<T, CliError>;

/// Refuse with this reason.
pub(crate) fn refused<T>(reason: impl Into<String>) -> Res<T> {
    Err(CliError::Refused(reason.into()))
}

pub(crate) fn ctx() -> Ctx {
    Ctx::new(jans_http::now(), Arc::new(OsRandom), "cli")
}

pub(crate) struct Opened {
    pub(crate) engine: Engine,
    pub(crate) data: DataDir,
}

/// Where the issuer comes from.
pub(crate) enum Issuer {
    /// The configuration's (file, `JANS_ISSUER`, or the default).
    Configured,
    /// `--issuer`.
    Explicit(String),
    /// This one unless the configuration names an issuer other than the default.
    Derived(String),
}

/// Open the data directory and build the engine. With `init`, create what is missing.
pub(crate) async fn open(cli: &Cli, issuer: Issuer, init: bool) -> Res<Opened> {
    open_with(cli, issuer, init, None, None).await
}

/// [`open`] for a server, whose background work the engine wakes.
pub(crate) async fn open_with(
    cli: &Cli,
    issuer: Issuer,
    init: bool,
    background: Option<&jans_http::Background>,
    ip_countries: Option<std::path::PathBuf>,
) -> Res<Opened> {
    let mut config = load_config(cli.config.as_deref())?;
    let explicit = match &issuer {
        Issuer::Explicit(i) => Some(i.clone()),
        _ => None,
    };
    match issuer {
        Issuer::Configured => {}
        Issuer::Explicit(i) => config.issuer = i,
        Issuer::Derived(i) => {
            if config.issuer == jans_core::Config::default().issuer {
                config.issuer = i;
            }
        }
    }
    let data = DataDir::new(cli.data_dir()).with_ip_countries(ip_countries);
    let engine = data.open_engine(config, init, &ctx(), background).await?;
    // On a shared store the issuer is part of the shared configuration.
    if let Some(wanted) = explicit
        && engine.config().issuer != wanted
    {
        return refused(format!(
            "--issuer {wanted} differs from the shared configuration's issuer {}; change it \
             for every node with `jans config set issuer={wanted}`",
            engine.config().issuer
        ));
    }
    Ok(Opened { engine, data })
}

pub(crate) fn print_json(v: &serde_json::Value) -> Res<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}
