//! Password hashing with argon2id at OWASP's parameters (m = 19 MiB, t = 2, p = 1; OWASP
//! Password Storage Cheat Sheet), stored as PHC strings so parameters can be raised later
//! without breaking existing hashes.
//!
//! The functions here hash into memory the caller provides ([`Blocks`]): the
//! [`crate::password::pool`] pool keeps one such block per worker for its whole life, so a
//! login allocates nothing (a fresh 19 MiB allocation per login left glibc's heap growing
//! for good, DESIGN.md §6 "bounded memory").

pub mod pool;

use argon2::password_hash::phc::{PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;

/// Longest accepted password, in bytes (bounds the hashing work an attacker can ask for).
pub const MAX_PASSWORD_LEN: usize = 1024;
/// Shortest accepted new password.
pub const MIN_PASSWORD_LEN: usize = 8;
/// The largest argon2 memory a stored hash may ask for (256 MiB): a hash imported with a
/// larger `m` is refused rather than allowed to take the server's memory.
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;

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
    /// Every hashing worker is busy and the queue is full: try again shortly.
    #[error("too many password checks at once")]
    Busy,
}

/// Working memory for one argon2 computation, reused across computations.
#[derive(Default)]
pub struct Blocks(Vec<Block>);

impl std::fmt::Debug for Blocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blocks({} KiB)", self.0.len())
    }
}

impl Blocks {
    /// Memory for the default parameters, allocated (and touched) now.
    pub fn for_default() -> Blocks {
        Blocks(vec![Block::default(); Params::DEFAULT.block_count()])
    }

    /// At least `n` blocks (grown, never shrunk: a worker keeps its high-water mark).
    fn at_least(&mut self, n: usize) -> &mut [Block] {
        if self.0.len() < n {
            self.0.resize(n, Block::default());
        }
        self.0.get_mut(..n).unwrap_or_default()
    }
}

/// Hash a new password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`) with
/// `salt`, in `blocks`.
pub fn hash_in(
    password: &str,
    salt: &[u8; 16],
    blocks: &mut Blocks,
) -> Result<String, PasswordError> {
    if password.len() < MIN_PASSWORD_LEN || password.len() > MAX_PASSWORD_LEN {
        return Err(PasswordError::Length);
    }
    let params = Params::DEFAULT;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            blocks.at_least(params.block_count()),
        )
        .map_err(|_| PasswordError::Hash)?;
    let salt = Salt::new(salt).map_err(|_| PasswordError::Hash)?;
    let output = argon2::password_hash::phc::Output::new(&out).map_err(|_| PasswordError::Hash)?;
    let phc = PasswordHash {
        algorithm: argon2::ARGON2ID_IDENT,
        version: Some(Version::V0x13.into()),
        params: (&params).try_into().map_err(|_| PasswordError::Hash)?,
        salt: Some(salt),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// Check `password` against a stored PHC hash, computing in `blocks`; the comparison is
/// constant-time. Anything but a well-formed argon2 hash within [`MAX_MEMORY_KIB`] fails.
pub fn verify_in(password: &str, phc: &str, blocks: &mut Blocks) -> bool {
    if password.len() > MAX_PASSWORD_LEN {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm.as_str()) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    if params.m_cost() > MAX_MEMORY_KIB {
        return false;
    }
    let mut out = vec![0u8; expected.len()];
    let ok = Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            blocks.at_least(params.block_count()),
        )
        .is_ok();
    ok && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// A hash of nothing, verified against when the user does not exist so that an unknown
/// user name costs the same time as a wrong password.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$5Y3M+J1a2S5j5z2vJ9bFv7b8oQ2xN0yKj6Yb9kq1c2E";

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    #[test]
    fn hash_and_verify() {
        let mut blocks = Blocks::default();
        let h = hash_in("correct horse battery", &[3; 16], &mut blocks).unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_in("correct horse battery", &h, &mut blocks));
        assert!(!verify_in("correct horse batterY", &h, &mut blocks));
        assert!(!verify_in("", &h, &mut blocks));
        // Same password, another salt, another hash.
        assert_ne!(
            h,
            hash_in("correct horse battery", &[4; 16], &mut blocks).unwrap()
        );
        assert_eq!(
            hash_in("short", &[3; 16], &mut blocks),
            Err(PasswordError::Length)
        );
        assert_eq!(
            hash_in(&"x".repeat(MAX_PASSWORD_LEN + 1), &[3; 16], &mut blocks),
            Err(PasswordError::Length)
        );
        assert!(!verify_in("anything", "not a phc string", &mut blocks));
        assert!(!verify_in("anything", DUMMY_HASH, &mut blocks));
    }

    /// What we write, the argon2 crate's own verifier accepts, and the reverse: the PHC
    /// strings stay interchangeable with every other argon2 implementation.
    #[test]
    fn interoperates_with_the_argon2_crate() {
        let mut blocks = Blocks::default();
        let ours = hash_in("correct horse battery", &[5; 16], &mut blocks).unwrap();
        let theirs_argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::DEFAULT);
        assert!(
            theirs_argon2
                .verify_password(b"correct horse battery", ours.as_str())
                .is_ok()
        );
        let theirs = theirs_argon2
            .hash_password_with_salt(b"correct horse battery", &[6; 16])
            .unwrap()
            .to_string();
        assert!(verify_in("correct horse battery", &theirs, &mut blocks));
        // Other parameters (a hash imported from elsewhere): the memory grows to fit.
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password_with_salt(b"pw-from-elsewhere", &[7; 16])
        .unwrap()
        .to_string();
        assert!(verify_in("pw-from-elsewhere", &small, &mut blocks));
        // A hash asking for more memory than allowed is refused unverified.
        let greedy = small.replace("m=8192", "m=1048576");
        assert!(!verify_in("pw-from-elsewhere", &greedy, &mut blocks));
    }

    #[test]
    fn dummy_hash_is_a_real_phc_string() {
        // A malformed dummy would fail fast and give unknown users away by timing.
        let h = PasswordHash::new(DUMMY_HASH).expect("DUMMY_HASH must parse");
        assert_eq!(h.algorithm.as_str(), "argon2id");
        assert!(h.hash.is_some());
    }
}
