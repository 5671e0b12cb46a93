//! `jans config`: show or change the stored configuration (Janssen's `jansConfDyn`): the
//! one every node of a PostgreSQL store runs, or on the embedded store the one that
//! replaces the configuration file once changed (`reset` returns to the file).

use clap::Subcommand;

use super::{CliError, Issuer, Res, open, print_json};
use crate::Cli;

#[derive(Subcommand, Debug)]
pub(crate) enum ConfigCommand {
    /// Print the configuration this process runs (with its shared revision).
    Show,
    /// Change properties (`accessTokenLifetime=600`, values as JSON, else as text); every
    /// node applies the change within `configurationUpdateInterval`.
    Set {
        /// PROPERTY=VALUE pairs, with Janssen's property names.
        #[arg(required = true)]
        assignments: Vec<String>,
    },
    /// Embedded store: forget the stored configuration, so that the configuration file
    /// governs again from the next start.
    Reset,
}

pub(crate) async fn run(cli: &Cli, cmd: &ConfigCommand) -> Res<()> {
    let opened = open(cli, Issuer::Configured, false).await?;
    let engine = &opened.engine;
    if let ConfigCommand::Reset = cmd {
        let had = engine.reset_config().await?;
        eprintln!(
            "{}",
            if had {
                "stored configuration removed: the configuration file governs from the next start"
            } else {
                "no stored configuration: the configuration file governs"
            }
        );
        return Ok(());
    }
    if let ConfigCommand::Set { assignments } = cmd {
        let mut doc = jans_core::engine::shared_doc(&engine.config())?;
        for a in assignments {
            let (key, raw) = a
                .split_once('=')
                .ok_or_else(|| CliError::Refused(format!("{a}: expected PROPERTY=VALUE")))?;
            let value = serde_json::from_str(raw)
                .unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()));
            if let serde_json::Value::Object(m) = &mut doc {
                m.insert(key.to_owned(), value);
            }
        }
        let revision = engine.update_config(doc).await?;
        eprintln!("configuration revision {revision} stored");
    }
    let mut shown = jans_core::engine::shared_doc(&engine.config())?;
    if let serde_json::Value::Object(m) = &mut shown {
        m.insert("revision".into(), engine.config_revision().into());
    }
    print_json(&shown)
}
