//! The SAML 2.0 identity provider (issue 18): Janssen's jans-saml without Keycloak. SPs
//! are trust relationships made from their metadata (`repo::saml`); the Web Browser SSO
//! Profile (SAML 2.0 Profiles §4.1) takes their `AuthnRequest`s over HTTP-Redirect and
//! HTTP-POST, signs the person in through the auth-server — as its OpenID Connect client
//! [`sso::CLIENT_ID`], so a browser already signed in is not asked again — and answers
//! with a signed `Response` over HTTP-POST ([`response`]).
//!
//! The XML underneath is [`crate::xml`]: a reader that refuses DTDs and entities,
//! exclusive canonicalization, and signatures bound to the element they sign.
//!
//! A request the IdP cannot safely answer (unknown SP, an assertion consumer URL the SP's
//! metadata does not list, a bad signature) gets an error page; one it can, a SAML
//! `Response` with an error status to the SP. Neither changes anything stored.

mod admin;
mod answer;
pub mod authn_request;
pub mod binding;
pub mod context;
pub mod metadata;
pub mod paths;
pub mod response;
mod session_index;
mod slo;
pub mod sso;
mod trust;

pub use trust::MAX_METADATA;

use std::sync::Arc;

use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::request::{Method, Request, SamlEndpoint};
use crate::response::{Body, Cache, Page, Response};
use crate::services::Services;

/// The protocol namespace (SAML 2.0 Core §2.1 and §3).
pub const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// The assertion namespace.
pub const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// The HTTP-Redirect binding (Bindings §3.4).
pub const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
/// The HTTP-POST binding (Bindings §3.5).
pub const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// `NameID` formats (Core §8.3).
pub mod name_id {
    /// An opaque, stable identifier per SP (§8.3.7): pairwise.
    pub const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
    /// A one-time identifier (§8.3.8).
    pub const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
    /// The person's email address (§8.3.2).
    pub const EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    /// The IdP's choice (§8.3.1): the username.
    pub const UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
}

/// Every `NameID` format the IdP issues.
pub const NAMEID_FORMATS: [&str; 4] = [
    name_id::PERSISTENT,
    name_id::TRANSIENT,
    name_id::EMAIL,
    name_id::UNSPECIFIED,
];

/// Seconds a clock may be off either way (`IssueInstant`, `NotBefore`).
pub const CLOCK_SKEW: u64 = 180;
/// Seconds an `AuthnRequest` stays acceptable after its `IssueInstant`; its id is
/// remembered that long (plus skew), so a replay is refused.
pub const REQUEST_LIFETIME: u64 = 300;
/// Seconds an assertion is valid for (`NotOnOrAfter`).
pub const ASSERTION_LIFETIME: u64 = 300;

/// A `dateTime` in UTC (SAML Core §1.3.3), fractional seconds allowed.
pub fn instant(s: &str) -> Option<UnixTime> {
    let s = s.strip_suffix('Z')?;
    let whole = match s.split_once('.') {
        Some((w, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => w,
        Some(_) => return None,
        None => s,
    };
    crate::ctx::parse_datetime(&format!("{whole}Z"))
}

/// The SAML IdP component.
#[derive(Debug)]
pub struct SamlServer {
    services: Arc<Services>,
    /// Keys persistent `NameID`s (pairwise per SP).
    persistent_key: [u8; 32],
}

/// HMAC-SHA-256 under `key` of `parts` joined by newlines: what pairwise values (persistent
/// `NameID`s, the session index key) are made of.
pub(crate) fn mac(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
    use hmac::{Hmac, KeyInit, Mac};
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).ok()?;
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            m.update(b"\n");
        }
        m.update(p);
    }
    Some(m.finalize().into_bytes().into())
}

/// The IdP's error page, saying `description`.
pub(crate) fn error_page(status: u16, description: &str) -> Response {
    Response::with_body(Body::Page(Page {
        status,
        template: "error.html",
        context: serde_json::json!({"error": "saml", "description": description}),
        csp: None,
    }))
}

impl SamlServer {
    /// The IdP over `services`; `persistent_key` keys persistent name ids.
    pub fn new(services: Arc<Services>, persistent_key: [u8; 32]) -> SamlServer {
        SamlServer {
            services,
            persistent_key,
        }
    }

    /// The IdP's entity id: its metadata URL.
    pub fn entity_id(&self) -> String {
        format!("{}{}", self.services.config().issuer, paths::METADATA)
    }

    /// Serve one request.
    pub async fn handle(
        &self,
        endpoint: &SamlEndpoint,
        req: &Request,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        match (endpoint, req.method) {
            (SamlEndpoint::Metadata, Method::Get) => Ok(self.metadata()),
            (SamlEndpoint::Sso, Method::Get | Method::Post) => self.sso(req, ctx).await,
            (SamlEndpoint::Callback, Method::Get) => self.callback(req, ctx).await,
            (SamlEndpoint::Initiate, Method::Get) => self.initiate(req, ctx).await,
            (SamlEndpoint::Slo, Method::Get | Method::Post) => self.slo(req, ctx).await,
            // The trust relationships' admin routes (Janssen's kc-saml config API plugin).
            (
                SamlEndpoint::TrustRelationships
                | SamlEndpoint::TrustRelationshipUpload
                | SamlEndpoint::TrustRelationshipById(_)
                | SamlEndpoint::TrustRelationship(_)
                | SamlEndpoint::SpMetadataFile(_),
                _,
            ) => self.handle_admin(endpoint, req, ctx).await,
            _ => Ok(error_page(405, "This endpoint does not take that method.")),
        }
    }

    /// `GET /jans-saml/idp/metadata`.
    fn metadata(&self) -> Response {
        let base = self.services.config().issuer.clone();
        let ring = self.services.keys().ring();
        let certs: Vec<Vec<u8>> = ring
            .certificates()
            .into_iter()
            .map(|(_, der)| der.to_vec())
            .collect();
        let xml = metadata::idp_metadata(&self.entity_id(), &base, &certs);
        let mut r = Response::with_body(Body::Xml {
            content_type: "application/samlmetadata+xml",
            xml,
        });
        r.cache = Cache::Public(300);
        r
    }
}
