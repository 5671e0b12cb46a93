//! `jans user`: add people, set passwords, list, disable and enable.

use clap::Subcommand;

use super::{CliError, Issuer, Res, ctx, open, print_json, refused};
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

pub(crate) async fn run(cli: &Cli, cmd: &UserCommand) -> Res<()> {
    use jans_core::repo::user::{User, UserStatus};
    match cmd {
        UserCommand::Add {
            username,
            email,
            given_name,
            family_name,
            name,
            ..
        } => {
            let password = password_from_stdin()?;
            let opened = open(cli, Issuer::Configured, false).await?;
            let user = User {
                uid: username.clone(),
                mail: email.clone(),
                given_name: given_name.clone(),
                family_name: family_name.clone(),
                name: name.clone(),
                ..User::default()
            };
            let user = opened
                .engine
                .add_user(user, &password, &ctx())
                .await
                .map_err(|e| user_error(username, e))?;
            print_json(&user.to_public_json())
        }
        UserCommand::Passwd { username, .. } => {
            let password = password_from_stdin()?;
            let opened = open(cli, Issuer::Configured, false).await?;
            opened
                .engine
                .set_password(username, &password, &ctx())
                .await
                .map_err(|e| user_error(username, e))?;
            println!("password of {username} changed");
            Ok(())
        }
        UserCommand::List => {
            let opened = open(cli, Issuer::Configured, false).await?;
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
            let opened = open(cli, Issuer::Configured, false).await?;
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
