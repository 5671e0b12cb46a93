//! Client metadata validation (RFC 7591 §2, OIDC Dynamic Client Registration §2): defaults
//! and rules applied to [`ClientMetadata`] before a client is stored.

use crate::config::{Config, MAX_LIFETIME};
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::client::{AuthMethod, ClientMetadata};

/// Most keys accepted in an inline `jwks`.
const MAX_CLIENT_KEYS: usize = 20;

fn meta_err(msg: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, msg)
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
pub fn is_scope_token(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 256
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

fn check_url(name: &'static str, u: &str, https_only: bool) -> Result<(), OAuthError> {
    let url = url::Url::parse(u).map_err(|_| meta_err(format!("{name} is not a URL")))?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if !https_only || local => Ok(()),
        _ => Err(meta_err(format!("{name} must be an https URL"))),
    }
}

impl ClientMetadata {
    /// Parse RFC 7591 metadata from JSON, with a `invalid_client_metadata` error that names
    /// the member at fault.
    pub fn from_json(v: serde_json::Value) -> Result<ClientMetadata, OAuthError> {
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            meta_err(format!("{path}: {}", e.into_inner()))
        })
    }

    /// Fill RFC 7591 §2 defaults and check every rule; `invalid_client_metadata` on failure.
    pub fn normalize(&mut self, config: &Config) -> Result<(), OAuthError> {
        if self.grant_types.is_empty() {
            // RFC 7591 §2 defaults to authorization_code; a client without redirect URIs
            // cannot use it, so it gets client_credentials instead.
            let default = if self.redirect_uris.is_empty() {
                "client_credentials"
            } else {
                "authorization_code"
            };
            self.grant_types = vec![default.to_owned()];
        }
        for g in &self.grant_types {
            if !config.grant_types_supported.contains(g) {
                return Err(meta_err(format!("grant type {g:?} is not supported")));
            }
        }
        let code = self.grant_types.iter().any(|g| g == "authorization_code");
        let implicit = self.grant_types.iter().any(|g| g == "implicit");
        let password = self.grant_types.iter().any(|g| g == "password");
        let device = self
            .grant_types
            .iter()
            .any(|g| g == crate::config::DEVICE_CODE_GRANT);
        let ciba = self
            .grant_types
            .iter()
            .any(|g| g == crate::config::CIBA_GRANT);
        if !code
            && !password
            && !device
            && !ciba
            && self.grant_types.iter().any(|g| g == "refresh_token")
        {
            // Refresh tokens come with a code, a password, a device or a CIBA grant (CIBA
            // Core §10.1.1); alone the grant type can never be used.
            return Err(meta_err(
                "refresh_token needs authorization_code, password, the device code or the CIBA grant",
            ));
        }
        if self.response_types.is_empty() && code {
            // RFC 7591 §2: the default response type is "code".
            self.response_types = vec!["code".to_owned()];
        }
        // RFC 7591 §2.1 / OIDC DCR §2: response types must fit the grant types.
        for r in &self.response_types {
            let rt = crate::auth::oauth::authorize::ResponseType::parse(r)
                .ok_or_else(|| meta_err(format!("response_type {r:?} is not supported")))?;
            if (rt.code && !code) || (rt.front_channel_tokens() && !implicit) {
                return Err(meta_err(format!(
                    "response_type {r:?} needs the {} grant type",
                    if rt.code && !code {
                        "authorization_code"
                    } else {
                        "implicit"
                    }
                )));
            }
        }
        crate::auth::oauth::fapi2::check_client(config, self)?;
        if (code || implicit) && self.redirect_uris.is_empty() {
            return Err(OAuthError::new(
                ErrorCode::InvalidRedirectUri,
                "authorization_code and implicit need redirect_uris",
            ));
        }
        if let Some(scope) = &self.scope
            && (scope.len() > 4096 || !scope.split(' ').all(is_scope_token))
        {
            return Err(meta_err("scope must be space-separated scope tokens"));
        }
        if self.jwks.is_some() && self.jwks_uri.is_some() {
            // RFC 7591 §2: "MUST NOT both be present".
            return Err(meta_err("jwks and jwks_uri must not both be present"));
        }
        if let Some(u) = &self.jwks_uri {
            check_url("jwks_uri", u, true)?;
        }
        if let Some(u) = &self.sector_identifier_uri {
            check_url("sector_identifier_uri", u, true)?;
        }
        if let Some(u) = &self.frontchannel_logout_uri {
            check_url("frontchannel_logout_uri", u, false)?;
        }
        if let Some(u) = &self.backchannel_logout_uri {
            // OIDC Back-Channel Logout 1.0 §2.2: absolute, no fragment.
            check_url("backchannel_logout_uri", u, true)?;
            if u.contains('#') {
                return Err(meta_err("backchannel_logout_uri must not have a fragment"));
            }
        }
        match self.subject_type.as_deref() {
            None | Some("public") => {}
            Some("pairwise") => {
                // OIDC Core §8.1: several redirect hosts need a sector_identifier_uri.
                if crate::auth::oidc::subject::sector_identifier(
                    self.sector_identifier_uri.as_deref(),
                    &self.redirect_uris,
                )
                .is_none()
                    && !self.redirect_uris.is_empty()
                {
                    return Err(meta_err(
                        "pairwise clients with several redirect hosts need a sector_identifier_uri",
                    ));
                }
            }
            Some(_) => return Err(meta_err("subject_type must be public or pairwise")),
        }
        if let Some(jwks) = &self.jwks {
            if jwks.keys.is_empty() || jwks.keys.len() > MAX_CLIENT_KEYS {
                return Err(meta_err("jwks must hold between 1 and 20 keys"));
            }
            if jwks.keys.iter().any(|k| k.key_type().is_none()) {
                return Err(meta_err("jwks holds a key of unknown kty"));
            }
        }
        for (name, u) in [
            ("client_uri", &self.client_uri),
            ("logo_uri", &self.logo_uri),
            ("tos_uri", &self.tos_uri),
            ("policy_uri", &self.policy_uri),
        ] {
            if let Some(u) = u {
                check_url(name, u, false)?;
            }
        }
        for (name, uris) in [
            ("post_logout_redirect_uri", &self.post_logout_redirect_uris),
            // UMA 2.0 Grant §3.3.2: where claims gathering sends the browser back.
            ("claims_redirect_uri", &self.claims_redirect_uri),
        ] {
            for r in uris {
                let url =
                    url::Url::parse(r).map_err(|_| meta_err(format!("{name} is not a URL")))?;
                if url.fragment().is_some() {
                    return Err(meta_err(format!("{name} must not have a fragment")));
                }
            }
        }
        for r in &self.redirect_uris {
            // RFC 7591 §3.2.2: invalid_redirect_uri.
            let url = url::Url::parse(r).map_err(|_| {
                OAuthError::new(ErrorCode::InvalidRedirectUri, "redirect_uri is not a URL")
            })?;
            if url.fragment().is_some() {
                // RFC 6749 §3.1.2: "MUST NOT include a fragment component".
                return Err(OAuthError::new(
                    ErrorCode::InvalidRedirectUri,
                    "redirect_uri must not have a fragment",
                ));
            }
        }
        let method = self.token_endpoint_auth_method;
        match (method, self.token_endpoint_auth_signing_alg) {
            (AuthMethod::ClientSecretJwt, Some(a)) if !a.is_symmetric() => {
                return Err(meta_err(
                    "token_endpoint_auth_signing_alg must be HS256/384/512 for client_secret_jwt",
                ));
            }
            (AuthMethod::PrivateKeyJwt, Some(a)) if a.is_symmetric() => {
                return Err(meta_err(
                    "token_endpoint_auth_signing_alg must be asymmetric for private_key_jwt",
                ));
            }
            _ => {}
        }
        if method == AuthMethod::PrivateKeyJwt && self.jwks.is_none() && self.jwks_uri.is_none() {
            return Err(meta_err("private_key_jwt needs jwks or jwks_uri"));
        }
        if method == AuthMethod::None && self.grant_types.iter().any(|g| g == "client_credentials")
        {
            // RFC 6749 §4.4: client_credentials is for confidential clients only.
            return Err(meta_err(
                "client_credentials needs an authenticating client",
            ));
        }
        for (name, alg) in [
            ("access_token_signing_alg", self.access_token_signing_alg),
            (
                "introspection_signed_response_alg",
                self.introspection_signed_response_alg,
            ),
            (
                "id_token_signed_response_alg",
                self.id_token_signed_response_alg,
            ),
            (
                "authorization_signed_response_alg",
                self.authorization_signed_response_alg,
            ),
        ] {
            if let Some(a) = alg
                && !config.key_algs_allowed_for_generation.contains(&a.into())
            {
                return Err(meta_err(format!(
                    "{name} {a} is not one of the server's signing algorithms"
                )));
            }
        }
        crate::auth::oidc::encryption::normalize(self, config)?;
        super::jar::normalize(self, config)?;
        super::mtls::normalize(self, config)?;
        super::ciba::normalize(self, config)?;
        if let Some(l) = self.access_token_lifetime
            && (l == 0 || l > MAX_LIFETIME)
        {
            return Err(meta_err("access_token_lifetime out of range"));
        }
        for s in [&self.client_name, &self.software_id, &self.software_version]
            .into_iter()
            .flatten()
        {
            if s.len() > 1024 {
                return Err(meta_err("a metadata value is too long"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(v: serde_json::Value) -> Result<ClientMetadata, OAuthError> {
        let mut m = ClientMetadata::from_json(v)?;
        m.normalize(&Config::default())?;
        Ok(m)
    }

    #[test]
    fn defaults_and_valid() {
        let m = norm(serde_json::json!({"client_name": "a", "scope": "read write"})).unwrap();
        assert_eq!(m.token_endpoint_auth_method, AuthMethod::ClientSecretBasic);
        assert_eq!(m.grant_types, vec!["client_credentials"]);
        assert_eq!(m.scopes().collect::<Vec<_>>(), vec!["read", "write"]);
    }

    #[test]
    fn rejects_bad_metadata() {
        for bad in [
            serde_json::json!({"token_endpoint_auth_method": "magic"}),
            serde_json::json!({"grant_types": ["password"]}),
            serde_json::json!({"scope": "a\"b"}),
            serde_json::json!({"jwks_uri": "http://example.com/j", "token_endpoint_auth_method": "private_key_jwt"}),
            serde_json::json!({"token_endpoint_auth_method": "private_key_jwt"}),
            serde_json::json!({"token_endpoint_auth_method": "none"}),
            serde_json::json!({"access_token_signing_alg": "HS256"}),
            serde_json::json!({"access_token_lifetime": 0}),
            serde_json::json!({"token_endpoint_auth_method": "client_secret_jwt", "token_endpoint_auth_signing_alg": "RS256"}),
            serde_json::json!({"jwks": {"keys": []}, "token_endpoint_auth_method": "private_key_jwt"}),
        ] {
            let e = norm(bad.clone()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClientMetadata, "{bad}");
        }
    }
}
