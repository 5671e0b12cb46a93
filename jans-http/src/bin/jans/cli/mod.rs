//! The `jans` commands, one module per command group, over what they share: opening the
//! data directory and building the engine ([`open`]), the command context, JSON output.

pub(crate) mod cleanup;
pub(crate) mod client;
pub(crate) mod config;
pub(crate) mod healthcheck;
pub(crate) mod init;
pub(crate) mod keys;
pub(crate) mod migrate;
pub(crate) mod scope;
pub(crate) mod serve;
pub(crate) mod user;

use std::sync::Arc;

use jans_core::{Ctx, Engine};
use jans_http::OsRandom;
use jans_http::host::datadir::{DataDir, load_config};

use crate::Cli;

pub(crate) type Res<T> = Result<T, String>;

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
    open_with(cli, issuer, init, None).await
}

/// [`open`] for a server, whose background work the engine wakes.
pub(crate) async fn open_with(
    cli: &Cli,
    issuer: Issuer,
    init: bool,
    background: Option<&jans_http::Background>,
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
    let data = DataDir::new(cli.data_dir());
    let engine = data.open_engine(config, init, &ctx(), background).await?;
    // On a shared store the issuer is part of the shared configuration.
    if let Some(wanted) = explicit
        && engine.config().issuer != wanted
    {
        return Err(format!(
            "--issuer {wanted} differs from the shared configuration's issuer {}; change it \
             for every node with `jans config set issuer={wanted}`",
            engine.config().issuer
        ));
    }
    Ok(Opened { engine, data })
}

pub(crate) fn print_json(v: &serde_json::Value) -> Res<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).map_err(|e| e.to_string())?
    );
    Ok(())
}
