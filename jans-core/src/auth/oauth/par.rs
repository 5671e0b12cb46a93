//! Pushed authorization requests (RFC 9126) at `/jans-auth/restv1/par`, behind Janssen's
//! `par` feature flag: an authenticated client sends its authorization request's
//! parameters here (§2.1), they are validated as the authorization endpoint validates
//! them, and kept — the validated request, by its reference's hash — for
//! `requestUriParLifetime` seconds; the answer is 201 `{request_uri, expires_in}` (§2.2).
//! The authorization endpoint then takes `request_uri` and `client_id` alone (§4), once.
//! With `requirePar`, or a client's `require_pushed_authorization_requests`, it takes
//! nothing else (§5).

use crate::auth::AuthServer;
use crate::auth::oauth::authorize::{AuthorizationRequest, validate};
use crate::auth::oauth::token::require_form;
use crate::auth::oauth::token_key;
use crate::auth::oauth::{client_auth, dpop};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::client::Client;
use crate::repo::grant::GrantRecords;
use crate::request::{AuthEndpoint, Request};
use crate::response::{Body, Response};
use crate::store::{GrantData, GrantKind, GrantRecord};

/// The prefix of every `request_uri` this server issues (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

impl GrantData for AuthorizationRequest {
    const MEMBER: Option<&'static str> = Some("request");
}

fn pushed(auth: &AuthServer) -> GrantRecords<AuthorizationRequest> {
    GrantRecords::new(auth.stores().grants.clone(), GrantKind::ParRequest)
}

/// Whether `client`'s authorization requests must be pushed (RFC 9126 §5–6).
pub fn required(auth: &AuthServer, client: &Client) -> bool {
    let config = auth.config();
    config.require_par
        || client.metadata.require_pushed_authorization_requests
        || crate::auth::oauth::fapi2::on(&config)
}

/// `POST /jans-auth/restv1/par`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let config = auth.config();
    if !config.feature_enabled("par") {
        return Err(OAuthError::new(
            ErrorCode::NotFound,
            "pushed authorization requests are not enabled (featureFlags)",
        )
        .into());
    }
    require_form(req)?;
    let params = &req.form;
    params.check_no_repeats()?;
    let caller = client_auth::authenticate(auth, req, params, &AuthEndpoint::Par, ctx).await?;
    let client = &caller.client;
    // RFC 9126 §3: a pushed request may be a request object (RFC 9101).
    let from_object = super::jar::resolve(auth, client, params, ctx).await?;
    if config.force_signed_request_object && from_object.is_none() {
        return Err(OAuthError::invalid_request(
            "authorization requests must come in a signed request object",
        )
        .into());
    }
    let params = from_object.as_ref().unwrap_or(params);
    // §2.1: a request_uri cannot itself be pushed.
    if params.get("request_uri")?.is_some() {
        return Err(OAuthError::invalid_request("request_uri cannot be pushed").into());
    }
    if params
        .get("client_id")?
        .is_some_and(|id| id != client.client_id)
    {
        return Err(
            OAuthError::invalid_request("client_id is not the authenticated client").into(),
        );
    }
    let redirect_uri = params
        .get("redirect_uri")?
        .ok_or_else(|| OAuthError::invalid_request("redirect_uri is missing"))?;
    if !client
        .metadata
        .redirect_uris
        .iter()
        .any(|r| r == redirect_uri)
    {
        return Err(
            OAuthError::invalid_request("redirect_uri is not registered for this client").into(),
        );
    }
    // §2.3: what the authorization endpoint would refuse is refused here, in the
    // token endpoint's form.
    let mut request = validate::validate(auth, client, redirect_uri, params)?;
    // RFC 9449 §10.1: a request pushed with a DPoP proof binds its code to the proof's
    // key, which `dpop_jkt`, when sent too, must name.
    let proof = match dpop::at_authorization_server(auth, req, &AuthEndpoint::Par, ctx).await {
        Ok(p) => p,
        Err(refusal) => return refusal.at_authorization_server(auth, ctx),
    };
    if let Some(proof) = proof {
        if request.dpop_jkt.as_ref().is_some_and(|j| *j != proof.jkt) {
            return Err(OAuthError::new(
                ErrorCode::InvalidDpopProof,
                "dpop_jkt is not the thumbprint of the proof's key",
            )
            .into());
        }
        request.dpop_jkt = Some(proof.jkt);
    }
    let reference = ctx.random_token(32);
    let lifetime = config.request_uri_par_lifetime;
    let stamp = GrantRecord {
        client_id: client.client_id.clone(),
        ..GrantRecord::bare(ctx.now, ctx.now.saturating_add(lifetime))
    };
    pushed(auth)
        .insert(&token_key(&reference), stamp, &request, ctx.now)
        .await?;
    Ok(Response::with_body(Body::JsonStatus(
        201,
        serde_json::json!({
            "request_uri": format!("{REQUEST_URI_PREFIX}{reference}"),
            "expires_in": lifetime,
        }),
    )))
}

/// The pushed request `request_uri` of `client_id`, taken (once: of racing uses, one
/// gets it); `None` when it is unknown, used, expired or another client's.
pub async fn take(
    auth: &AuthServer,
    client_id: &str,
    request_uri: &str,
    ctx: &Ctx,
) -> Result<Option<AuthorizationRequest>, Error> {
    let Some(reference) = request_uri.strip_prefix(REQUEST_URI_PREFIX) else {
        return Ok(None);
    };
    let request = pushed(auth).take(&token_key(reference), ctx.now).await?;
    Ok(request.filter(|r| r.client_id == client_id))
}
