//! JSON Web Encryption (RFC 7516), compact serialization, with the algorithms of RFC 7518:
//! key management `RSA-OAEP`, `RSA-OAEP-256`, `ECDH-ES`, `ECDH-ES+A128KW`, `ECDH-ES+A256KW`,
//! `A128KW`, `A256KW` and `dir`; content encryption `A128GCM`, `A256GCM`, `A128CBC-HS256`
//! and `A256CBC-HS512`. `RSA1_5` is not implemented (RFC 8725 §3.5 advises against it).
//!
//! As for JWS (DESIGN.md §5), the caller says which algorithms it accepts; the header only
//! picks among them. The asymmetric steps go through the [`CryptoProvider`]; the symmetric
//! ones are in `content`.

mod content;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256, Sha384, Sha512};

use super::jws::MAX_TOKEN_LEN;
use super::{JoseError, Jwk, Jwks};
use crate::b64;
use crate::crypto::{CryptoProvider, DecryptionKey, DecryptionKeyType, OaepHash};
use crate::ctx::Random;

/// A key management algorithm (RFC 7518 §4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyAlg {
    /// RSAES-OAEP with SHA-1 (§4.3).
    RsaOaep,
    /// RSAES-OAEP with SHA-256 (§4.3).
    RsaOaep256,
    /// ECDH-ES direct key agreement (§4.6).
    EcdhEs,
    /// ECDH-ES with the agreed key wrapping a content key with AES-128 (§4.6).
    EcdhEsA128Kw,
    /// ECDH-ES with the agreed key wrapping a content key with AES-256 (§4.6).
    EcdhEsA256Kw,
    /// AES-128 key wrap with a shared key (§4.4).
    A128Kw,
    /// AES-256 key wrap with a shared key (§4.4).
    A256Kw,
    /// The shared key is the content key (§4.5).
    Dir,
}

/// Every key management algorithm, in discovery order.
pub const KEY_ALGS: [KeyAlg; 8] = [
    KeyAlg::RsaOaep,
    KeyAlg::RsaOaep256,
    KeyAlg::EcdhEs,
    KeyAlg::EcdhEsA128Kw,
    KeyAlg::EcdhEsA256Kw,
    KeyAlg::A128Kw,
    KeyAlg::A256Kw,
    KeyAlg::Dir,
];

impl KeyAlg {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlg::RsaOaep => "RSA-OAEP",
            KeyAlg::RsaOaep256 => "RSA-OAEP-256",
            KeyAlg::EcdhEs => "ECDH-ES",
            KeyAlg::EcdhEsA128Kw => "ECDH-ES+A128KW",
            KeyAlg::EcdhEsA256Kw => "ECDH-ES+A256KW",
            KeyAlg::A128Kw => "A128KW",
            KeyAlg::A256Kw => "A256KW",
            KeyAlg::Dir => "dir",
        }
    }

    /// The algorithm a name registers, if we implement it.
    pub fn from_name(name: &str) -> Option<KeyAlg> {
        KEY_ALGS.into_iter().find(|a| a.as_str() == name)
    }

    /// Whether the key is a shared secret (`A*KW`, `dir`), not a public key.
    pub fn is_symmetric(self) -> bool {
        matches!(self, KeyAlg::A128Kw | KeyAlg::A256Kw | KeyAlg::Dir)
    }

    /// The `kty` of the recipient's key.
    pub fn kty(self) -> &'static str {
        match self {
            KeyAlg::RsaOaep | KeyAlg::RsaOaep256 => "RSA",
            KeyAlg::EcdhEs | KeyAlg::EcdhEsA128Kw | KeyAlg::EcdhEsA256Kw => "EC",
            KeyAlg::A128Kw | KeyAlg::A256Kw | KeyAlg::Dir => "oct",
        }
    }

    /// The AES key wrap key length, for the `*KW` algorithms.
    fn wrap_len(self) -> Option<usize> {
        match self {
            KeyAlg::EcdhEsA128Kw | KeyAlg::A128Kw => Some(16),
            KeyAlg::EcdhEsA256Kw | KeyAlg::A256Kw => Some(32),
            _ => None,
        }
    }
}

