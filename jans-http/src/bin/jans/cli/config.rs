//! `jans config`: show or change the stored configuration (Janssen's `jansConfDyn`): the
//! one every node of a PostgreSQL store runs, or on the embedded store the one that
//! replaces the configuration file once changed (`reset` returns to the file).

use clap::Subcommand;

use reqwest::Method;

use super::remote::{Remote, Target, refusal, target};
use super::{CliError, Res, print_json, refused};
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

/// `PROPERTY=VALUE`: the value as JSON when it parses, else as text.
fn assignment(a: &str) -> Res<(String, serde_json::Value)> {
    let (key, raw) = a
        .split_once('=')
        .ok_or_else(|| CliError::Refused(format!("{a}: expected PROPERTY=VALUE")))?;
    let value =
        serde_json::from_str(raw).unwrap_or_else(|_| serde_json::Value::String(raw.to_owned()));
    Ok((key.to_owned(), value))
}

/// The commands through a running server's config API (`jans-auth-server/config`; the
/// revision is its ETag). The pairwise key and salt come redacted this way.
async fn through(remote: &Remote, cmd: &ConfigCommand) -> Res<()> {
    const PATH: &str = "/jans-auth-server/config";
    if let ConfigCommand::Reset = cmd {
        return refused(
            "a running server holds this data directory: stop it to reset its configuration",
        );
    }
    if let ConfigCommand::Set { assignments } = cmd {
        let mut ops = Vec::new();
        for a in assignments {
            let (key, value) = assignment(a)?;
            let path = format!("/{}", key.replace('~', "~0").replace('/', "~1"));
            ops.push(serde_json::json!({"op": "add", "path": path, "value": value}));
        }
        let (status, v, etag) = remote
            .call(
                Method::PATCH,
                PATH,
                Some((
                    "application/json-patch+json",
                    &serde_json::Value::Array(ops),
                )),
            )
            .await?;
        if status != 200 {
            return refused(refusal(status, &v));
        }
        eprintln!("configuration revision {} stored", etag.unwrap_or_default());
    }
    let (status, mut shown, etag) = remote.call(Method::GET, PATH, None).await?;
    if status != 200 {
        return refused(refusal(status, &shown));
    }
    if let serde_json::Value::Object(m) = &mut shown {
        let revision: u64 = etag.and_then(|e| e.parse().ok()).unwrap_or(0);
        m.insert("revision".into(), revision.into());
    }
    print_json(&shown)
}

pub(crate) async fn run(cli: &Cli, cmd: &ConfigCommand) -> Res<()> {
    let opened = match target(cli).await? {
        Target::Remote(remote) => return through(&remote, cmd).await,
        Target::Local(opened) => opened,
    };
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
            let (key, value) = assignment(a)?;
            if let serde_json::Value::Object(m) = &mut doc {
                m.insert(key, value);
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
