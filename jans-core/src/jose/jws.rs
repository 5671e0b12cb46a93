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
    /// The base64url encoding of this header's JSON, for [`sign_encoded`].
    pub fn encode(&self) -> Result<String, JoseError> {
        let json = serde_json::to_vec(self).map_err(|_| JoseError::Malformed("header"))?;
        Ok(URL_SAFE_NO_PAD.encode(&json))
    }

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
    if Algorithm::from_name(&header.alg) != Some(alg) {
        return Err(JoseError::KeyMismatch);
    }
    let input = signing_input(header, payload, sig_len_hint(alg))?;
    let sig = key.sign(input.as_bytes(), rng)?;
    Ok(finish(input, &sig))
}

/// Sign `payload` under a header that is already base64url-encoded (RFC 7515 §5.1 step 2),
/// for signers that reuse one header for every token. The caller guarantees the encoded
/// header names `key.algorithm()` (see [`Header::encode`]).
pub fn sign_encoded(
    header_b64: &str,
    payload: &[u8],
    key: &dyn SigningKey,
    rng: &dyn Random,
) -> Result<String, JoseError> {
    let cap =
        header_b64.len() + b64_len(payload.len()) + b64_len(sig_len_hint(key.algorithm())) + 2;
    let mut input = String::with_capacity(cap);
    input.push_str(header_b64);
    input.push('.');
    URL_SAFE_NO_PAD.encode_string(payload, &mut input);
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
    let StrictObject(raw) =
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

/// A JSON object whose member names are unique. RFC 7515 §5.2 lets a recipient either reject
/// duplicate header names or take the last one; we reject, so no two parsers can disagree
/// on which `alg` a token carries (RFC 8725 §3.1).
struct StrictObject(serde_json::Map<String, serde_json::Value>);

impl<'de> Deserialize<'de> for StrictObject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = StrictObject;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<StrictObject, A::Error> {
                let mut out = serde_json::Map::new();
                while let Some((k, v)) = map.next_entry::<String, serde_json::Value>()? {
                    if out.contains_key(&k) {
                        return Err(serde::de::Error::custom("duplicate header parameter"));
                    }
                    out.insert(k, v);
                }
                Ok(StrictObject(out))
            }
        }
        d.deserialize_map(Visitor)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64;
    use crate::crypto::default_provider;
    use crate::crypto::tests::{
        RFC7515_A1, RFC7515_A2, RFC7515_A3, RFC7520_4_1, TestRng, providers, vector,
    };
    use serde_json::json;

    fn token(header: serde_json::Value, payload: &[u8], sig: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            b64::encode(header.to_string().as_bytes()),
            b64::encode(payload),
            b64::encode(sig)
        )
    }

    fn jwks(keys: Vec<Jwk>) -> Jwks {
        Jwks { keys }
    }

    #[test]
    fn rfc7515_a1_hs256_verifies() {
        let v = vector(RFC7515_A1);
        let secret = b64::decode(v.jwk["k"].as_str().unwrap()).unwrap();
        let u = decode(&v.token).unwrap();
        assert_eq!(u.algorithm(), Algorithm::HS256);
        assert_eq!(u.header().typ.as_deref(), Some("JWT"));
        let payload = u.verify_hmac(&[Algorithm::HS256], &secret).unwrap();
        assert_eq!(payload, v.payload());
        // Wrong secret, or HS256 not allowed.
        assert_eq!(
            decode(&v.token)
                .unwrap()
                .verify_hmac(&[Algorithm::HS256], b"other"),
            Err(JoseError::BadSignature)
        );
        assert!(matches!(
            decode(&v.token)
                .unwrap()
                .verify_hmac(&[Algorithm::HS512], &secret),
            Err(JoseError::AlgorithmNotAllowed(_))
        ));
    }

    #[test]
    fn hmac_round_trip_and_tamper() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let mut h = Header::new(alg);
            h.typ = Some("JWT".into());
            h.extra.insert("x-private".into(), json!([1, 2]));
            let t = sign_hmac(&h, b"{\"sub\":\"a\"}", alg, b"secret").unwrap();
            let u = decode(&t).unwrap();
            assert_eq!(u.header(), &h);
            assert_eq!(
                u.verify_hmac(&[alg], b"secret").unwrap(),
                b"{\"sub\":\"a\"}"
            );
            let (head, sig) = t.rsplit_once('.').unwrap();
            let (h64, _) = head.split_once('.').unwrap();
            let forged = format!("{h64}.{}.{sig}", b64::encode(b"{\"sub\":\"b\"}"));
            assert_eq!(
                decode(&forged).unwrap().verify_hmac(&[alg], b"secret"),
                Err(JoseError::BadSignature)
            );
        }
        assert_eq!(
            sign_hmac(&Header::new(Algorithm::HS256), b"", Algorithm::HS384, b"k"),
            Err(JoseError::KeyMismatch)
        );
        assert_eq!(
            sign_hmac(&Header::new(Algorithm::RS256), b"", Algorithm::RS256, b"k"),
            Err(JoseError::KeyMismatch)
        );
        assert!(sign_hmac(&Header::new(Algorithm::HS256), b"", Algorithm::HS256, b"").is_err());
    }

    #[test]
    fn alg_none_is_rejected() {
        for alg in ["none", "None", "NONE"] {
            let unsigned = token(json!({ "alg": alg }), b"{}", b"");
            assert_eq!(decode(&unsigned).unwrap_err(), JoseError::AlgNone);
            let signed = token(json!({ "alg": alg }), b"{}", b"sig");
            assert_eq!(decode(&signed).unwrap_err(), JoseError::AlgNone);
        }
        // RFC 7515 A.5, verbatim.
        let a5 = "eyJhbGciOiJub25lIn0.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.";
        assert_eq!(decode(a5).unwrap_err(), JoseError::AlgNone);
    }

    #[test]
    fn unknown_and_invalid_alg() {
        for alg in [json!("HS999"), json!("RS1"), json!("ES256K"), json!("")] {
            assert!(matches!(
                decode(&token(json!({ "alg": alg }), b"", b"s")),
                Err(JoseError::AlgorithmNotAllowed(_))
            ));
        }
        for header in [
            json!({}),
            json!({"alg": 1}),
            json!({"alg": null}),
            json!([1]),
            json!("HS256"),
        ] {
            assert!(matches!(
                decode(&token(header, b"", b"s")),
                Err(JoseError::Malformed(_))
            ));
        }
    }

    #[test]
    fn crit_rules() {
        let t = |h| token(h, b"{}", b"s");
        assert_eq!(
            decode(&t(json!({"alg": "HS256", "crit": ["exp"], "exp": 1}))).unwrap_err(),
            JoseError::UnknownCrit("exp".into())
        );
        assert!(
            decode_with_crit(
                &t(json!({"alg": "HS256", "crit": ["exp"], "exp": 1})),
                &["exp"]
            )
            .is_ok()
        );
        for bad in [
            json!({"alg": "HS256", "crit": []}),
            json!({"alg": "HS256", "crit": ["alg"]}),
            json!({"alg": "HS256", "crit": ["kid"], "kid": "a"}),
            json!({"alg": "HS256", "crit": "exp", "exp": 1}),
            json!({"alg": "HS256", "crit": [1]}),
        ] {
            assert!(matches!(
                decode_with_crit(&t(bad), &["exp"]),
                Err(JoseError::Malformed(_))
            ));
        }
        // Understood but absent from the header.
        assert!(matches!(
            decode_with_crit(&t(json!({"alg": "HS256", "crit": ["exp"]})), &["exp"]),
            Err(JoseError::Malformed(_))
        ));
    }

    /// The classic confusion attack: an HS256 token whose "secret" is the server's RSA public
    /// key. It must never verify against that key or a JWKS holding it.
    #[test]
    fn hs_rs_confusion_is_rejected() {
        let v = vector(RFC7515_A2);
        let public = v.public();
        let provider = default_provider();
        let rsa = provider.verifying_key(Algorithm::RS256, &public).unwrap();
        let n = b64::decode(public.n.as_deref().unwrap()).unwrap();
        let secrets = [n, serde_json::to_vec(&public).unwrap()];
        for secret in &secrets {
            let t = sign_hmac(
                &Header::new(Algorithm::HS256),
                b"{\"sub\":\"admin\"}",
                Algorithm::HS256,
                secret,
            )
            .unwrap();
            assert_eq!(
                decode(&t).unwrap().verify(&*rsa),
                Err(JoseError::KeyMismatch)
            );
            let set = jwks(vec![public.clone()]);
            for allowed in [
                &[Algorithm::RS256][..],
                &[Algorithm::RS256, Algorithm::HS256],
            ] {
                assert!(matches!(
                    decode(&t)
                        .unwrap()
                        .verify_with_jwks(&set, allowed, &*provider),
                    Err(JoseError::AlgorithmNotAllowed(_))
                ));
            }
        }
        // And the RSA token the other way round: not an HMAC token.
        assert!(matches!(
            decode(&v.token)
                .unwrap()
                .verify_hmac(&[Algorithm::HS256, Algorithm::RS256], &secrets[0]),
            Err(JoseError::AlgorithmNotAllowed(_))
        ));
    }

    #[test]
    fn jwks_key_selection() {
        let provider = default_provider();
        let rng = TestRng::new(11);
        let es = vector(RFC7515_A3);
        let rs = vector(RFC7520_4_1);
        let es_key = provider
            .signing_key_from_jwk(Algorithm::ES256, &es.jwk)
            .unwrap();
        let other = provider.generate(Algorithm::ES256, &rng).unwrap();
        let mut es_pub = es_key.public_jwk();
        es_pub.kid = Some("es".into());
        let mut other_pub = other.public_jwk();
        other_pub.kid = Some("other".into());
        let mut rs_pub = rs.public();
        rs_pub.kid = Some("rs".into());
        let allowed = [Algorithm::ES256, Algorithm::RS256];

        let with_kid = |kid: Option<&str>| {
            let h = Header {
                kid: kid.map(str::to_owned),
                ..Header::new(Algorithm::ES256)
            };
            sign(&h, b"hello", &*es_key, &rng).unwrap()
        };
        let set = jwks(vec![rs_pub.clone(), other_pub.clone(), es_pub.clone()]);
        let ok = decode(&with_kid(Some("es")))
            .unwrap()
            .verify_with_jwks(&set, &allowed, &*provider);
        assert_eq!(ok.unwrap(), b"hello");
        // Wrong kid.
        assert_eq!(
            decode(&with_kid(Some("nope")))
                .unwrap()
                .verify_with_jwks(&set, &allowed, &*provider),
            Err(JoseError::KeyNotFound)
        );
        // kid of a key of another type.
        assert_eq!(
            decode(&with_kid(Some("rs")))
                .unwrap()
                .verify_with_jwks(&set, &allowed, &*provider),
            Err(JoseError::KeyMismatch)
        );
        // kid of another ES256 key: the signature does not verify.
        assert_eq!(
            decode(&with_kid(Some("other")))
                .unwrap()
                .verify_with_jwks(&set, &allowed, &*provider),
            Err(JoseError::BadSignature)
        );
        // No kid: two ES256 candidates is ambiguous, one is fine, none is not found.
        assert_eq!(
            decode(&with_kid(None))
                .unwrap()
                .verify_with_jwks(&set, &allowed, &*provider),
            Err(JoseError::KeyNotFound)
        );
        let single = jwks(vec![rs_pub.clone(), es_pub.clone()]);
        assert_eq!(
            decode(&with_kid(None))
                .unwrap()
                .verify_with_jwks(&single, &allowed, &*provider)
                .unwrap(),
            b"hello"
        );
        assert_eq!(
            decode(&with_kid(None)).unwrap().verify_with_jwks(
                &jwks(vec![rs_pub]),
                &allowed,
                &*provider
            ),
            Err(JoseError::KeyNotFound)
        );
        // Algorithm outside the caller's policy.
        assert!(matches!(
            decode(&with_kid(Some("es"))).unwrap().verify_with_jwks(
                &set,
                &[Algorithm::RS256],
                &*provider
            ),
            Err(JoseError::AlgorithmNotAllowed(_))
        ));
    }

    #[test]
    fn tampering_is_detected_on_every_provider() {
        let rng = TestRng::new(12);
        for p in providers() {
            for (alg, text) in [
                (Algorithm::RS256, RFC7515_A2),
                (Algorithm::ES256, RFC7515_A3),
            ] {
                let v = vector(text);
                let key = p.signing_key_from_jwk(alg, &v.jwk).unwrap();
                let vk = p.verifying_key(alg, &v.public()).unwrap();
                let t = sign(&Header::new(alg), b"{\"sub\":\"a\"}", &*key, &rng).unwrap();
                let (h64, rest) = t.split_once('.').unwrap();
                let (_, s64) = rest.split_once('.').unwrap();
                let forged = format!("{h64}.{}.{s64}", b64::encode(b"{\"sub\":\"b\"}"));
                assert_eq!(
                    decode(&forged).unwrap().verify(&*vk),
                    Err(JoseError::BadSignature)
                );
                let mut sig = b64::decode(s64).unwrap();
                sig[3] ^= 0x40;
                let forged = format!(
                    "{h64}.{}.{}",
                    b64::encode(b"{\"sub\":\"a\"}"),
                    b64::encode(&sig)
                );
                assert_eq!(
                    decode(&forged).unwrap().verify(&*vk),
                    Err(JoseError::BadSignature)
                );
                // A header changed after signing.
                let h2 = b64::encode(
                    json!({"alg": alg.as_str(), "kid": "x"})
                        .to_string()
                        .as_bytes(),
                );
                let forged = format!("{h2}.{rest}");
                assert_eq!(
                    decode(&forged).unwrap().verify(&*vk),
                    Err(JoseError::BadSignature)
                );
            }
        }
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let good = vector(RFC7515_A1).token;
        let (h, rest) = good.split_once('.').unwrap();
        let (p, s) = rest.split_once('.').unwrap();
        let cases = [
            String::new(),
            ".".into(),
            "..".into(),
            "...".into(),
            "a.b".into(),
            format!("{h}.{p}"),
            format!("{h}.{p}.{s}.{s}"),
            format!("{h}.{p}.{s}."),
            format!(".{p}.{s}"),
            format!("{h}.{p}."),
            format!("{h}=.{p}.{s}"),
            format!("{h}.{p}.{s}="),
            format!("{h}.{p}!.{s}"),
            format!("{h}.{p}.{}", s.replace('-', "+")),
            "!!!.a.b".into(),
            "eyJ.e30.c2ln".into(),
            format!("{}.e30.c2ln", b64::encode(b"\xff\xfe")),
            format!(
                "{}.e30.c2ln",
                b64::encode(b"{\"alg\":\"HS256\",\"alg\":\"RS256\"}")
            ),
            "\u{0}.\u{0}.\u{0}".into(),
            "é.é.é".into(),
        ];
        for c in &cases {
            assert!(decode(c).is_err(), "{c:?}");
        }
        let huge = format!("{h}.{}.{s}", "A".repeat(MAX_TOKEN_LEN));
        assert_eq!(decode(&huge).unwrap_err(), JoseError::TooLarge);
        // Non-canonical base64url: trailing bits set in the last character.
        let last = s.chars().last().unwrap();
        let mut noncanonical = good.clone();
        noncanonical.pop();
        noncanonical.push(if last == 'k' { 'l' } else { 'k' });
        assert_eq!(last, 'k');
        assert!(matches!(
            decode(&noncanonical),
            Err(JoseError::Malformed(_))
        ));
    }

    /// Cheap fuzzing: random bytes and random mutations of a valid token never panic, and
    /// no token other than the original verifies (a mutation that parses must still fail the
    /// signature, or the algorithm check).
    #[test]
    fn random_inputs_never_panic_and_never_verify() {
        let rng = TestRng::new(13);
        let provider = default_provider();
        let v = vector(RFC7515_A3);
        let set = jwks(vec![v.public()]);
        let original = v.token.clone();
        assert!(
            decode(&original)
                .unwrap()
                .verify_with_jwks(&set, &Algorithm::ASYMMETRIC, &*provider)
                .is_ok(),
            "the unmutated token verifies"
        );
        let base = v.token.into_bytes();
        let mut buf = [0u8; 8];
        let mut parsed = 0;
        for i in 0..3000 {
            rng.fill(&mut buf);
            let mut t = base.clone();
            let n = 1 + usize::from(buf[0] % 4);
            for k in 0..n {
                let pos = usize::from(u16::from_le_bytes([buf[1 + k], buf[2 + k]])) % t.len();
                match buf[5] % 3 {
                    0 => t[pos] = b"A.-_=+/\x00{"[usize::from(buf[6]) % 9],
                    1 => {
                        t.remove(pos);
                    }
                    _ => t.insert(pos, buf[7]),
                }
            }
            if i % 10 == 0 {
                t = vec![0; usize::from(buf[0])];
                rng.fill(&mut t);
            }
            let s = String::from_utf8_lossy(&t);
            if s == original {
                continue;
            }
            if let Ok(u) = decode(&s) {
                parsed += 1;
                assert!(
                    u.clone().verify_hmac(&Algorithm::ALL, b"k").is_err(),
                    "a mutated token verified with HMAC: {s}"
                );
                assert!(
                    u.verify_with_jwks(&set, &Algorithm::ASYMMETRIC, &*provider)
                        .is_err(),
                    "a mutated token verified: {s}"
                );
            }
        }
        assert!(
            parsed > 100,
            "only {parsed} mutations parsed: the test checks too little"
        );
    }

    #[test]
    fn header_serializes_alg_first_and_round_trips() {
        let h = Header {
            kid: Some("k1".into()),
            typ: Some("JWT".into()),
            x5t_s256: Some("abc".into()),
            ..Header::new(Algorithm::ES256)
        };
        let text = serde_json::to_string(&h).unwrap();
        assert_eq!(
            text,
            r#"{"alg":"ES256","kid":"k1","typ":"JWT","x5t#S256":"abc"}"#
        );
        assert_eq!(serde_json::from_str::<Header>(&text).unwrap(), h);
    }

    #[test]
    fn payload_is_reachable_unverified_but_marked() {
        let v = vector(RFC7515_A1);
        let u = decode(&v.token).unwrap();
        assert_eq!(u.payload_unverified(), v.payload().as_slice());
    }
}
