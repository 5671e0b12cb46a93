//! RFC 6749 §4.4: the client credentials grant.

use crate::auth::oauth::client::is_scope_token;
use crate::auth::oauth::grant::{Decision, Granted};
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::repo::client::Client;

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

/// `grant_type=client_credentials` (RFC 6749 §4.4): the client itself, for the scopes it
/// may have. Nothing to load: the client is authenticated already.
/// With `authorization_details` (RFC 9396 §6.1), those of the types supported.
pub fn grant(
    config: &crate::config::Config,
    client: &Client,
    params: &Params,
) -> Result<Decision, Error> {
    let scope = decide_scope(client, params.get("scope")?)?;
    let authorization_details =
        crate::auth::oauth::rar::parse(config, client, params.get("authorization_details")?)?;
    Ok(Granted {
        grant_type: "client_credentials",
        subject: None,
        scope,
        family: String::new(),
        claims: None,
        id_token: None,
        refresh: None,
        settle: false,
        extras: crate::auth::oauth::access_token::Extras {
            authorization_details,
            ..Default::default()
        },
    }
    .into())
}
