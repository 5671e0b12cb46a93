//! Single Logout (SAML 2.0 Profiles §4.4), joined to the auth-server's browser session:
//! every SP signed on within a session is a participant (family `saml:{sid}`; the
//! `SessionIndex` the IdP issues is the session's `sid` sealed for that SP,
//! `session_index.rs`).
//!
//! - SP-initiated: a `LogoutRequest` (either binding, signed when the SP has keys) ends
//!   that SP's participation, then the browser goes through the auth-server's logout
//!   (which ends the session, tells its OpenID Connect clients, and — through
//!   [`crate::services::SessionEnded`] — loads a `LogoutRequest` for every other SP in a
//!   frame), and comes back here for the `LogoutResponse` to the SP.
//! - IdP-initiated: whenever the auth-server's session ends (an OIDC logout, a SAML one),
//!   [`SamlServer::session_ended`] answers one frame per remaining SP: the SP's
//!   HTTP-Redirect logout URL with a signed query, or a page of ours posting the signed
//!   request over HTTP-POST. The SPs' `LogoutResponse`s come back to [`paths::SLO`].

use serde::{Deserialize, Serialize};

use super::binding::{self, Binding, Received};
use super::response::{new_id, status};
use super::{
    ASSERTION_NS, BINDING_POST, BINDING_REDIRECT, CLOCK_SKEW, PROTOCOL_NS, REQUEST_LIFETIME,
    SamlServer, error_page, paths,
};
use crate::ctx::{Ctx, format_datetime};
use crate::error::Error;
use crate::params::Params;
use crate::repo::grant::{GrantRecords, token_key};
use crate::repo::saml::{SpEndpoint, TrustRelationship};
use crate::request::Request;
use crate::response::{Body, FORM_POST_SCRIPT, Response, form_post_html, script_hash};
use crate::store::{GrantData, GrantKind, GrantRecord, StoreError};
use crate::xml::dsig::{self, sign_enveloped};
use crate::xml::{Element, Limits, Scope};

/// Seconds an SP-initiated logout may take through the auth-server's.
const LOGOUT_LIFETIME: u64 = 300;
/// Most SPs logged out of one session.
const MAX_PARTICIPANTS: usize = 100;

/// An SP signed on within a browser session.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Participant {
    /// The trust relationship.
    pub sp: String,
    /// The `NameID` the SP was given, and its format.
    pub name_id: String,
    pub name_id_format: String,
    /// The ID token of the sign-on (the auth-server logout's `id_token_hint`).
    pub id_token: String,
}

impl GrantData for Participant {
    const MEMBER: Option<&'static str> = Some("saml_participant");
}

/// An SP-initiated logout waiting for the auth-server's.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct PendingLogout {
    sp: String,
    request_id: String,
    relay_state: Option<String>,
    /// The session's ID token, for the auth-server's logout: handed only to the browser
    /// signed in as its person.
    #[serde(default)]
    id_token: String,
}

impl GrantData for PendingLogout {
    const MEMBER: Option<&'static str> = Some("saml_logout");
}

/// A logout request to post to an SP from a frame.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Outgoing {
    action: String,
    message: String,
}

impl GrantData for Outgoing {
    const MEMBER: Option<&'static str> = Some("saml_outgoing");
}

/// The family of a session's participants.
fn family(sid: &str) -> String {
    format!("saml:{sid}")
}

/// The key of one SP's participation in a session.
fn participant_key(sid: &str, sp: &str) -> String {
    token_key(&format!("{sid}\n{sp}"))
}

/// A page that only says the SP was signed out, shown inside the logout page's frame.
fn framed_done() -> Response {
    Response::with_body(Body::Html {
        html: "<!doctype html><html><head><meta charset=\"utf-8\"><title>Signed out</title></head><body><p>Signed out.</p></body></html>".to_owned(),
        csp: "default-src 'none'; frame-ancestors 'self'".to_owned(),
    })
}

