//! The SAML IdP's path table: `/jans-saml/...` and its trust relationships' admin routes
//! at Janssen's kc-saml plugin paths, `/jans-config-api/kc/saml/trust-relationship...`
//! (DESIGN.md §3), to [`SamlEndpoint`]s and back.

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

/// The trust relationships (Janssen's kc-saml plugin of the config API); one is removed
/// at `{TRUST_RELATIONSHIPS}/{inum}`.
pub const TRUST_RELATIONSHIPS: &str = "/jans-config-api/kc/saml/trust-relationship";
/// Create (POST) or change (PUT) one, with its SP metadata file.
pub const UPLOAD: &str = "/jans-config-api/kc/saml/trust-relationship/upload";
/// Largest body [`UPLOAD`] takes (a host lets it through): the SP metadata document's
/// limit and the trust relationship's JSON with the form around them.
pub const MAX_UPLOAD: usize = 256 * 1024 + 64 * 1024;
/// One, by inum after this.
const BY_ID: &str = "/jans-config-api/kc/saml/trust-relationship/id";
/// One's SP metadata document, by inum after this.
const SP_METADATA_FILE: &str = "/jans-config-api/kc/saml/trust-relationship/sp-metadata-file";

/// Every path and its endpoint.
pub const EXACT: [(&str, SamlEndpoint); 7] = [
    (METADATA, SamlEndpoint::Metadata),
    (SSO, SamlEndpoint::Sso),
    (SLO, SamlEndpoint::Slo),
    (CALLBACK, SamlEndpoint::Callback),
    (INITIATE, SamlEndpoint::Initiate),
    (TRUST_RELATIONSHIPS, SamlEndpoint::TrustRelationships),
    (UPLOAD, SamlEndpoint::TrustRelationshipUpload),
];

/// The paths with an id after them (`{prefix}/{id}`), as a host routes them; the exact
/// paths above come first (`.../trust-relationship/upload` is not an id).
pub const WITH_ID: [&str; 3] = [BY_ID, SP_METADATA_FILE, TRUST_RELATIONSHIPS];

/// The endpoint served at `path`.
pub fn from_path(path: &str) -> Option<SamlEndpoint> {
    if let Some((_, e)) = EXACT.iter().find(|(p, _)| *p == path) {
        return Some(e.clone());
    }
    WITH_ID.iter().find_map(|prefix| {
        let id = path.strip_prefix(prefix)?.strip_prefix('/')?;
        if id.is_empty() || id.contains('/') {
            return None;
        }
        let id = id.to_owned();
        Some(match *prefix {
            BY_ID => SamlEndpoint::TrustRelationshipById(id),
            SP_METADATA_FILE => SamlEndpoint::SpMetadataFile(id),
            _ => SamlEndpoint::TrustRelationship(id),
        })
    })
}

/// The path `endpoint` is served at (relative to the issuer).
pub fn path(endpoint: &SamlEndpoint) -> String {
    match endpoint {
        SamlEndpoint::TrustRelationshipById(id) => format!("{BY_ID}/{id}"),
        SamlEndpoint::SpMetadataFile(id) => format!("{SP_METADATA_FILE}/{id}"),
        SamlEndpoint::TrustRelationship(id) => format!("{TRUST_RELATIONSHIPS}/{id}"),
        _ => EXACT
            .iter()
            .find(|(_, e)| e == endpoint)
            .map_or(METADATA, |(p, _)| *p)
            .to_owned(),
    }
}

/// A short stable label for metrics and logs.
pub fn label(endpoint: &SamlEndpoint) -> &'static str {
    match endpoint {
        SamlEndpoint::Metadata => "saml_metadata",
        SamlEndpoint::Sso => "saml_sso",
        SamlEndpoint::Slo => "saml_slo",
        SamlEndpoint::Callback => "saml_callback",
        SamlEndpoint::Initiate => "saml_initiate",
        SamlEndpoint::TrustRelationships => "saml_admin_trust_relationships",
        SamlEndpoint::TrustRelationshipUpload => "saml_admin_trust_relationship_upload",
        SamlEndpoint::TrustRelationshipById(_) | SamlEndpoint::TrustRelationship(_) => {
            "saml_admin_trust_relationship"
        }
        SamlEndpoint::SpMetadataFile(_) => "saml_admin_sp_metadata_file",
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
        for e in [
            SamlEndpoint::TrustRelationshipById("i-1".into()),
            SamlEndpoint::TrustRelationship("i-1".into()),
            SamlEndpoint::SpMetadataFile("i-1".into()),
        ] {
            assert_eq!(from_path(&path(&e)), Some(e));
        }
        assert_eq!(
            from_path("/jans-config-api/kc/saml/trust-relationship/id/i-1"),
            Some(SamlEndpoint::TrustRelationshipById("i-1".into()))
        );
        assert_eq!(
            from_path("/jans-config-api/kc/saml/trust-relationship/upload"),
            Some(SamlEndpoint::TrustRelationshipUpload)
        );
        for none in [
            "/jans-saml/idp/other",
            "/jans-config-api/kc/saml/trust-relationship/",
            "/jans-config-api/kc/saml/trust-relationship/id/",
            "/jans-config-api/kc/saml/trust-relationship/id/a/b",
        ] {
            assert_eq!(from_path(none), None, "{none}");
        }
    }
}
