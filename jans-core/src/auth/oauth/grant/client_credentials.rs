//! RFC 6749 §4.4: the client credentials grant.

use crate::auth::AuthServer;
use crate::auth::oauth::access_token::{self, Issue};
use crate::auth::oauth::client::is_scope_token;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::repo::client::Client;
use crate::response::Response;

/// The granted scope: the requested scopes, each of which the client registered
/// (RFC 6749 §3.3), or every registered scope when none is requested.
pub fn decide_scope(client: &Client, requested: Option<&str>) -> Result<String, OAuthError> {
    let registered: Vec<&str> = client.metadata.scopes().collect();
    let Some(requested) = requested else {
        return Ok(registered.join(" "));
    };
    let mut granted: Vec<&str> = Vec::new();
    for s in requested.split(' ').filter(|s| !s.is_empty()) {
        if !is_scope_token(s) {
            return Err(OAuthError::new(ErrorCode::InvalidScope, "malformed scope"));
        }
        if !registered.contains(&s) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("scope {s:?} is not allowed for this client"),
            ));
        }
        if !granted.contains(&s) {
            granted.push(s);
        }
    }
    Ok(granted.join(" "))
}

/// RFC 6749 §4.4.2 – §4.4.3.
pub async fn grant(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let scope = decide_scope(client, params.get("scope")?)?;
    // No refresh token and nothing else derives from this grant, so no family (RFC 6749
    // §4.4.3): revoking the token revokes all of it.
    let issued = access_token::issue(
        auth,
        &Issue {
            client,
            subject: None,
            scope: &scope,
            family: "",
            claims: None,
        },
        ctx,
    )
    .await?;
    // RFC 6749 §4.4.3: a refresh token SHOULD NOT be included.
    Ok(issued.response(
        &scope,
        serde_json::Map::with_capacity(4),
        "client_credentials",
    ))
}
