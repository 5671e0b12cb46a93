//! OAuth 2.0: token endpoint and grants, client authentication, introspection, revocation,
//! pushed authorization requests, DPoP, mutual TLS.

pub mod access_token;
pub mod authorize;
pub mod ciba;
pub mod client;
pub mod client_auth;
pub mod device;
pub mod dpop;
pub mod family;
pub mod fapi2;
pub mod global_revocation;
pub mod grant;
pub mod introspect;
pub mod jar;
pub mod jarm;
pub mod mtls;
pub mod par;
pub mod pkce;
pub mod rar;
pub mod revoke;
pub mod ssa;
pub mod token;
pub mod verify;

pub use crate::repo::grant::token_key;
