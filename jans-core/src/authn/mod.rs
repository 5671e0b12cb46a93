//! Authentication of people: the user model (Janssen person attributes) and argon2id
//! passwords. The login interaction state machine and ACR methods arrive with the
//! authorization endpoint.

pub mod interaction;
pub mod password;
pub mod session;
pub mod user;
