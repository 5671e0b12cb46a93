//! Typed records of the stores: what every component may read and write through
//! [`crate::store`] (clients, users, scopes).

pub mod client;
pub mod scope;
pub mod user;
