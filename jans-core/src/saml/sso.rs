//! The Web Browser SSO Profile (SAML 2.0 Profiles §4.1) at the IdP: an `AuthnRequest`
//! is checked (its SP, signature, assertion consumer, freshness, id), the person signed in
//! through the auth-server as the OpenID Connect client [`CLIENT_ID`] (authorization
//! code with PKCE; a live browser session answers without a page; `ForceAuthn` is
//! `prompt=login`, `IsPassive` `prompt=none`), and the answer posted to the SP.

use serde::{Deserialize, Serialize};

use super::authn_request::AuthnRequest;
use super::binding::{self, Binding};
use super::context::Requested;
use super::response::status;
use super::{BINDING_POST, CLOCK_SKEW, REQUEST_LIFETIME, SamlServer, error_page, name_id, paths};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::client::{AuthMethod, Client, ClientMetadata};
use crate::repo::grant::{GrantRecords, token_key};
use crate::repo::saml::{TrustRelationship, TrustRelationships};
use crate::request::Request;
use crate::response::{Body, Response};
use crate::store::{GrantData, GrantKind, GrantRecord, StoreError};
use crate::xml::{Limits, dsig};

/// The IdP's client id at the auth-server.
pub const CLIENT_ID: &str = "jans-saml";
/// The cookie binding a sign-on under way to its browser (path `/jans-saml`).
const STATE_COOKIE: &str = "saml_state";
/// Seconds a sign-in may take.
const SIGN_IN_LIFETIME: u64 = 600;

/// A sign-on under way, by its `state`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct PendingSignOn {
    /// The trust relationship.
    pub sp: String,
    /// The request answered (none when IdP-initiated).
    pub request_id: Option<String>,
    /// Where the response goes.
    pub acs: String,
    /// `RelayState`, returned as it came.
    pub relay_state: Option<String>,
    /// The `NameID` format chosen.
    pub name_id_format: String,
    /// Whether the request was passive.
    pub passive: bool,
    /// The authentication context asked for.
    #[serde(default)]
    pub authn_context: Requested,
    /// PKCE verifier.
    pub verifier: String,
    /// OIDC nonce.
    pub nonce: String,
}

impl GrantData for PendingSignOn {
    const MEMBER: Option<&'static str> = Some("saml_sign_on");
}

