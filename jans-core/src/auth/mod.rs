//! The auth-server component: OAuth 2.0 ([`oauth`]), OpenID Connect ([`oidc`]) and the
//! sign-in of people ([`authn`]), at the paths of [`paths`].
//!
//! Its modules take the component value ([`AuthServer`]): the shared [`Services`] plus
//! what only the auth-server keeps (client key cache, discovery document, pairwise key).

pub mod authn;
pub mod clients;
pub mod oauth;
pub mod oidc;
pub mod paths;
pub mod users;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::config::Config;
use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::jose::Jwks;
use crate::repo::scope::Scope;
use crate::request::{AuthEndpoint, Method, Request};
use crate::response::{Body, Response};
use crate::services::Services;

/// The auth-server component: the shared services plus what only it keeps.
pub struct AuthServer {
    services: Arc<Services>,
    /// Client `jwks_uri` documents: url -> (fetched at, keys).
    pub(crate) jwks_cache: Mutex<HashMap<String, (UnixTime, Arc<Jwks>)>>,
    /// The discovery document and the configuration and scopes it was built from.
    discovery: Mutex<Option<Discovery>>,
    /// Key of algorithmic pairwise subjects when `pairwiseCalculationKey` is empty.
    pub(crate) pairwise_key: [u8; 32],
}

struct Discovery {
    config: Arc<Config>,
    scopes: Arc<Vec<Scope>>,
    document: Arc<serde_json::Value>,
}

impl std::fmt::Debug for AuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthServer")
            .field("services", &self.services)
            .finish_non_exhaustive()
    }
}

/// The auth-server reads every shared service ([`Services::config`], [`Services::stores`],
/// [`Services::keys`], ..) through its own value.
impl std::ops::Deref for AuthServer {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.services
    }
}

impl AuthServer {
    /// The component over `services`; `pairwise_key` keys algorithmic pairwise subjects.
    pub(crate) fn new(services: Arc<Services>, pairwise_key: [u8; 32]) -> AuthServer {
        AuthServer {
            services,
            jwks_cache: Mutex::new(HashMap::new()),
            discovery: Mutex::new(None),
            pairwise_key,
        }
    }

    /// The discovery document, built once per configuration and set of scopes.
    pub(crate) fn discovery_json(&self) -> Arc<serde_json::Value> {
        let config = self.config();
        let scopes = self.scopes();
        let mut cached = match self.discovery.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(d) = cached.as_ref()
            && Arc::ptr_eq(&d.config, &config)
            && Arc::ptr_eq(&d.scopes, &scopes)
        {
            return d.document.clone();
        }
        let with_keys = self.key_ceremonies().is_some();
        let document = Arc::new(oidc::discovery::document(&config, &scopes, with_keys));
        *cached = Some(Discovery {
            config,
            scopes,
            document: document.clone(),
        });
        document
    }

