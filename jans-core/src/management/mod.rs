//! What every management API shares — the config API and the admin routes each component
//! contributes under `/jans-config-api/` (DESIGN.md §2: a component adds its routes
//! without touching the config API): bearer protection with Janssen's scopes and
//! `ApiError` refusals ([`protection`]), Janssen's list parameters and `PagedResult`
//! ([`list`]), RFC 6902 JSON Patch ([`json_patch`]), `multipart/form-data` uploads
//! ([`multipart`]), the audit log of writes ([`audit`]), and changes of the stored
//! configuration ([`patch_config`]).

pub mod audit;
pub mod json_patch;
pub mod list;
pub mod multipart;
pub mod protection;

use serde_json::Value;

use crate::error::Error;
use crate::error::admin::AdminError;
use crate::services::{Services, shared_doc};
use crate::store::StoreError;

/// The root of every management path (the config API and the components' admin routes):
/// refusals under it are Janssen's `ApiError`.
pub const ROOT: &str = "/jans-config-api/";

/// A component's section of the configuration (`member`, e.g. `fido2Configuration`) as an
/// admin route serves it: `GET` reads it, with one of `read` scopes; `PUT` replaces it
/// whole and `PATCH` applies a JSON Patch to it (paths within the section), with one of
/// `write` scopes — validated as the whole configuration is, stored for every node, and
/// audited as a write of `resource`. Anything else is a 405 naming `allowed`.
pub async fn config_section(
    services: &Services,
    req: &crate::request::Request,
    ctx: &crate::ctx::Ctx,
    (member, resource, allowed): (&str, &str, &str),
    (read, write): (&[&str], &[&str]),
) -> Result<crate::response::Response, Error> {
    use crate::request::Method;
    use crate::response::Response;
    let section = |services: &Services| -> Result<Value, Error> {
        let doc = shared_doc(&services.config())?;
        Ok(doc.get(member).cloned().unwrap_or(Value::Null))
    };
    if !req.method.is_in(allowed) {
        return Ok(Response::error(AdminError::new(
            405,
            format!("this endpoint answers {allowed} only"),
        ))
        .header("allow", allowed));
    }
    if req.method == Method::Get {
        protection::authorize(services, req, read, ctx).await?;
        return Ok(Response::json(section(services)?));
    }
    let caller = protection::authorize(services, req, write, ctx).await?;
    let (ops, sent) = if req.method == Method::Put {
        let whole: Value = serde_json::from_slice(&req.body)
            .map_err(|e| AdminError::new(400, format!("the body is not JSON: {e}")))?;
        if !whole.is_object() {
            return Err(AdminError::new(400, format!("{member} is a JSON object")).into());
        }
        (
            vec![json_patch::Op::Add(vec![member.to_owned()], whole)],
            None,
        )
    } else {
        let (ops, sent) = json_patch::of_request(req)?;
        (
            ops.into_iter().map(|op| op.under(member)).collect(),
            Some(sent),
        )
    };
    patch_config(services, &ops).await?;
    let operation = if sent.is_some() { "patch" } else { "replace" };
    audit::record(
        services,
        &caller,
        ctx,
        (resource, member, operation),
        sent.as_ref(),
    )
    .await;
    Ok(Response::json(section(services)?))
}

/// How often a patch is applied again when another write keeps coming first (every
/// management API's compare-and-set retry bound).
pub const PATCH_ATTEMPTS: usize = 16;

/// Apply `ops` to the stored configuration — all or nothing, validated as a whole (a 400
/// naming the property), written by compare-and-set and applied again to what a
/// concurrent change left — and run it on this node (others at their tick). The node's
/// own `persistence` is not part of it.
pub async fn patch_config(services: &Services, ops: &[json_patch::Op]) -> Result<(), Error> {
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
        let (revision, current): (u64, Value) = match services.stores().config.get().await? {
            Some(stored) => (stored.revision, stored.doc),
            // Nothing stored yet (an embedded store never changed): the running one.
            None => (0, shared_doc(&services.config())?),
        };
        let patched = json_patch::apply(&current, ops).map_err(|e| AdminError::new(400, e.0))?;
        match services.store_config(patched, revision).await {
            Ok(_) => return Ok(()),
            // Another change came first: apply the patch to what it left.
            Err(Error::Store(StoreError::Conflict)) => continue,
            Err(Error::Config(c)) => {
                return Err(AdminError::new(400, format!("{}: {}", c.key, c.message)).into());
            }
            Err(e) => return Err(e),
        }
    }
    Err(AdminError::new(409, "the configuration kept changing while this patch ran").into())
}
