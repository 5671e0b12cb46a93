//! `jans migrate`: create or upgrade the PostgreSQL schema, then load the initial data.

use clap::Args;
use jans_http::host::datadir::load_config;

use super::{CliError, Issuer, Res, ctx, open, refused};
use crate::Cli;

#[derive(Args, Debug)]
pub(crate) struct MigrateArgs {
    /// Do not register the bootstrap admin client (where the data directory does not
    /// outlive the command, e.g. a Kubernetes Job, its credentials would be lost).
    #[arg(long)]
    no_admin_client: bool,
}

pub(crate) async fn run(cli: &Cli, args: &MigrateArgs) -> Res<()> {
    let config = load_config(cli.config.as_deref())?;
    // The master key every node must share: from the environment, or kept in a data
    // directory the operator named (never silently in the working directory).
    let env_key = std::env::var_os("JANS_MASTER_KEY").is_some();
    if !env_key && cli.data_dir.is_none() {
        return refused(
            "jans migrate needs the master key every node will use: set \
                    JANS_MASTER_KEY (base64url of 32 random bytes, the same on every \
                    node), or name the directory to keep it in with --data-dir DIR \
                    (it is then DIR/master.key)"
                .to_owned(),
        );
    }
    let key_file = cli.data_dir().join("master.key");
    let had_key_file = key_file.exists();
    if config.persistence.kind == jans_core::config::PersistenceType::Postgres {
        jans_http::host::datadir::wait_for_database(&config, std::time::Duration::from_secs(60))
            .await?;
        let pg = jans_http::host::datadir::connect_postgres(&config)?;
        let applied = jans_core::store::postgres::schema::migrate(&pg)
            .await
            .map_err(|e| CliError::Refused(format!("migration failed: {e}")))?;
        if applied.is_empty() {
            println!(
                "schema is current (version {})",
                jans_core::store::postgres::schema::LATEST
            );
        } else {
            println!("applied schema versions {applied:?}");
        }
    } else {
        println!("the sled store has no schema to migrate");
    }
    let opened = open(cli, Issuer::Configured, true).await?;
    if !env_key && !had_key_file && key_file.exists() {
        println!(
            "master key written to {} (give every node this key, as JANS_MASTER_KEY \
             or in its data directory)",
            key_file.display()
        );
    }
    // Opening loaded the default scopes into an empty store.
    println!("{} scopes", opened.engine.scopes().len());
    if !args.no_admin_client
        && let Some(p) = opened
            .data
            .ensure_admin_client(&opened.engine, &ctx())
            .await?
    {
        println!("admin client credentials written to {}", p.display());
    }
    Ok(())
}