    /// Serve one request to one of the auth-server's endpoints.
    pub async fn handle(
        &self,
        endpoint: &AuthEndpoint,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let allow = |methods: &'static str| {
            Ok(Response::error(OAuthError::new(
                ErrorCode::MethodNotAllowed,
                format!("use {methods}"),
            ))
            .header("allow", methods))
        };
        match (endpoint, req.method) {
            (AuthEndpoint::Discovery, Method::Get) => Ok(Response {
                body: Body::Json((*self.discovery_json()).clone()),
                ..Response::public_json(serde_json::Value::Null, 3600)
            }),
            (AuthEndpoint::JansConfiguration, Method::Get) => oidc::discovery::jans(self),
            (AuthEndpoint::Webfinger, Method::Get) => oidc::webfinger::handle(self, req, ctx).await,
            (AuthEndpoint::Jwks, Method::Get) => {
                let ring = self.keys().ring();
                // Short max-age: a relying party must see a new next key well within the
                // rotation interval.
                Ok(Response::public_json((*ring.jwks_json()).clone(), 300))
            }
            (AuthEndpoint::JwksArchived(kid), Method::Get) => {
                let ring = self.keys().ring();
                match ring.archived(kid) {
                    Some(jwk) => Ok(Response::public_json(
                        serde_json::to_value(jwk).map_err(|e| Error::Internal(e.to_string()))?,
                        86400,
                    )),
                    None => Ok(Response::error(OAuthError::new(
                        ErrorCode::NotFound,
                        "no archived key with this kid",
                    ))),
                }
            }
            (AuthEndpoint::Authorize, Method::Get | Method::Post) => {
                if self
                    .config()
                    .grant_types_supported
                    .iter()
                    .any(|g| g == "authorization_code")
                {
                    oauth::authorize::handle(self, req, ctx).await
                } else {
                    Ok(Response::error(OAuthError::new(
                        ErrorCode::NotFound,
                        "the authorization endpoint is not enabled (grantTypesSupported)",
                    )))
                }
            }
            (AuthEndpoint::Token, Method::Post) => oauth::token::handle(self, req, ctx).await,
            (AuthEndpoint::Par, Method::Post) => oauth::par::handle(self, req, ctx).await,
            (AuthEndpoint::ClientInfo, Method::Get | Method::Post) => {
                oidc::clientinfo::handle(self, req, ctx).await
            }
            (AuthEndpoint::GlobalTokenRevocation, Method::Post) => {
                oauth::global_revocation::handle(self, req, ctx).await
            }
            (AuthEndpoint::DeviceAuthorization, Method::Post) => {
                oauth::device::authorize(self, req, ctx).await
            }
            (AuthEndpoint::DeviceVerification, Method::Get | Method::Post) => {
                oauth::device::verification(self, req, ctx).await
            }
            (AuthEndpoint::BackchannelAuthentication, Method::Post) => {
                oauth::ciba::authorize(self, req, ctx).await
            }
            (AuthEndpoint::CibaApproval, Method::Get | Method::Post) => {
                oauth::ciba::approval(self, req, ctx).await
            }
            (AuthEndpoint::Ssa, Method::Get | Method::Post | Method::Delete) => {
                oauth::ssa::handle(self, req, ctx).await
            }
            (AuthEndpoint::SsaValidation, Method::Post) => {
                oauth::ssa::validation(self, req, ctx).await
            }
            (AuthEndpoint::SsaJwt, Method::Get) => oauth::ssa::jwt(self, req, ctx).await,
            (AuthEndpoint::Ssa, _) => allow("GET, POST, DELETE"),
            (AuthEndpoint::SessionStatus, Method::Get) => {
                authn::session_status::handle(self, req, ctx).await
            }
            (AuthEndpoint::Introspection, Method::Get | Method::Post) => {
                oauth::introspect::handle(self, req, ctx).await
            }
            (AuthEndpoint::Register, _) => oidc::registration::handle(self, req, ctx).await,
            (AuthEndpoint::EndSession, Method::Get | Method::Post) => {
                oidc::logout::handle(self, req, ctx).await
            }
            (AuthEndpoint::Userinfo, Method::Get | Method::Post) => {
                oidc::userinfo::handle(self, req, ctx).await
            }
            (AuthEndpoint::Revocation, Method::Post) => oauth::revoke::handle(self, req, ctx).await,
            (AuthEndpoint::CheckSession, Method::Get) => {
                // Relying parties on any origin frame the check-session iframe.
                Ok(Response::with_body(Body::Html {
                    html: oidc::session_management::check_session_html(),
                    csp: format!(
                        "default-src 'none'; script-src {}; frame-ancestors *",
                        crate::response::script_hash(
                            oidc::session_management::CHECK_SESSION_SCRIPT
                        )
                    ),
                }))
            }
            (
                AuthEndpoint::Introspection
                | AuthEndpoint::Authorize
                | AuthEndpoint::Userinfo
                | AuthEndpoint::EndSession
                | AuthEndpoint::DeviceVerification
                | AuthEndpoint::CibaApproval
                | AuthEndpoint::ClientInfo,
                _,
            ) => allow("GET, POST"),
            (
                AuthEndpoint::Token
                | AuthEndpoint::Revocation
                | AuthEndpoint::Par
                | AuthEndpoint::DeviceAuthorization
                | AuthEndpoint::BackchannelAuthentication
                | AuthEndpoint::SsaValidation
                | AuthEndpoint::GlobalTokenRevocation,
                _,
            ) => allow("POST"),
            (
                AuthEndpoint::Discovery
                | AuthEndpoint::JansConfiguration
                | AuthEndpoint::SessionStatus
                | AuthEndpoint::Webfinger
                | AuthEndpoint::Jwks
                | AuthEndpoint::JwksArchived(_)
                | AuthEndpoint::SsaJwt
                | AuthEndpoint::CheckSession,
                _,
            ) => allow("GET"),
        }
    }
}
