//! `jans cleanup`: delete expired grants now.

use super::{Issuer, Res, ctx, open};
use crate::Cli;

pub(crate) async fn run(cli: &Cli) -> Res<()> {
    let opened = open(cli, Issuer::Configured, false).await?;
    match opened.engine.cleanup(&ctx()).await? {
        Some(n) => println!("deleted {n} expired grant records"),
        None => println!("another node is sweeping expired grants now; nothing done"),
    }
    Ok(())
}
