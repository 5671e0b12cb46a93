//! Scopes written through the config API (Janssen's `ScopesResource`): `POST scopes`
//! creates (its `inum` drawn when not given), `PUT scopes` replaces the scope its `inum`
//! names, `PATCH scopes/{inum}` applies a JSON Patch ([`super::json_patch`]), `DELETE
//! scopes/{inum}` removes. Every write checks the scope ([`Scope::validate`]), changes the
//! stored scope only at the revision it read (a concurrent write is a 409, or for PATCH,
//! the patch applied again to what that write left), and reloads this node's scopes at
//! once (other nodes on their next tick). A scope's `id` is the key clients ask for, so it
//! does not change: create another scope instead.

use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::scope::Scope;
use crate::request::{AdminEndpoint, Method, Request};
use crate::response::{Body, Response};
use crate::services::Services;
use crate::store::StoreError;

use super::json_patch;
use super::protection::Caller;

/// The 404 of an unknown scope.
pub(super) fn missing(inum: &str) -> AdminError {
    AdminError::new(404, format!("The requested scope {inum} doesn't exist"))
}

/// The scope as the API shows it, with `status`.
pub(super) fn shown(status: u16, scope: &Scope) -> Result<Response, Error> {
    let v = serde_json::to_value(scope).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Response::with_body(match status {
        201 => Body::Created(v),
        _ => Body::Json(v),
    }))
}

/// A scope read from JSON, checked.
fn scope_of(v: Value) -> Result<Scope, AdminError> {
    let scope: Scope =
        serde_json::from_value(v).map_err(|e| AdminError::new(400, format!("not a scope: {e}")))?;
    scope
        .validate()
        .map_err(|e| AdminError::new(400, e.to_string()))?;
    Ok(scope)
}

/// This node's scopes, reloaded from the store after a write.
async fn reload(services: &Services) -> Result<(), Error> {
    services.install_scopes(services.stores().scopes.list().await?);
    Ok(())
}

/// `POST scopes`, `PUT scopes` and `PATCH scopes/{inum}`.
pub(super) async fn write(
    services: &Services,
    caller: &Caller,
    endpoint: &AdminEndpoint,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let store = &services.stores().scopes;
    let (written, patch) = match (endpoint, req.method) {
        (AdminEndpoint::Scopes, Method::Post) => {
            let mut v = super::body(req)?;
            let Some(m) = v.as_object_mut() else {
                return Err(AdminError::new(400, "a scope is a JSON object").into());
            };
            let named = m
                .get("inum")
                .and_then(Value::as_str)
                .is_some_and(|i| !i.is_empty());
            if !named {
                let mut raw = [0u8; 6];
                ctx.rng.fill(&mut raw);
                let inum: String = raw.iter().map(|b| format!("{b:02X}")).collect();
                m.insert("inum".into(), inum.into());
            }
            let scope = scope_of(v)?;
            match store.insert(&scope).await {
                Ok(()) => {}
                Err(StoreError::Conflict) => {
                    return Err(AdminError::new(
                        409,
                        format!(
                            "a scope with the id {} or the inum {} exists",
                            scope.id, scope.inum
                        ),
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
            reload(services).await?;
            super::audit::record(
                services,
                caller,
                ctx,
                ("scopes", &scope.inum, "create"),
                None,
            )
            .await;
            return shown(201, &scope);
        }
        (AdminEndpoint::Scopes, _) => {
            let scope = scope_of(super::body(req)?)?;
            let Some((revision, stored)) = store.by_inum(&scope.inum).await? else {
                return Err(missing(&scope.inum).into());
            };
            unchanged_id(&stored, &scope)?;
            match store.update_at(&scope, revision).await {
                Ok(()) => (scope, None),
                Err(StoreError::Conflict | StoreError::NotFound) => {
                    return Err(AdminError::new(
                        409,
                        "the scope changed while this request ran: read it again",
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            }
        }
        (AdminEndpoint::Scope(inum), _) => {
            let (scope, patch) = patch(services, inum, req).await?;
            (scope, Some(patch))
        }
        _ => return Err(Error::Internal("not a scope write".into())),
    };
    reload(services).await?;
    let operation = if patch.is_some() { "patch" } else { "replace" };
    super::audit::record(
        services,
        caller,
        ctx,
        ("scopes", &written.inum, operation),
        patch.as_ref(),
    )
    .await;
    shown(200, &written)
}

/// A scope's `id` stays as it is.
fn unchanged_id(stored: &Scope, new: &Scope) -> Result<(), AdminError> {
    if stored.id != new.id {
        return Err(AdminError::new(
            400,
            format!(
                "a scope's id does not change ({} here): create another scope instead",
                stored.id
            ),
        ));
    }
    Ok(())
}

/// `PATCH scopes/{inum}`: the patch applied to the stored scope, all of it or nothing;
/// the scope written and the patch as sent.
async fn patch(services: &Services, inum: &str, req: &Request) -> Result<(Scope, Value), Error> {
    let (ops, sent) = json_patch::of_request(req)?;
    let store = &services.stores().scopes;
    for _ in 0..crate::management::PATCH_ATTEMPTS {
        let Some((revision, stored)) = store.by_inum(inum).await? else {
            return Err(missing(inum).into());
        };
        let current = serde_json::to_value(&stored).map_err(|e| Error::Internal(e.to_string()))?;
        let patched = json_patch::apply(&current, &ops).map_err(|e| AdminError::new(400, e.0))?;
        let scope = scope_of(patched)?;
        unchanged_id(&stored, &scope)?;
        if scope.inum != stored.inum {
            return Err(AdminError::new(400, "a scope's inum does not change").into());
        }
        match store.update_at(&scope, revision).await {
            Ok(()) => return Ok((scope, sent)),
            // Another write came first: apply the patch to what it left.
            Err(StoreError::Conflict | StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AdminError::new(409, "the scope kept changing while this patch ran").into())
}

/// `DELETE scopes/{inum}`: 204, or 404 for an unknown scope.
pub(super) async fn delete(
    services: &Services,
    caller: &Caller,
    inum: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let store = &services.stores().scopes;
    let Some((revision, stored)) = store.by_inum(inum).await? else {
        return Err(missing(inum).into());
    };
    match store.delete_at(&stored.id, revision).await {
        Ok(true) => {}
        Ok(false) => return Err(missing(inum).into()),
        Err(StoreError::Conflict) => {
            return Err(AdminError::new(
                409,
                "the scope changed while this request ran: read it again",
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    reload(services).await?;
    super::audit::record(services, caller, ctx, ("scopes", inum, "delete"), None).await;
    Ok(Response::with_body(Body::NoContent))
}
