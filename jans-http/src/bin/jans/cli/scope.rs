//! `jans scope`: list, add or replace, and remove scopes.

use std::path::PathBuf;

use clap::Subcommand;

use reqwest::Method;

use super::remote::{Remote, Target, target};
use super::{CliError, Res, print_json, refused};
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

/// The scope document of `json`, checked.
fn read(json: &std::path::Path) -> Res<jans_core::repo::scope::Scope> {
    let text = std::fs::read_to_string(json)
        .map_err(|e| CliError::Refused(format!("{}: {e}", json.display())))?;
    let scope: jans_core::repo::scope::Scope = serde_json::from_str(&text)
        .map_err(|e| CliError::Refused(format!("{}: not a scope: {e}", json.display())))?;
    if let Err(e) = scope.validate() {
        return refused(format!("{}: {e}", json.display()));
    }
    Ok(scope)
}

/// The commands through a running server's config API.
async fn through(remote: &Remote, cmd: &ScopeCommand) -> Res<()> {
    // In id order, as the store lists them.
    let stored = remote.all("/scopes", "sortBy=id").await?;
    let find = |id: &str| {
        stored
            .iter()
            .find(|s| s.get("id").and_then(serde_json::Value::as_str) == Some(id))
            .and_then(|s| s.get("inum").and_then(serde_json::Value::as_str))
            .map(str::to_owned)
    };
    match cmd {
        ScopeCommand::List => print_json(&serde_json::Value::Array(stored.clone())),
        ScopeCommand::Put { json } => {
            let mut scope = read(json)?;
            let existing = find(&scope.id);
            let method = match &existing {
                // The stored scope of that id, replaced (it keeps its inum).
                Some(inum) => {
                    scope.inum.clone_from(inum);
                    Method::PUT
                }
                None => Method::POST,
            };
            let body = serde_json::to_value(&scope)?;
            remote
                .ok(method, "/scopes", Some(("application/json", &body)))
                .await?;
            println!(
                "{} scope {}",
                if existing.is_none() {
                    "added"
                } else {
                    "replaced"
                },
                scope.id
            );
            Ok(())
        }
        ScopeCommand::Remove { id } => {
            let Some(inum) = find(id) else {
                return refused(format!("no scope {id}"));
            };
            remote
                .ok(Method::DELETE, &format!("/scopes/{inum}"), None)
                .await?;
            println!("removed scope {id}");
            Ok(())
        }
    }
}

pub(crate) async fn run(cli: &Cli, cmd: &ScopeCommand) -> Res<()> {
    let opened = match target(cli).await? {
        Target::Remote(remote) => return through(&remote, cmd).await,
        Target::Local(opened) => opened,
    };
    let store = &opened.engine.stores().scopes;
    match cmd {
        ScopeCommand::List => {
            let list = serde_json::to_value(&*opened.engine.scopes())?;
            print_json(&list)
        }
        ScopeCommand::Put { json } => {
            let scope = read(json)?;
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
