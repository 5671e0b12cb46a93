//! OAuth 2.0: token endpoint and grants, client authentication, introspection, revocation.

pub mod access_token;
pub mod authorize;
pub mod client;
pub mod client_auth;
pub mod family;
pub mod grant;
pub mod introspect;
pub mod pkce;
pub mod revoke;
pub mod token;
pub mod verify;

use sha2::{Digest, Sha256};

/// The storage key of a bearer value (token, code): base64url SHA-256, so a read of the
/// database does not yield usable tokens.
pub fn token_key(token: &str) -> String {
    crate::b64::encode(&Sha256::digest(token.as_bytes()))
}
