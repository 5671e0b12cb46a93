//! Signing and encryption keys (Janssen's auth-key-rotation): the key ring, rotation and sealing of
//! private keys at rest (DESIGN.md §5).

mod ring;
pub mod rotation;
mod secret_box;

pub use ring::{Decrypter, KeyManager, KeyRing, Signer};
pub use secret_box::{NONCE_LEN, SealError, SecretBox};

pub use crate::repo::key::{KeyStatus, StoredKey};

/// Additional authenticated data binding a sealed private key to its kid.
pub(crate) fn key_aad(kid: &str) -> Vec<u8> {
    format!("jans-key:{kid}").into_bytes()
}
