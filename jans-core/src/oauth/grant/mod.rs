//! Token endpoint grants.

pub mod client_credentials;
