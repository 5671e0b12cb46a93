//! Casa, the self-service portal (issue 17): where a person sees and manages their second
//! factors — passkeys and security keys, authenticator apps, recovery codes —, turns
//! two-factor authentication on or off, changes their password and withdraws the consents
//! they gave applications. Served at `/jans-casa/`, signing people in through
//! the auth-server as an OpenID Connect client of it ([`sign_in`]).
//!
//! Every page is a [`Body::Page`] for the host to render (`casa_*.html`); every form
//! carries the Casa session's CSRF token; a refusal is a page with a 4xx saying why, and
//! changes nothing. Keys are the FIDO2 component's, reached through
//! [`crate::services::KeyCeremonies`]; one-time-password devices, recovery codes and
//! two-factor settings are the shared repositories the auth-server checks at sign-in.

pub mod otp;
pub mod paths;
pub mod sign_in;

mod account;
mod admin;
mod dashboard;
mod devices;

use std::sync::Arc;

use subtle::ConstantTimeEq;

use crate::config::casa::CasaConfiguration;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::user::User;
use crate::request::{CasaEndpoint, Method, Request};
use crate::response::{Body, Page, Response};
use crate::services::Services;
use crate::store::{GrantKind, GrantRecord, StoreError};

pub use admin::brand_css;
pub use sign_in::CasaSession;

/// The CSP of Casa's pages: its stylesheet, and the WebAuthn script calling the FIDO2 API.
pub const CASA_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                            script-src 'self'; connect-src 'self'; form-action 'self'; \
                            frame-ancestors 'none'; base-uri 'none'";

/// The person signed in to Casa, for one request.
#[derive(Clone, Debug)]
pub struct Me {
    /// Their session's store key.
    pub key: String,
    /// Their session.
    pub session: CasaSession,
    /// Who they are.
    pub user: User,
}

/// The Casa component.
#[derive(Debug)]
pub struct CasaServer {
    services: Arc<Services>,
}

/// A Casa page: `template` showing `context`, with `status`.
pub(crate) fn page(status: u16, template: &'static str, context: serde_json::Value) -> Response {
    Response::with_body(Body::Page(Page {
        status,
        template,
        context,
        csp: Some(CASA_CSP),
    }))
}

/// Back to the dashboard, which says what was `done` ([`dashboard`]'s notices).
pub(crate) fn back(done: &str, issuer: &str) -> Response {
    Response::with_body(Body::Redirect(format!(
        "{issuer}{}?done={done}",
        paths::DASHBOARD
    )))
}

/// The error page, saying `description`.
pub(crate) fn error_page(status: u16, description: &str) -> Response {
    page(
        status,
        "error.html",
        serde_json::json!({"error": "casa", "description": description}),
    )
}

impl CasaServer {
    /// Casa over `services`.
    pub fn new(services: Arc<Services>) -> CasaServer {
        CasaServer { services }
    }

    /// The administrator's rules in force (the shared configuration's, so a change made
    /// on one node applies on every node).
    pub fn policy(&self) -> CasaConfiguration {
        self.services.config().casa_configuration.clone()
    }

    /// Whether the administrator enabled `method` (of [`crate::config::casa::METHODS`]).
    pub fn method_enabled(&self, method: &str) -> bool {
        self.services
            .config()
            .casa_configuration
            .enabled_methods
            .iter()
            .any(|m| m == method)
    }

