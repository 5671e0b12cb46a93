//! The person attributes through the config API (Janssen's `attributes`, its
//! `JansAttribute`): listed (Janssen's paging, and `status` — `all`, `active`, `inactive`),
//! read, created (`POST`, the `inum` drawn unless given), replaced (`PUT`), patched (RFC
//! 6902) and deleted. Every write is checked ([`Attribute::validate`]; a name another
//! attribute has, in any case, is a 409), compare-and-set on the stored revision, and
//! audited.

use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::attribute::{Attribute, AttributeStatus};
use crate::request::{Method, Request};
use crate::response::{Body, Response};
use crate::services::Services;
use crate::store::StoreError;

use super::json_patch;
use super::list::{ListParams, raw};
use super::protection::Caller;

fn missing(inum: &str) -> Error {
    AdminError::new(404, format!("The requested attribute {inum} doesn't exist")).into()
}

fn to_json(a: &Attribute) -> Result<Value, Error> {
    serde_json::to_value(a).map_err(|e| Error::Internal(e.to_string()))
}

/// An attribute read from JSON, checked.
fn read(v: Value) -> Result<Attribute, AdminError> {
    let a: Attribute = serde_json::from_value(v)
        .map_err(|e| AdminError::new(400, format!("not an attribute: {e}")))?;
    a.validate().map_err(|e| AdminError::new(400, e.0))?;
    Ok(a)
}

/// A store refusal of a write as the API's answer.
fn refused(e: StoreError, a: &Attribute) -> Error {
    match e {
        StoreError::Conflict => AdminError::new(
            409,
            format!(
                "the attribute changed meanwhile, or another has the name {} or the inum {}",
                a.name, a.inum
            ),
        )
        .into(),
        StoreError::NotFound => missing(&a.inum),
        e => e.into(),
    }
}

/// `GET attributes`.
pub(super) async fn list(services: &Services, req: &Request) -> Result<Response, Error> {
    let params = ListParams::parse(req, "inum")?;
    // A typed parameter: given empty is not a value either.
    let status = match raw(req, "status")?.as_deref() {
        None | Some("all") => None,
        Some("active") => Some(AttributeStatus::Active),
        Some("inactive") => Some(AttributeStatus::Inactive),
        Some(other) => {
            return Err(AdminError::new(
                400,
                format!("status is all, active or inactive, not {other:?}"),
            )
            .into());
        }
    };
    let entries = services
        .stores()
        .attributes
        .list()
        .await?
        .iter()
        .filter(|a| status.is_none_or(|s| a.status == s))
        .map(to_json)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Response::json(params.page(
        entries,
        &["inum", "name", "displayName", "description"],
    )))
}

/// `GET attributes/{inum}`.
pub(super) async fn one(services: &Services, inum: &str) -> Result<Response, Error> {
    match services.stores().attributes.get(inum).await? {
        Some((_, a)) => Ok(Response::json(to_json(&a)?)),
        None => Err(missing(inum)),
    }
}

/// `POST attributes` and `PUT attributes`.
pub(super) async fn write(
    services: &Services,
    caller: &Caller,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let store = &services.stores().attributes;
    let mut v = super::body(req)?;
    if req.method == Method::Post {
        if let Some(m) = v.as_object_mut()
            && m.get("inum")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        {
            let mut raw = [0u8; 6];
            ctx.rng.fill(&mut raw);
            let inum: String = raw.iter().map(|b| format!("{b:02X}")).collect();
            m.insert("inum".into(), inum.into());
        }
        let a = read(v)?;
        store.insert(&a).await.map_err(|e| refused(e, &a))?;
        super::audit::record(
            services,
            caller,
            ctx,
            ("attributes", &a.inum, "create"),
            None,
        )
        .await;
        return Ok(Response::with_body(Body::Created(to_json(&a)?)));
    }
    let a = read(v)?;
    let Some((revision, _)) = store.get(&a.inum).await? else {
        return Err(missing(&a.inum));
    };
    store
        .update_at(&a, revision)
        .await
        .map_err(|e| refused(e, &a))?;
    super::audit::record(
        services,
        caller,
        ctx,
        ("attributes", &a.inum, "replace"),
        None,
    )
    .await;
    Ok(Response::json(to_json(&a)?))
}

/// `PATCH attributes/{inum}`: all of the patch or nothing.
pub(super) async fn patch(
    services: &Services,
    caller: &Caller,
    inum: &str,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let (ops, sent) = json_patch::of_request(req)?;
    let store = &services.stores().attributes;
    for _ in 0..crate::management::PATCH_ATTEMPTS {
        let Some((revision, stored)) = store.get(inum).await? else {
            return Err(missing(inum));
        };
        let patched =
            json_patch::apply(&to_json(&stored)?, &ops).map_err(|e| AdminError::new(400, e.0))?;
        let a = read(patched)?;
        if a.inum != inum {
            return Err(AdminError::new(400, "an attribute's inum does not change").into());
        }
        match store.update_at(&a, revision).await {
            Ok(()) => {
                super::audit::record(
                    services,
                    caller,
                    ctx,
                    ("attributes", inum, "patch"),
                    Some(&sent),
                )
                .await;
                return Ok(Response::json(to_json(&a)?));
            }
            // Another write came first, or the name is taken: which, the next read tells.
            Err(StoreError::Conflict) => {
                let taken = store
                    .list()
                    .await?
                    .iter()
                    .any(|o| o.inum != a.inum && o.name.eq_ignore_ascii_case(&a.name));
                if taken {
                    return Err(refused(StoreError::Conflict, &a));
                }
            }
            Err(e) => return Err(refused(e, &a)),
        }
    }
    Err(AdminError::new(409, "the attribute kept changing while this patch ran").into())
}

/// `DELETE attributes/{inum}`.
pub(super) async fn delete(
    services: &Services,
    caller: &Caller,
    inum: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let store = &services.stores().attributes;
    let Some((revision, a)) = store.get(inum).await? else {
        return Err(missing(inum));
    };
    if !store
        .delete_at(inum, revision)
        .await
        .map_err(|e| refused(e, &a))?
    {
        return Err(missing(inum));
    }
    super::audit::record(services, caller, ctx, ("attributes", inum, "delete"), None).await;
    Ok(Response::with_body(Body::NoContent))
}
