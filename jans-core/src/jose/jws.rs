//! JWS Compact Serialization (RFC 7515 §3.1, §7.1): signing and verification.
//!
//! The rules of DESIGN.md §5 are enforced here: `alg: none` never decodes (RFC 7518 §3.6 and
//! RFC 8725 §3.1), unknown `crit` headers are refused (RFC 7515 §4.1.11), and a token only
//! verifies against a key bound to the header's algorithm, so an `HS256` token can never be
//! checked with an RSA public key used as an HMAC secret (RFC 8725 §2.1, §3.1).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::{Algorithm, JoseError, Jwk, Jwks, hmac};
use crate::crypto::{CryptoError, CryptoProvider, SigningKey, VerifyingKey};
use crate::ctx::Random;

/// Upper bound on a compact JWS we accept, in bytes.
pub const MAX_TOKEN_LEN: usize = 64 * 1024;

/// Header parameter names registered by RFC 7515 §4.1 and RFC 7518 §4.1 / §4.6–§4.8; they
/// may never appear in `crit` (RFC 7515 §4.1.11).
const REGISTERED: [&str; 20] = [
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc",
    "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c",
];

/// A JOSE Header (RFC 7515 §4). Members we do not model are kept in `extra`.
///
/// Field order is the serialization order: `alg` first, then `kid`, `typ`, ... (RFC 7520 §4
/// example headers serialize exactly like this).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// §4.1.1: the algorithm name as it appears in the token.
    pub alg: String,
    /// §4.1.4
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// §4.1.9
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
    /// §4.1.10
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cty: Option<String>,
    /// §4.1.11
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crit: Option<Vec<String>>,
    /// §4.1.2 (never fetched by us; informational only)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jku: Option<String>,
    /// §4.1.3 (never trusted as a verification key by us)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<Jwk>,
    /// §4.1.5
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5u: Option<String>,
    /// §4.1.6
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5c: Option<Vec<String>>,
    /// §4.1.7
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x5t: Option<String>,
    /// §4.1.8
    #[serde(rename = "x5t#S256", default, skip_serializing_if = "Option::is_none")]
    pub x5t_s256: Option<String>,
    /// Other (public or private, §4.2, §4.3) header parameters.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Header {
    /// A header with only `alg`.
    pub fn new(alg: Algorithm) -> Self {
        Header {
            alg: alg.as_str().to_owned(),
            ..Header::default()
        }
    }
}

/// Serialize `header` and `payload` into the JWS Signing Input, `b64(header) '.' b64(payload)`
/// (RFC 7515 §5.1 steps 1–6), in a buffer with room for `sig_len` more signature bytes.
fn signing_input(header: &Header, payload: &[u8], sig_len: usize) -> Result<String, JoseError> {
    let header_json = serde_json::to_vec(header).map_err(|_| JoseError::Malformed("header"))?;
    let cap = b64_len(header_json.len()) + b64_len(payload.len()) + b64_len(sig_len) + 2;
    let mut out = String::with_capacity(cap);
    URL_SAFE_NO_PAD.encode_string(&header_json, &mut out);
    out.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut out);
    Ok(out)
}

/// Length of the unpadded base64 encoding of `n` bytes.
fn b64_len(n: usize) -> usize {
    n.div_ceil(3).saturating_mul(4)
}

/// Expected signature length in bytes, to size the output once.
fn sig_len_hint(alg: Algorithm) -> usize {
    match alg {
        Algorithm::HS256 => 32,
        Algorithm::HS384 => 48,
        Algorithm::HS512 | Algorithm::EdDSA | Algorithm::ES256 => 64,
        Algorithm::ES384 => 96,
        Algorithm::ES512 => 132,
        _ => 256,
    }
}

fn finish(mut input: String, sig: &[u8]) -> String {
    input.push('.');
    URL_SAFE_NO_PAD.encode_string(sig, &mut input);
    input
}

/// Sign `payload` with an asymmetric key into a compact JWS (RFC 7515 §5.1, §7.1).
///
/// `header.alg` must name `key.algorithm()`, else [`JoseError::KeyMismatch`]. One JSON
/// serialization, one base64 pass per part, and one output allocation.
pub fn sign(
    header: &Header,
    payload: &[u8],
    key: &dyn SigningKey,
    rng: &dyn Random,
) -> Result<String, JoseError> {
    let alg = key.algorithm();
    if header.alg != alg.as_str() {
        return Err(JoseError::KeyMismatch);
    }
    let input = signing_input(header, payload, sig_len_hint(alg))?;
    let sig = key.sign(input.as_bytes(), rng)?;
    Ok(finish(input, &sig))
}

