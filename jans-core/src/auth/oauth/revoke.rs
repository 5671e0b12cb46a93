//! Token revocation (RFC 7009).

use crate::auth::AuthServer;
use crate::auth::oauth::client_auth;
use crate::auth::oauth::introspect::lookup;
use crate::auth::oauth::token::require_form;
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::request::{AuthEndpoint, Request};
use crate::response::{Body, Response};
use crate::store::GrantKind;

/// `POST /jans-auth/restv1/revoke`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    require_form(req)?;
    let params = &req.form;
    params.check_no_repeats()?;
    // RFC 7009 §2.1: the client authenticates.
    let caller =
        client_auth::authenticate(auth, req, params, &AuthEndpoint::Revocation, ctx).await?;
    let token = params
        .get("token")?
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    // RFC 7009 §2.1: the hint is only an optimisation; unknown values are ignored.
    let hint = params.get("token_type_hint")?;
    let Some((kind, rec)) = lookup(auth, token, hint, ctx).await? else {
        // RFC 7009 §2.2: invalid tokens do not cause an error.
        return Ok(Response::with_body(Body::Empty));
    };
    if rec.client_id != caller.client.client_id {
        // RFC 7009 §2.1: the token must have been issued to the requesting client.
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "the token was not issued to this client",
        )
        .into());
    }
    match kind {
        // RFC 7009 §2.1: revoking a refresh token also invalidates the access tokens of
        // the same authorization grant.
        GrantKind::RefreshToken => {
            crate::auth::oauth::family::revoke(auth, &rec.family, ctx).await?;
        }
        _ => {
            auth.stores().grants.remove(kind, &token_key(token)).await?;
        }
    }
    Ok(Response::with_body(Body::Empty))
}
