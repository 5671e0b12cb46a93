//! `jans user`: add people, set passwords, list, disable and enable.

use clap::Subcommand;

use reqwest::Method;

use super::remote::{Remote, Target, refusal, target};
use super::{CliError, Res, ctx, print_json, refused};
use crate::Cli;

#[derive(Subcommand, Debug)]
pub(crate) enum UserCommand {
    /// Add a person; the password is read from the first line of standard input.
    Add {
        /// Login name (uid).
        #[arg(long)]
        username: String,
        /// Email address (mail).
        #[arg(long)]
        email: Option<String>,
        /// given_name
        #[arg(long)]
        given_name: Option<String>,
        /// family_name
        #[arg(long)]
        family_name: Option<String>,
        /// name (display name)
        #[arg(long)]
        name: Option<String>,
        /// A role (Janssen's `role`; `CasaAdmin` opens Casa's admin console); repeatable.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Read the password from standard input (required: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// Set a person's password, read from the first line of standard input.
    Passwd {
        /// Login name (uid).
        username: String,
        /// Read the password from standard input.
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// List people (without password hashes).
    List,
    /// Disable a person: no more logins.
    Disable {
        /// Login name (uid).
        username: String,
    },
    /// Enable a disabled person.
    Enable {
        /// Login name (uid).
        username: String,
    },
}

/// The first line of standard input, without its line ending.
fn password_from_stdin() -> Res<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).map_err(|e| {
        CliError::Refused(format!("cannot read the password from standard input: {e}"))
    })?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return refused("no password on standard input".to_owned());
    }
    Ok(password)
}

fn user_error(uid: &str, e: jans_core::Error) -> CliError {
    match e {
        jans_core::Error::Store(jans_core::store::StoreError::Conflict) => {
            CliError::Refused(format!("a user named {uid} already exists"))
        }
        jans_core::Error::Store(jans_core::store::StoreError::NotFound) => {
            CliError::Refused(format!("no user named {uid}"))
        }
        other => other.into(),
    }
}

/// A person from the API's JSON, as the local path prints them.
fn public(v: &serde_json::Value) -> Res<serde_json::Value> {
    let user = jans_core::admin::users::from_janssen(v)
        .map_err(|e| CliError::Refused(format!("the server's user JSON: {}", e.description)))?;
    Ok(user.to_public_json())
}

/// The `inum` of the person named `uid`, asked of the server.
async fn inum_of(remote: &Remote, uid: &str) -> Res<String> {
    let found = remote
        .all(
            "/mgt/configuser",
            &format!("fieldValuePair=userId%3D{}", url_encode(uid)),
        )
        .await?;
    found
        .iter()
        .find(|u| u.get("userId").and_then(serde_json::Value::as_str) == Some(uid))
        .and_then(|u| u.get("inum").and_then(serde_json::Value::as_str))
        .map(str::to_owned)
        .ok_or_else(|| CliError::Refused(format!("no user named {uid}")))
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Patch the person `uid` on the server with `ops` (a JSON Patch).
async fn patch(remote: &Remote, uid: &str, ops: serde_json::Value) -> Res<()> {
    let inum = inum_of(remote, uid).await?;
    let body = serde_json::json!({"jsonPatchString": ops.to_string()});
    remote
        .ok(
            Method::PATCH,
            &format!("/mgt/configuser/{inum}"),
            Some(("application/json", &body)),
        )
        .await?;
    Ok(())
}

/// The commands through a running server's config API.
async fn through(remote: &Remote, cmd: &UserCommand, password: Option<String>) -> Res<()> {
    match cmd {
        UserCommand::Add {
            username,
            email,
            given_name,
            family_name,
            name,
            roles,
            ..
        } => {
            let mut body = serde_json::json!({
                "userId": username, "mail": email, "givenName": given_name,
                "displayName": name, "jansStatus": "active", "userPassword": password,
            });
            let mut custom = Vec::new();
            if let Some(sn) = family_name {
                custom
                    .push(serde_json::json!({"name": "sn", "multiValued": false, "values": [sn]}));
            }
            if !roles.is_empty() {
                custom.push(
                    serde_json::json!({"name": "role", "multiValued": true, "values": roles}),
                );
            }
            if !custom.is_empty() {
                body["customAttributes"] = serde_json::Value::Array(custom);
            }
            let (status, v, _) = remote
                .call(
                    Method::POST,
                    "/mgt/configuser",
                    Some(("application/json", &body)),
                )
                .await?;
            match status {
                201 => print_json(&public(&v)?),
                409 => refused(format!("a user named {username} already exists")),
                _ => refused(refusal(status, &v)),
            }
        }
        UserCommand::Passwd { username, .. } => {
            let ops =
                serde_json::json!([{"op": "add", "path": "/userPassword", "value": password}]);
            patch(remote, username, ops).await?;
            println!("password of {username} changed");
            Ok(())
        }
        UserCommand::List => {
            let mut list = Vec::new();
            for v in remote.all("/mgt/configuser", "").await? {
                list.push(public(&v)?);
            }
            print_json(&serde_json::Value::Array(list))
        }
        UserCommand::Disable { username } | UserCommand::Enable { username } => {
            let status = if matches!(cmd, UserCommand::Disable { .. }) {
                "inactive"
            } else {
                "active"
            };
            let ops =
                serde_json::json!([{"op": "replace", "path": "/jansStatus", "value": status}]);
            patch(remote, username, ops).await?;
            println!("{username} is now {status}");
            Ok(())
        }
    }
}

pub(crate) async fn run(cli: &Cli, cmd: &UserCommand) -> Res<()> {
    use jans_core::repo::user::{User, UserStatus};
    let password = match cmd {
        UserCommand::Add { .. } | UserCommand::Passwd { .. } => Some(password_from_stdin()?),
        _ => None,
    };
    let opened = match target(cli).await? {
        Target::Remote(remote) => return through(&remote, cmd, password).await,
        Target::Local(opened) => opened,
    };
    let password = password.unwrap_or_default();
    match cmd {
        UserCommand::Add {
            username,
            email,
            given_name,
            family_name,
            name,
            roles,
            ..
        } => {
            let mut user = User {
                uid: username.clone(),
                mail: email.clone(),
                given_name: given_name.clone(),
                family_name: family_name.clone(),
                name: name.clone(),
                ..User::default()
            };
            user.set_roles(roles);
            let user = opened
                .engine
                .add_user(user, &password, &ctx())
                .await
                .map_err(|e| user_error(username, e))?;
            print_json(&user.to_public_json())
        }
        UserCommand::Passwd { username, .. } => {
            opened
                .engine
                .set_password(username, &password, &ctx())
                .await
                .map_err(|e| user_error(username, e))?;
            println!("password of {username} changed");
            Ok(())
        }
        UserCommand::List => {
            let users = opened.engine.users().await?;
            print_json(&serde_json::Value::Array(
                users.iter().map(User::to_public_json).collect(),
            ))
        }
        UserCommand::Disable { username } | UserCommand::Enable { username } => {
            let status = if matches!(cmd, UserCommand::Disable { .. }) {
                UserStatus::Inactive
            } else {
                UserStatus::Active
            };
            opened
                .engine
                .set_user_status(username, status, &ctx())
                .await
                .map_err(|e| user_error(username, e))?;
            println!(
                "{username} is now {}",
                if status == UserStatus::Active {
                    "active"
                } else {
                    "inactive"
                }
            );
            Ok(())
        }
    }
}