/// Why a checked request is refused with a SAML status rather than a page.
struct Refusal(&'static str, &'static str, &'static str);

fn cookie(issuer: &str, value: &str, max_age: u64) -> String {
    crate::first_party::cookie(issuer, STATE_COOKIE, "/jans-saml", value, max_age)
}

impl SamlServer {
    pub(crate) fn trust(&self) -> TrustRelationships {
        TrustRelationships::new(self.services.stores().documents.clone())
    }

    fn pending(&self) -> GrantRecords<PendingSignOn> {
        GrantRecords::new(self.services.stores().grants.clone(), GrantKind::SamlSignIn)
    }

    fn callback_uri(&self) -> String {
        format!("{}{}", self.services.config().issuer, paths::CALLBACK)
    }

    /// `/jans-saml/idp/sso`: an `AuthnRequest` over either binding.
    pub(crate) async fn sso(&self, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let received = match binding::receive(req) {
            Ok(Some(r)) if r.parameter == "SAMLRequest" => r,
            Ok(_) => {
                return Ok(error_page(
                    400,
                    "This is not a SAML authentication request.",
                ));
            }
            Err(e) => {
                return Ok(error_page(
                    400,
                    &format!("The SAML request was refused: {e}."),
                ));
            }
        };
        let doc = match crate::xml::parse(&received.xml, &Limits::default()) {
            Ok(d) => d,
            Err(e) => {
                return Ok(error_page(
                    400,
                    &format!("The SAML request was refused: {e}."),
                ));
            }
        };
        let request = match AuthnRequest::read(&doc) {
            Ok(r) => r,
            Err(e) => {
                return Ok(error_page(
                    400,
                    &format!("The SAML request was refused: {e}."),
                ));
            }
        };
        let Some(sp) = self.trust().by_entity_id(&request.issuer).await? else {
            return Ok(error_page(403, "This service provider is not known here."));
        };
        if !sp.enabled {
            return Ok(error_page(403, "This service provider is disabled."));
        }
        // The signature, over the binding's own way (Bindings §3.4.4.1, §3.5.4).
        let keys = super::metadata::signing_keys(&sp.sp_metadata);
        let provider = self.services.provider();
        let signed = match received.binding {
            Binding::Redirect => match &received.query_signature {
                Some(_) if received.query_signature_verifies(&keys, provider.as_ref()) => true,
                Some(_) => return Ok(error_page(403, "The request's signature does not verify.")),
                None => false,
            },
            Binding::Post => match dsig::verify_enveloped(&doc, &doc, &keys, provider.as_ref()) {
                Ok(found) => found.is_some(),
                Err(e) => {
                    tracing::info!(sp = %sp.inum, error = %e, "AuthnRequest signature refused");
                    return Ok(error_page(403, "The request's signature does not verify."));
                }
            },
        };
        if sp.sp_metadata.authn_requests_signed && !signed {
            return Ok(error_page(
                403,
                "This service provider must sign its requests.",
            ));
        }
        let Some(acs) = assertion_consumer(&sp, &request) else {
            return Ok(error_page(
                400,
                "The request names an assertion consumer service the service provider's metadata does not list.",
            ));
        };
        match self.check(&sp, &request, signed, ctx).await? {
            Ok(format) => {
                let pending = PendingSignOn {
                    sp: sp.inum.clone(),
                    request_id: Some(request.id.clone()),
                    acs,
                    relay_state: received.relay_state,
                    name_id_format: format,
                    passive: request.is_passive,
                    authn_context: request.authn_context.clone(),
                    verifier: ctx.random_token(32),
                    nonce: ctx.random_token(16),
                };
                let prompt = if request.is_passive {
                    Some("none")
                } else if request.force_authn {
                    Some("login")
                } else {
                    None
                };
                self.start_sign_in(pending, prompt, ctx).await
            }
            Err(Refusal(top, second, why)) => {
                tracing::info!(sp = %sp.inum, why, "AuthnRequest refused");
                self.answer_failure(
                    &sp,
                    &acs,
                    Some(&request.id),
                    (top, Some(second)),
                    received.relay_state,
                    ctx,
                )
            }
        }
    }

    /// The checks whose failure the SP is told of: destination (a signed request must name
    /// it, Bindings §3.4.5.2, §3.5.5.2), freshness, replay, name id policy. Ok: the
    /// `NameID` format to issue.
    async fn check(
        &self,
        sp: &TrustRelationship,
        request: &AuthnRequest,
        signed: bool,
        ctx: &Ctx,
    ) -> Result<Result<String, Refusal>, Error> {
        let sso = format!("{}{}", self.services.config().issuer, paths::SSO);
        let named = match request.destination.as_deref() {
            Some(d) => d == sso,
            None => !signed,
        };
        if !named {
            return Ok(Err(Refusal(
                status::REQUESTER,
                status::REQUEST_DENIED,
                "wrong Destination",
            )));
        }
        let fresh = request.issue_instant <= ctx.now.saturating_add(CLOCK_SKEW)
            && request.issue_instant.saturating_add(REQUEST_LIFETIME) >= ctx.now;
        if !fresh {
            return Ok(Err(Refusal(
                status::REQUESTER,
                status::REQUEST_DENIED,
                "stale IssueInstant",
            )));
        }
        let format = match name_id_format(sp, request.name_id_format.as_deref()) {
            Some(f) => f,
            None => {
                return Ok(Err(Refusal(
                    status::REQUESTER,
                    status::INVALID_NAMEID_POLICY,
                    "unsupported NameID format",
                )));
            }
        };
        if !request.authn_context.feasible() {
            return Ok(Err(Refusal(
                status::RESPONDER,
                status::NO_AUTHN_CONTEXT,
                "RequestedAuthnContext this IdP cannot meet",
            )));
        }
        // The id is remembered while the request could be accepted: a replay finds it.
        let until = request
            .issue_instant
            .saturating_add(REQUEST_LIFETIME + CLOCK_SKEW)
            .max(ctx.now + 1);
        let key = token_key(&format!("{}\n{}", sp.inum, request.id));
        let stamp = GrantRecord::bare(ctx.now, until);
        match self
            .services
            .stores()
            .grants
            .insert(GrantKind::SamlRequestId, &key, &stamp, ctx.now)
            .await
        {
            Ok(()) => Ok(Ok(format)),
            Err(StoreError::Conflict) => Ok(Err(Refusal(
                status::REQUESTER,
                status::REQUEST_DENIED,
                "replayed request id",
            ))),
            Err(e) => Err(e.into()),
        }
    }

    /// The IdP's client at the auth-server, registered on first use.
    pub(crate) async fn client(&self, ctx: &Ctx) -> Result<Client, Error> {
        let metadata = ClientMetadata {
            redirect_uris: vec![self.callback_uri()],
            // Where the auth-server's logout comes back to, for SP-initiated logout.
            post_logout_redirect_uris: vec![format!(
                "{}{}",
                self.services.config().issuer,
                paths::SLO
            )],
            token_endpoint_auth_method: AuthMethod::None,
            grant_types: vec!["authorization_code".to_owned()],
            response_types: vec!["code".to_owned()],
            client_name: Some("SAML identity provider".to_owned()),
            scope: Some("openid".to_owned()),
            trusted_client: true,
            // `sub` is then the person's inum.
            subject_type: Some("public".to_owned()),
            ..Default::default()
        };
        crate::first_party::own_client(&self.services, CLIENT_ID, metadata, ctx).await
    }

    /// Keep `pending` and send the browser to the auth-server.
    pub(crate) async fn start_sign_in(
        &self,
        pending: PendingSignOn,
        prompt: Option<&str>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        self.client(ctx).await?;
        let state = ctx.random_token(24);
        let issuer = self.services.config().issuer.clone();
        let acrs = pending.authn_context.acr_values();
        let mut extra: Vec<(&str, &str)> = Vec::new();
        if let Some(p) = prompt {
            extra.push(("prompt", p));
        }
        if !acrs.is_empty() {
            extra.push(("acr_values", &acrs));
        }
        let url = crate::first_party::authorize_url(
            &issuer,
            CLIENT_ID,
            &self.callback_uri(),
            "openid",
            (&state, &pending.nonce, &pending.verifier),
            &extra,
        );
        self.pending()
            .insert(
                &token_key(&state),
                GrantRecord::bare(ctx.now, ctx.now.saturating_add(SIGN_IN_LIFETIME)),
                &pending,
                ctx.now,
            )
            .await?;
        Ok(Response::with_body(Body::Redirect(url))
            .header("set-cookie", cookie(&issuer, &state, SIGN_IN_LIFETIME)))
    }

    /// `GET /jans-saml/idp/callback`: the auth-server's answer; the response to the SP.
    pub(crate) async fn callback(&self, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let q = |n: &str| {
            req.query
                .get(n)
                .ok()
                .flatten()
                .unwrap_or_default()
                .to_owned()
        };
        let pending = match crate::first_party::bound_state(req, STATE_COOKIE) {
            Some(state) => self.pending().take(&token_key(&state), ctx.now).await?,
            None => None,
        };
        let Some(pending) = pending else {
            return Ok(error_page(
                400,
                "This sign-on has expired or was started in another browser. Go back to the application and try again.",
            ));
        };
        let Some(sp) = self.trust().get(&pending.sp).await?.filter(|t| t.enabled) else {
            return Ok(error_page(
                403,
                "This service provider is no longer known here.",
            ));
        };
        let issuer = self.services.config().issuer.clone();
        let forget = cookie(&issuer, "", 0);
        let codes = match q("error").as_str() {
            "" => None,
            "login_required" | "interaction_required" if pending.passive => {
                Some((status::RESPONDER, Some(status::NO_PASSIVE)))
            }
            _ => Some((status::RESPONDER, Some(status::AUTHN_FAILED))),
        };
        if let Some(codes) = codes {
            return Ok(self
                .answer_failure(
                    &sp,
                    &pending.acs,
                    pending.request_id.as_deref(),
                    codes,
                    pending.relay_state.clone(),
                    ctx,
                )?
                .header("set-cookie", forget));
        }
        let redeemed = crate::first_party::redeem(
            &self.services,
            CLIENT_ID,
            &self.callback_uri(),
            &q("code"),
            (&pending.verifier, &pending.nonce),
            ctx,
        )
        .await?;
        let Some((id_token, claims)) = redeemed else {
            return Ok(error_page(
                400,
                "The sign-on could not be completed. Try again.",
            ));
        };
        Ok(self
            .answer_success(&sp, &pending, &id_token, &claims, ctx)
            .await?
            .header("set-cookie", forget))
    }

    /// `GET /jans-saml/idp/initiate?sp={inum}`: IdP-initiated sign-on, for an SP whose
    /// relationship allows it (Profiles §4.1.5: an unsolicited response).
    pub(crate) async fn initiate(&self, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
        let get = |n: &str| req.query.get(n).ok().flatten().map(str::to_owned);
        let sp = match get("sp") {
            Some(id) => self.trust().get(&id).await?,
            None => None,
        };
        let Some(sp) = sp.filter(|t| t.enabled && t.idp_initiated) else {
            return Ok(error_page(
                403,
                "This service provider does not take sign-ons started here.",
            ));
        };
        let relay_state = get("RelayState");
        if relay_state
            .as_deref()
            .is_some_and(|r| r.len() > binding::MAX_RELAY_STATE)
        {
            return Ok(error_page(400, "RelayState is too long."));
        }
        let Some(acs) = default_acs(&sp) else {
            return Ok(error_page(
                400,
                "This service provider takes no HTTP-POST responses.",
            ));
        };
        let name_id_format =
            name_id_format(&sp, None).unwrap_or_else(|| name_id::PERSISTENT.to_owned());
        let pending = PendingSignOn {
            sp: sp.inum,
            request_id: None,
            acs,
            relay_state,
            name_id_format,
            passive: false,
            authn_context: Requested::default(),
            verifier: ctx.random_token(32),
            nonce: ctx.random_token(16),
        };
        self.start_sign_in(pending, None, ctx).await
    }
}

/// The assertion consumer URL to answer at (Core §3.4.1; Metadata §2.4.4): the request's
/// URL when the SP's metadata lists it for HTTP-POST, or the one its index names, or the
/// SP's default; `None` when the request names one not listed (answering there would
/// hand an assertion to whoever wrote the request).
fn assertion_consumer(sp: &TrustRelationship, request: &AuthnRequest) -> Option<String> {
    let services = &sp.sp_metadata.assertion_consumer_services;
    if request
        .protocol_binding
        .as_deref()
        .is_some_and(|b| b != BINDING_POST)
    {
        return None;
    }
    if let Some(url) = &request.acs_url {
        return services
            .iter()
            .find(|s| s.binding == BINDING_POST && &s.location == url)
            .map(|s| s.location.clone());
    }
    if let Some(i) = request.acs_index {
        return services
            .iter()
            .find(|s| s.binding == BINDING_POST && s.index == Some(i))
            .map(|s| s.location.clone());
    }
    default_acs(sp)
}

/// The SP's default HTTP-POST assertion consumer (Metadata §2.2.3: `isDefault`, else the
/// first).
fn default_acs(sp: &TrustRelationship) -> Option<String> {
    let post = sp
        .sp_metadata
        .assertion_consumer_services
        .iter()
        .filter(|s| s.binding == BINDING_POST);
    let all: Vec<_> = post.collect();
    all.iter()
        .find(|s| s.is_default)
        .or(all.first())
        .map(|s| s.location.clone())
}

/// The `NameID` format to issue, by this IdP's policy (Core §3.4.1.1): a requested format
/// it issues when the relationship allows it — transient and persistent always (pairwise:
/// they tell the SP nothing it could correlate), emailAddress and unspecified (the
/// person's email, their username) only when the relationship's format is that one or the
/// SP's metadata lists it, so an SP cannot ask its way around the attributes released to
/// it. Unspecified or none: the relationship's, else the SP's first supported, else
/// persistent. `None`: `InvalidNameIDPolicy`.
fn name_id_format(sp: &TrustRelationship, requested: Option<&str>) -> Option<String> {
    let configured = sp.saml_metadata.name_id_policy_format.as_str();
    match requested {
        Some(f) if f != name_id::UNSPECIFIED => {
            let allowed = f == name_id::TRANSIENT
                || f == name_id::PERSISTENT
                || f == configured
                || sp.sp_metadata.name_id_formats.iter().any(|l| l == f);
            (allowed && super::NAMEID_FORMATS.contains(&f)).then(|| f.to_owned())
        }
        _ => {
            let from_metadata = sp
                .sp_metadata
                .name_id_formats
                .iter()
                .find(|f| super::NAMEID_FORMATS.contains(&f.as_str()));
            Some(if super::NAMEID_FORMATS.contains(&configured) {
                configured.to_owned()
            } else {
                from_metadata
                    .cloned()
                    .unwrap_or_else(|| name_id::PERSISTENT.to_owned())
            })
        }
    }
}
