//! The permission endpoint (UMA 2.0 Federated Authorization §4) at
//! `/jans-auth/restv1/host/rsrc_pr`: a resource server, with its PAT, asks for a
//! permission ticket for one permission (`{"resource_id", "resource_scopes"}`) or an array
//! of them, each a resource of the PAT's resource owner and some of the scopes it was
//! registered with; the answer is 201 `{"ticket"}`. A ticket lives `umaTicketLifetime`
//! seconds and is redeemed once, by the UMA grant.

use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::repo::uma_ticket::{Permission, Ticket};
use crate::request::Request;
use crate::response::{Body, Response};
use crate::services::Services;

use super::Protection;

/// Most permissions one ticket asks.
const MAX_PERMISSIONS: usize = 100;

/// Most scopes one permission asks.
const MAX_SCOPES: usize = 100;

fn invalid(code: UmaErrorCode, why: impl Into<String>) -> Error {
    UmaError::new(code, why).into()
}

/// The permissions in `req`'s body, well formed (not yet checked against the resources).
fn parse(req: &Request) -> Result<Vec<Permission>, Error> {
    let body: Value = serde_json::from_slice(&req.body).map_err(|e| {
        invalid(
            UmaErrorCode::InvalidRequest,
            format!("the body is not JSON: {e}"),
        )
    })?;
    let items = match body {
        Value::Array(items) => items,
        one @ Value::Object(_) => vec![one],
        _ => {
            return Err(invalid(
                UmaErrorCode::InvalidRequest,
                "the body is a permission or an array of them",
            ));
        }
    };
    if items.is_empty() || items.len() > MAX_PERMISSIONS {
        return Err(invalid(
            UmaErrorCode::InvalidRequest,
            format!("1 to {MAX_PERMISSIONS} permissions"),
        ));
    }
    items
        .into_iter()
        .map(|item| {
            let p: Permission = serde_json::from_value(item).map_err(|e| {
                invalid(
                    UmaErrorCode::InvalidRequest,
                    format!("a permission is {{\"resource_id\", \"resource_scopes\"}}: {e}"),
                )
            })?;
            if p.resource_id.is_empty()
                || p.resource_scopes.is_empty()
                || p.resource_scopes.len() > MAX_SCOPES
                || p.resource_scopes.iter().any(String::is_empty)
            {
                return Err(invalid(
                    UmaErrorCode::InvalidRequest,
                    "each permission names a resource_id and 1 or more resource_scopes",
                ));
            }
            Ok(p)
        })
        .collect()
}

/// `POST rsrc_pr`.
pub(super) async fn request(
    services: &Services,
    pat: &Protection,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let permissions = parse(req)?;
    let config = services.config();
    let stores = services.stores();
    for p in &permissions {
        let resource = stores
            .uma_resources
            .get(&pat.owner, &p.resource_id, ctx.now)
            .await?
            .map(|(_, r)| r)
            .filter(|r| {
                !config.uma_restrict_resource_to_associated_client || r.client_id == pat.client_id
            })
            .ok_or_else(|| {
                invalid(
                    UmaErrorCode::InvalidResourceId,
                    format!("no resource {} of this resource owner", p.resource_id),
                )
            })?;
        if let Some(s) = p
            .resource_scopes
            .iter()
            .find(|s| !resource.resource_scopes.contains(s))
        {
            return Err(invalid(
                UmaErrorCode::InvalidScope,
                format!(
                    "resource {} was not registered with the scope {s}",
                    p.resource_id
                ),
            ));
        }
    }
    let ticket = Ticket {
        owner: pat.owner.clone(),
        client_id: pat.client_id.clone(),
        permissions,
        claims: serde_json::Map::new(),
        gathered: false,
    };
    let value = ctx.random_token(32);
    stores
        .uma_tickets
        .insert(
            &value,
            &ticket,
            ctx.now,
            ctx.now.saturating_add(config.uma_ticket_lifetime),
        )
        .await?;
    Ok(Response::with_body(Body::JsonStatus(
        201,
        json!({"ticket": value}),
    )))
}
