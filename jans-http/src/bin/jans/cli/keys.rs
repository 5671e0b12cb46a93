//! `jans keys`: list signing keys, rotate them now.

use clap::Subcommand;

use super::{Issuer, Res, ctx, open, print_json, refused};
use crate::Cli;

#[derive(Subcommand, Debug)]
pub(crate) enum KeysCommand {
    /// List signing keys and their state.
    List,
    /// Rotate every algorithm now (the next key, already published, starts signing).
    Rotate,
}

pub(crate) async fn run(cli: &Cli, cmd: &KeysCommand) -> Res<()> {
    let opened = open(cli, Issuer::Configured, false).await?;
    if matches!(cmd, KeysCommand::Rotate) {
        // Nodes sharing a database hold the key lease for a moment every tick, and a
        // successor must have been published long enough: retry for a while.
        let mut changes = Vec::new();
        for _ in 0..20 {
            changes = opened.engine.rotate_keys(&ctx(), true).await?;
            if !changes.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        if changes.is_empty() {
            return refused("no rotation: another node holds the key lease, or the next keys                                 were published too recently for every node to serve them;                                 try again shortly"
                .to_owned());
        }
        eprintln!("{} key changes applied", changes.len());
    }
    let ring = opened.engine.keys().ring();
    let list: Vec<serde_json::Value> = ring
        .keys()
        .iter()
        .map(|k| {
            serde_json::json!({
                "kid": k.kid, "alg": k.alg, "status": k.status.as_str(),
                "created_at": k.created_at, "activated_at": k.activated_at,
                "retired_at": k.retired_at, "publish_until": k.publish_until,
            })
        })
        .collect();
    print_json(&serde_json::Value::Array(list))
}
