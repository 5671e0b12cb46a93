//! [`Endpoint`] → the component that serves it. Every component's path table is consulted
//! here, so the foundations ([`crate::request`]) know no component.

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::ErrorCode;
use crate::request::{Endpoint, Request};
use crate::response::Response;

use super::Engine;

impl Endpoint {
    /// Map a request path to an endpoint; `None` for paths the engine does not serve.
    pub fn from_path(path: &str) -> Option<Endpoint> {
        crate::auth::paths::from_path(path).map(Endpoint::Auth)
    }

    /// The path this endpoint is served at (relative to the issuer).
    pub fn path(&self) -> String {
        match self {
            Endpoint::Auth(e) => crate::auth::paths::path(e),
        }
    }

    /// A short stable label for metrics and logs.
    pub fn label(&self) -> &'static str {
        match self {
            Endpoint::Auth(e) => crate::auth::paths::label(e),
        }
    }

    /// The component serving this endpoint, as `--components` names it.
    pub fn component(&self) -> &'static str {
        match self {
            Endpoint::Auth(_) => "auth",
        }
    }
}

impl Engine {
    /// Serve one request. Never panics on any input; protocol errors become error
    /// responses, internal failures `server_error` (logged with the request id).
    pub async fn handle(&self, req: Request, ctx: &Ctx) -> Response {
        let outcome = match &req.endpoint {
            Endpoint::Auth(e) => self.inner.auth.handle(e, &req, ctx).await,
        };
        outcome.unwrap_or_else(|e| self.failed(&req, e, ctx))
    }

    /// The answer to a request that failed with `e`: its protocol error, and a log line
    /// with the request id when it was the server's fault.
    fn failed(&self, req: &Request, e: Error, ctx: &Ctx) -> Response {
        let oauth = e.to_oauth();
        if oauth.code == ErrorCode::ServerError || oauth.code == ErrorCode::TemporarilyUnavailable {
            tracing::error!(request_id = %ctx.request_id, endpoint = req.endpoint.label(), peer = ?req.peer_addr, error = %e, "request failed");
        }
        Response::error(oauth)
    }
}
