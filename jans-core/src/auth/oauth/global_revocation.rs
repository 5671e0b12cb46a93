//! Janssen's global token revocation, `POST /jans-auth/restv1/global-token-revocation`
//! behind the `global_token_revocation` flag (draft-parecki-oauth-global-token-revocation):
//! `{"sub_id": {"format": "uid" | "inum", "id": "..."}}` ends every token and browser session
//! of that person, so they sign in again before anything new is issued to them.
//!
//! The caller is trusted with this by holding the `global_token_revocation` scope: a
//! confidential client registered with it (client_secret_basic), or an access token granted
//! it. Every family of the person's grants is revoked (`repo::person_grants` knows them),
//! then their sessions. Answers: 204 done; 400 `invalid_request` for a body or format not
//! understood; 401 without credentials; 403 without the scope; 404 for nobody by that id.

use serde::Deserialize;

use crate::auth::AuthServer;
use crate::auth::oauth::introspect::lookup;
use crate::auth::oauth::{client_auth, family};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::repo::session::Sessions;
use crate::request::{AuthEndpoint, Request};
use crate::response::{Body, Response};
use crate::store::GrantKind;

/// The scope that lets a caller revoke a person's tokens.
pub const SCOPE: &str = "global_token_revocation";
/// Longest body read.
const MAX_BODY: usize = 4096;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevocationRequest {
    sub_id: SubjectId,
}

/// A subject identifier (RFC 9493 §3), of the formats a person here has.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectId {
    format: String,
    id: String,
}

fn has_scope(scope: &str) -> bool {
    scope.split(' ').any(|s| s == SCOPE)
}

/// Whether the caller may revoke: a bearer token granted the scope, or a confidential
/// client registered with it.
async fn authorized(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<(), Error> {
    if let Some(token) = req.bearer() {
        let Some((GrantKind::AccessToken, rec)) = lookup(auth, token, None, ctx).await? else {
            return Err(
                OAuthError::new(ErrorCode::InvalidToken, "the access token is not active").into(),
            );
        };
        if !has_scope(&rec.scope) {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "the access token needs the global_token_revocation scope",
            )
            .into());
        }
        return Ok(());
    }
    let caller = client_auth::authenticate(
        auth,
        req,
        &Params::new(),
        &AuthEndpoint::GlobalTokenRevocation,
        ctx,
    )
    .await?;
    if caller.method == crate::repo::client::AuthMethod::None
        || !caller.client.metadata.scopes().any(|s| s == SCOPE)
    {
        return Err(OAuthError::new(
            ErrorCode::InsufficientScope,
            "the client is not registered for the global_token_revocation scope",
        )
        .into());
    }
    Ok(())
}

/// `POST /jans-auth/restv1/global-token-revocation`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    if !auth.config().feature_enabled("global_token_revocation") {
        return Err(OAuthError::new(
            ErrorCode::NotFound,
            "global token revocation is not enabled (featureFlags)",
        )
        .into());
    }
    authorized(auth, req, ctx).await?;
    if req.body.len() > MAX_BODY {
        return Err(OAuthError::invalid_request("the body is too large").into());
    }
    let asked: RevocationRequest = serde_json::from_slice(&req.body).map_err(|_| {
        OAuthError::invalid_request(
            r#"the body must be {"sub_id": {"format": "uid" or "inum", "id": "..."}}"#,
        )
    })?;
    let users = &auth.stores().users;
    let user = match asked.sub_id.format.as_str() {
        "uid" => users.by_uid(&asked.sub_id.id).await?,
        "inum" | "opaque" => users.get(&asked.sub_id.id).await?,
        _ => {
            return Err(
                OAuthError::invalid_request("sub_id.format must be uid, inum or opaque").into(),
            );
        }
    };
    let Some(user) = user else {
        return Err(OAuthError::new(ErrorCode::NotFound, "no such person").into());
    };
    let stores = auth.stores();
    let families = stores.person_grants.families(&user.inum, ctx.now).await?;
    let mut revoked = 0;
    for f in &families {
        revoked += family::revoke(auth, f, ctx).await?;
    }
    stores.person_grants.forget(&user.inum).await?;
    let sessions = stores
        .grants
        .remove_family(&Sessions::family_of(&user.inum))
        .await?;
    tracing::info!(
        request_id = %ctx.request_id,
        inum = %user.inum,
        families = families.len(),
        revoked,
        sessions,
        "global token revocation"
    );
    Ok(Response::with_body(Body::NoContent))
}
