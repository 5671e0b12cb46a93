//! Component config API (Janssen's jans-config-api): the OAuth-protected admin REST API
//! that Janssen's CLI, admin UI and Terraform provider use, at `/jans-config-api/api/v1/`.
//!
//! Built so far: the component's wire form ([`crate::error::admin::AdminError`], Janssen's
//! `ApiError`), its bearer-token protection with Janssen's scopes ([`protection`]), its
//! lists ([`list`]: Janssen's paging, search and sorting, the `PagedResult` answer), RFC
//! 6902 JSON Patch ([`json_patch`]), the audit log of its writes ([`audit`]), its health
//! endpoints (`health`, `health/live`, `health/ready`, `health/app-version`,
//! `jans-auth-server/health`), the organization (`org`: read, patched), the scopes
//! (`scopes`, `scopes/{inum}`: read, created, replaced, patched, deleted), the OpenID
//! Connect clients (`openid/clients`, in Janssen's client JSON: the same operations) and
//! the auth-server's configuration (`jans-auth-server/config`: read, patched). The other
//! resources (users, attributes, sessions, tokens, keys, ...) come next.

mod acrs;
mod attributes;
pub mod audit;
mod auth_config;
mod authorizations;
pub mod clients;
mod grant_operations;
pub use crate::management::{json_patch, list, protection};
mod jwks;
pub mod openapi;
pub mod operations;
mod org;
pub mod paths;
mod schemas;
mod scope_sets;
mod scopes;
mod service;
mod sessions;
mod stat;
mod tokens;
mod uma_resources;
pub mod users;

use std::sync::Arc;

use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::request::{AdminEndpoint, Method, Request};
use crate::response::Response;
use crate::services::Services;

pub use operations::{
    ACRS_READ, ACRS_WRITE, APP_VERSION_SCOPES, AUDIT_READ, CLIENTS_DELETE, CLIENTS_LIST,
    CLIENTS_READ, CLIENTS_WRITE, JWKS_READ, JWKS_WRITE, LOGGING_WRITE, ORG_READ, ORG_WRITE,
    PROPERTIES_READ, PROPERTIES_WRITE, SCOPES_DELETE, SCOPES_READ, SCOPES_WRITE, SERVICE_STATUS,
    USERS_DELETE, USERS_READ, USERS_WRITE,
};

/// The config API over the engine's services.
#[derive(Debug)]
pub struct AdminServer {
    services: Arc<Services>,
}

impl AdminServer {
    /// The component over the engine's services.
    pub fn new(services: Arc<Services>) -> AdminServer {
        AdminServer { services }
    }