    /// Serve one request to one of Casa's pages.
    pub async fn handle(
        &self,
        endpoint: &CasaEndpoint,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        if *endpoint == CasaEndpoint::Callback {
            return match req.method {
                Method::Get => self.callback(req, ctx).await,
                _ => Ok(error_page(405, "Use GET.")),
            };
        }
        let Some(me) = self.me(req, ctx).await? else {
            return match (req.method, endpoint) {
                (Method::Get, CasaEndpoint::Otp) => self.start_sign_in(paths::OTP, ctx).await,
                (Method::Get, CasaEndpoint::Admin) => self.start_sign_in(paths::ADMIN, ctx).await,
                (Method::Get, _) => self.start_sign_in(paths::DASHBOARD, ctx).await,
                _ => Ok(error_page(
                    403,
                    "Your Casa session ended. Open Casa again to sign in.",
                )),
            };
        };
        if req.method == Method::Post {
            let csrf = field(req, "csrf");
            if !bool::from(csrf.as_bytes().ct_eq(me.session.csrf.as_bytes())) {
                return Ok(error_page(
                    403,
                    "This form has expired. Reload the page and try again.",
                ));
            }
        }
        match (endpoint, req.method) {
            (CasaEndpoint::Dashboard, Method::Get) => {
                let notice = req
                    .query
                    .get("done")
                    .ok()
                    .flatten()
                    .and_then(dashboard::notice);
                self.dashboard(&me, ctx, notice, None, 200).await
            }
            (CasaEndpoint::Logout, Method::Post) => self.logout(&me).await,
            (CasaEndpoint::Otp, _) if !self.method_enabled("otp") => Ok(error_page(
                403,
                "Your administrator has not enabled authenticator apps.",
            )),
            (CasaEndpoint::Otp, Method::Get) => self.otp_page(&me, req, ctx),
            (CasaEndpoint::Otp, Method::Post) => self.otp_confirm(&me, req, ctx).await,
            (CasaEndpoint::OtpDevice(id), Method::Post) => self.otp_device(&me, id, req, ctx).await,
            (CasaEndpoint::Passkey(id), Method::Post) => self.passkey(&me, id, req, ctx).await,
            (CasaEndpoint::RecoveryCodes, Method::Post) => self.recovery_codes(&me, ctx).await,
            (CasaEndpoint::TwoFactor, Method::Post) => self.two_factor(&me, req, ctx).await,
            (CasaEndpoint::Password, Method::Post) => self.change_password(&me, req, ctx).await,
            (CasaEndpoint::Consent(client), Method::Post) => {
                self.withdraw_consent(&me, client, req, ctx).await
            }
            (CasaEndpoint::Admin, Method::Get | Method::Post) => self.admin(&me, req, ctx).await,
            (CasaEndpoint::TrustedDevice(id), Method::Post) => {
                self.trusted_device(&me, id, req).await
            }
            _ => Ok(error_page(405, "This page does not take that method.")),
        }
    }
}

/// Seconds a change to a person's credentials may hold their lock (a node that dies holding
/// it frees it by then).
const CHANGE_LOCK_SECONDS: u64 = 30;

impl CasaServer {
    /// Run `job` as the only change under way to the credentials and two-factor settings
    /// of the person `inum`, on every node: a lock taken by the grant store's atomic insert
    /// and freed afterwards (or by expiry). So no two removals — nor a removal and turning
    /// 2FA on — both pass the last-credential check. `None` when another change holds it.
    pub(crate) async fn exclusively<T>(
        &self,
        inum: &str,
        ctx: &Ctx,
        job: impl AsyncFnOnce() -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        let key = format!("casa-credentials:{inum}");
        let holder = ctx.random_token(16);
        let mut lock = GrantRecord::bare(ctx.now, ctx.now.saturating_add(CHANGE_LOCK_SECONDS));
        lock.client_id = holder.clone();
        let grants = &self.services.stores().grants;
        match grants.insert(GrantKind::Lease, &key, &lock, ctx.now).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(None),
            Err(e) => return Err(e.into()),
        }
        let outcome = job().await;
        if let Err(e) = grants.remove_owned(GrantKind::Lease, &key, &holder).await {
            tracing::warn!(error = %e, "a credential change lock was not freed");
        }
        outcome.map(Some)
    }
}

/// The page for a change refused because another is under way.
pub(crate) fn busy() -> Response {
    error_page(
        409,
        "Another change to your credentials is under way. Go back and try again.",
    )
}

/// A form field of `req` (empty when missing or repeated).
pub(crate) fn field(req: &Request, name: &str) -> String {
    req.form
        .get(name)
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_owned()
}