/// MAC `payload` with a shared secret into a compact JWS (RFC 7515 §5.1, RFC 7518 §3.2).
///
/// `alg` must be `HS256`/`HS384`/`HS512` and equal `header.alg`, else
/// [`JoseError::KeyMismatch`]; empty secrets are refused.
pub fn sign_hmac(
    header: &Header,
    payload: &[u8],
    alg: Algorithm,
    secret: &[u8],
) -> Result<String, JoseError> {
    if !alg.is_symmetric() || header.alg != alg.as_str() {
        return Err(JoseError::KeyMismatch);
    }
    let input = signing_input(header, payload, sig_len_hint(alg))?;
    let sig = hmac::sign(alg, secret, input.as_bytes())?;
    Ok(finish(input, &sig))
}

/// A compact JWS whose structure and header passed [`decode`] but whose signature has not been
/// checked. Only the consuming `verify*` methods hand out a trusted payload.
#[derive(Clone, Debug)]
pub struct Unverified {
    header: Header,
    alg: Algorithm,
    /// `b64(header) '.' b64(payload)`, exactly as received (RFC 7515 §5.2 step 8).
    signing_input: String,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

/// Decode a compact JWS (RFC 7515 §5.2 steps 1–7) without verifying it; only `crit`
/// extensions in no list are understood. See [`decode_with_crit`].
pub fn decode(token: &str) -> Result<Unverified, JoseError> {
    decode_with_crit(token, &[])
}

/// Decode a compact JWS, understanding the `crit` extensions named in `understood`.
///
/// Refuses: more than [`MAX_TOKEN_LEN`] bytes ([`JoseError::TooLarge`]); anything but exactly
/// three parts; non-canonical or padded base64url; a header that is not a JSON object with a
/// string `alg` ([`JoseError::Malformed`]); `alg: none` ([`JoseError::AlgNone`]); an `alg` we do
/// not implement ([`JoseError::AlgorithmNotAllowed`]); a `crit` that is empty, names a
/// registered parameter or one absent from the header ([`JoseError::Malformed`]), or names
/// an extension not in `understood` ([`JoseError::UnknownCrit`]). Never panics.
pub fn decode_with_crit(token: &str, understood: &[&str]) -> Result<Unverified, JoseError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JoseError::TooLarge);
    }
    let mut parts = token.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JoseError::Malformed(
            "compact JWS: need exactly three parts",
        ));
    };
    if h64.is_empty() {
        return Err(JoseError::Malformed("header"));
    }
    let header_json = URL_SAFE_NO_PAD
        .decode(h64)
        .map_err(|_| JoseError::Malformed("header base64url"))?;
    // Look at `alg` first so that `none` is reported as such whatever else the header holds.
    let raw: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&header_json).map_err(|_| JoseError::Malformed("header"))?;
    let alg_name = raw
        .get("alg")
        .and_then(serde_json::Value::as_str)
        .ok_or(JoseError::Malformed("header alg"))?;
    if alg_name.eq_ignore_ascii_case("none") {
        return Err(JoseError::AlgNone);
    }
    let alg = Algorithm::from_name(alg_name)
        .ok_or_else(|| JoseError::AlgorithmNotAllowed(truncate(alg_name)))?;
    check_crit(&raw, understood)?;
    let header: Header = serde_json::from_value(serde_json::Value::Object(raw))
        .map_err(|_| JoseError::Malformed("header"))?;
    let payload = URL_SAFE_NO_PAD
        .decode(p64)
        .map_err(|_| JoseError::Malformed("payload base64url"))?;
    let signature = URL_SAFE_NO_PAD
        .decode(s64)
        .map_err(|_| JoseError::Malformed("signature base64url"))?;
    if signature.is_empty() {
        return Err(JoseError::Malformed("signature"));
    }
    let signing_input = token
        .get(..h64.len() + 1 + p64.len())
        .ok_or(JoseError::Malformed("compact JWS"))?
        .to_owned();
    Ok(Unverified {
        header,
        alg,
        signing_input,
        payload,
        signature,
    })
}

/// Error messages echo at most a short prefix of attacker-chosen `alg` values.
fn truncate(s: &str) -> String {
    s.chars().take(32).collect()
}