/// The SP's logout endpoint to use: HTTP-Redirect when it has one, else HTTP-POST.
fn logout_endpoint(sp: &TrustRelationship) -> Option<&SpEndpoint> {
    let slo = &sp.sp_metadata.single_logout_services;
    slo.iter()
        .find(|e| e.binding == BINDING_REDIRECT)
        .or_else(|| slo.iter().find(|e| e.binding == BINDING_POST))
}

impl SamlServer {
    fn participants(&self) -> GrantRecords<Participant> {
        GrantRecords::new(
            self.services.stores().grants.clone(),
            GrantKind::SamlSession,
        )
    }

    /// SP-initiated logouts waiting for the browser's way through the auth-server.
    fn pending_logouts(&self) -> GrantRecords<PendingLogout> {
        GrantRecords::new(self.services.stores().grants.clone(), GrantKind::SamlLogout)
    }

    /// Note that `sp` was given an assertion within the session `sid`.
    pub(crate) async fn join(
        &self,
        sid: &str,
        user: &str,
        p: Participant,
        ctx: &Ctx,
    ) -> Result<(), Error> {
        let lifetime = self.services.config().session_id_lifetime;
        let mut stamp = GrantRecord::bare(ctx.now, ctx.now.saturating_add(lifetime));
        stamp.family = family(sid);
        stamp.subject = Some(user.to_owned());
        let key = participant_key(sid, &p.sp);
        let records = self.participants();
        if records
            .replace(&key, stamp.clone(), &p, ctx.now)
            .await
            .is_err()
        {
            records.insert(&key, stamp, &p, ctx.now).await?;
        }
        Ok(())
    }

    /// `/jans-saml/idp/slo`.
    pub(crate) async fn slo(&self, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let received = match binding::receive(req) {
            Ok(Some(r)) => r,
            Ok(None) => {
                let q = |n: &str| req.query.get(n).ok().flatten().map(str::to_owned);
                if let Some(token) = q("frame") {
                    return self.frame(&token, ctx).await;
                }
                if let Some(state) = q("next") {
                    return self.logout_next(req, &state, ctx).await;
                }
                if let Some(state) = q("state") {
                    return self.logout_done(&state, (status::SUCCESS, None), ctx).await;
                }
                return Ok(error_page(400, "This is not a SAML logout message."));
            }
            Err(e) => {
                return Ok(error_page(
                    400,
                    &format!("The SAML message was refused: {e}."),
                ));
            }
        };
        let doc = match crate::xml::parse(&received.xml, &Limits::default()) {
            Ok(d) => d,
            Err(e) => {
                return Ok(error_page(
                    400,
                    &format!("The SAML message was refused: {e}."),
                ));
            }
        };
        if received.parameter == "SAMLResponse" {
            // An SP's answer to a logout request of ours, in a frame: nothing acts on it.
            return Ok(if doc.is(PROTOCOL_NS, "LogoutResponse") {
                framed_done()
            } else {
                error_page(400, "This is not a SAML logout response.")
            });
        }
        self.logout_request(&doc, &received, ctx).await
    }

