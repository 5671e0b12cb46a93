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

pub mod audit;
mod auth_config;
mod clients;
pub mod json_patch;
pub mod list;
mod org;
pub mod paths;
pub mod protection;
mod scopes;

use std::sync::Arc;

use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::request::{AdminEndpoint, Method, Request};
use crate::response::Response;
use crate::services::Services;

/// The scopes that may read the application's version (Janssen's `app-version.readonly`,
/// the health resource's `.admin` scope, or the super scope).
pub const APP_VERSION_SCOPES: [&str; 3] = [
    "https://jans.io/oauth/config/app-version.readonly",
    "https://jans.io/oauth/config/health.admin",
    protection::READ_ALL,
];

/// The scopes that may read scopes (Janssen's `scopes.readonly`, and the write, admin and
/// super scopes, each of which reads too).
pub const SCOPES_READ: [&str; 5] = [
    "https://jans.io/oauth/config/scopes.readonly",
    "https://jans.io/oauth/config/scopes.write",
    "https://jans.io/oauth/config/scopes.admin",
    protection::READ_ALL,
    protection::WRITE_ALL,
];

/// The scopes that may create and change scopes.
pub const SCOPES_WRITE: [&str; 3] = [
    "https://jans.io/oauth/config/scopes.write",
    "https://jans.io/oauth/config/scopes.admin",
    protection::WRITE_ALL,
];

/// The scopes that may delete scopes.
pub const SCOPES_DELETE: [&str; 3] = [
    "https://jans.io/oauth/config/scopes.delete",
    "https://jans.io/oauth/config/scopes.admin",
    protection::DELETE_ALL,
];

/// The scopes that may read clients (Janssen's list also takes `openid.readonly`; its
/// read of one client does not, which is kept).
pub const CLIENTS_LIST: [&str; 6] = [
    "https://jans.io/oauth/config/openid/clients.readonly",
    "https://jans.io/oauth/config/openid/clients.write",
    "https://jans.io/oauth/config/openid/openid.readonly",
    "https://jans.io/oauth/config/openid/clients.admin",
    protection::READ_ALL,
    protection::WRITE_ALL,
];

/// The scopes that may read one client.
pub const CLIENTS_READ: [&str; 5] = [
    "https://jans.io/oauth/config/openid/clients.readonly",
    "https://jans.io/oauth/config/openid/clients.write",
    "https://jans.io/oauth/config/openid/clients.admin",
    protection::READ_ALL,
    protection::WRITE_ALL,
];

/// The scopes that may create and change clients.
pub const CLIENTS_WRITE: [&str; 4] = [
    "https://jans.io/oauth/config/openid/clients.write",
    "https://jans.io/oauth/config/openid/openid.write",
    "https://jans.io/oauth/config/openid/clients.admin",
    protection::WRITE_ALL,
];

/// The scopes that may delete clients.
pub const CLIENTS_DELETE: [&str; 4] = [
    "https://jans.io/oauth/config/openid/clients.delete",
    "https://jans.io/oauth/config/openid/openid.delete",
    "https://jans.io/oauth/config/openid/clients.admin",
    protection::DELETE_ALL,
];

/// The scopes that may read the auth-server's configuration.
pub const PROPERTIES_READ: [&str; 5] = [
    "https://jans.io/oauth/jans-auth-server/config/properties.readonly",
    "https://jans.io/oauth/jans-auth-server/config/properties.write",
    "https://jans.io/oauth/jans-auth-server/config/properties.admin",
    protection::READ_ALL,
    protection::WRITE_ALL,
];

/// The scopes that may change the auth-server's configuration.
pub const PROPERTIES_WRITE: [&str; 3] = [
    "https://jans.io/oauth/jans-auth-server/config/properties.write",
    "https://jans.io/oauth/jans-auth-server/config/properties.admin",
    protection::WRITE_ALL,
];

/// The scopes that may read the audit log (Janssen guards it with the logging scopes).
pub const AUDIT_READ: [&str; 4] = [
    "https://jans.io/oauth/config/logging.readonly",
    "https://jans.io/oauth/config/logging.admin",
    protection::READ_ALL,
    protection::WRITE_ALL,
];

/// The scopes that may read the organization.
pub const ORG_READ: [&str; 5] = [
    "https://jans.io/oauth/config/organization.readonly",
    "https://jans.io/oauth/config/organization.write",
    "https://jans.io/oauth/config/organization.admin",
    protection::READ_ALL,
    protection::WRITE_ALL,
];

