//! The token endpoint (RFC 6749 §3.2): client authentication, then the grant.

use crate::auth::AuthServer;
use crate::auth::oauth::client_auth;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::request::{AuthEndpoint, Request};
use crate::response::Response;

/// Whether the request body is a form (RFC 6749 §3.2 requires
/// `application/x-www-form-urlencoded`).
pub(crate) fn require_form(req: &Request) -> Result<(), OAuthError> {
    let ok = req.content_type.as_deref().is_some_and(|ct| {
        ct.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    if ok {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ))
    }
}

/// `POST /jans-auth/restv1/token`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    require_form(req)?;
    let params = &req.form;
    // RFC 6749 §3.2: parameters must not repeat.
    params.check_no_repeats()?;
    if !req.query.is_empty() {
        // Credentials in a URL end up in logs; the body is the only place for them.
        return Err(OAuthError::invalid_request("parameters must be sent in the body").into());
    }
    let grant_type = params
        .get("grant_type")?
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?
        .to_owned();
    let caller = client_auth::authenticate(auth, req, params, &AuthEndpoint::Token, ctx).await?;
    let config = auth.config();
    if !config.grant_types_supported.contains(&grant_type) {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!("grant_type {grant_type:?} is not supported"),
        )
        .into());
    }
    if !caller.client.metadata.grant_types.contains(&grant_type) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("the client is not allowed to use {grant_type}"),
        )
        .into());
    }
    match grant_type.as_str() {
        "authorization_code" => {
            crate::auth::oauth::grant::authorization_code::grant(auth, &caller.client, params, ctx)
                .await
        }
        "password" => {
            crate::auth::oauth::grant::password::grant(auth, &caller.client, params, ctx).await
        }
        "refresh_token" => {
            crate::auth::oauth::refresh::grant(auth, &caller.client, params, ctx).await
        }
        "client_credentials" => {
            crate::auth::oauth::grant::client_credentials::grant(auth, &caller.client, params, ctx)
                .await
        }
        _ => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "grant type not implemented",
        )
        .into()),
    }
}
