//! OpenID Connect clients through the config API (Janssen's `ClientsResource` at
//! `openid/clients`): listed, read, created (`POST`), replaced (`PUT`), patched (RFC 6902,
//! `PATCH openid/clients/{inum}`) and deleted, in Janssen's client JSON ([`wire`]).
//!
//! Every write is checked by the auth-server's registration rules (through
//! [`crate::services::ClientRegistry`], the same rules as `jans client add` and RFC 7591
//! registration), changes the stored client only at the revision it read (a concurrent
//! write is a 409, or for PATCH, the patch applied again to what that write left) and is
//! audited. A client's secret is shown once: in the answer that made it (creation, or a
//! change to a method that needs a secret it lacked), never in a read or a list; one an
//! administrator sets is never echoed.

pub mod wire;

use serde_json::Value;

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::client::Client;
use crate::request::Request;
use crate::response::{Body, Response};
use crate::services::Services;
use crate::store::StoreError;

use super::json_patch;
use super::list::ListParams;
use super::protection::Caller;

/// The members a `pattern` searches.
const SEARCHED: [&str; 3] = ["inum", "displayName", "description"];

/// The 404 of an unknown client.
fn missing(inum: &str) -> AdminError {
    AdminError::new(404, format!("The requested client {inum} doesn't exist"))
}

/// A registration rule's refusal as the API's 400.
fn refused(e: Error) -> Error {
    match e {
        Error::OAuth(o) => AdminError::new(
            400,
            format!(
                "{}: {}",
                o.code.as_str(),
                o.description
                    .as_deref()
                    .unwrap_or("invalid client metadata")
            ),
        )
        .into(),
        other => other,
    }
}

/// A caller may not delete or disable the client its own token belongs to: that would end
/// the token it is using (and may be the last way in).
fn not_yourself(caller: &Caller, inum: &str, what: &str) -> Result<(), Error> {
    if caller.client_id == inum {
        return Err(AdminError::new(
            409,
            format!(
                "a client cannot {what} itself: this request's token is one of {inum}'s; use another client's"
            ),
        )
        .into());
    }
    Ok(())
}

fn conflict() -> Error {
    AdminError::new(
        409,
        "the client changed while this request ran: read it again",
    )
    .into()
}

/// The client shown with `status`; its secret with it when `secret` is one just made.
fn shown(
    status: u16,
    services: &Services,
    client: &Client,
    secret: Option<String>,
) -> Result<Response, Error> {
    let scopes = services.scopes();
    let mut v = wire::show(client, &wire::inums(&scopes));
    if let (Some(s), Some(m)) = (secret, v.as_object_mut()) {
        m.insert("clientSecret".into(), s.into());
    }
    Ok(Response::with_body(match status {
        201 => Body::Created(v),
        _ => Body::Json(v),
    }))
}

/// `GET openid/clients`: Janssen's `PagedResult` of clients, without secrets. Sorted by
/// `inum` (the default) and filtered by `pattern` only, the page is cut from the clients
/// in id order and only its entries are written as JSON; any other sort or a
/// `fieldValuePair` works over every client's JSON.
pub(super) async fn list(services: &Services, req: &Request) -> Result<Response, Error> {
    let params = ListParams::parse(req, "inum")?;
    let clients = services.stores().clients.snapshot().await?;
    let scopes = services.scopes();
    let inums = wire::inums(&scopes);
    if params.sort_by == "inum" && params.field_value_pairs.is_empty() {
        let kept: Vec<&Client> = clients
            .iter()
            .filter(|c| {
                params.pattern.as_deref().is_none_or(|p| {
                    [
                        Some(c.client_id.as_str()),
                        c.metadata.client_name.as_deref(),
                        c.description.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .any(|t| t.to_lowercase().contains(p))
                })
            })
            .collect();
        let total = kept.len();
        let window: Vec<&Client> = if params.descending {
            params.window(kept.into_iter().rev()).collect()
        } else {
            params.window(kept.into_iter()).collect()
        };
        let window = window.into_iter().map(|c| wire::show(c, &inums)).collect();
        return Ok(Response::json(params.result(total, window)));
    }
    let entries: Vec<Value> = clients.iter().map(|c| wire::show(c, &inums)).collect();
    Ok(Response::json(params.page(entries, &SEARCHED)))
}

/// `GET openid/clients/{inum}`.
pub(super) async fn read(services: &Services, inum: &str) -> Result<Response, Error> {
    match services.stores().clients.get(inum).await? {
        Some(client) => shown(200, services, &client, None),
        None => Err(missing(inum).into()),
    }
}

/// `POST openid/clients`: a new client, its `inum` drawn unless given; 201 with the
/// client and, when its method uses one, its secret (this once).
pub(super) async fn create(
    services: &Services,
    caller: &Caller,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let scopes = services.scopes();
    let mut written = wire::read(crate::admin::body(req)?, &scopes, None)?;
    let registry = services.client_registry()?;
    registry.check(&mut written.metadata).map_err(refused)?;
    let given = written.secret.is_some();
    let (mut client, secret) = registry.new_client(
        written.inum.as_deref(),
        written.metadata,
        written.secret.as_deref(),
        ctx,
    )?;
    client.description = written.description;
    client.disabled = written.disabled;
    match services.stores().clients.insert(&client).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            return Err(AdminError::new(
                409,
                format!("a client with the inum {} exists", client.client_id),
            )
            .into());
        }
        Err(e) => return Err(e.into()),
    }
    super::audit::record(
        services,
        caller,
        ctx,
        ("openid/clients", &client.client_id, "create"),
        None,
    )
    .await;
    // A secret the administrator chose is not echoed.
    shown(201, services, &client, secret.filter(|_| !given))
}

