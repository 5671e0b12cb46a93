//! The SAML IdP's endpoints ([`SamlEndpoint`]), beside the others of [`super::Endpoint`].

use super::Endpoint;

/// The SAML IdP's endpoints, under `/jans-saml/`, and its trust relationships' admin
/// routes under `/jans-config-api/kc/saml/` (DESIGN.md §3; `saml::paths`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SamlEndpoint {
    /// `/jans-saml/idp/metadata`: the IdP's metadata.
    Metadata,
    /// `/jans-saml/idp/sso`: Single Sign-On, both bindings.
    Sso,
    /// `/jans-saml/idp/slo`: Single Logout, both bindings.
    Slo,
    /// `/jans-saml/idp/callback`: back from the auth-server with an authorization code.
    Callback,
    /// `/jans-saml/idp/initiate`: IdP-initiated sign-on to one SP.
    Initiate,
    /// `/jans-config-api/kc/saml/trust-relationship`: every trust relationship (Janssen's
    /// kc-saml config API plugin).
    TrustRelationships,
    /// `/jans-config-api/kc/saml/trust-relationship/upload`: create (POST) or change (PUT)
    /// one, `multipart/form-data` with its SP metadata file.
    TrustRelationshipUpload,
    /// `/jans-config-api/kc/saml/trust-relationship/id/{inum}`: one.
    TrustRelationshipById(String),
    /// `/jans-config-api/kc/saml/trust-relationship/{inum}`: remove one (DELETE).
    TrustRelationship(String),
    /// `/jans-config-api/kc/saml/trust-relationship/sp-metadata-file/{inum}`: its SP
    /// metadata document.
    SpMetadataFile(String),
}

impl From<SamlEndpoint> for Endpoint {
    fn from(e: SamlEndpoint) -> Endpoint {
        Endpoint::Saml(e)
    }
}
