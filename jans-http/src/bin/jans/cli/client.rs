//! `jans client`: register, list, show and remove clients.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jans_core::repo::client::ClientMetadata;

use super::{CliError, Issuer, Res, ctx, open, print_json, refused};
use crate::Cli;

#[derive(Subcommand, Debug)]
pub(crate) enum ClientCommand {
    /// Register a client (RFC 7591 metadata as flags or a JSON file); prints it with its secret.
    Add(Box<ClientAddArgs>),
    /// List clients.
    List,
    /// Show one client.
    Show {
        /// The client_id.
        client_id: String,
    },
    /// Remove a client.
    Remove {
        /// The client_id.
        client_id: String,
    },
}

#[derive(Args, Debug)]
pub(crate) struct ClientAddArgs {
    /// RFC 7591 metadata JSON file; flags given too override its members.
    #[arg(long)]
    json: Option<PathBuf>,
    /// client_name
    #[arg(long)]
    name: Option<String>,
    /// grant_types (repeatable)
    #[arg(long = "grant-type")]
    grant_types: Vec<String>,
    /// token_endpoint_auth_method
    #[arg(long)]
    auth_method: Option<String>,
    /// token_endpoint_auth_signing_alg
    #[arg(long)]
    auth_signing_alg: Option<String>,
    /// scope (space-separated)
    #[arg(long)]
    scope: Option<String>,
    /// redirect_uris (repeatable)
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// jwks_uri
    #[arg(long)]
    jwks_uri: Option<String>,
    /// A file holding the client's public JWK Set (`jwks`)
    #[arg(long)]
    jwks_file: Option<PathBuf>,
    /// Issue RFC 9068 JWT access tokens
    #[arg(long)]
    access_token_as_jwt: bool,
    /// access_token_signing_alg
    #[arg(long)]
    access_token_signing_alg: Option<String>,
    /// access_token_lifetime (seconds)
    #[arg(long)]
    access_token_lifetime: Option<u64>,
}

pub(crate) async fn run(cli: &Cli, cmd: &ClientCommand) -> Res<()> {
    match cmd {
        ClientCommand::Add(a) => add(cli, a).await,
        ClientCommand::List => {
            let opened = open(cli, Issuer::Configured, false).await?;
            let list: Vec<serde_json::Value> = opened
                .engine
                .clients()
                .await?
                .iter()
                .map(|c| c.to_public_json())
                .collect();
            print_json(&serde_json::Value::Array(list))
        }
        ClientCommand::Show { client_id } => {
            let opened = open(cli, Issuer::Configured, false).await?;
            match opened.engine.client(client_id).await? {
                Some(c) => print_json(&c.to_public_json()),
                None => refused(format!("no client {client_id}")),
            }
        }
        ClientCommand::Remove { client_id } => {
            let opened = open(cli, Issuer::Configured, false).await?;
            if opened.engine.remove_client(client_id).await? {
                println!("removed {client_id}");
                Ok(())
            } else {
                refused(format!("no client {client_id}"))
            }
        }
    }
}

async fn add(cli: &Cli, a: &ClientAddArgs) -> Res<()> {
    let mut doc = match &a.json {
        Some(p) => serde_json::from_str::<serde_json::Value>(
            &std::fs::read_to_string(p)
                .map_err(|e| CliError::Refused(format!("cannot read {}: {e}", p.display())))?,
        )
        .map_err(|e| CliError::Refused(format!("{}: {e}", p.display())))?,
        None => serde_json::json!({}),
    };
    let m = doc
        .as_object_mut()
        .ok_or_else(|| CliError::Refused("client metadata must be a JSON object".to_owned()))?;
    let mut set = |k: &str, v: serde_json::Value| {
        m.insert(k.to_owned(), v);
    };
    if let Some(v) = &a.name {
        set("client_name", v.clone().into());
    }
    if !a.grant_types.is_empty() {
        set("grant_types", a.grant_types.clone().into());
    }
    if let Some(v) = &a.auth_method {
        set("token_endpoint_auth_method", v.clone().into());
    }
    if let Some(v) = &a.auth_signing_alg {
        set("token_endpoint_auth_signing_alg", v.clone().into());
    }
    if let Some(v) = &a.scope {
        set("scope", v.clone().into());
    }
    if !a.redirect_uris.is_empty() {
        set("redirect_uris", a.redirect_uris.clone().into());
    }
    if let Some(v) = &a.jwks_uri {
        set("jwks_uri", v.clone().into());
    }
    if let Some(p) = &a.jwks_file {
        let jwks: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(p)
                .map_err(|e| CliError::Refused(format!("cannot read {}: {e}", p.display())))?,
        )
        .map_err(|e| CliError::Refused(format!("{}: {e}", p.display())))?;
        set("jwks", jwks);
    }
    if a.access_token_as_jwt {
        set("access_token_as_jwt", true.into());
    }
    if let Some(v) = &a.access_token_signing_alg {
        set("access_token_signing_alg", v.clone().into());
    }
    if let Some(v) = a.access_token_lifetime {
        set("access_token_lifetime", v.into());
    }
    let metadata = ClientMetadata::from_json(doc)?;
    let opened = open(cli, Issuer::Configured, false).await?;
    let reg = opened.engine.register_client(metadata, &ctx()).await?;
    print_json(&reg.to_json())
}
