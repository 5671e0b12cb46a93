//! Authentication of people: sessions, the login interaction (login, second factor,
//! account choice, consent), the methods (ACRs), one-time passwords and brute-force
//! protection.

pub mod consent;
pub mod create;
pub mod interaction;
pub mod methods;
pub mod otp;
pub mod protection;
pub mod second_factor;
pub mod session;
pub mod session_status;
pub mod sign_in;
pub mod trusted_device;
