//! A person's client authorizations through the config API (Janssen's
//! `clients/authorizations`): the clients they consented to, each with the scopes they
//! approved (`GET clients/authorizations/{userId}`, Janssen's `ClientAuth`), and one of them
//! revoked (`DELETE clients/authorizations/{userId}/{clientId}/{username}`): the consent is
//! forgotten, so the client asks again at the next sign-in.

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::scope::{Scope, ScopeType};
use crate::response::{Body, Response};
use crate::services::Services;

use super::protection::Caller;

fn no_user(inum: &str) -> Error {
    AdminError::new(404, format!("The requested user {inum} doesn't exist")).into()
}

/// `GET clients/authorizations/{userId}`.
pub(super) async fn list(services: &Services, user: &str, ctx: &Ctx) -> Result<Response, Error> {
    let stores = services.stores();
    if stores.users.get(user).await?.is_none() {
        return Err(no_user(user));
    }
    let scopes = services.scopes();
    let mut auths = Map::new();
    for (client, consent) in stores.consents.of_user(user, ctx.now).await? {
        let shown: Vec<Value> = consent
            .0
            .iter()
            .filter_map(|id| {
                // A scope deleted since: by its id alone (Janssen's scope members empty).
                let scope = scopes
                    .iter()
                    .find(|s| s.id == *id)
                    .cloned()
                    .unwrap_or(Scope {
                        id: id.clone(),
                        inum: String::new(),
                        description: None,
                        scope_type: ScopeType::Oauth,
                        claims: Vec::new(),
                        default_scope: false,
                        attributes: Default::default(),
                    });
                serde_json::to_value(scope).ok()
            })
            .collect();
        auths.insert(client, Value::Array(shown));
    }
    Ok(Response::json(json!({"clientAuths": auths})))
}

/// `DELETE clients/authorizations/{userId}/{clientId}/{username}`: 204, or 404 when the
/// person (by inum and name) or the consent is not there.
pub(super) async fn revoke(
    services: &Services,
    caller: &Caller,
    (user, client, username): (&str, &str, &str),
    ctx: &Ctx,
) -> Result<Response, Error> {
    let stores = services.stores();
    match stores.users.get(user).await? {
        Some(u) if u.uid == username => {}
        _ => return Err(no_user(user)),
    }
    if !stores.consents.remove(user, client).await? {
        return Err(AdminError::new(
            404,
            format!("{username} has not authorized the client {client}"),
        )
        .into());
    }
    super::audit::record(
        services,
        caller,
        ctx,
        (
            "clients/authorizations",
            &format!("{user}/{client}"),
            "delete",
        ),
        None,
    )
    .await;
    Ok(Response::with_body(Body::NoContent))
}
