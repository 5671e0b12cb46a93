//! The FAPI 2.0 Security Profile (OpenID FAPI 2.0 Security Profile, final) as a server
//! switch, `fapi2SecurityProfile` (Janssen's `fapiCompatibility` stays its FAPI 1 switch).
//!
//! With it on (§5.3): every authorization request is pushed (PAR, §5.3.2.2 item 3); only
//! `response_type=code` (no implicit or hybrid, item 2) with PKCE S256 (item 4); codes live
//! at most 60 s (item 13); clients authenticate with `private_key_jwt` or mutual TLS
//! (§5.3.2.1 item 4) and are confidential; every access token is sender-constrained with
//! DPoP or mutual TLS (§5.3.2.1 item 2); JWS algorithms are `PS256`, `ES256` or `EdDSA`
//! only (§5.4), for client assertions, DPoP proofs, ID tokens and every token we sign; the
//! authorization response carries `iss` (RFC 9207, always here). Discovery says so.

use crate::config::Config;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::jose::Algorithm;
use crate::repo::client::{AuthMethod, ClientMetadata};

/// §5.4.1: the algorithms allowed.
pub const ALGS: [Algorithm; 3] = crate::config::grants::FAPI2_ALGS;

/// §5.3.2.2 item 13: the longest an authorization code lives.
pub const MAX_CODE_LIFETIME: u64 = 60;

/// Whether the profile is on.
pub fn on(config: &Config) -> bool {
    config.fapi2_security_profile
}

/// Whether `alg` may be used (always, with the profile off).
pub fn alg_allowed(config: &Config, alg: Algorithm) -> bool {
    !on(config) || ALGS.contains(&alg)
}

/// The lifetime of an authorization code.
pub fn code_lifetime(config: &Config) -> u64 {
    if on(config) {
        config.authorization_code_lifetime.min(MAX_CODE_LIFETIME)
    } else {
        config.authorization_code_lifetime
    }
}

/// Whether clients may authenticate with `method` (§5.3.2.1 item 4: `private_key_jwt`,
/// `tls_client_auth` or `self_signed_tls_client_auth` under the profile).
pub fn method_allowed(config: &Config, method: AuthMethod) -> bool {
    !on(config) || method == AuthMethod::PrivateKeyJwt || method.is_mtls()
}

fn refused(why: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, why)
}

/// A client's metadata under the profile: confidential with `private_key_jwt` or mutual
/// TLS, code flow only, FAPI algorithms only (RFC 7591 §3.2.2 `invalid_client_metadata`
/// otherwise).
pub fn check_client(config: &Config, m: &ClientMetadata) -> Result<(), OAuthError> {
    if !on(config) {
        return Ok(());
    }
    if !method_allowed(config, m.token_endpoint_auth_method) {
        return Err(refused(
            "FAPI 2.0: token_endpoint_auth_method must be private_key_jwt, tls_client_auth or \
             self_signed_tls_client_auth",
        ));
    }
    if m.grant_types
        .iter()
        .any(|g| g == "implicit" || g == "password")
    {
        return Err(refused("FAPI 2.0: no implicit or password grant"));
    }
    if m.response_types.iter().any(|r| r != "code") {
        return Err(refused("FAPI 2.0: response_types may only be code"));
    }
    let algs = [
        m.token_endpoint_auth_signing_alg,
        m.id_token_signed_response_alg,
        m.userinfo_signed_response_alg,
        m.introspection_signed_response_alg,
        m.access_token_signing_alg,
    ];
    if algs.into_iter().flatten().any(|a| !ALGS.contains(&a)) {
        return Err(refused(
            "FAPI 2.0: signing algorithms may only be PS256, ES256 or EdDSA",
        ));
    }
    Ok(())
}

/// How a client authenticated, under the profile (§5.3.2.1 item 4).
pub fn check_client_auth(config: &Config, method: AuthMethod) -> Result<(), OAuthError> {
    if !method_allowed(config, method) {
        return Err(OAuthError::invalid_client(
            "FAPI 2.0: clients authenticate with private_key_jwt or mutual TLS",
        ));
    }
    Ok(())
}

/// An authorization request under the profile: the code flow only (§5.3.2.2 item 2), with
/// PKCE S256 (item 4).
pub fn check_request(config: &Config, code_only: bool, pkce_s256: bool) -> Result<(), OAuthError> {
    if !on(config) {
        return Ok(());
    }
    if !code_only {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "FAPI 2.0: only response_type=code",
        ));
    }
    if !pkce_s256 {
        return Err(OAuthError::invalid_request(
            "FAPI 2.0: PKCE with S256 is required",
        ));
    }
    Ok(())
}