    /// A `LogoutRequest` from an SP (Core §3.7.1).
    async fn logout_request(
        &self,
        doc: &Element,
        received: &Received,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        if !doc.is(PROTOCOL_NS, "LogoutRequest") || doc.get("Version") != Some("2.0") {
            return Ok(error_page(400, "This is not a SAML logout request."));
        }
        let issuer = doc
            .only(ASSERTION_NS, "Issuer")
            .map(|i| i.text_content().trim().to_owned())
            .unwrap_or_default();
        let Some(sp) = self
            .trust()
            .by_entity_id(&issuer)
            .await?
            .filter(|t| t.enabled)
        else {
            return Ok(error_page(403, "This service provider is not known here."));
        };
        let Some(request_id) = doc.get("ID").filter(|i| (1..=256).contains(&i.len())) else {
            return Ok(error_page(400, "The logout request has no ID."));
        };
        // Profiles §4.4.4.1: the request is signed, always (an SP without keys cannot ask):
        // otherwise anyone knowing a session's `sid` and a person's NameID could take that
        // SP out of the session and have the person's ID token sent to their own browser.
        let keys = super::metadata::signing_keys(&sp.sp_metadata);
        let provider = self.services.provider();
        let signed = match received.binding {
            Binding::Redirect => received.query_signature_verifies(&keys, provider.as_ref()),
            Binding::Post => {
                matches!(
                    dsig::verify_enveloped(doc, doc, &keys, provider.as_ref()),
                    Ok(Some(_))
                )
            }
        };
        if !signed {
            return Ok(error_page(
                403,
                "The logout request is not signed by the service provider.",
            ));
        }
        if let Some(why) = self.stale_or_replayed(doc, &sp, request_id, ctx).await? {
            return Ok(error_page(400, why));
        }
        let name_id = doc
            .only(ASSERTION_NS, "NameID")
            .map(|n| n.text_content())
            .unwrap_or_default();
        let indexes: Vec<String> = doc
            .all(PROTOCOL_NS, "SessionIndex")
            .take(8)
            .map(|s| s.text_content().trim().to_owned())
            .collect();
        if indexes.is_empty() {
            // Core §3.7.3.2 asks every session of the person with this SP to end; without
            // a session index this IdP cannot find them: it says it ended only part.
            return self.logout_response(
                &sp,
                request_id,
                (status::SUCCESS, Some(status::PARTIAL_LOGOUT)),
                received.relay_state.clone(),
                ctx,
            );
        }
        // The sessions the indexes seal for this SP (another SP's index opens nothing).
        let sessions: Vec<String> = indexes
            .iter()
            .filter_map(|i| self.session_of(i, &sp.inum))
            .collect();
        // This SP leaves each named session it was in under this NameID.
        let mut hint = None;
        for sid in &sessions {
            let key = participant_key(sid, &sp.inum);
            let named = self
                .participants()
                .read(&key, ctx.now)
                .await?
                .is_some_and(|p| p.name_id == name_id);
            if !named {
                continue;
            }
            if let Some(taken) = self.participants().take(&key, ctx.now).await? {
                hint = Some(taken.id_token);
            }
        }
        let Some(id_token) = hint else {
            // No session of ours: nothing left to end (logout is idempotent).
            return self.logout_response(
                &sp,
                request_id,
                (status::SUCCESS, None),
                received.relay_state.clone(),
                ctx,
            );
        };
        let state = ctx.random_token(24);
        let pending = PendingLogout {
            sp: sp.inum.clone(),
            request_id: request_id.to_owned(),
            relay_state: received.relay_state.clone(),
            id_token,
        };
        self.pending_logouts()
            .insert(
                &token_key(&state),
                GrantRecord::bare(ctx.now, ctx.now.saturating_add(LOGOUT_LIFETIME)),
                &pending,
                ctx.now,
            )
            .await?;
        // The request may come from the SP's own server rather than the person's browser:
        // the ID token goes on only from the browser signed in as its person.
        let issuer = self.services.config().issuer.clone();
        let query = Params::from_pairs([("next", state.as_str())]).encode();
        Ok(Response::with_body(Body::Redirect(format!(
            "{issuer}{}?{query}",
            paths::SLO
        ))))
    }

