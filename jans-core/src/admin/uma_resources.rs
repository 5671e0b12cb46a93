//! The registered UMA resources through the config API (Janssen's `uma/resources`): listed
//! with Janssen's paging parameters, read by id, listed by the client that registered
//! them, and deleted (the resource server's registration is gone; audited). Shown as
//! Janssen's `UmaResource`. Resource servers register and change them through the UMA
//! resource registration endpoint (`uma::resource`); this API reads and removes them.

use serde_json::{Value, json};

use crate::ctx::{Ctx, format_datetime};
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::uma_resource::UmaResource;
use crate::request::Request;
use crate::response::{Body, Response};
use crate::services::Services;

use super::list::ListParams;
use super::protection::Caller;

/// A resource as Janssen's `UmaResource` shows it.
fn shown(r: &UmaResource) -> Value {
    json!({
        "dn": format!("jansId={},ou=resources,ou=uma,o=jans", r.id),
        "id": r.id,
        "name": r.name,
        "iconUri": r.icon_uri,
        "scopes": r.resource_scopes,
        "scopeExpression": r.scope_expression.as_ref().map(Value::to_string),
        "clients": [r.client_id],
        "creator": r.client_id,
        "description": r.description,
        "type": r.kind,
        "creationDate": format_datetime(r.iat),
        "expirationDate": format_datetime(r.exp),
        "deletable": true,
    })
}

/// The live resource `id`, whoever owns it.
async fn find(services: &Services, id: &str, ctx: &Ctx) -> Result<UmaResource, Error> {
    services
        .stores()
        .uma_resources
        .all(ctx.now)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .ok_or_else(|| AdminError::new(404, format!("No UMA resource with id {id}")).into())
}

/// `GET uma/resources`.
pub(super) async fn list(services: &Services, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let params = ListParams::parse(req, "id")?;
    let entries = services
        .stores()
        .uma_resources
        .all(ctx.now)
        .await?
        .iter()
        .map(shown)
        .collect();
    Ok(Response::json(
        params.page(entries, &["id", "name", "description", "type"]),
    ))
}

/// `GET uma/resources/{id}`.
pub(super) async fn one(services: &Services, id: &str, ctx: &Ctx) -> Result<Response, Error> {
    Ok(Response::json(shown(&find(services, id, ctx).await?)))
}

/// `GET uma/resources/clientId/{clientId}`.
pub(super) async fn of_client(
    services: &Services,
    client_id: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let of: Vec<Value> = services
        .stores()
        .uma_resources
        .all(ctx.now)
        .await?
        .iter()
        .filter(|r| r.client_id == client_id)
        .map(shown)
        .collect();
    Ok(Response::json(Value::Array(of)))
}

/// `DELETE uma/resources/{id}`.
pub(super) async fn delete(
    services: &Services,
    caller: &Caller,
    id: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let r = find(services, id, ctx).await?;
    if !services
        .stores()
        .uma_resources
        .delete(&r.owner, &r.id)
        .await?
    {
        return Err(AdminError::new(404, format!("No UMA resource with id {id}")).into());
    }
    super::audit::record(services, caller, ctx, ("uma/resources", id, "delete"), None).await;
    Ok(Response::with_body(Body::NoContent))
}