/// The client `stored` changed to what `v` describes, checked.
fn revised(
    services: &Services,
    caller: &Caller,
    stored: &Client,
    v: Value,
    ctx: &Ctx,
) -> Result<(Client, Option<String>), Error> {
    let scopes = services.scopes();
    let mut written = wire::read(v, &scopes, stored.metadata.client_name.as_deref())?;
    if written
        .inum
        .as_deref()
        .is_some_and(|i| i != stored.client_id)
    {
        return Err(AdminError::new(400, "a client's inum does not change").into());
    }
    let registry = services.client_registry()?;
    registry.check(&mut written.metadata).map_err(refused)?;
    let given = written.secret.is_some();
    let (mut client, secret) = registry.revise(
        stored.clone(),
        written.metadata,
        written.secret.as_deref(),
        ctx,
    )?;
    client.description = written.description;
    client.disabled = written.disabled;
    if client.disabled && !stored.disabled {
        not_yourself(caller, &stored.client_id, "disable")?;
    }
    Ok((client, secret.filter(|_| !given)))
}

/// `PUT openid/clients`: the client its `inum` names, replaced.
pub(super) async fn replace(
    services: &Services,
    caller: &Caller,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let v = crate::admin::body(req)?;
    let Some(inum) = v.get("inum").and_then(Value::as_str).map(str::to_owned) else {
        return Err(AdminError::new(400, "inum names the client to replace").into());
    };
    let store = &services.stores().clients;
    let Some((revision, stored)) = store.get_revision(&inum).await? else {
        return Err(missing(&inum).into());
    };
    let (client, secret) = revised(services, caller, &stored, v, ctx)?;
    match store.update_at(&client, revision).await {
        Ok(()) => {}
        Err(StoreError::Conflict | StoreError::NotFound) => return Err(conflict()),
        Err(e) => return Err(e.into()),
    }
    super::audit::record(
        services,
        caller,
        ctx,
        ("openid/clients", &inum, "replace"),
        None,
    )
    .await;
    shown(200, services, &client, secret)
}

/// `PATCH openid/clients/{inum}`: the patch applied to the client as Janssen's JSON shows
/// it, all of it or nothing.
pub(super) async fn patch(
    services: &Services,
    caller: &Caller,
    inum: &str,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let (ops, sent) = json_patch::of_request(req)?;
    let store = &services.stores().clients;
    for _ in 0..crate::management::PATCH_ATTEMPTS {
        let Some((revision, stored)) = store.get_revision(inum).await? else {
            return Err(missing(inum).into());
        };
        let scopes = services.scopes();
        let current = wire::show(&stored, &wire::inums(&scopes));
        let patched = json_patch::apply(&current, &ops).map_err(|e| AdminError::new(400, e.0))?;
        let (client, secret) = revised(services, caller, &stored, patched, ctx)?;
        match store.update_at(&client, revision).await {
            Ok(()) => {
                super::audit::record(
                    services,
                    caller,
                    ctx,
                    ("openid/clients", inum, "patch"),
                    Some(&sent),
                )
                .await;
                return shown(200, services, &client, secret);
            }
            // Another write came first: apply the patch to what it left.
            Err(StoreError::Conflict | StoreError::NotFound) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(AdminError::new(409, "the client kept changing while this patch ran").into())
}

/// `DELETE openid/clients/{inum}`: 204, or 404 for an unknown client. Its tokens stop
/// being accepted with it.
pub(super) async fn delete(
    services: &Services,
    caller: &Caller,
    inum: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let store = &services.stores().clients;
    let Some((revision, _)) = store.get_revision(inum).await? else {
        return Err(missing(inum).into());
    };
    not_yourself(caller, inum, "delete")?;
    match store.delete_at(inum, revision).await {
        Ok(true) => {}
        Ok(false) => return Err(missing(inum).into()),
        Err(StoreError::Conflict) => return Err(conflict()),
        Err(e) => return Err(e.into()),
    }
    super::audit::record(
        services,
        caller,
        ctx,
        ("openid/clients", inum, "delete"),
        None,
    )
    .await;
    Ok(Response::with_body(Body::NoContent))
}
