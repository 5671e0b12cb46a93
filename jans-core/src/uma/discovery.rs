//! `/.well-known/uma2-configuration` (UMA 2.0 Grant §2, Federated Authorization §2; RFC
//! 8414 metadata): the issuer and the endpoints an UMA client and resource server use.
//! Only what this server answers is listed.

use serde_json::{Value, json};

use crate::config::Config;
use crate::repo::client::AuthMethod;

use super::paths::{GATHER_CLAIMS, PERMISSION, RESOURCE_SET, RPT_STATUS};

/// The document for `config`.
pub fn document(config: &Config) -> Value {
    let at = |path: &str| config.endpoint_url(path);
    let methods: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
    json!({
        "issuer": config.issuer,
        "authorization_endpoint": at("/jans-auth/restv1/authorize"),
        "token_endpoint": at("/jans-auth/restv1/token"),
        "jwks_uri": at("/jans-auth/restv1/jwks"),
        "registration_endpoint": at("/jans-auth/restv1/register"),
        // Janssen's: the RPT endpoint, where resource servers introspect RPTs.
        "introspection_endpoint": at(RPT_STATUS),
        "resource_registration_endpoint": at(RESOURCE_SET),
        "permission_endpoint": at(PERMISSION),
        "claims_interaction_endpoint": at(GATHER_CLAIMS),
        "grant_types_supported": config.grant_types_supported,
        "token_endpoint_auth_methods_supported": methods,
        "scopes_supported": [super::PROTECTION_SCOPE],
        "uma_profiles_supported": [],
    })
}
