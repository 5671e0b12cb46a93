//! The UMA 2.0 authorization server (issue 15), served with the auth-server behind
//! Janssen's `uma` feature flag (off by default, as in Janssen): while it is off, every
//! UMA path answers 404 `not_found`. Built so far: discovery ([`discovery`], UMA 2.0
//! Grant §2), resource registration ([`resource`], Federated Authorization §3) and the
//! permission endpoint ([`permission`], §4), with the protection API token (PAT: an
//! access token with `uma_protection`).

pub mod discovery;
pub mod paths;
pub mod permission;
pub mod resource;
pub mod scope_expression;

use std::sync::Arc;

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::request::{Method, Request, UmaEndpoint};
use crate::response::Response;
use crate::services::{Bearer, Services};

/// The scope a protection API token carries (UMA 2.0 Federated Authorization §1.3).
pub const PROTECTION_SCOPE: &str = "uma_protection";

/// The UMA component: the shared services.
pub struct UmaServer {
    services: Arc<Services>,
}

impl std::fmt::Debug for UmaServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UmaServer")
    }
}

/// Who a PAT speaks for: its resource owner, or its client for a client's own token.
#[derive(Clone, Debug)]
pub struct Protection {
    /// The client the PAT was issued to.
    pub client_id: String,
    /// The resource owner's key ([`crate::repo::uma_resource::UmaResources::owner_key`]).
    pub owner: String,
}

impl UmaServer {
    /// The component over `services`.
    pub(crate) fn new(services: Arc<Services>) -> UmaServer {
        UmaServer { services }
    }

    /// The PAT of `req` (RFC 6750 §2.1): none or a dead one is a 401, one without
    /// `uma_protection` a 403, each with its challenge.
    async fn protection(&self, req: &Request, ctx: &Ctx) -> Result<Protection, Error> {
        match self.services.bearer(req, ctx).await? {
            Bearer::Missing => {
                Err(UmaError::no_token("a protection API token (PAT) is required").into())
            }
            Bearer::Inactive => Err(UmaError::new(
                UmaErrorCode::InvalidToken,
                "the token is not a live protection API token (PAT)",
            )
            .into()),
            Bearer::Active(t) if !t.scopes.iter().any(|s| s == PROTECTION_SCOPE) => {
                Err(UmaError::new(
                    UmaErrorCode::InsufficientScope,
                    "the token is not a PAT: it lacks the uma_protection scope",
                )
                .into())
            }
            Bearer::Active(t) => Ok(Protection {
                owner: crate::repo::uma_resource::UmaResources::owner_key(
                    t.subject.as_deref(),
                    &t.client_id,
                ),
                client_id: t.client_id,
            }),
        }
    }

    /// Serve one request to one of the UMA endpoints.
    pub async fn handle(
        &self,
        endpoint: &UmaEndpoint,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let config = self.services.config();
        if !config.feature_enabled("uma") {
            return Err(UmaError::new(
                UmaErrorCode::NotFound,
                "UMA is not enabled on this server (featureFlags)",
            )
            .into());
        }
        let allowed = match endpoint {
            UmaEndpoint::Configuration => "GET",
            UmaEndpoint::ResourceSets => "GET, POST",
            UmaEndpoint::ResourceSet(_) => "GET, PUT, DELETE",
            UmaEndpoint::Permission => "POST",
        };
        if !req.method.is_in(allowed) {
            // Federated Authorization §3.2: `unsupported_method_type`, with `Allow`.
            return Ok(Response::error(UmaError::new(
                UmaErrorCode::UnsupportedMethodType,
                format!("this endpoint answers {allowed}"),
            ))
            .header("allow", allowed));
        }
        if *endpoint == UmaEndpoint::Configuration {
            return Ok(Response::public_json(discovery::document(&config), 3600));
        }
        let pat = self.protection(req, ctx).await?;
        if *endpoint == UmaEndpoint::Permission {
            return permission::request(&self.services, &pat, req, ctx).await;
        }
        let resources = resource::Registry {
            services: &self.services,
            pat: &pat,
        };
        match (endpoint, req.method) {
            (UmaEndpoint::ResourceSets, Method::Post) => resources.create(req, ctx).await,
            (UmaEndpoint::ResourceSets, _) => resources.list(req, ctx).await,
            (UmaEndpoint::ResourceSet(rsid), Method::Put) => resources.update(rsid, req, ctx).await,
            (UmaEndpoint::ResourceSet(rsid), Method::Delete) => resources.delete(rsid, ctx).await,
            (UmaEndpoint::ResourceSet(rsid), _) => resources.read(rsid, ctx).await,
            (UmaEndpoint::Configuration | UmaEndpoint::Permission, _) => {
                Err(Error::Internal("served above".into()))
            }
        }
    }
}
