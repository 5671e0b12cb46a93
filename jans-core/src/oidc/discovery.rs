//! OpenID Provider metadata (OIDC Discovery 1.0 §3, RFC 8414 §2). Lists exactly what this
//! build implements, nothing more.

use crate::config::Config;
use crate::jose::Algorithm;
use crate::oauth::client::AuthMethod;
use crate::request::Endpoint;

/// The discovery document for `config`.
pub fn document(config: &Config) -> serde_json::Value {
    let url = |e: Endpoint| config.endpoint_url(&e.path());
    let methods: Vec<&str> = AuthMethod::ALL.iter().map(|m| m.as_str()).collect();
    let authenticating: Vec<&str> = AuthMethod::ALL
        .iter()
        .filter(|m| **m != AuthMethod::None)
        .map(|m| m.as_str())
        .collect();
    let mut signing: Vec<&str> = vec!["HS256", "HS384", "HS512"];
    signing.extend(Algorithm::ASYMMETRIC.iter().map(|a| a.as_str()));
    let ours: Vec<&str> = config
        .key_algs_allowed_for_generation
        .iter()
        .map(|a| a.as_str())
        .collect();
    serde_json::json!({
        "issuer": config.issuer,
        "token_endpoint": url(Endpoint::Token),
        "jwks_uri": url(Endpoint::Jwks),
        "introspection_endpoint": url(Endpoint::Introspection),
        "revocation_endpoint": url(Endpoint::Revocation),
        "grant_types_supported": config.grant_types_supported,
        "token_endpoint_auth_methods_supported": methods,
        "token_endpoint_auth_signing_alg_values_supported": signing,
        "introspection_endpoint_auth_methods_supported": authenticating,
        "introspection_endpoint_auth_signing_alg_values_supported": signing,
        "revocation_endpoint_auth_methods_supported": authenticating,
        "revocation_endpoint_auth_signing_alg_values_supported": signing,
        "introspection_signing_alg_values_supported": ours,
        "access_token_signing_alg_values_supported": ours,
    })
}
