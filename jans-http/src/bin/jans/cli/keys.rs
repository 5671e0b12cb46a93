//! `jans keys`: list signing keys, rotate them now.

use clap::Subcommand;

use reqwest::Method;

use super::remote::{Remote, Target, refusal, target};
use super::{Res, ctx, print_json, refused};
use crate::Cli;

#[derive(Subcommand, Debug)]
pub(crate) enum KeysCommand {
    /// List signing keys and their state.
    List,
    /// Rotate every algorithm now (the next key, already published, starts signing).
    Rotate,
}

/// The commands through a running server's config API (`config/jwks`).
async fn through(remote: &Remote, cmd: &KeysCommand) -> Res<()> {
    if matches!(cmd, KeysCommand::Rotate) {
        // As below: the lease and the publication delay may make it wait.
        let mut applied = None;
        for _ in 0..20 {
            let (status, v, _) = remote
                .call(Method::POST, "/config/jwks/rotate", None)
                .await?;
            match status {
                200 => {
                    applied = v.get("changes").and_then(serde_json::Value::as_u64);
                    break;
                }
                409 => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
                _ => return refused(refusal(status, &v)),
            }
        }
        let Some(n) = applied else {
            return refused(
                "no rotation: another node holds the key lease, or the next keys were \
                 published too recently for every node to serve them; try again shortly",
            );
        };
        eprintln!("{n} key changes applied");
    }
    let set = remote.ok(Method::GET, "/config/jwks", None).await?;
    let keys = set
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .cloned()
        .unwrap_or_default();
    let member = |k: &serde_json::Value, n: &str| k.get(n).cloned().unwrap_or_default();
    let list: Vec<serde_json::Value> = keys
        .iter()
        .map(|k| {
            serde_json::json!({
                "kid": member(k, "kid"), "alg": member(k, "alg"),
                "status": member(k, "status"), "created_at": member(k, "created_at"),
                "activated_at": member(k, "activated_at"),
                "retired_at": member(k, "retired_at"),
                "publish_until": member(k, "publish_until"),
            })
        })
        .collect();
    print_json(&serde_json::Value::Array(list))
}

pub(crate) async fn run(cli: &Cli, cmd: &KeysCommand) -> Res<()> {
    let opened = match target(cli).await? {
        Target::Remote(remote) => return through(&remote, cmd).await,
        Target::Local(opened) => opened,
    };
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
