//! Password hashing with argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1; OWASP
//! Password Storage Cheat Sheet), stored as PHC strings so parameters can be raised later
//! without breaking existing hashes.

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::ctx::Random;

/// Longest accepted password, in bytes (bounds the hashing work an attacker can ask for).
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Shortest accepted new password.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Why a password could not be set or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Shorter than [`MIN_PASSWORD_LEN`] or longer than [`MAX_PASSWORD_LEN`].
    #[error("a password must be between {MIN_PASSWORD_LEN} and {MAX_PASSWORD_LEN} bytes")]
    Length,
    /// The hashing library failed (or a stored hash is malformed).
    #[error("password hashing failed")]
    Hash,
}

fn argon2() -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT)
}

/// Hash a new password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub fn hash(password: &str, rng: &dyn Random) -> Result<String, PasswordError> {
    if password.len() < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_LEN {
        return Err(PasswordError::Length);
    }
    let mut salt = [0u8; 16];
    rng.fill(&mut salt);
    argon2()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}

/// Check `password` against a stored PHC hash (the comparison inside is constant-time).
pub fn verify(password: &str, phc: &str) -> bool {
    password.len() <= MAX_PASSWORD_LEN && argon2().verify_password(password.as_bytes(), phc).is_ok()
}

/// A hash of nothing, verified against when the user does not exist so that an unknown
/// user name costs the same time as a wrong password.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$5Y3M+J1a2S5j5z2vJ9bFv7b8oQ2xN0yKj6Yb9kq1c2E";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRandom;

    #[test]
    fn hash_and_verify() {
        let rng = SeededRandom::new(3);
        let h = hash("correct horse battery", &rng).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterY", &h));
        assert!(!verify("", &h));
        // Same password, fresh salt, different hash.
        assert_ne!(h, hash("correct horse battery", &rng).unwrap());
        assert_eq!(hash("short", &rng), Err(PasswordError::Length));
        assert_eq!(
            hash(&"x".repeat(MAX_PASSWORD_LEN + 1), &rng),
            Err(PasswordError::Length)
        );
        assert!(!verify("anything", "not a phc string"));
        assert!(!verify("anything", DUMMY_HASH));
    }
}

#[cfg(test)]
mod dummy {
    #[test]
    fn dummy_hash_is_a_real_phc_string() {
        // A malformed dummy would fail fast and give unknown users away by timing.
        use argon2::password_hash::phc::PasswordHash;
        let h = PasswordHash::new(super::DUMMY_HASH).expect("DUMMY_HASH must parse");
        assert_eq!(h.algorithm.as_str(), "argon2id");
        assert!(h.hash.is_some());
    }
}
