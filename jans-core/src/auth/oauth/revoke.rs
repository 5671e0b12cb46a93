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
        return revoke_rpt(auth, &caller.client.client_id, token, ctx).await;
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

/// A token that is no access or refresh token may be an UMA requesting party token (RPT,
/// UMA 2.0 Grant §3.3.5), which its client revokes here too; anything else is no error
/// (RFC 7009 §2.2: invalid tokens do not cause an error).
async fn revoke_rpt(
    auth: &AuthServer,
    client_id: &str,
    token: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let rpts = &auth.stores().uma_tokens;
    if let Some((rec, _)) = rpts.rpt(token, ctx.now).await? {
        if rec.client_id != client_id {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the token was not issued to this client",
            )
            .into());
        }
        rpts.revoke_rpt(token).await?;
    }
    Ok(Response::with_body(Body::Empty))
}
