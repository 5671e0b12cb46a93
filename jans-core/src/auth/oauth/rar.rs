//! Rich Authorization Requests (RFC 9396): `authorization_details` at the authorization,
//! PAR and token endpoints, of the types the server supports
//! (`authorizationDetailsTypesSupported`) and the client registered
//! (`authorization_details_types`, when it lists any). What is granted is carried into the
//! access token (its JWT and introspection, §9) and the token response (§7), and kept
//! across refreshes.

use serde_json::Value;

use crate::config::Config;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::client::Client;

/// Longest `authorization_details` accepted, in bytes.
pub const MAX_LEN: usize = 16 * 1024;
/// Most entries in one `authorization_details`.
pub const MAX_ENTRIES: usize = 32;

fn invalid(d: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidAuthorizationDetails, d)
}

/// The `authorization_details` parameter `text` of a request by `client`, checked (§2, §5):
/// a JSON array of 1 to [`MAX_ENTRIES`] objects, each with a `type` the server supports and
/// the client may ask for. `invalid_authorization_details` otherwise.
pub fn parse(
    config: &Config,
    client: &Client,
    text: Option<&str>,
) -> Result<Option<Value>, OAuthError> {
    let Some(text) = text else {
        return Ok(None);
    };
    if text.len() > MAX_LEN {
        return Err(invalid("authorization_details is too large"));
    }
    let Ok(Value::Array(entries)) = serde_json::from_str::<Value>(text) else {
        return Err(invalid("authorization_details must be a JSON array"));
    };
    if entries.is_empty() || entries.len() > MAX_ENTRIES {
        return Err(invalid("authorization_details must hold 1 to 32 objects"));
    }
    let registered = &client.metadata.authorization_details_types;
    for entry in &entries {
        let Some(kind) = entry
            .as_object()
            .and_then(|o| o.get("type"))
            .and_then(Value::as_str)
        else {
            return Err(invalid(
                "each authorization detail is an object with a type",
            ));
        };
        if !config
            .authorization_details_types_supported
            .iter()
            .any(|t| t == kind)
        {
            return Err(invalid("an authorization detail type is not supported"));
        }
        if !registered.is_empty() && !registered.iter().any(|t| t == kind) {
            return Err(invalid(
                "the client is not registered for an authorization detail type",
            ));
        }
    }
    Ok(Some(Value::Array(entries)))
}

/// The types of checked `details`, for the consent page.
pub fn types(details: Option<&Value>) -> Vec<String> {
    details
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|e| e.get("type").and_then(Value::as_str).map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
