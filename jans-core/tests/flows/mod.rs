pub mod client_auth;
pub mod discovery;
pub mod harness;
pub mod introspection;
pub mod keys;
pub mod persistence;
pub mod revocation;
pub mod token;
