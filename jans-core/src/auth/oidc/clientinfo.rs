//! Janssen's client info endpoint, `/jans-auth/restv1/clientinfo` behind the `clientinfo`
//! flag: what the client of an access token is registered as, in the members of Janssen's
//! `ClientInfoResponse` (`displayName`, `inum`, `jansAppType`,
//! `jansIdTokenSignedResponseAlg`, `jansRedirectURI`). The token comes as an RFC 6750
//! bearer header, or as the `access_token` parameter (query or form), as Janssen takes it.

use serde_json::{Map, Value};

use crate::auth::AuthServer;
use crate::auth::oauth::introspect::lookup;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::request::Request;
use crate::response::Response;
use crate::store::GrantKind;

/// `GET|POST /jans-auth/restv1/clientinfo`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    if !auth.config().feature_enabled("clientinfo") {
        return Err(OAuthError::new(
            ErrorCode::NotFound,
            "the client info endpoint is not enabled (featureFlags)",
        )
        .into());
    }
    let params = req.params();
    params.check_no_repeats()?;
    let token = match (req.bearer(), params.get("access_token")?) {
        (Some(_), Some(_)) => {
            // RFC 6750 §2: one method only.
            return Err(OAuthError::invalid_request("the token was sent twice").into());
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => {
            return Err(OAuthError::invalid_request("an access token is required").into());
        }
    };
    let invalid = || OAuthError::new(ErrorCode::InvalidToken, "the access token is not active");
    let Some((GrantKind::AccessToken, rec)) = lookup(auth, token, None, ctx).await? else {
        return Err(invalid().into());
    };
    if crate::auth::oauth::dpop::bound_key(&rec).is_some() {
        // A DPoP-bound token is presented with its proof (RFC 9449 §7), which this
        // endpoint does not take.
        return Err(invalid().into());
    }
    let client = auth.client(&rec.client_id).await?.ok_or_else(invalid)?;
    let m = &client.metadata;
    let mut out = Map::new();
    out.insert("inum".into(), client.client_id.clone().into());
    if let Some(name) = &m.client_name {
        out.insert("displayName".into(), name.clone().into());
    }
    if let Some(app) = &m.application_type {
        out.insert("jansAppType".into(), app.clone().into());
    }
    if let Some(alg) = m.id_token_signed_response_alg {
        out.insert("jansIdTokenSignedResponseAlg".into(), alg.as_str().into());
    }
    if !m.redirect_uris.is_empty() {
        out.insert("jansRedirectURI".into(), m.redirect_uris.clone().into());
    }
    Ok(Response::json(Value::Object(out)))
}
