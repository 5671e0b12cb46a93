//! `jans saml sp`: the SAML IdP's trust relationships (the SPs it answers): add one from
//! its metadata (a file or a URL), list them, remove one.

use clap::Subcommand;
use jans_core::repo::saml::MetadataSource;

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
    /// Trust an SP: read its metadata from a file or an http(s) URL.
    Add {
        /// The SP's metadata: a file, or an `https://` URL (fetched like every outbound
        /// request: bounded, private addresses refused unless allowed).
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
