//! Authentication of people: sessions, the login interaction (login, account choice,
//! consent) and brute-force protection.

pub mod consent;
pub mod interaction;
pub mod protection;
pub mod session;