/// RFC 7515 §4.1.11.
fn check_crit(
    raw: &serde_json::Map<String, serde_json::Value>,
    understood: &[&str],
) -> Result<(), JoseError> {
    let Some(crit) = raw.get("crit") else {
        return Ok(());
    };
    let names = crit.as_array().ok_or(JoseError::Malformed("crit"))?;
    if names.is_empty() {
        return Err(JoseError::Malformed("crit"));
    }
    for name in names {
        let name = name.as_str().ok_or(JoseError::Malformed("crit"))?;
        if REGISTERED.contains(&name) {
            return Err(JoseError::Malformed("crit names a registered header"));
        }
        if !understood.contains(&name) {
            return Err(JoseError::UnknownCrit(truncate(name)));
        }
        if !raw.contains_key(name) {
            return Err(JoseError::Malformed("crit names an absent header"));
        }
    }
    Ok(())
}

fn crypto_to_jose(e: CryptoError) -> JoseError {
    match e {
        CryptoError::BadSignature => JoseError::BadSignature,
        other => JoseError::Crypto(other),
    }
}

impl Unverified {
    /// The decoded header. Untrusted until a `verify*` method succeeds.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The header's algorithm (already known to be one we implement, never `none`).
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The payload **before** any signature check. Untrusted: use it only to find the key
    /// (e.g. an `iss` to look up a client's JWKS), never to make a decision.
    pub fn payload_unverified(&self) -> &[u8] {
        &self.payload
    }

    /// Verify with `key` and return the payload (RFC 7515 §5.2 step 8).
    ///
    /// The header `alg` must equal `key.algorithm()` ([`JoseError::KeyMismatch`] otherwise):
    /// the key, not the token, decides the algorithm.
    pub fn verify(self, key: &dyn VerifyingKey) -> Result<Vec<u8>, JoseError> {
        if self.alg != key.algorithm() {
            return Err(JoseError::KeyMismatch);
        }
        key.verify(self.signing_input.as_bytes(), &self.signature)
            .map_err(crypto_to_jose)?;
        Ok(self.payload)
    }

    /// Verify an `HS*` token with a shared secret (RFC 7518 §3.2), in constant time.
    ///
    /// The algorithm must be symmetric and in `allowed` ([`JoseError::AlgorithmNotAllowed`]).
    pub fn verify_hmac(self, allowed: &[Algorithm], secret: &[u8]) -> Result<Vec<u8>, JoseError> {
        if !self.alg.is_symmetric() || !allowed.contains(&self.alg) {
            return Err(JoseError::AlgorithmNotAllowed(self.alg.as_str().to_owned()));
        }
        hmac::verify(
            self.alg,
            secret,
            self.signing_input.as_bytes(),
            &self.signature,
        )?;
        Ok(self.payload)
    }

    /// Verify against a JWK Set (RFC 7517 §5) with `provider`.
    ///
    /// The algorithm must be asymmetric and in `allowed` ([`JoseError::AlgorithmNotAllowed`]).
    /// With a `kid` header, exactly one key with that `kid` that fits the algorithm is used
    /// (none with that `kid`: [`JoseError::KeyNotFound`]; only unfitting ones:
    /// [`JoseError::KeyMismatch`]). Without `kid`, the one key that fits the algorithm is used;
    /// zero or several candidates give [`JoseError::KeyNotFound`].
    pub fn verify_with_jwks(
        self,
        jwks: &Jwks,
        allowed: &[Algorithm],
        provider: &dyn CryptoProvider,
    ) -> Result<Vec<u8>, JoseError> {
        let alg = self.alg;
        if alg.is_symmetric() || !allowed.contains(&alg) {
            return Err(JoseError::AlgorithmNotAllowed(alg.as_str().to_owned()));
        }
        let jwk = match self.header.kid.as_deref() {
            Some(kid) => {
                let mut with_kid = jwks
                    .keys
                    .iter()
                    .filter(|k| k.kid.as_deref() == Some(kid))
                    .peekable();
                if with_kid.peek().is_none() {
                    return Err(JoseError::KeyNotFound);
                }
                single(with_kid.filter(|k| k.fits(alg))).map_err(|none| {
                    if none {
                        JoseError::KeyMismatch
                    } else {
                        JoseError::KeyNotFound
                    }
                })?
            }
            None => single(jwks.keys.iter().filter(|k| k.fits(alg)))
                .map_err(|_| JoseError::KeyNotFound)?,
        };
        let key = provider.verifying_key(alg, jwk).map_err(crypto_to_jose)?;
        self.verify(&*key)
    }
}

/// The only item of `it`; `Err(true)` when empty, `Err(false)` when several.
fn single<T>(mut it: impl Iterator<Item = T>) -> Result<T, bool> {
    match (it.next(), it.next()) {
        (Some(one), None) => Ok(one),
        (None, _) => Err(true),
        (Some(_), Some(_)) => Err(false),
    }
}
