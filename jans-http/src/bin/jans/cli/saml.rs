//! `jans saml sp`: the SAML IdP's trust relationships (the SPs it answers): add one from
//! its metadata (a file or a URL), list them, remove one.

use clap::Subcommand;
use jans_core::repo::saml::MetadataSource;
use jans_core::saml::MAX_METADATA;

use super::{CliError, Issuer, Res, ctx, open, print_json, refused};
use crate::Cli;

#[derive(Subcommand, Debug)]
pub(crate) enum SamlCommand {
    /// Service providers (trust relationships).
    #[command(subcommand)]
    Sp(SpCommand),
}

#[derive(Subcommand, Debug)]
pub(crate) enum SpCommand {
    /// Trust an SP: read its metadata from a file, an http(s) URL, or pasted on stdin.
    Add {
        /// The SP's metadata: a file, an `https://` URL (fetched like every outbound
        /// request: bounded, private addresses refused unless allowed), or `-` for the
        /// XML pasted on stdin.
        #[arg(long)]
        metadata: String,
        /// A name for it (default: its entity id).
        #[arg(long)]
        name: Option<String>,
    },
    /// List the trust relationships as JSON.
    List,
    /// Stop trusting an SP.
    Remove {
        /// Its id (`inum`), as `list` shows it.
        id: String,
    },
}

fn saml_error(e: jans_core::Error) -> CliError {
    match e {
        jans_core::Error::Admin(a) => CliError::Refused(a.description),
        other => other.into(),
    }
}

pub(crate) async fn run(cli: &Cli, cmd: &SamlCommand) -> Res<()> {
    let SamlCommand::Sp(cmd) = cmd;
    let opened = open(cli, Issuer::Configured, false).await?;
    let saml = opened.engine.saml();
    match cmd {
        SpCommand::Add { metadata, name } => {
            let tr = if metadata.starts_with("https://") || metadata.starts_with("http://") {
                saml.add_sp_from_url(metadata, name.as_deref(), &ctx())
                    .await
            } else if metadata == "-" {
                let mut xml = String::new();
                std::io::Read::read_to_string(
                    &mut std::io::Read::take(std::io::stdin(), MAX_METADATA as u64 + 1),
                    &mut xml,
                )
                .map_err(|e| CliError::Refused(format!("stdin: {e}")))?;
                saml.add_sp(&xml, name.as_deref(), MetadataSource::File, None, &ctx())
                    .await
            } else {
                let xml = std::fs::read_to_string(metadata)
                    .map_err(|e| CliError::Refused(format!("{metadata}: {e}")))?;
                saml.add_sp(&xml, name.as_deref(), MetadataSource::File, None, &ctx())
                    .await
            }
            .map_err(saml_error)?;
            println!("added {} ({})", tr.inum, tr.sp_metadata.entity_id);
            Ok(())
        }
        SpCommand::List => {
            let list = saml.list_sps().await.map_err(saml_error)?;
            let v = serde_json::to_value(list)
                .map_err(|e| CliError::Refused(format!("cannot show the list: {e}")))?;
            print_json(&v)
        }
        SpCommand::Remove { id } => {
            if saml.remove_sp(id).await.map_err(saml_error)? {
                println!("removed {id}");
                Ok(())
            } else {
                refused(format!("no trust relationship {id}"))
            }
        }
    }
}
