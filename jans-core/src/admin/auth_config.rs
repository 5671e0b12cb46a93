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
use crate::error::admin::AdminError;
use crate::request::Request;
use crate::services::{Services, shared_doc};
use crate::store::StoreError;

use super::json_patch;
use super::protection::Caller;

/// How often a PATCH is applied again when another change keeps coming first.
const PATCH_ATTEMPTS: usize = 16;

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

/// A configuration error as the API's 400.
fn invalid(e: Error) -> Error {
    match e {
        Error::Config(c) => AdminError::new(400, format!("{}: {}", c.key, c.message)).into(),
        other => other,
    }
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
    for op in ops {
        if op.touches("persistence") {
            return Err(AdminError::new(
                400,
                "persistence is each node's own: it is set in the node's configuration file",
            )
            .into());
        }
    }
    for _ in 0..PATCH_ATTEMPTS {
        let (revision, current) = match services.stores().config.get().await? {
            Some(stored) => (stored.revision, stored.doc),
            // Nothing stored yet (an embedded store never changed): the running one.
            None => (0, shared_doc(&services.config())?),
        };
        let patched = json_patch::apply(&current, ops).map_err(|e| AdminError::new(400, e.0))?;
        match services.store_config(patched, revision).await {
            Ok(_) => {
                super::audit::record(
                    services,
                    caller,
                    ctx,
                    (resource, "jansConfDyn", "patch"),
                    Some(sent),
                )
                .await;
                return shown(&services.config());
            }
            // Another change came first: apply the patch to what it left.
            Err(Error::Store(StoreError::Conflict)) => continue,
            Err(e) => return Err(invalid(e)),
        }
    }
    Err(AdminError::new(409, "the configuration kept changing while this patch ran").into())
}