    /// `?next=STATE`: an SP-initiated logout goes on through the auth-server's logout
    /// (`end_session` with the session's ID token) when this browser is signed in as the
    /// ID token's person; elsewhere — the SP's server, another browser — the SP's part has
    /// ended and it is told `PartialLogout`, the ID token never shown (it names the person
    /// by their identifier at this server, which the SP's pairwise NameID does not).
    async fn logout_next(&self, req: &Request, state: &str, ctx: &Ctx) -> Result<Response, Error> {
        let pending = self
            .pending_logouts()
            .read(&token_key(state), ctx.now)
            .await?;
        let Some(pending) = pending else {
            return Ok(error_page(
                400,
                "This logout has expired. You are signed out here.",
            ));
        };
        let client = self.client(ctx).await?;
        let browser = self
            .services
            .sign_in()?
            .signed_in_claims(req, &client, ctx)
            .await?;
        let signed_in_as = browser
            .as_ref()
            .and_then(|c| c.get("sub"))
            .and_then(|s| s.as_str());
        let token_of = crate::jose::jws::decode(&pending.id_token)
            .ok()
            .and_then(|u| crate::jose::jwt::parse_claims(u.payload_unverified()).ok())
            .and_then(|c| c.get("sub").and_then(|s| s.as_str()).map(str::to_owned));
        if signed_in_as.is_none() || signed_in_as != token_of.as_deref() {
            return self
                .logout_done(state, (status::SUCCESS, Some(status::PARTIAL_LOGOUT)), ctx)
                .await;
        }
        let issuer = self.services.config().issuer.clone();
        let query = Params::from_pairs([
            ("id_token_hint", pending.id_token.as_str()),
            ("client_id", super::sso::CLIENT_ID),
            (
                "post_logout_redirect_uri",
                &format!("{issuer}{}", paths::SLO),
            ),
            ("state", state),
        ])
        .encode();
        Ok(Response::with_body(Body::Redirect(format!(
            "{issuer}/jans-auth/restv1/end_session?{query}"
        ))))
    }

