//! The SAML IdP's path table: `/jans-saml/...` (DESIGN.md §3) to [`SamlEndpoint`]s and
//! back.

use crate::request::SamlEndpoint;

/// Where the SAML IdP is served.
pub const ROOT: &str = "/jans-saml";
/// The IdP's metadata (SAML 2.0 Metadata §2.4.3), also its entity id.
pub const METADATA: &str = "/jans-saml/idp/metadata";
/// Single Sign-On: `AuthnRequest`s over HTTP-Redirect (GET) and HTTP-POST (POST).
pub const SSO: &str = "/jans-saml/idp/sso";
/// Single Logout: `LogoutRequest`s and `LogoutResponse`s over both bindings.
pub const SLO: &str = "/jans-saml/idp/slo";
/// Where the auth-server sends the browser back after signing the person in.
pub const CALLBACK: &str = "/jans-saml/idp/callback";
/// IdP-initiated sign-on: `?sp={trust relationship id}[&RelayState=..]`.
pub const INITIATE: &str = "/jans-saml/idp/initiate";

/// Every path and its endpoint.
pub const EXACT: [(&str, SamlEndpoint); 5] = [
    (METADATA, SamlEndpoint::Metadata),
    (SSO, SamlEndpoint::Sso),
    (SLO, SamlEndpoint::Slo),
    (CALLBACK, SamlEndpoint::Callback),
    (INITIATE, SamlEndpoint::Initiate),
];

/// The endpoint served at `path`.
pub fn from_path(path: &str) -> Option<SamlEndpoint> {
    EXACT
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, e)| e.clone())
}

/// The path `endpoint` is served at (relative to the issuer).
pub fn path(endpoint: &SamlEndpoint) -> String {
    EXACT
        .iter()
        .find(|(_, e)| e == endpoint)
        .map_or(METADATA, |(p, _)| *p)
        .to_owned()
}

/// A short stable label for metrics and logs.
pub fn label(endpoint: &SamlEndpoint) -> &'static str {
    match endpoint {
        SamlEndpoint::Metadata => "saml_metadata",
        SamlEndpoint::Sso => "saml_sso",
        SamlEndpoint::Slo => "saml_slo",
        SamlEndpoint::Callback => "saml_callback",
        SamlEndpoint::Initiate => "saml_initiate",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_round_trip() {
        for (p, e) in EXACT {
            assert_eq!(from_path(p), Some(e.clone()));
            assert_eq!(path(&e), p);
        }
        assert_eq!(from_path("/jans-saml/idp/other"), None);
    }
}