/// The scopes that may change the organization.
pub const ORG_WRITE: [&str; 3] = [
    "https://jans.io/oauth/config/organization.write",
    "https://jans.io/oauth/config/organization.admin",
    protection::WRITE_ALL,
];

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
        let allowed: &[(Method, &str)] = match endpoint {
            AdminEndpoint::Scopes | AdminEndpoint::Clients => &[
                (Method::Get, "GET"),
                (Method::Post, "POST"),
                (Method::Put, "PUT"),
            ],
            AdminEndpoint::Scope(_) | AdminEndpoint::Client(_) => &[
                (Method::Get, "GET"),
                (Method::Patch, "PATCH"),
                (Method::Delete, "DELETE"),
            ],
            AdminEndpoint::Org | AdminEndpoint::AuthConfig => {
                &[(Method::Get, "GET"), (Method::Patch, "PATCH")]
            }
            _ => &[(Method::Get, "GET")],
        };
        if !allowed.iter().any(|(m, _)| *m == req.method) {
            let allow: Vec<&str> = allowed.iter().map(|(_, n)| *n).collect();
            let allow = allow.join(", ");
            return Ok(Response::error(AdminError::new(
                405,
                format!("this endpoint answers {allow} only"),
            ))
            .header("allow", allow));
        }
        match (endpoint, req.method) {
            (AdminEndpoint::Scopes, Method::Post | Method::Put)
            | (AdminEndpoint::Scope(_), Method::Patch) => {
                let caller = protection::authorize(&self.services, req, &SCOPES_WRITE, ctx).await?;
                return scopes::write(&self.services, &caller, endpoint, req, ctx).await;
            }
            (AdminEndpoint::Org, Method::Patch) => {
                let caller = protection::authorize(&self.services, req, &ORG_WRITE, ctx).await?;
                let org = org::patch(&self.services, &caller, req, ctx).await?;
                return Ok(Response::json(
                    serde_json::to_value(&org).map_err(|e| Error::Internal(e.to_string()))?,
                ));
            }
            (AdminEndpoint::Clients, Method::Post | Method::Put)
            | (AdminEndpoint::Client(_), Method::Patch) => {
                let caller =
                    protection::authorize(&self.services, req, &CLIENTS_WRITE, ctx).await?;
                return match endpoint {
                    AdminEndpoint::Client(inum) => {
                        clients::patch(&self.services, &caller, inum, req, ctx).await
                    }
                    _ if req.method == Method::Post => {
                        clients::create(&self.services, &caller, req, ctx).await
                    }
                    _ => clients::replace(&self.services, &caller, req, ctx).await,
                };
            }
            (AdminEndpoint::AuthConfig, Method::Patch) => {
                let caller =
                    protection::authorize(&self.services, req, &PROPERTIES_WRITE, ctx).await?;
                let shown = auth_config::patch(&self.services, &caller, req, ctx).await?;
                return Ok(Response::json(shown));
            }
            (AdminEndpoint::Client(inum), Method::Delete) => {
                let caller =
                    protection::authorize(&self.services, req, &CLIENTS_DELETE, ctx).await?;
                return clients::delete(&self.services, &caller, inum, ctx).await;
            }
            (AdminEndpoint::Scope(inum), Method::Delete) => {
                let caller =
                    protection::authorize(&self.services, req, &SCOPES_DELETE, ctx).await?;
                return scopes::delete(&self.services, &caller, inum, ctx).await;
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
            AdminEndpoint::AppVersion => {
                protection::authorize(&self.services, req, &APP_VERSION_SCOPES, ctx).await?;
                Ok(Response::json(json!({
                    "name": "jans-rs",
                    "version": env!("CARGO_PKG_VERSION"),
                })))
            }
            AdminEndpoint::Scopes => {
                protection::authorize(&self.services, req, &SCOPES_READ, ctx).await?;
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
                protection::authorize(&self.services, req, &SCOPES_READ, ctx).await?;
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
                protection::authorize(&self.services, req, &PROPERTIES_READ, ctx).await?;
                Ok(Response::json(auth_config::shown(&self.services.config())?))
            }
            AdminEndpoint::Clients => {
                protection::authorize(&self.services, req, &CLIENTS_LIST, ctx).await?;
                clients::list(&self.services, req).await
            }
            AdminEndpoint::Client(inum) => {
                protection::authorize(&self.services, req, &CLIENTS_READ, ctx).await?;
                clients::read(&self.services, inum).await
            }
            AdminEndpoint::Org => {
                protection::authorize(&self.services, req, &ORG_READ, ctx).await?;
                let org = org::read(&self.services).await?;
                Ok(Response::json(
                    serde_json::to_value(&org).map_err(|e| Error::Internal(e.to_string()))?,
                ))
            }
            AdminEndpoint::Audit => {
                protection::authorize(&self.services, req, &AUDIT_READ, ctx).await?;
                Ok(Response::json(audit::read(&self.services, req).await?))
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

    /// Janssen's `withAssociatedClients=true`: each scope with the clients registered to
    /// request it (their `inum` — the client id — and `displayName`; nothing secret).
    async fn with_clients(&self, req: &Request, entries: &mut [Value]) -> Result<(), Error> {
        match list::param(req, "withAssociatedClients")?.as_deref() {
            None | Some("false") => return Ok(()),
            Some("true") => {}
            Some(other) => {
                return Err(AdminError::new(
                    400,
                    format!("withAssociatedClients is true or false, not {other:?}"),
                )
                .into());
            }
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