    /// Why a signed `LogoutRequest` is refused though signed: sent to another endpoint
    /// (Bindings §3.4.5.2: a signed message names its `Destination`), not fresh
    /// (`IssueInstant`, `NotOnOrAfter`, Core §3.7.1), or seen before (its id is remembered
    /// per SP while it could be accepted).
    async fn stale_or_replayed(
        &self,
        doc: &Element,
        sp: &TrustRelationship,
        request_id: &str,
        ctx: &Ctx,
    ) -> Result<Option<&'static str>, Error> {
        let slo = format!("{}{}", self.services.config().issuer, paths::SLO);
        if doc.get("Destination") != Some(slo.as_str()) {
            return Ok(Some(
                "The logout request is not addressed to this identity provider.",
            ));
        }
        let Some(issued) = doc.get("IssueInstant").and_then(super::instant) else {
            return Ok(Some("The logout request has no usable IssueInstant."));
        };
        let fresh = issued <= ctx.now.saturating_add(CLOCK_SKEW)
            && issued.saturating_add(REQUEST_LIFETIME) >= ctx.now
            && doc
                .get("NotOnOrAfter")
                .is_none_or(|t| super::instant(t).is_some_and(|t| t > ctx.now));
        if !fresh {
            return Ok(Some("The logout request has expired."));
        }
        let until = issued
            .saturating_add(REQUEST_LIFETIME + CLOCK_SKEW)
            .max(ctx.now + 1);
        let key = token_key(&format!("logout\n{}\n{request_id}", sp.inum));
        match self
            .services
            .stores()
            .grants
            .insert(
                GrantKind::SamlRequestId,
                &key,
                &GrantRecord::bare(ctx.now, until),
                ctx.now,
            )
            .await
        {
            Ok(()) => Ok(None),
            Err(StoreError::Conflict) => Ok(Some("This logout request was used already.")),
            Err(e) => Err(e.into()),
        }
    }

    /// Back from the auth-server's logout: the `LogoutResponse` with `codes` to the SP that
    /// asked.
    async fn logout_done(
        &self,
        state: &str,
        codes: (&str, Option<&str>),
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let pending = self
            .pending_logouts()
            .take(&token_key(state), ctx.now)
            .await?;
        let Some(pending) = pending else {
            return Ok(error_page(
                400,
                "This logout has expired. You are signed out here.",
            ));
        };
        let Some(sp) = self.trust().get(&pending.sp).await? else {
            return Ok(error_page(
                400,
                "The service provider is no longer known here. You are signed out.",
            ));
        };
        self.logout_response(&sp, &pending.request_id, codes, pending.relay_state, ctx)
    }

    /// A `LogoutResponse` (Core §3.7.2) with status `codes` to `sp`'s logout endpoint.
    fn logout_response(
        &self,
        sp: &TrustRelationship,
        in_response_to: &str,
        codes: (&str, Option<&str>),
        relay_state: Option<String>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let Some(endpoint) = logout_endpoint(sp) else {
            return Ok(error_page(200, "You are signed out."));
        };
        let destination = endpoint
            .response_location
            .clone()
            .unwrap_or_else(|| endpoint.location.clone());
        let (top, second) = codes;
        let mut status_code = Element::new("samlp", "StatusCode", PROTOCOL_NS).attr("Value", top);
        if let Some(second) = second {
            status_code = status_code
                .child(Element::new("samlp", "StatusCode", PROTOCOL_NS).attr("Value", second));
        }
        let message = |id: &str| {
            let status_code = status_code.clone();
            Element::new("samlp", "LogoutResponse", PROTOCOL_NS)
                .declare("samlp", PROTOCOL_NS)
                .attr("Destination", &destination)
                .attr("ID", id)
                .attr("InResponseTo", in_response_to)
                .attr("IssueInstant", &format_datetime(ctx.now))
                .attr("Version", "2.0")
                .child(
                    Element::new("saml", "Issuer", ASSERTION_NS)
                        .declare("saml", ASSERTION_NS)
                        .text(&self.entity_id()),
                )
                .child(Element::new("samlp", "Status", PROTOCOL_NS).child(status_code))
        };
        self.send(
            sp,
            endpoint,
            &destination,
            "SAMLResponse",
            message,
            relay_state,
            ctx,
        )
    }

    /// Send `message` (built for its id) to an SP's endpoint: a signed HTTP-Redirect, or a
    /// self-posting form with an enveloped signature.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        sp: &TrustRelationship,
        endpoint: &SpEndpoint,
        destination: &str,
        parameter: &str,
        message: impl Fn(&str) -> Element,
        relay_state: Option<String>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let (signer, cert) = self.signing(sp)?;
        let id = new_id(ctx.rng.as_ref());
        let mut xml = message(&id);
        xml.rescope(&Scope::default());
        if endpoint.binding == BINDING_REDIRECT {
            let url = binding::redirect_url(
                destination,
                parameter,
                &xml.to_xml(),
                relay_state.as_deref(),
                Some(signer.key.as_ref()),
                ctx.rng.as_ref(),
            )
            .map_err(|e| Error::Internal(e.to_string()))?;
            return Ok(Response::with_body(Body::Redirect(url)));
        }
        sign_enveloped(
            &mut xml,
            &id,
            1,
            signer.key.as_ref(),
            cert.as_deref(),
            ctx.rng.as_ref(),
        )
        .map_err(|e| Error::Internal(e.to_string()))?;
        let mut params = vec![(
            parameter.to_owned(),
            crate::b64::encode_std(xml.to_xml().as_bytes()),
        )];
        if let Some(r) = relay_state {
            params.push(("RelayState".to_owned(), r));
        }
        Ok(Response::with_body(Body::FormPost {
            action: destination.to_owned(),
            params,
        }))
    }

    /// `GET /jans-saml/idp/slo?frame=..`: post a logout request to an SP from the logout
    /// page's frame.
    async fn frame(&self, token: &str, ctx: &Ctx) -> Result<Response, Error> {
        let outgoing = GrantRecords::<Outgoing>::new(
            self.services.stores().grants.clone(),
            GrantKind::SamlOutgoing,
        )
        .take(&token_key(token), ctx.now)
        .await?;
        let Some(o) = outgoing else {
            return Ok(framed_done());
        };
        let params = vec![("SAMLRequest".to_owned(), o.message)];
        Ok(Response::with_body(Body::Html {
            html: form_post_html(&o.action, &params),
            csp: format!(
                "default-src 'none'; script-src {}; frame-ancestors 'self'",
                script_hash(FORM_POST_SCRIPT)
            ),
        }))
    }

    /// The session `sid` of `user` ended: one frame URL per SP still in it, each carrying
    /// a signed `LogoutRequest` (Core §3.7.1) for the `NameID` and session the SP was given.
    pub(crate) async fn end_participants(
        &self,
        sid: &str,
        ctx: &Ctx,
    ) -> Result<Vec<String>, Error> {
        let grants = self.services.stores().grants.clone();
        let members = grants
            .family(&family(sid), ctx.now, MAX_PARTICIPANTS)
            .await?;
        let mut frames = Vec::new();
        for (kind, key, _) in members {
            if kind != GrantKind::SamlSession {
                continue;
            }
            // Taken once: two logouts racing send each SP one request.
            let Some(p) = self.participants().take(&key, ctx.now).await? else {
                continue;
            };
            let Some(sp) = self.trust().get(&p.sp).await?.filter(|t| t.enabled) else {
                continue;
            };
            let Some(endpoint) = logout_endpoint(&sp) else {
                continue;
            };
            let destination = endpoint.location.clone();
            let message = |id: &str| {
                Element::new("samlp", "LogoutRequest", PROTOCOL_NS)
                    .declare("samlp", PROTOCOL_NS)
                    .declare("saml", ASSERTION_NS)
                    .attr("Destination", &destination)
                    .attr("ID", id)
                    .attr("IssueInstant", &format_datetime(ctx.now))
                    .attr(
                        "NotOnOrAfter",
                        &format_datetime(ctx.now.saturating_add(LOGOUT_LIFETIME)),
                    )
                    .attr("Version", "2.0")
                    .child(Element::new("saml", "Issuer", ASSERTION_NS).text(&self.entity_id()))
                    .child(
                        Element::new("saml", "NameID", ASSERTION_NS)
                            .attr("Format", &p.name_id_format)
                            .attr("NameQualifier", &self.entity_id())
                            .attr("SPNameQualifier", &sp.sp_metadata.entity_id)
                            .text(&p.name_id),
                    )
                    .child(
                        Element::new("samlp", "SessionIndex", PROTOCOL_NS)
                            .text(&self.session_index(sid, &sp.inum).unwrap_or_default()),
                    )
            };
            match self
                .send(
                    &sp,
                    endpoint,
                    &destination,
                    "SAMLRequest",
                    message,
                    None,
                    ctx,
                )?
                .body
            {
                Body::Redirect(url) => frames.push(url),
                Body::FormPost { action, params } => {
                    let token = ctx.random_token(24);
                    let message = params
                        .into_iter()
                        .next()
                        .map(|(_, v)| v)
                        .unwrap_or_default();
                    GrantRecords::<Outgoing>::new(grants.clone(), GrantKind::SamlOutgoing)
                        .insert(
                            &token_key(&token),
                            GrantRecord::bare(ctx.now, ctx.now.saturating_add(LOGOUT_LIFETIME)),
                            &Outgoing { action, message },
                            ctx.now,
                        )
                        .await?;
                    frames.push(format!(
                        "{}{}?frame={token}",
                        self.services.config().issuer,
                        paths::SLO
                    ));
                }
                _ => {}
            }
        }
        Ok(frames)
    }
}

/// The SAML IdP ends its SPs' sessions when the auth-server's session ends.
#[async_trait::async_trait]
impl crate::services::SessionEnded for SamlServer {
    async fn session_ended(&self, sid: &str, _user: &str, ctx: &Ctx) -> Result<Vec<String>, Error> {
        self.end_participants(sid, ctx).await
    }
}
