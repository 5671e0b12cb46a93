//! The symmetric parts of JWE (RFC 7518): content encryption with AES-GCM (§5.3) and
//! AES-CBC with HMAC-SHA-2 (§5.2), AES key wrap (§4.4, RFC 3394) and the Concat KDF of
//! ECDH-ES (§4.6.2, NIST SP 800-56A §5.8.1). Pure Rust, the same for every provider.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm};
use aes_kw::{KwAes128, KwAes256};
use cbc::cipher::{BlockModeDecrypt as _, BlockModeEncrypt as _, KeyIvInit as _};
use hmac::Mac as _;
use sha2::{Digest as _, Sha256, Sha512};
use subtle::ConstantTimeEq as _;

use super::Enc;
use crate::jose::JoseError;

type CbcEnc128 = cbc::Encryptor<aes::Aes128>;
type CbcDec128 = cbc::Decryptor<aes::Aes128>;
type CbcEnc256 = cbc::Encryptor<aes::Aes256>;
type CbcDec256 = cbc::Decryptor<aes::Aes256>;

/// AES-GCM tag length (RFC 7518 §5.3: 128 bits).
const GCM_TAG: usize = 16;

fn failed() -> JoseError {
    JoseError::Decryption
}

/// RFC 7518 §5.2.2.1 step 5: `AL`, the bit length of the AAD as a 64-bit big-endian integer.
fn aad_bits(aad: &[u8]) -> [u8; 8] {
    ((aad.len() as u64).wrapping_mul(8)).to_be_bytes()
}

/// RFC 7518 §5.2.2.1 steps 5–6: `T`, the first half of HMAC(MAC_KEY, A || IV || E || AL).
fn cbc_tag(
    enc: Enc,
    mac_key: &[u8],
    aad: &[u8],
    iv: &[u8],
    ct: &[u8],
) -> Result<Vec<u8>, JoseError> {
    macro_rules! tag {
        ($hash:ty, $len:expr) => {{
            let mut m = <hmac::Hmac<$hash>>::new_from_slice(mac_key).map_err(|_| failed())?;
            m.update(aad);
            m.update(iv);
            m.update(ct);
            m.update(&aad_bits(aad));
            let full = m.finalize().into_bytes();
            Ok(full.get(..$len).ok_or_else(failed)?.to_vec())
        }};
    }
    match enc {
        Enc::A128CbcHs256 => tag!(Sha256, 16),
        _ => tag!(Sha512, 32),
    }
}

/// Encrypt `plaintext` under `cek` with `iv` and `aad`: `(ciphertext, tag)`.
pub(super) fn seal(
    enc: Enc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<(Vec<u8>, Vec<u8>), JoseError> {
    if cek.len() != enc.key_len() || iv.len() != enc.iv_len() {
        return Err(JoseError::Malformed("jwe key or iv length"));
    }
    let bad_key = |_| JoseError::Malformed("jwe key length");
    match enc {
        Enc::A128Gcm | Enc::A256Gcm => {
            let payload = Payload {
                msg: plaintext,
                aad,
            };
            let mut out = match enc {
                Enc::A128Gcm => Aes128Gcm::new_from_slice(cek)
                    .map_err(bad_key)?
                    .encrypt(iv.try_into().map_err(|_| failed())?, payload),
                _ => Aes256Gcm::new_from_slice(cek)
                    .map_err(bad_key)?
                    .encrypt(iv.try_into().map_err(|_| failed())?, payload),
            }
            .map_err(|_| JoseError::Malformed("jwe plaintext"))?;
            let tag = out.split_off(out.len().saturating_sub(GCM_TAG));
            Ok((out, tag))
        }
        Enc::A128CbcHs256 | Enc::A256CbcHs512 => {
            // RFC 7518 §5.2.2.1 step 1: MAC_KEY is the first half, ENC_KEY the second.
            let (mac_key, enc_key) = cek.split_at_checked(cek.len() / 2).ok_or_else(failed)?;
            let ct = match enc {
                Enc::A128CbcHs256 => {
                    CbcEnc128::new_from_slices(enc_key, iv)
                        .map_err(bad_key)?
                        .encrypt_padded_vec::<cbc::cipher::block_padding::Pkcs7>(plaintext)
                }
                _ => CbcEnc256::new_from_slices(enc_key, iv)
                    .map_err(bad_key)?
                    .encrypt_padded_vec::<cbc::cipher::block_padding::Pkcs7>(plaintext),
            };
            let tag = cbc_tag(enc, mac_key, aad, iv, &ct)?;
            Ok((ct, tag))
        }
    }
}

/// Decrypt and authenticate. Every failure is the same [`JoseError::Decryption`]; for
/// AES-CBC the tag is checked (in constant time) before any padding is looked at, so no
/// padding oracle exists (RFC 7518 §5.2.2.2).
pub(super) fn open(
    enc: Enc,
    cek: &[u8],
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8],
) -> Result<Vec<u8>, JoseError> {
    if cek.len() != enc.key_len() || iv.len() != enc.iv_len() {
        return Err(failed());
    }
    match enc {
        Enc::A128Gcm | Enc::A256Gcm => {
            if tag.len() != GCM_TAG {
                return Err(failed());
            }
            let msg = [ciphertext, tag].concat();
            let payload = Payload { msg: &msg, aad };
            match enc {
                Enc::A128Gcm => Aes128Gcm::new_from_slice(cek)
                    .map_err(|_| failed())?
                    .decrypt(iv.try_into().map_err(|_| failed())?, payload),
                _ => Aes256Gcm::new_from_slice(cek)
                    .map_err(|_| failed())?
                    .decrypt(iv.try_into().map_err(|_| failed())?, payload),
            }
            .map_err(|_| failed())
        }
        Enc::A128CbcHs256 | Enc::A256CbcHs512 => {
            let (mac_key, enc_key) = cek.split_at_checked(cek.len() / 2).ok_or_else(failed)?;
            let expected = cbc_tag(enc, mac_key, aad, iv, ciphertext)?;
            if !bool::from(expected.as_slice().ct_eq(tag)) {
                return Err(failed());
            }
            match enc {
                Enc::A128CbcHs256 => CbcDec128::new_from_slices(enc_key, iv)
                    .map_err(|_| failed())?
                    .decrypt_padded_vec::<cbc::cipher::block_padding::Pkcs7>(ciphertext),
                _ => CbcDec256::new_from_slices(enc_key, iv)
                    .map_err(|_| failed())?
                    .decrypt_padded_vec::<cbc::cipher::block_padding::Pkcs7>(ciphertext),
            }
            .map_err(|_| failed())
        }
    }
}