impl std::fmt::Display for KeyAlg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A content encryption algorithm (RFC 7518 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Enc {
    /// AES-128 GCM (§5.3).
    A128Gcm,
    /// AES-256 GCM (§5.3).
    A256Gcm,
    /// AES-128 CBC with HMAC-SHA-256 (§5.2.3).
    A128CbcHs256,
    /// AES-256 CBC with HMAC-SHA-512 (§5.2.5).
    A256CbcHs512,
}

/// Every content encryption algorithm, in discovery order.
pub const ENCS: [Enc; 4] = [
    Enc::A128CbcHs256,
    Enc::A256CbcHs512,
    Enc::A128Gcm,
    Enc::A256Gcm,
];

impl Enc {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            Enc::A128Gcm => "A128GCM",
            Enc::A256Gcm => "A256GCM",
            Enc::A128CbcHs256 => "A128CBC-HS256",
            Enc::A256CbcHs512 => "A256CBC-HS512",
        }
    }

    /// The algorithm a name registers, if we implement it.
    pub fn from_name(name: &str) -> Option<Enc> {
        ENCS.into_iter().find(|e| e.as_str() == name)
    }

    /// The content key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Enc::A128Gcm => 16,
            Enc::A256Gcm | Enc::A128CbcHs256 => 32,
            Enc::A256CbcHs512 => 64,
        }
    }

    /// The IV length in bytes (96 bits for GCM, one AES block for CBC).
    pub fn iv_len(self) -> usize {
        match self {
            Enc::A128Gcm | Enc::A256Gcm => 12,
            Enc::A128CbcHs256 | Enc::A256CbcHs512 => 16,
        }
    }
}

/// Both are written and read as their registered names.
macro_rules! named_serde {
    ($t:ty, $what:literal) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let name = String::deserialize(d)?;
                <$t>::from_name(&name).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        concat!("unsupported JWE ", $what, " {:?}"),
                        name
                    ))
                })
            }
        }

        impl std::str::FromStr for $t {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                <$t>::from_name(s)
                    .ok_or_else(|| format!(concat!("unsupported JWE ", $what, " {:?}"), s))
            }
        }
    };
}

named_serde!(KeyAlg, "alg");
named_serde!(Enc, "enc");

impl std::fmt::Display for Enc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A JWE protected header (RFC 7516 §4.1, RFC 7518 §4.6.1).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// `alg`
    pub alg: String,
    /// `enc`
    pub enc: String,
    /// `kid`: the recipient key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `typ`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// `cty`: `JWT` for a nested JWT (RFC 7519 §5.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
    /// `epk`: the sender's ephemeral public key (ECDH-ES).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epk: Option<Jwk>,
    /// `apu` (base64url)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apu: Option<String>,
    /// `apv` (base64url)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apv: Option<String>,
    /// `zip`: never accepted (compression of secrets leaks them, and inflates unbounded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// `crit`: never accepted, as we understand no extension.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crit: Option<Vec<String>>,
    /// Other members, kept as they came (`iss`, `aud`, ... of RFC 7519 §5.3).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Header {
    /// The header's key management algorithm, when it is one we implement.
    pub fn key_alg(&self) -> Option<KeyAlg> {
        KeyAlg::from_name(&self.alg)
    }

    /// The header's content encryption algorithm, when it is one we implement.
    pub fn content_enc(&self) -> Option<Enc> {
        Enc::from_name(&self.enc)
    }
}

/// Who a JWE is encrypted to.
#[derive(Clone, Copy, Debug)]
pub enum Recipient<'a> {
    /// An RSA or EC public key (the `RSA-OAEP*` and `ECDH-ES*` algorithms).
    Public(&'a Jwk),
    /// A shared key (`A*KW`, `dir`), e.g. [`secret_key`] of a client secret.
    Secret(&'a [u8]),
}

/// The key a JWE is decrypted with.
#[derive(Clone, Copy, Debug)]
pub enum Decrypter<'a> {
    /// Our private RSA or EC key.
    Private(&'a dyn DecryptionKey),
    /// A shared key.
    Secret(&'a [u8]),
}

/// The optional header members a sender sets.
#[derive(Clone, Debug, Default)]
pub struct Options<'a> {
    /// `kid` of the recipient key.
    pub kid: Option<&'a str>,
    /// `typ`
    pub typ: Option<&'a str>,
    /// `cty`
    pub cty: Option<&'a str>,
}

/// What a receiver accepts: the header picks among these, never beyond them.
#[derive(Clone, Copy, Debug)]
pub struct Policy<'a> {
    /// Accepted key management algorithms.
    pub algs: &'a [KeyAlg],
    /// Accepted content encryption algorithms.
    pub encs: &'a [Enc],
}

