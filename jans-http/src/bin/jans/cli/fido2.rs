//! `jans fido2`: a user's registered FIDO2 credentials (passkeys, security keys): list,
//! rename, remove.

use clap::Subcommand;

use super::{CliError, Issuer, Res, open, print_json, refused};
use crate::Cli;

#[derive(Subcommand, Debug)]
pub(crate) enum Fido2Command {
    /// List a person's credentials (JSON, oldest first; no secrets: public keys only).
    List {
        /// Login name (uid).
        username: String,
    },
    /// Give a credential a nickname (an empty one clears it).
    Rename {
        /// Login name (uid).
        username: String,
        /// The credential id (base64url, so it may begin with `-`), as `list` shows it.
        #[arg(allow_hyphen_values = true)]
        credential_id: String,
        /// The nickname.
        nickname: String,
    },
    /// Remove a credential: it no longer signs in.
    Remove {
        /// Login name (uid).
        username: String,
        /// The credential id (base64url, so it may begin with `-`), as `list` shows it.
        #[arg(allow_hyphen_values = true)]
        credential_id: String,
    },
}

fn fido2_error(e: jans_core::Error) -> CliError {
    match e {
        jans_core::Error::Fido2(f) => CliError::Refused(f.message),
        other => other.into(),
    }
}

pub(crate) async fn run(cli: &Cli, cmd: &Fido2Command) -> Res<()> {
    let opened = open(cli, Issuer::Configured, false).await?;
    let engine = &opened.engine;
    match cmd {
        Fido2Command::List { username } => {
            let regs = engine
                .fido2_registrations(username)
                .await
                .map_err(fido2_error)?;
            let v = serde_json::to_value(regs)
                .map_err(|e| CliError::Refused(format!("cannot show the list: {e}")))?;
            print_json(&v)
        }
        Fido2Command::Rename {
            username,
            credential_id,
            nickname,
        } => {
            if !engine
                .rename_fido2_registration(username, credential_id, Some(nickname))
                .await
                .map_err(fido2_error)?
            {
                return refused(format!("{username} has no credential {credential_id}"));
            }
            println!("credential {credential_id} of {username} renamed");
            Ok(())
        }
        Fido2Command::Remove {
            username,
            credential_id,
        } => {
            if !engine
                .remove_fido2_registration(username, credential_id)
                .await
                .map_err(fido2_error)?
            {
                return refused(format!("{username} has no credential {credential_id}"));
            }
            println!("credential {credential_id} of {username} removed");
            Ok(())
        }
    }
}
