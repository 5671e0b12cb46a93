//! Authentication of people: the user model (Janssen person attributes) and argon2id
//! passwords. The login interaction state machine and ACR methods arrive with the
//! authorization endpoint.

pub mod hasher;
pub mod interaction;
pub mod password;
pub mod protection;
pub mod session;
pub mod user;