/// OIDC Core §10.2: a symmetric key for `alg`/`enc` from a client secret, the left-most bytes
/// of SHA-256 (keys up to 256 bits), SHA-384 (up to 384) or SHA-512 of its UTF-8 octets.
pub fn secret_key(client_secret: &str, alg: KeyAlg, enc: Enc) -> Vec<u8> {
    let len = alg.wrap_len().unwrap_or(enc.key_len());
    let s = client_secret.as_bytes();
    let mut digest = match len {
        0..=32 => Sha256::digest(s).to_vec(),
        33..=48 => Sha384::digest(s).to_vec(),
        _ => Sha512::digest(s).to_vec(),
    };
    digest.truncate(len);
    digest
}

/// The recipient key of `jwks` for `alg`: of its `kty` (and on a curve we support), meant
/// for encryption (`use` absent or `enc`) and declaring `alg` only if it is this one.
pub fn recipient_key(jwks: &Jwks, alg: KeyAlg) -> Option<&Jwk> {
    jwks.keys.iter().find(|k| {
        k.kty == alg.kty()
            && k.use_.as_deref().is_none_or(|u| u == "enc")
            && k.alg.as_deref().is_none_or(|a| a == alg.as_str())
            && (k.kty != "EC"
                || k.crv
                    .as_deref()
                    .and_then(crate::crypto::Curve::from_name)
                    .is_some())
    })
}

fn random(len: usize, rng: &dyn Random) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill(&mut v);
    v
}

/// Encrypt `plaintext` to `recipient` as a compact JWE (RFC 7516 §5.1, §7.1).
pub fn encrypt(
    plaintext: &[u8],
    alg: KeyAlg,
    enc: Enc,
    recipient: Recipient<'_>,
    options: &Options<'_>,
    provider: &dyn CryptoProvider,
    rng: &dyn Random,
) -> Result<String, JoseError> {
    let mut header = Header {
        alg: alg.as_str().to_owned(),
        enc: enc.as_str().to_owned(),
        kid: options.kid.map(str::to_owned),
        typ: options.typ.map(str::to_owned),
        cty: options.cty.map(str::to_owned),
        ..Header::default()
    };
    let (cek, encrypted_key) = match (alg, recipient) {
        (KeyAlg::RsaOaep | KeyAlg::RsaOaep256, Recipient::Public(jwk)) => {
            check_declared(jwk, alg)?;
            let hash = if alg == KeyAlg::RsaOaep {
                OaepHash::Sha1
            } else {
                OaepHash::Sha256
            };
            let cek = random(enc.key_len(), rng);
            let wrapped = provider.rsa_oaep_encrypt(jwk, hash, &cek, rng)?;
            (cek, wrapped)
        }
        (KeyAlg::EcdhEs | KeyAlg::EcdhEsA128Kw | KeyAlg::EcdhEsA256Kw, Recipient::Public(jwk)) => {
            check_declared(jwk, alg)?;
            let (epk, z) = provider.ecdh_ephemeral(jwk, rng)?;
            header.epk = Some(epk);
            match alg.wrap_len() {
                None => (
                    content::concat_kdf(&z, enc.as_str(), b"", b"", enc.key_len()),
                    Vec::new(),
                ),
                Some(len) => {
                    let kek = content::concat_kdf(&z, alg.as_str(), b"", b"", len);
                    let cek = random(enc.key_len(), rng);
                    let wrapped = content::wrap(&kek, &cek)?;
                    (cek, wrapped)
                }
            }
        }
        (KeyAlg::A128Kw | KeyAlg::A256Kw, Recipient::Secret(kek)) => {
            if Some(kek.len()) != alg.wrap_len() {
                return Err(JoseError::KeyMismatch);
            }
            let cek = random(enc.key_len(), rng);
            let wrapped = content::wrap(kek, &cek)?;
            (cek, wrapped)
        }
        (KeyAlg::Dir, Recipient::Secret(key)) => {
            if key.len() != enc.key_len() {
                return Err(JoseError::KeyMismatch);
            }
            (key.to_vec(), Vec::new())
        }
        _ => return Err(JoseError::KeyMismatch),
    };
    let iv = random(enc.iv_len(), rng);
    seal(&header, enc, &cek, &encrypted_key, &iv, plaintext)
}

