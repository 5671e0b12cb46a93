//! The auth-server's configuration through the config API (Janssen's
//! `jans-auth-server/config`, its `AppConfiguration`): `GET` the whole configuration this
//! node runs, `PATCH` it with an RFC 6902 JSON Patch.
//!
//! A patch applies to the stored configuration (Janssen's `jansConfDyn`: on PostgreSQL
//! the one every node runs; on the embedded store the one that replaces the configuration
//! file from the first change on), is validated as a whole (`Config`'s own rules: an
//! invalid result is a 400 naming the property, and nothing changes), is written by
//! compare-and-set (a concurrent change: the patch applied again to what it left), runs
//! on this node at once and on the others at their next tick, and is audited. The node's
//! own `persistence` is not part of it. The pairwise key and salt are secrets: shown
//! redacted, and a patch may set them.

use serde_json::Value;

use crate::config::Config;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::request::Request;
use crate::services::{Services, shared_doc};

use super::json_patch;
use super::protection::Caller;

/// Properties shown redacted.
const SECRET: [&str; 2] = ["pairwiseCalculationKey", "pairwiseCalculationSalt"];

/// What replaces a secret in what the API shows.
const REDACTED: &str = "[redacted]";

/// The configuration as the API shows it.
pub(super) fn shown(config: &Config) -> Result<Value, Error> {
    let mut doc = shared_doc(config)?;
    if let Some(m) = doc.as_object_mut() {
        for key in SECRET {
            if m.get(key)
                .and_then(Value::as_str)
                .is_some_and(|v| !v.is_empty())
            {
                m.insert(key.into(), REDACTED.into());
            }
        }
    }
    Ok(doc)
}

/// `PATCH jans-auth-server/config`: the configuration after the patch.
pub(super) async fn patch(
    services: &Services,
    caller: &Caller,
    req: &Request,
    ctx: &Ctx,
) -> Result<Value, Error> {
    let (ops, sent) = json_patch::of_request(req)?;
    apply(
        services,
        caller,
        ctx,
        &ops,
        ("jans-auth-server/config", &sent),
    )
    .await
}

/// Apply `ops` to the stored configuration (all or nothing, validated, compare-and-set,
/// again on what a concurrent change left) and audit it as a patch of `resource`: the
/// configuration after.
pub(super) async fn apply(
    services: &Services,
    caller: &Caller,
    ctx: &Ctx,
    ops: &[json_patch::Op],
    (resource, sent): (&str, &Value),
) -> Result<Value, Error> {
    crate::management::patch_config(services, ops).await?;
    super::audit::record(
        services,
        caller,
        ctx,
        (resource, "jansConfDyn", "patch"),
        Some(sent),
    )
    .await;
    shown(&services.config())
}