    /// Serve one request to `endpoint`.
    pub async fn handle(
        &self,
        endpoint: &AdminEndpoint,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        // RFC 9110 §15.5.6: 405 with `Allow`.
        let Some(operation) = operations::find(endpoint, req.method) else {
            let allow = operations::allowed(endpoint).join(", ");
            return Ok(Response::error(AdminError::new(
                405,
                format!("this endpoint answers {allow} only"),
            ))
            .header("allow", allow));
        };
        let caller = if operation.scopes.is_empty() {
            None
        } else {
            Some(protection::authorize(&self.services, req, operation.scopes, ctx).await?)
        };
        let writer = || {
            caller
                .as_ref()
                .ok_or_else(|| Error::Internal("a write without a caller".into()))
        };
        match (endpoint, req.method) {
            (AdminEndpoint::Scopes, Method::Post | Method::Put)
            | (AdminEndpoint::Scope(_), Method::Patch) => {
                return scopes::write(&self.services, writer()?, endpoint, req, ctx).await;
            }
            (AdminEndpoint::Org, Method::Patch) => {
                let org = org::patch(&self.services, writer()?, req, ctx).await?;
                return Ok(Response::json(
                    serde_json::to_value(&org).map_err(|e| Error::Internal(e.to_string()))?,
                ));
            }
            (AdminEndpoint::Clients, Method::Post) => {
                return clients::create(&self.services, writer()?, req, ctx).await;
            }
            (AdminEndpoint::Clients, Method::Put) => {
                return clients::replace(&self.services, writer()?, req, ctx).await;
            }
            (AdminEndpoint::Client(inum), Method::Patch) => {
                return clients::patch(&self.services, writer()?, inum, req, ctx).await;
            }
            (AdminEndpoint::AuthConfig, Method::Patch) => {
                let shown = auth_config::patch(&self.services, writer()?, req, ctx).await?;
                return Ok(Response::json(shown).header("etag", self.config_etag()));
            }
            (AdminEndpoint::Client(inum), Method::Delete) => {
                return clients::delete(&self.services, writer()?, inum, ctx).await;
            }
            (
                AdminEndpoint::ClientAuthorization {
                    user,
                    client,
                    username,
                },
                Method::Delete,
            ) => {
                return authorizations::revoke(
                    &self.services,
                    writer()?,
                    (user, client, username),
                    ctx,
                )
                .await;
            }
            (AdminEndpoint::Attributes, Method::Post | Method::Put) => {
                return attributes::write(&self.services, writer()?, req, ctx).await;
            }
            (AdminEndpoint::Attribute(inum), Method::Patch) => {
                return attributes::patch(&self.services, writer()?, inum, req, ctx).await;
            }
            (AdminEndpoint::Attribute(inum), Method::Delete) => {
                return attributes::delete(&self.services, writer()?, inum, ctx).await;
            }
            (AdminEndpoint::Session(sid), Method::Delete) => {
                return sessions::revoke(&self.services, writer()?, sid, ctx).await;
            }
            (AdminEndpoint::UserSessions(user), Method::Delete) => {
                return sessions::revoke_user(&self.services, writer()?, user, ctx).await;
            }
            (AdminEndpoint::Logging, Method::Put) => {
                let set = service::set_logging(&self.services, writer()?, req, ctx).await?;
                return Ok(Response::json(set));
            }
            (AdminEndpoint::Acrs, Method::Put) => {
                let set = acrs::write(&self.services, writer()?, req, ctx).await?;
                return Ok(Response::json(set));
            }
            (AdminEndpoint::JwksRotate, Method::Post) => {
                return jwks::rotate(&self.services, writer()?, ctx).await;
            }
            (AdminEndpoint::Users, Method::Post) => {
                return users::create(&self.services, writer()?, req, ctx).await;
            }
            (AdminEndpoint::Users, Method::Put) => {
                return users::replace(&self.services, writer()?, req, ctx).await;
            }
            (AdminEndpoint::User(inum), Method::Patch) => {
                return users::patch(&self.services, writer()?, inum, req, ctx).await;
            }
            (AdminEndpoint::User(inum), Method::Delete) => {
                return users::delete(&self.services, writer()?, inum, ctx).await;
            }
            (AdminEndpoint::UmaResource(id), Method::Delete) => {
                return uma_resources::delete(&self.services, writer()?, id, ctx).await;
            }
            (AdminEndpoint::TokenRevoke(code), Method::Delete) => {
                return tokens::revoke(&self.services, writer()?, code, ctx).await;
            }
            (AdminEndpoint::Scope(inum), Method::Delete) => {
                return scopes::delete(&self.services, writer()?, inum, ctx).await;
            }
            _ => {}
        }
        match endpoint {
            AdminEndpoint::HealthLive => Ok(Response::json(liveness())),
            AdminEndpoint::HealthReady => {
                let (up, ready) = self.readiness().await;
                let status = if up { 200 } else { 503 };
                Ok(Response::with_body(crate::response::Body::JsonStatus(
                    status, ready,
                )))
            }
            AdminEndpoint::Health => Ok(Response::json(Value::Array(vec![
                liveness(),
                self.readiness().await.1,
            ]))),
            AdminEndpoint::AppVersion => Ok(Response::json(json!({
                "name": "jans-rs",
                "version": env!("CARGO_PKG_VERSION"),
            }))),
            AdminEndpoint::Scopes => {
                let mut params = list::ListParams::parse(req, "inum")?;
                // Janssen's `type`: the scopes of one `scopeType`.
                if let Some(kind) = list::param(req, "type")? {
                    params.field_value_pairs.push(("scopeType".into(), kind));
                }
                let scopes = self.services.stores().scopes.list().await?;
                let mut entries = scopes
                    .iter()
                    .map(serde_json::to_value)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| Error::Internal(e.to_string()))?;
                self.with_clients(req, &mut entries).await?;
                Ok(Response::json(params.page(
                    entries,
                    &["id", "inum", "displayName", "description"],
                )))
            }
            AdminEndpoint::Scope(inum) => {
                let Some((_, scope)) = self.services.stores().scopes.by_inum(inum).await? else {
                    return Ok(Response::error(scopes::missing(inum)));
                };
                let mut one =
                    [serde_json::to_value(&scope).map_err(|e| Error::Internal(e.to_string()))?];
                self.with_clients(req, &mut one).await?;
                let [one] = one;
                Ok(Response::json(one))
            }
            AdminEndpoint::AuthConfig => {
                Ok(Response::json(auth_config::shown(&self.services.config())?)
                    .header("etag", self.config_etag()))
            }
            AdminEndpoint::Clients => clients::list(&self.services, req).await,
            AdminEndpoint::Client(inum) => clients::read(&self.services, inum).await,
            AdminEndpoint::Org => {
                let org = org::read(&self.services).await?;
                Ok(Response::json(
                    serde_json::to_value(&org).map_err(|e| Error::Internal(e.to_string()))?,
                ))
            }
            AdminEndpoint::Acrs => Ok(Response::json(acrs::read(&self.services))),
            AdminEndpoint::Attributes => attributes::list(&self.services, req).await,
            AdminEndpoint::Attribute(inum) => attributes::one(&self.services, inum).await,
            AdminEndpoint::Sessions | AdminEndpoint::SessionSearch => {
                sessions::list(&self.services, req, ctx).await
            }
            AdminEndpoint::Session(sid) => sessions::one(&self.services, sid, ctx).await,
            AdminEndpoint::UserSessions(_) => {
                Err(Error::Internal("a revocation is a DELETE".into()))
            }
            AdminEndpoint::ClientAuthorizations(user) => {
                authorizations::list(&self.services, user, ctx).await
            }
            AdminEndpoint::ClientAuthorization { .. } => {
                Err(Error::Internal("a revocation is a DELETE".into()))
            }
            AdminEndpoint::ServiceStatus => {
                Ok(Response::json(service::status(&self.services, req)?))
            }
            AdminEndpoint::Logging => Ok(Response::json(service::logging(&self.services))),
            AdminEndpoint::Jwks => Ok(jwks::list(&self.services)),
            AdminEndpoint::JwksKey(kid) => jwks::one(&self.services, kid),
            AdminEndpoint::JwksRotate => Err(Error::Internal("rotation is a POST".into())),
            AdminEndpoint::Users => users::list(&self.services, req).await,
            AdminEndpoint::User(inum) => users::read_one(&self.services, inum).await,
            AdminEndpoint::OpenApi => Ok(Response::json(
                serde_json::to_value(openapi::document(&self.services.config().issuer))
                    .map_err(|e| Error::Internal(e.to_string()))?,
            )),
            AdminEndpoint::Audit => Ok(Response::json(audit::read(&self.services, req).await?)),
            AdminEndpoint::Stat => Ok(Response::json(stat::read(&self.services, req, ctx).await?)),
            AdminEndpoint::TokenSearch => tokens::search(&self.services, req, ctx).await,
            AdminEndpoint::ClientTokens(id) => {
                tokens::of_client(&self.services, id, req, ctx).await
            }
            AdminEndpoint::Token(code) => tokens::one(&self.services, code, ctx).await,
            AdminEndpoint::TokenRevoke(_) => {
                Err(Error::Internal("a revocation is a DELETE".into()))
            }
            AdminEndpoint::UmaResources => uma_resources::list(&self.services, req, ctx).await,
            AdminEndpoint::UmaResource(id) => uma_resources::one(&self.services, id, ctx).await,
            AdminEndpoint::ClientUmaResources(client) => {
                uma_resources::of_client(&self.services, client, ctx).await
            }
            AdminEndpoint::AuthServerHealth => {
                let online = self.stores_answer().await;
                Ok(Response::json(json!({
                    "status": "running",
                    "db_status": if online { "online" } else { "offline" },
                })))
            }
        }
    }

    /// The configuration's revision as an entity tag (RFC 9110 §8.8.3).
    fn config_etag(&self) -> String {
        format!("\"{}\"", self.services.config_revision())
    }

    /// Janssen's `withAssociatedClients=true`: each scope with the clients registered to
    /// request it (their `inum` — the client id — and `displayName`; nothing secret).
    async fn with_clients(&self, req: &Request, entries: &mut [Value]) -> Result<(), Error> {
        if !list::flag(req, "withAssociatedClients")? {
            return Ok(());
        }
        let clients = self.services.stores().clients.snapshot().await?;
        for entry in entries.iter_mut() {
            let Some(id) = entry.get("id").and_then(Value::as_str).map(str::to_owned) else {
                continue;
            };
            let of: Vec<Value> = clients
                .iter()
                .filter(|c| {
                    c.metadata
                        .scope
                        .as_deref()
                        .is_some_and(|s| s.split(' ').any(|x| x == id))
                })
                .map(|c| json!({"inum": c.client_id, "displayName": c.metadata.client_name}))
                .collect();
            if let Some(m) = entry.as_object_mut() {
                m.insert("clients".into(), Value::Array(of));
            }
        }
        Ok(())
    }

    /// Whether the stores answer a read.
    async fn stores_answer(&self) -> bool {
        self.services
            .stores()
            .clients
            .get("-readiness-probe-")
            .await
            .is_ok()
    }

    /// Whether the stores answer, and Janssen's readiness `Status`: `UP`, else `DOWN`
    /// with why.
    async fn readiness(&self) -> (bool, Value) {
        if self.stores_answer().await {
            (
                true,
                json!({"name": "jans-config-api readiness", "status": "UP"}),
            )
        } else {
            (
                false,
                json!({
                    "name": "jans-config-api readiness",
                    "status": "DOWN",
                    "error": "the database does not answer",
                }),
            )
        }
    }
}