/// The last step of [`encrypt`], with the content key and IV given (also what the RFC
/// vectors reproduce byte for byte).
fn seal(
    header: &Header,
    enc: Enc,
    cek: &[u8],
    encrypted_key: &[u8],
    iv: &[u8],
    plaintext: &[u8],
) -> Result<String, JoseError> {
    let json = serde_json::to_vec(header).map_err(|_| JoseError::Malformed("jwe header"))?;
    let protected = b64::encode(&json);
    // RFC 7516 §5.1 step 14: the AAD is the ASCII of the encoded protected header.
    let (ct, tag) = content::seal(enc, cek, iv, protected.as_bytes(), plaintext)?;
    Ok(format!(
        "{protected}.{}.{}.{}.{}",
        b64::encode(encrypted_key),
        b64::encode(iv),
        b64::encode(&ct),
        b64::encode(&tag)
    ))
}

/// RFC 7517 §4.4: a key that declares an `alg` is used with that one only.
fn check_declared(jwk: &Jwk, alg: KeyAlg) -> Result<(), JoseError> {
    match jwk.alg.as_deref() {
        Some(a) if a != alg.as_str() => Err(JoseError::KeyMismatch),
        _ => Ok(()),
    }
}

/// A compact JWE split into its five parts (RFC 7516 §7.1), the header parsed.
#[derive(Debug)]
pub struct Parsed<'a> {
    /// The protected header.
    pub header: Header,
    protected: &'a str,
    encrypted_key: Vec<u8>,
    iv: Vec<u8>,
    ciphertext: Vec<u8>,
    tag: Vec<u8>,
}

/// Whether `token` looks like a compact JWE (five parts) rather than a JWS (three).
pub fn is_jwe(token: &str) -> bool {
    token.split('.').count() == 5
}

/// Split and decode a compact JWE; the header is checked for `zip` and `crit` only.
pub fn parse(token: &str) -> Result<Parsed<'_>, JoseError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JoseError::TooLarge);
    }
    let mut parts = token.split('.');
    let mut next = |what| parts.next().ok_or(JoseError::Malformed(what));
    let protected = next("jwe header")?;
    let encrypted_key = next("jwe encrypted key")?;
    let iv = next("jwe iv")?;
    let ciphertext = next("jwe ciphertext")?;
    let tag = next("jwe tag")?;
    if parts.next().is_some() {
        return Err(JoseError::Malformed("jwe: more than five parts"));
    }
    let decode = |s: &str, what| b64::decode(s).map_err(|_| JoseError::Malformed(what));
    let header: Header = serde_json::from_slice(&decode(protected, "jwe header")?)
        .map_err(|_| JoseError::Malformed("jwe header"))?;
    if let Some(z) = &header.zip {
        return Err(JoseError::AlgorithmNotAllowed(format!("zip {z}")));
    }
    if let Some(c) = header.crit.as_ref().and_then(|c| c.first()) {
        return Err(JoseError::UnknownCrit(c.clone()));
    }
    Ok(Parsed {
        header,
        protected,
        encrypted_key: decode(encrypted_key, "jwe encrypted key")?,
        iv: decode(iv, "jwe iv")?,
        ciphertext: decode(ciphertext, "jwe ciphertext")?,
        tag: decode(tag, "jwe tag")?,
    })
}

