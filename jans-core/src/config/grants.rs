//! Configuration of the assertion grants: the issuers whose JWTs the JWT bearer grant
//! (RFC 7523 §2.1) takes as a person's authorization (`jwtBearerTrustedIssuers`, jans-rs's
//! own: Janssen has no such grant).

use serde::{Deserialize, Serialize};

use super::{Config, ConfigError};
use crate::jose::{Algorithm, Jwks};

/// The JWS algorithms the FAPI 2.0 Security Profile allows (§5.4.1), under
/// `fapi2SecurityProfile` (`auth::oauth::fapi2`).
pub const FAPI2_ALGS: [Algorithm; 3] = [Algorithm::PS256, Algorithm::ES256, Algorithm::EdDSA];

/// An issuer whose signed assertions about a person this server trusts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TrustedIssuer {
    /// The assertion's `iss`, exactly.
    pub issuer: String,
    /// Where its keys are published (fetched through the outbound client, cached
    /// `jwksUriCacheLifetime` seconds, fetched again once for an unknown `kid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// Its keys, given here instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Jwks>,
    /// Which person attribute the assertion's `sub` is: `uid` (the default) or `inum`.
    pub subject_attribute: SubjectAttribute,
    /// The clients that may present its assertions (empty: every client registered for the
    /// grant).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clients: Vec<String>,
}

/// Janssen's `ssaConfiguration`: how the SSA endpoint signs and how long its SSAs live.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SsaConfiguration {
    /// The JWS algorithm SSAs are signed with (`ssaSigningAlg`; the server's
    /// `defaultSignatureAlgorithm` when unset).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssa_signing_alg: Option<Algorithm>,
    /// Days an SSA lives when its request names no `expiration` or `lifetime`
    /// (`ssaExpirationInDays`).
    pub ssa_expiration_in_days: u64,
}

impl Default for SsaConfiguration {
    fn default() -> Self {
        SsaConfiguration {
            ssa_signing_alg: None,
            ssa_expiration_in_days: 30,
        }
    }
}

/// The person attribute an assertion's `sub` names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectAttribute {
    /// The login name.
    #[default]
    Uid,
    /// The entry's identifier.
    Inum,
}

impl Config {
    /// Each trusted issuer names itself and exactly one source of keys; transaction tokens
    /// live a while, not long.
    pub(super) fn validate_grants(&self) -> Result<(), ConfigError> {
        if self.tx_token_lifetime == 0 || self.tx_token_lifetime > 3600 {
            return Err(ConfigError::new(
                "txTokenLifetime",
                "must be between 1 and 3600 seconds",
            ));
        }
        if self.fapi2_security_profile && !FAPI2_ALGS.contains(&self.default_signature_algorithm) {
            return Err(ConfigError::new(
                "defaultSignatureAlgorithm",
                "FAPI 2.0 (fapi2SecurityProfile) allows only PS256, ES256 or EdDSA",
            ));
        }
        let key = "jwtBearerTrustedIssuers";
        for (i, t) in self.jwt_bearer_trusted_issuers.iter().enumerate() {
            if t.issuer.is_empty() {
                return Err(ConfigError::new(key, format!("entry {i} has no issuer")));
            }
            if t.jwks.is_some() == t.jwks_uri.is_some() {
                return Err(ConfigError::new(
                    key,
                    format!("{:?} needs exactly one of jwks and jwksUri", t.issuer),
                ));
            }
            if let Some(uri) = &t.jwks_uri
                && !(uri.starts_with("https://") || uri.starts_with("http://"))
            {
                return Err(ConfigError::new(
                    key,
                    format!("{:?}: jwksUri must be an http(s) URL", t.issuer),
                ));
            }
            if self
                .jwt_bearer_trusted_issuers
                .iter()
                .take(i)
                .any(|o| o.issuer == t.issuer)
            {
                return Err(ConfigError::new(
                    key,
                    format!("{:?} is listed twice", t.issuer),
                ));
            }
        }
        Ok(())
    }
}
