//! `jans client`: register, list, show and remove clients.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use jans_core::repo::client::ClientMetadata;

use jans_core::admin::clients::wire;
use reqwest::Method;

use super::remote::{Target, refusal, target};
use super::{CliError, Res, ctx, print_json, refused};
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
    if let ClientCommand::Add(a) = cmd {
        return add(cli, a).await;
    }
    let remote = match target(cli).await? {
        Target::Remote(r) => r,
        Target::Local(opened) => return local(&opened, cmd).await,
    };
    match cmd {
        ClientCommand::List => {
            let scopes = remote.scopes().await?;
            let mut list = Vec::new();
            for v in remote.all("/openid/clients", "").await? {
                list.push(public(v, &scopes, None)?);
            }
            print_json(&serde_json::Value::Array(list))
        }
        ClientCommand::Show { client_id } => {
            let (status, v, _) = remote
                .call(Method::GET, &format!("/openid/clients/{client_id}"), None)
                .await?;
            match status {
                200 => print_json(&public(v, &remote.scopes().await?, None)?),
                404 => refused(format!("no client {client_id}")),
                _ => refused(refusal(status, &v)),
            }
        }
        ClientCommand::Remove { client_id } => {
            let (status, v, _) = remote
                .call(
                    Method::DELETE,
                    &format!("/openid/clients/{client_id}"),
                    None,
                )
                .await?;
            match status {
                204 => {
                    println!("removed {client_id}");
                    Ok(())
                }
                404 => refused(format!("no client {client_id}")),
                _ => refused(refusal(status, &v)),
            }
        }
        ClientCommand::Add(_) => Ok(()),
    }
}

/// The commands on the opened data directory.
async fn local(opened: &super::Opened, cmd: &ClientCommand) -> Res<()> {
    match cmd {
        ClientCommand::List => {
            let list: Vec<serde_json::Value> = opened
                .engine
                .clients()
                .await?
                .iter()
                .map(|c| c.to_public_json())
                .collect();
            print_json(&serde_json::Value::Array(list))
        }
        ClientCommand::Show { client_id } => match opened.engine.client(client_id).await? {
            Some(c) => print_json(&c.to_public_json()),
            None => refused(format!("no client {client_id}")),
        },
        ClientCommand::Remove { client_id } => {
            if opened.engine.remove_client(client_id).await? {
                println!("removed {client_id}");
                Ok(())
            } else {
                refused(format!("no client {client_id}"))
            }
        }
        ClientCommand::Add(_) => Ok(()),
    }
}

/// A client from the API's JSON in the form the local path prints: RFC 7591 names, the
/// secret when `secret` is one.
fn public(
    v: serde_json::Value,
    scopes: &[jans_core::repo::scope::Scope],
    secret: Option<&str>,
) -> Res<serde_json::Value> {
    let client = wire::from_janssen(v, scopes)
        .map_err(|e| CliError::Refused(format!("the server's client JSON: {}", e.description)))?;
    let mut out = client.to_public_json();
    if let serde_json::Value::Object(m) = &mut out {
        if client.metadata.token_endpoint_auth_method.uses_secret() {
            m.insert("client_secret_expires_at".into(), 0.into());
        }
        if let Some(s) = secret {
            m.insert("client_secret".into(), s.into());
        }
    }
    Ok(out)
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
    let remote = match target(cli).await? {
        Target::Local(opened) => {
            let reg = opened.engine.register_client(metadata, &ctx()).await?;
            return print_json(&reg.to_json());
        }
        Target::Remote(r) => r,
    };
    let body = wire::to_janssen(&jans_core::repo::client::Client {
        client_id: String::new(),
        client_secret_sealed: None,
        client_id_issued_at: 0,
        client_secret_expires_at: 0,
        disabled: false,
        registration_access_token_hash: None,
        description: None,
        metadata,
    });
    let made = remote
        .ok(
            Method::POST,
            "/openid/clients",
            Some(("application/json", &body)),
        )
        .await?;
    let secret = made
        .get("clientSecret")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    print_json(&public(made, &remote.scopes().await?, secret.as_deref())?)
}
