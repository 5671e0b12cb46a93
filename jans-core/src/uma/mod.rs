//! The UMA 2.0 authorization server (issue 15), served with the auth-server behind
//! Janssen's `uma` feature flag (off by default, as in Janssen): while it is off, every
//! UMA path answers 404 `not_found`. Built so far: discovery ([`discovery`], UMA 2.0
//! Grant §2), resource registration ([`resource`], Federated Authorization §3), the
//! permission endpoint ([`permission`], §4) and the RPT endpoint ([`rpt`], §5), with the
//! protection API token (PAT: an access token with `uma_protection`); the UMA grant
//! ([`grant`], Grant §3.3) at the token endpoint, with interactive claims gathering
//! ([`gather`], §3.3.2), decided by the [`policy`] seam (Cedar
//! policies and `scope_expression`). The same policies answer AuthZEN access evaluations
//! ([`authzen`]), behind their own `access_evaluation` flag.

pub mod approval;
pub mod authzen;
pub mod claims;
pub mod discovery;
pub mod gather;
pub mod grant;
pub mod paths;
pub mod permission;
pub mod policy;
pub mod resource;
pub mod rpt;
pub mod scope_expression;

use std::sync::{Arc, RwLock};

use crate::config::Config;
use crate::params::Params;
use crate::repo::client::Client;
use crate::services::TokenGrant;
use policy::cedar::{CedarPolicies, LoadError, PolicyFile};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::request::{Method, Request, UmaEndpoint};
use crate::response::Response;
use crate::services::{Bearer, Services};

/// The scope a protection API token carries (UMA 2.0 Federated Authorization §1.3).
pub const PROTECTION_SCOPE: &str = "uma_protection";

/// The UMA component: the shared services and the loaded policies.
pub struct UmaServer {
    services: Arc<Services>,
    /// The Cedar policies deciding UMA grants and AuthZEN evaluations (none loaded: no
    /// policy is bound to anything).
    policies: RwLock<Arc<CedarPolicies>>,
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
    /// The resource owner: a person's `inum`, or the client for a client's own PAT.
    pub owner_id: String,
}

impl UmaServer {
    /// The component over `services`.
    pub(crate) fn new(services: Arc<Services>) -> UmaServer {
        UmaServer {
            services,
            policies: RwLock::new(Arc::new(CedarPolicies::default())),
        }
    }

    /// Decide from now on by the Cedar policies of `files` (the host reads the files
    /// `umaCedarPolicies` names, at start and when the shared configuration changes). A
    /// policy that does not parse refuses the whole set, located, and the policies in
    /// force stay. How many policies are in force.
    pub fn load_policies(&self, files: &[PolicyFile]) -> Result<usize, LoadError> {
        let loaded = CedarPolicies::load(files)?;
        let n = loaded.len();
        match self.policies.write() {
            Ok(mut g) => *g = Arc::new(loaded),
            Err(p) => *p.into_inner() = Arc::new(loaded),
        }
        Ok(n)
    }

    /// The policies in force.
    pub fn policies(&self) -> Arc<CedarPolicies> {
        match self.policies.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
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
                owner_id: t.subject.unwrap_or_else(|| t.client_id.clone()),
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
        if matches!(
            endpoint,
            UmaEndpoint::AuthzenConfiguration | UmaEndpoint::Evaluation | UmaEndpoint::Evaluations
        ) {
            return authzen::handle(self, endpoint, req, ctx).await;
        }
        if !config.feature_enabled("uma") {
            return Err(UmaError::new(
                UmaErrorCode::NotFound,
                "UMA is not enabled on this server (featureFlags)",
            )
            .into());
        }
        let allowed = match endpoint {
            UmaEndpoint::Configuration | UmaEndpoint::GatherClaims => "GET",
            UmaEndpoint::ResourceSets => "GET, POST",
            UmaEndpoint::ResourceSet(_) => "GET, PUT, DELETE",
            UmaEndpoint::Permission | UmaEndpoint::RptStatus => "POST",
            UmaEndpoint::PermissionRequests => "GET",
            UmaEndpoint::PermissionRequest(_) => "GET, PUT",
            UmaEndpoint::AuthzenConfiguration
            | UmaEndpoint::Evaluation
            | UmaEndpoint::Evaluations => return Err(Error::Internal("served above".into())),
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
        if *endpoint == UmaEndpoint::GatherClaims {
            return gather::gather(self, req, ctx).await;
        }
        let pat = self.protection(req, ctx).await?;
        if *endpoint == UmaEndpoint::Permission {
            return permission::request(&self.services, &pat, req, ctx).await;
        }
        if *endpoint == UmaEndpoint::RptStatus {
            return rpt::status(&self.services, &pat, req, ctx).await;
        }
        match (endpoint, req.method) {
            (UmaEndpoint::PermissionRequests, _) => return approval::list(self, &pat).await,
            (UmaEndpoint::PermissionRequest(id), Method::Put) => {
                return approval::decide(self, &pat, id, req, ctx).await;
            }
            (UmaEndpoint::PermissionRequest(id), _) => return approval::read(self, &pat, id).await,
            _ => {}
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
            (
                UmaEndpoint::Configuration
                | UmaEndpoint::Permission
                | UmaEndpoint::RptStatus
                | UmaEndpoint::PermissionRequests
                | UmaEndpoint::PermissionRequest(_)
                | UmaEndpoint::GatherClaims
                | UmaEndpoint::AuthzenConfiguration
                | UmaEndpoint::Evaluation
                | UmaEndpoint::Evaluations,
                _,
            ) => Err(Error::Internal("served above".into())),
        }
    }
}

/// The UMA grant, served at the auth-server's token endpoint.
#[async_trait::async_trait]
impl TokenGrant for UmaServer {
    fn enabled(&self, config: &Config) -> bool {
        config.feature_enabled("uma")
    }

    async fn grant(&self, client: &Client, params: &Params, ctx: &Ctx) -> Result<Response, Error> {
        grant::grant(self, client, params, ctx).await
    }
}