/// AES key wrap (RFC 3394) of `cek` under a 128- or 256-bit `kek`.
pub(super) fn wrap(kek: &[u8], cek: &[u8]) -> Result<Vec<u8>, JoseError> {
    let mut out = vec![0u8; cek.len() + 8];
    let bad = |_| JoseError::Malformed("AES key wrap");
    let len = match kek.len() {
        16 => KwAes128::new_from_slice(kek)
            .map_err(bad)?
            .wrap_key(cek, &mut out)
            .map_err(|_| JoseError::Malformed("AES key wrap"))?
            .len(),
        32 => KwAes256::new_from_slice(kek)
            .map_err(bad)?
            .wrap_key(cek, &mut out)
            .map_err(|_| JoseError::Malformed("AES key wrap"))?
            .len(),
        _ => return Err(JoseError::Malformed("AES key wrap key length")),
    };
    out.truncate(len);
    Ok(out)
}

/// AES key unwrap (RFC 3394 §2.2.2, with its integrity check).
pub(super) fn unwrap(kek: &[u8], wrapped: &[u8]) -> Result<Vec<u8>, JoseError> {
    let mut out = vec![0u8; wrapped.len().checked_sub(8).ok_or_else(failed)?];
    let len = match kek.len() {
        16 => KwAes128::new_from_slice(kek)
            .map_err(|_| failed())?
            .unwrap_key(wrapped, &mut out)
            .map_err(|_| failed())?
            .len(),
        32 => KwAes256::new_from_slice(kek)
            .map_err(|_| failed())?
            .unwrap_key(wrapped, &mut out)
            .map_err(|_| failed())?
            .len(),
        _ => return Err(failed()),
    };
    out.truncate(len);
    Ok(out)
}

/// The Concat KDF of RFC 7518 §4.6.2 with SHA-256: `keydatalen` bytes from the shared secret
/// `z`, bound to `algorithm_id` (the `enc` for direct agreement, else the `alg`) and the
/// parties' `apu` / `apv`.
pub(super) fn concat_kdf(
    z: &[u8],
    algorithm_id: &str,
    apu: &[u8],
    apv: &[u8],
    keydatalen: usize,
) -> Vec<u8> {
    fn len_prefixed(out: &mut Vec<u8>, v: &[u8]) {
        out.extend_from_slice(&(v.len() as u32).to_be_bytes());
        out.extend_from_slice(v);
    }
    let mut other = Vec::with_capacity(64);
    len_prefixed(&mut other, algorithm_id.as_bytes());
    len_prefixed(&mut other, apu);
    len_prefixed(&mut other, apv);
    other.extend_from_slice(&((keydatalen * 8) as u32).to_be_bytes());
    let mut key = Vec::with_capacity(keydatalen + 32);
    let mut counter: u32 = 1;
    while key.len() < keydatalen {
        let mut h = Sha256::new();
        h.update(counter.to_be_bytes());
        h.update(z);
        h.update(&other);
        key.extend_from_slice(&h.finalize());
        counter = counter.wrapping_add(1);
    }
    key.truncate(keydatalen);
    key
}
