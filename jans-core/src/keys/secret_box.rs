//! Sealing secrets at rest: AES-256-GCM with a random 96-bit nonce and additional data that
//! binds each ciphertext to what it belongs to (a kid, a client id), so sealed values cannot
//! be swapped between records.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};

use crate::ctx::Random;

/// Why unsealing failed. Deliberately uninformative.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sealed value could not be opened")]
pub struct SealError;

/// The master key that seals client secrets and private keys.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

/// AES-GCM's nonce, 96 bits.
pub const NONCE_LEN: usize = 12;

impl SecretBox {
    /// A box over a 256-bit key.
    pub fn new(key: &[u8; 32]) -> SecretBox {
        SecretBox {
            cipher: Aes256Gcm::new(key.into()),
        }
    }

    /// Seal `plaintext`; the result is base64url(nonce || ciphertext || tag).
    pub fn seal(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        rng: &dyn Random,
    ) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill(&mut nonce);
        self.seal_with_nonce(plaintext, aad, nonce)
    }

    /// Seal `plaintext` under a nonce the caller derives (a synthetic nonce: an HMAC of
    /// everything the plaintext and `aad` hold), so the same input seals to the same
    /// string. Only for inputs that are themselves unique per nonce: one nonce under one
    /// key for two different plaintexts breaks AES-GCM.
    pub fn seal_with_nonce(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        nonce: [u8; NONCE_LEN],
    ) -> Result<String, SealError> {
        let ct = self
            .cipher
            .encrypt(
                &nonce.into(),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| SealError)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(crate::b64::encode(&out))
    }

    /// Open what [`SecretBox::seal`] produced with the same `aad`.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let raw = crate::b64::decode(sealed).map_err(|_| SealError)?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(SealError);
        }
        let (nonce, ct) = raw.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError)?;
        self.cipher
            .decrypt(&nonce.into(), Payload { msg: ct, aad })
            .map_err(|_| SealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::SeededRandom;

    #[test]
    fn seal_open_and_tamper() {
        let rng = SeededRandom::new(1);
        let b = SecretBox::new(&[7u8; 32]);
        let s = b.seal(b"secret", b"client:a", &rng).unwrap();
        assert_eq!(b.open(&s, b"client:a").unwrap(), b"secret");
        assert_eq!(b.open(&s, b"client:b"), Err(SealError));
        assert_eq!(
            SecretBox::new(&[8u8; 32]).open(&s, b"client:a"),
            Err(SealError)
        );
        let mut raw = crate::b64::decode(&s).unwrap();
        raw[14] ^= 1;
        assert_eq!(
            b.open(&crate::b64::encode(&raw), b"client:a"),
            Err(SealError)
        );
        assert_eq!(b.open("!!", b""), Err(SealError));
        assert_eq!(b.open("", b""), Err(SealError));
        // Two seals of the same value differ (fresh nonce).
        assert_ne!(s, b.seal(b"secret", b"client:a", &rng).unwrap());
    }
}
