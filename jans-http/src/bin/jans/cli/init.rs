//! `jans init`: initialize the data directory (database, signing keys, admin client).

use super::{Issuer, Res, ctx, open};
use crate::Cli;

pub(crate) async fn run(cli: &Cli) -> Res<()> {
    let opened = open(cli, Issuer::Configured, true).await?;
    match opened
        .data
        .ensure_admin_client(&opened.engine, &ctx())
        .await?
    {
        Some(p) => println!("admin client credentials written to {}", p.display()),
        None => println!(
            "already initialized; admin client credentials are in {}",
            opened.data.admin_client_path().display()
        ),
    }
    Ok(())
}