/// The request's body as JSON; a 400 naming why when it is not.
pub(crate) fn body(req: &Request) -> Result<Value, AdminError> {
    serde_json::from_slice(&req.body)
        .map_err(|e| AdminError::new(400, format!("the body is not JSON: {e}")))
}

/// Janssen's liveness `Status`: a process that answers is live.
fn liveness() -> Value {
    json!({"name": "jans-config-api liveness", "status": "UP"})
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every scope the component accepts is one a new installation starts with.
    #[test]
    fn its_scopes_are_registered_by_default() {
        let defaults = crate::repo::scope::defaults();
        let known = |s: &str| defaults.iter().any(|d| d.id == s);
        for s in APP_VERSION_SCOPES
            .iter()
            .chain(&SCOPES_READ)
            .chain(&SCOPES_WRITE)
            .chain(&SCOPES_DELETE)
            .chain(&AUDIT_READ)
            .chain(&ORG_READ)
            .chain(&ORG_WRITE)
            .chain(&CLIENTS_LIST)
            .chain(&CLIENTS_READ)
            .chain(&CLIENTS_WRITE)
            .chain(&CLIENTS_DELETE)
            .chain(&PROPERTIES_READ)
            .chain(&PROPERTIES_WRITE)
            .chain(&USERS_READ)
            .chain(&USERS_WRITE)
            .chain(&USERS_DELETE)
            .chain(&JWKS_READ)
            .chain(&JWKS_WRITE)
            .chain(&ACRS_READ)
            .chain(&ACRS_WRITE)
            .chain(&LOGGING_WRITE)
            .chain(&SERVICE_STATUS)
            .chain(&operations::CLIENT_AUTHZ_READ)
            .chain(&operations::CLIENT_AUTHZ_DELETE)
            .chain(&operations::SESSIONS_READ)
            .chain(&operations::SESSIONS_DELETE)
            .chain(&operations::ATTRIBUTES_READ)
            .chain(&operations::ATTRIBUTES_WRITE)
            .chain(&operations::ATTRIBUTES_DELETE)
            .chain(&[
                protection::READ_ALL,
                protection::WRITE_ALL,
                protection::DELETE_ALL,
            ])
        {
            assert!(known(s), "{s}");
        }
    }
}
