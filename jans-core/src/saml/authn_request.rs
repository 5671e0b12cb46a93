//! `<samlp:AuthnRequest>` (SAML 2.0 Core §3.4.1) read into [`AuthnRequest`]: only what
//! the IdP acts on, each member checked.

use super::context::{Comparison, Requested};
use super::{ASSERTION_NS, PROTOCOL_NS, instant};
use crate::ctx::UnixTime;
use crate::xml::Element;

/// An SP's request to authenticate someone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthnRequest {
    /// `ID`: what the response's `InResponseTo` names.
    pub id: String,
    /// `IssueInstant`.
    pub issue_instant: UnixTime,
    /// `Destination`, when given.
    pub destination: Option<String>,
    /// `Issuer`: the SP's entity id.
    pub issuer: String,
    /// `AssertionConsumerServiceURL`.
    pub acs_url: Option<String>,
    /// `AssertionConsumerServiceIndex`.
    pub acs_index: Option<u16>,
    /// `ProtocolBinding`: how the response is to be sent.
    pub protocol_binding: Option<String>,
    /// `ForceAuthn`: authenticate afresh even within a session.
    pub force_authn: bool,
    /// `IsPassive`: do not interact with the person.
    pub is_passive: bool,
    /// `NameIDPolicy/@Format`.
    pub name_id_format: Option<String>,
    /// `NameIDPolicy/@AllowCreate`.
    pub allow_create: bool,
    /// `RequestedAuthnContext`: its comparison and classes (none: nothing asked).
    pub authn_context: Requested,
}

/// Why a request could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RequestError(pub &'static str);

impl AuthnRequest {
    /// Read the document element `e`.
    pub fn read(e: &Element) -> Result<AuthnRequest, RequestError> {
        if !e.is(PROTOCOL_NS, "AuthnRequest") {
            return Err(RequestError("not an AuthnRequest"));
        }
        if e.get("Version") != Some("2.0") {
            return Err(RequestError("not SAML 2.0"));
        }
        let id = e
            .get("ID")
            .filter(|id| (1..=256).contains(&id.len()))
            .ok_or(RequestError("no usable ID"))?
            .to_owned();
        let issue_instant = e
            .get("IssueInstant")
            .and_then(instant)
            .ok_or(RequestError("no usable IssueInstant"))?;
        let issuer = e
            .only(ASSERTION_NS, "Issuer")
            .map(|i| i.text_content().trim().to_owned())
            .filter(|i| !i.is_empty())
            .ok_or(RequestError("no Issuer"))?;
        let flag = |n: &str| matches!(e.get(n), Some("true" | "1"));
        let acs_index = e
            .get("AssertionConsumerServiceIndex")
            .map(|i| {
                i.parse::<u16>()
                    .map_err(|_| RequestError("bad AssertionConsumerServiceIndex"))
            })
            .transpose()?;
        let policy = e.only(PROTOCOL_NS, "NameIDPolicy");
        let authn_context = match e.only(PROTOCOL_NS, "RequestedAuthnContext") {
            None => Requested::default(),
            Some(r) => Requested {
                comparison: Comparison::parse(r.get("Comparison"))
                    .ok_or(RequestError("bad RequestedAuthnContext Comparison"))?,
                // Declarations are kept so that nothing meets them (Core §3.3.2.2.1).
                classes: r
                    .elements()
                    .filter(|c| {
                        c.is(ASSERTION_NS, "AuthnContextClassRef")
                            || c.is(ASSERTION_NS, "AuthnContextDeclRef")
                    })
                    .take(16)
                    .map(|c| c.text_content().trim().to_owned())
                    .collect(),
            },
        };
        Ok(AuthnRequest {
            id,
            issue_instant,
            destination: e.get("Destination").map(str::to_owned),
            issuer,
            acs_url: e.get("AssertionConsumerServiceURL").map(str::to_owned),
            acs_index,
            protocol_binding: e.get("ProtocolBinding").map(str::to_owned),
            force_authn: flag("ForceAuthn"),
            is_passive: flag("IsPassive"),
            name_id_format: policy.and_then(|p| p.get("Format")).map(str::to_owned),
            allow_create: policy
                .is_some_and(|p| matches!(p.get("AllowCreate"), Some("true" | "1"))),
            authn_context,
        })
    }
}