impl Parsed<'_> {
    /// Decrypt with `key`, when the header's `alg` and `enc` are in `policy` and fit the key.
    ///
    /// A wrong key, a tampered part or a failed unwrap are all [`JoseError::Decryption`];
    /// a failed RSA or AES unwrap goes on with a random content key so that it fails only
    /// at the tag, as late and as long as any other failure (RFC 7516 §11.5).
    pub fn decrypt(
        &self,
        key: Decrypter<'_>,
        policy: Policy<'_>,
        rng: &dyn Random,
    ) -> Result<Vec<u8>, JoseError> {
        let alg = self
            .header
            .key_alg()
            .filter(|a| policy.algs.contains(a))
            .ok_or_else(|| JoseError::AlgorithmNotAllowed(self.header.alg.clone()))?;
        let enc = self
            .header
            .content_enc()
            .filter(|e| policy.encs.contains(e))
            .ok_or_else(|| JoseError::AlgorithmNotAllowed(self.header.enc.clone()))?;
        let direct = matches!(alg, KeyAlg::EcdhEs | KeyAlg::Dir);
        if direct != self.encrypted_key.is_empty() {
            // RFC 7516 §5.2 step 10: direct modes have an empty encrypted key, others not.
            return Err(JoseError::Malformed("jwe encrypted key"));
        }
        let or_random = |r: Option<Vec<u8>>| match r {
            Some(cek) if cek.len() == enc.key_len() => cek,
            _ => random(enc.key_len(), rng),
        };
        let cek = match (alg, key) {
            (KeyAlg::RsaOaep | KeyAlg::RsaOaep256, Decrypter::Private(k))
                if k.key_type() == DecryptionKeyType::Rsa =>
            {
                let hash = if alg == KeyAlg::RsaOaep {
                    OaepHash::Sha1
                } else {
                    OaepHash::Sha256
                };
                or_random(k.rsa_oaep_decrypt(hash, &self.encrypted_key, rng).ok())
            }
            (
                KeyAlg::EcdhEs | KeyAlg::EcdhEsA128Kw | KeyAlg::EcdhEsA256Kw,
                Decrypter::Private(k),
            ) if matches!(k.key_type(), DecryptionKeyType::Ec(_)) => {
                let epk = self
                    .header
                    .epk
                    .as_ref()
                    .ok_or(JoseError::Malformed("jwe epk"))?;
                let z = k.ecdh(epk).map_err(|_| JoseError::Decryption)?;
                let apu = self.party("apu", self.header.apu.as_deref())?;
                let apv = self.party("apv", self.header.apv.as_deref())?;
                match alg.wrap_len() {
                    None => content::concat_kdf(&z, enc.as_str(), &apu, &apv, enc.key_len()),
                    Some(len) => {
                        let kek = content::concat_kdf(&z, alg.as_str(), &apu, &apv, len);
                        or_random(content::unwrap(&kek, &self.encrypted_key).ok())
                    }
                }
            }
            (KeyAlg::A128Kw | KeyAlg::A256Kw, Decrypter::Secret(kek))
                if Some(kek.len()) == alg.wrap_len() =>
            {
                or_random(content::unwrap(kek, &self.encrypted_key).ok())
            }
            (KeyAlg::Dir, Decrypter::Secret(k)) if k.len() == enc.key_len() => k.to_vec(),
            _ => return Err(JoseError::KeyMismatch),
        };
        content::open(
            enc,
            &cek,
            &self.iv,
            self.protected.as_bytes(),
            &self.ciphertext,
            &self.tag,
        )
    }

    fn party(&self, what: &'static str, v: Option<&str>) -> Result<Vec<u8>, JoseError> {
        v.map(|s| b64::decode(s).map_err(|_| JoseError::Malformed(what)))
            .transpose()
            .map(Option::unwrap_or_default)
    }
}

/// Parse and decrypt a compact JWE in one step: the header and the plaintext.
pub fn decrypt(
    token: &str,
    key: Decrypter<'_>,
    policy: Policy<'_>,
    rng: &dyn Random,
) -> Result<(Header, Vec<u8>), JoseError> {
    let parsed = parse(token)?;
    let plaintext = parsed.decrypt(key, policy, rng)?;
    Ok((parsed.header, plaintext))
}
