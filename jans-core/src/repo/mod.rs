//! Typed records of the stores: what every component may read and write through
//! [`crate::store`] (clients, users, scopes, signing keys).

pub mod client;
pub mod key;
pub mod scope;
pub mod user;
