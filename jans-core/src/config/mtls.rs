//! Configuration of mutual-TLS client authentication and certificate-bound tokens
//! (RFC 8705): the trusted certificate authorities of `tls_client_auth`, and the endpoint
//! aliases (§5) under Janssen's `mtls…` property names.

use super::{Config, ConfigError};

/// Most certificate authorities `mtlsTrustedCaCertificates` may name.
const MAX_TRUSTED_CAS: usize = 100;

impl Config {
    /// Each endpoint's discovery name, the Janssen property of its mutual-TLS alias, and
    /// the alias when set.
    fn alias_table(&self) -> [(&'static str, &'static str, Option<&str>); 13] {
        [
            (
                "authorization_endpoint",
                "mtlsAuthorizationEndpoint",
                self.mtls_authorization_endpoint.as_deref(),
            ),
            (
                "token_endpoint",
                "mtlsTokenEndpoint",
                self.mtls_token_endpoint.as_deref(),
            ),
            (
                "revocation_endpoint",
                "mtlsTokenRevocationEndpoint",
                self.mtls_token_revocation_endpoint.as_deref(),
            ),
            (
                "userinfo_endpoint",
                "mtlsUserInfoEndpoint",
                self.mtls_user_info_endpoint.as_deref(),
            ),
            (
                "clientinfo_endpoint",
                "mtlsClientInfoEndpoint",
                self.mtls_client_info_endpoint.as_deref(),
            ),
            (
                "check_session_iframe",
                "mtlsCheckSessionIFrame",
                self.mtls_check_session_i_frame.as_deref(),
            ),
            (
                "end_session_endpoint",
                "mtlsEndSessionEndpoint",
                self.mtls_end_session_endpoint.as_deref(),
            ),
            ("jwks_uri", "mtlsJwksUri", self.mtls_jwks_uri.as_deref()),
            (
                "registration_endpoint",
                "mtlsRegistrationEndpoint",
                self.mtls_registration_endpoint.as_deref(),
            ),
            (
                "id_generation_endpoint",
                "mtlsIdGenerationEndpoint",
                self.mtls_id_generation_endpoint.as_deref(),
            ),
            (
                "introspection_endpoint",
                "mtlsIntrospectionEndpoint",
                self.mtls_introspection_endpoint.as_deref(),
            ),
            (
                "pushed_authorization_request_endpoint",
                "mtlsParEndpoint",
                self.mtls_par_endpoint.as_deref(),
            ),
            (
                "device_authorization_endpoint",
                "mtlsDeviceAuthzEndpoint",
                self.mtls_device_authz_endpoint.as_deref(),
            ),
        ]
    }

    /// The mutual-TLS endpoint aliases that are set (RFC 8705 §5 `mtls_endpoint_aliases`),
    /// each with the discovery name of the endpoint it stands for, and the Janssen property
    /// it comes from.
    pub fn mtls_aliases(&self) -> Vec<(&'static str, &'static str, &str)> {
        self.alias_table()
            .into_iter()
            .filter_map(|(name, key, v)| v.filter(|v| !v.is_empty()).map(|v| (name, key, v)))
            .collect()
    }

    /// The alias of the endpoint named `name` in discovery (`token_endpoint`, ...), if set.
    pub fn mtls_alias(&self, name: &str) -> Option<&str> {
        self.alias_table()
            .into_iter()
            .find(|(n, _, _)| *n == name)
            .and_then(|(_, _, v)| v)
            .filter(|v| !v.is_empty())
    }

    /// The certificates of `mtlsTrustedCaCertificates` (each entry PEM text holding one or
    /// more certificates); entries that do not read are left out ([`Config::validate`]
    /// refuses them).
    pub fn mtls_trusted_roots(&self) -> Vec<crate::x509::Certificate> {
        self.mtls_trusted_ca_certificates
            .iter()
            .filter_map(|pem| crate::x509::parse_pem_or_der(pem.as_bytes()).ok())
            .flatten()
            .collect()
    }

    /// Each alias is an absolute https URL (http for localhost), and each trusted CA entry
    /// is PEM text of certificates.
    pub(super) fn validate_mtls(&self) -> Result<(), ConfigError> {
        for (_, key, v) in self.mtls_aliases() {
            let url = url::Url::parse(v)
                .map_err(|_| ConfigError::new(key, format!("{v:?} is not a URL")))?;
            let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if !(url.scheme() == "https" || (url.scheme() == "http" && local)) {
                return Err(ConfigError::new(key, "must be an https URL"));
            }
        }
        if self.mtls_trusted_ca_certificates.len() > MAX_TRUSTED_CAS {
            return Err(ConfigError::new(
                "mtlsTrustedCaCertificates",
                format!("at most {MAX_TRUSTED_CAS} entries"),
            ));
        }
        for (i, pem) in self.mtls_trusted_ca_certificates.iter().enumerate() {
            if !pem.contains("-----BEGIN CERTIFICATE-----")
                || crate::x509::parse_pem_or_der(pem.as_bytes()).is_err()
            {
                return Err(ConfigError::new(
                    &format!("mtlsTrustedCaCertificates[{i}]"),
                    "is not PEM text of X.509 certificates",
                ));
            }
        }
        Ok(())
    }
}
