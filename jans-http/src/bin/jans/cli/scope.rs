//! `jans scope`: list, add or replace, and remove scopes.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliError, Issuer, Res, open, print_json, refused};
use crate::Cli;

#[derive(Subcommand, Debug)]
pub(crate) enum ScopeCommand {
    /// List the scopes as JSON.
    List,
    /// Add a scope, or replace the one with its `id`, from a JSON file (Janssen's scope
    /// fields: id, inum, description, scopeType, claims, defaultScope, attributes).
    Put {
        /// The scope document.
        #[arg(long)]
        json: PathBuf,
    },
    /// Remove a scope.
    Remove {
        /// The scope value.
        id: String,
    },
}

pub(crate) async fn run(cli: &Cli, cmd: &ScopeCommand) -> Res<()> {
    let opened = open(cli, Issuer::Configured, false).await?;
    let store = &opened.engine.stores().scopes;
    match cmd {
        ScopeCommand::List => {
            let list = serde_json::to_value(&*opened.engine.scopes())?;
            print_json(&list)
        }
        ScopeCommand::Put { json } => {
            let text = std::fs::read_to_string(json)
                .map_err(|e| CliError::Refused(format!("{}: {e}", json.display())))?;
            let scope: jans_core::repo::scope::Scope = serde_json::from_str(&text)
                .map_err(|e| CliError::Refused(format!("{}: not a scope: {e}", json.display())))?;
            if let Err(e) = scope.validate() {
                return refused(format!("{}: {e}", json.display()));
            }
            let added = match store.insert(&scope).await {
                Ok(()) => true,
                Err(jans_core::store::StoreError::Conflict) => {
                    store.update(&scope).await?;
                    false
                }
                Err(e) => return Err(e.into()),
            };
            println!(
                "{} scope {}",
                if added { "added" } else { "replaced" },
                scope.id
            );
            Ok(())
        }
        ScopeCommand::Remove { id } => {
            if store.delete(id).await? {
                println!("removed scope {id}");
                Ok(())
            } else {
                refused(format!("no scope {id}"))
            }
        }
    }
}
