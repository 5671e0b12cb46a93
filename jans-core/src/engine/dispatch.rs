//! [`Endpoint`] → the component that serves it. Every component's path table is consulted
//! here, so the foundations ([`crate::request`]) know no component.

use crate::ctx::Ctx;
use crate::error::{Error, ProtocolError};
use crate::request::{Endpoint, Request};
use crate::response::Response;

use super::Engine;

impl Endpoint {
    /// Map a request path to an endpoint; `None` for paths the engine does not serve.
    pub fn from_path(path: &str) -> Option<Endpoint> {
        crate::auth::paths::from_path(path)
            .map(Endpoint::Auth)
            .or_else(|| crate::fido2::paths::from_path(path).map(Endpoint::Fido2))
            .or_else(|| crate::scim::paths::from_path(path).map(Endpoint::Scim))
            .or_else(|| crate::admin::paths::from_path(path).map(Endpoint::Admin))
            .or_else(|| crate::uma::paths::from_path(path).map(Endpoint::Uma))
            .or_else(|| crate::casa::paths::from_path(path).map(Endpoint::Casa))
            .or_else(|| crate::saml::paths::from_path(path).map(Endpoint::Saml))
    }

    /// The path this endpoint is served at (relative to the issuer).
    pub fn path(&self) -> String {
        match self {
            Endpoint::Auth(e) => crate::auth::paths::path(e),
            Endpoint::Fido2(e) => crate::fido2::paths::path(e),
            Endpoint::Scim(e) => crate::scim::paths::path(e),
            Endpoint::Admin(e) => crate::admin::paths::path(e),
            Endpoint::Uma(e) => crate::uma::paths::path(e),
            Endpoint::Casa(e) => crate::casa::paths::path(e),
            Endpoint::Saml(e) => crate::saml::paths::path(e),
        }
    }

    /// A short stable label for metrics and logs.
    pub fn label(&self) -> &'static str {
        match self {
            Endpoint::Auth(e) => crate::auth::paths::label(e),
            Endpoint::Fido2(e) => crate::fido2::paths::label(e),
            Endpoint::Scim(e) => crate::scim::paths::label(e),
            Endpoint::Admin(e) => crate::admin::paths::label(e),
            Endpoint::Uma(e) => crate::uma::paths::label(e),
            Endpoint::Casa(e) => crate::casa::paths::label(e),
            Endpoint::Saml(e) => crate::saml::paths::label(e),
        }
    }

    /// Whether a browser visits this endpoint, so an error it answers is a page
    /// ([`Response::error_as_page`]), for hosts that refuse a request before the engine
    /// sees it too.
    pub fn shows_errors_as_pages(&self) -> bool {
        match self {
            Endpoint::Auth(e) => crate::auth::paths::shows_errors_as_pages(e),
            Endpoint::Casa(_) => true,
            // Its trust relationships' admin routes answer as the config API does.
            Endpoint::Saml(e) => {
                *e != crate::request::SamlEndpoint::Metadata && !self.is_management()
            }
            Endpoint::Fido2(_) | Endpoint::Scim(_) | Endpoint::Admin(_) | Endpoint::Uma(_) => false,
        }
    }

    /// Whether this is a management endpoint (the config API's, or an admin route a
    /// component contributes under `/jans-config-api/`): its refusals are Janssen's
    /// `ApiError`.
    pub fn is_management(&self) -> bool {
        self.path().starts_with(crate::management::ROOT)
    }

    /// The component serving this endpoint, as `--components` names it.
    pub fn component(&self) -> &'static str {
        match self {
            Endpoint::Auth(_) => "auth",
            Endpoint::Fido2(_) => "fido2",
            Endpoint::Scim(_) => "scim",
            Endpoint::Admin(_) => "config-api",
            // Served with the auth-server, as in Janssen.
            Endpoint::Uma(_) => "auth",
            Endpoint::Casa(_) => "casa",
            Endpoint::Saml(_) => "saml",
        }
    }
}

impl Engine {
    /// Serve one request. Never panics on any input; protocol errors become error
    /// responses, internal failures the protocol's server error (logged with the request
    /// id).
    pub async fn handle(&self, req: Request, ctx: &Ctx) -> Response {
        match &req.endpoint {
            Endpoint::Auth(e) => {
                let resp = match self.inner.auth.handle(e, &req, ctx).await {
                    Ok(r) => r,
                    // The UMA grant answers at the token endpoint in UMA's own form.
                    Err(Error::Uma(e)) => Response::error(ProtocolError::Uma(e)),
                    Err(err) => failed(&req, ProtocolError::OAuth(err.to_oauth()), &err, ctx),
                };
                if req.endpoint.shows_errors_as_pages() {
                    resp.error_as_page()
                } else {
                    resp
                }
            }
            // A component's admin routes answer as the config API does (Janssen's
            // `ApiError`), its own endpoints in its protocol's form.
            Endpoint::Fido2(e) => match self.inner.fido2.handle(e.clone(), &req, ctx).await {
                Ok(r) => r,
                Err(err) if req.endpoint.is_management() => {
                    failed(&req, ProtocolError::Admin(err.to_admin()), &err, ctx)
                }
                Err(err) => failed(&req, ProtocolError::WebAuthn(err.to_fido2()), &err, ctx),
            },
            Endpoint::Scim(e) => match self.inner.scim.handle(e, &req, ctx).await {
                Ok(r) => r,
                Err(err) if req.endpoint.is_management() => {
                    failed(&req, ProtocolError::Admin(err.to_admin()), &err, ctx)
                }
                Err(err) => failed(&req, ProtocolError::Scim(err.to_scim()), &err, ctx),
            },
            Endpoint::Admin(e) => match self.inner.admin.handle(e, &req, ctx).await {
                Ok(r) => r,
                Err(err) => failed(&req, ProtocolError::Admin(err.to_admin()), &err, ctx),
            },
            Endpoint::Uma(e) => match self.inner.uma.handle(e, &req, ctx).await {
                Ok(r) => r,
                Err(err) => failed(&req, ProtocolError::Uma(err.to_uma()), &err, ctx),
            },
            // Casa's refusals are its own pages; what reaches here is the server's fault.
            Endpoint::Casa(e) => match self.inner.casa.handle(e, &req, ctx).await {
                Ok(r) => r,
                Err(err) => {
                    failed(&req, ProtocolError::OAuth(err.to_oauth()), &err, ctx).error_as_page()
                }
            },
            // Refusals are SAML responses to the SP or the IdP's own error pages; what
            // reaches here is the server's fault. Its admin routes (trust relationships)
            // answer as the config API does.
            Endpoint::Saml(e) => match self.inner.saml.handle(e, &req, ctx).await {
                Ok(r) => r,
                Err(err) if req.endpoint.is_management() => {
                    failed(&req, ProtocolError::Admin(err.to_admin()), &err, ctx)
                }
                Err(err) => {
                    failed(&req, ProtocolError::OAuth(err.to_oauth()), &err, ctx).error_as_page()
                }
            },
        }
    }
}

/// The answer to a request that failed with `e`: the protocol error of its component, and
/// a log line with the request id when it was the server's fault.
fn failed(req: &Request, answer: ProtocolError, e: &Error, ctx: &Ctx) -> Response {
    if answer.is_server_fault() {
        tracing::error!(request_id = %ctx.request_id, endpoint = req.endpoint.label(), peer = ?req.peer_addr, error = %e, "request failed");
    }
    Response::error(answer)
}
