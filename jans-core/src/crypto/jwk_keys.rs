//! Keys as JWKs, for every provider: reading JWK members, the checks every provider applies to a
//! key before use, and building the public JWK a signing key publishes.

use crate::b64;
use crate::jose::{Algorithm, Jwk};

use super::CryptoError;

/// RSA moduli under this many bits are refused (RFC 7518 §3.3 requires 2048 or larger).
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// Ed25519 seed and public key length (RFC 8032 §5.1.5).
pub(crate) const ED25519_LEN: usize = 32;

/// Byte length of one EC coordinate / scalar for the curve of `alg` (RFC 7518 §6.2.1.2).
pub(crate) fn ec_field_len(alg: Algorithm) -> Option<usize> {
    match alg {
        Algorithm::ES256 => Some(32),
        Algorithm::ES384 => Some(48),
        Algorithm::ES512 => Some(66),
        _ => None,
    }
}

/// Bit length of a big-endian unsigned integer.
pub(crate) fn bit_len(be: &[u8]) -> usize {
    let trimmed = strip_leading_zeros(be);
    match trimmed.first() {
        None => 0,
        Some(&top) => (trimmed.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
    }
}

/// The integer without leading zero octets (RFC 7518 §6.3.1.1 forbids them, but some
/// producers add one; we accept and normalise).
pub(crate) fn strip_leading_zeros(be: &[u8]) -> &[u8] {
    let start = be.iter().position(|&b| b != 0).unwrap_or(be.len());
    be.get(start..).unwrap_or_default()
}

/// Refuse RSA moduli under [`MIN_RSA_BITS`].
pub(crate) fn check_rsa_modulus(n: &[u8]) -> Result<(), CryptoError> {
    if bit_len(n) < MIN_RSA_BITS {
        return Err(CryptoError::InvalidKey("RSA modulus under 2048 bits"));
    }
    Ok(())
}

/// Refuse symmetric algorithms: providers only do signatures.
pub(crate) fn asymmetric(alg: Algorithm) -> Result<Algorithm, CryptoError> {
    if alg.is_symmetric() {
        Err(CryptoError::Unsupported(alg))
    } else {
        Ok(alg)
    }
}

fn decode(value: &str, what: &'static str) -> Result<Vec<u8>, CryptoError> {
    b64::decode(value).map_err(|_| CryptoError::InvalidKey(what))
}

/// A required base64url member of a public JWK.
pub(crate) fn public_member(
    v: &Option<String>,
    what: &'static str,
) -> Result<Vec<u8>, CryptoError> {
    decode(v.as_deref().ok_or(CryptoError::InvalidKey(what))?, what)
}

/// Check that a public JWK may verify `alg`: `kty`, `crv`, declared `alg` and `use`
/// (RFC 7517 §4.2, §4.4; RFC 7518 §3).
pub(crate) fn check_public_jwk(alg: Algorithm, jwk: &Jwk) -> Result<(), CryptoError> {
    asymmetric(alg)?;
    if !jwk.fits(alg) {
        return Err(CryptoError::InvalidKey("JWK does not fit the algorithm"));
    }
    Ok(())
}

/// A private JWK as a JSON object whose `kty`, `crv`, `alg` and `use` fit `alg`.
pub(crate) struct PrivateJwk<'a>(&'a serde_json::Map<String, serde_json::Value>);

impl<'a> PrivateJwk<'a> {
    /// Check the envelope of a private JWK (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2).
    pub(crate) fn new(alg: Algorithm, jwk: &'a serde_json::Value) -> Result<Self, CryptoError> {
        asymmetric(alg)?;
        let obj = jwk
            .as_object()
            .ok_or(CryptoError::InvalidKey("JWK is not an object"))?;
        let this = PrivateJwk(obj);
        let kty = this.str("kty")?.ok_or(CryptoError::InvalidKey("JWK kty"))?;
        if kty != alg.key_type().as_str() {
            return Err(CryptoError::InvalidKey(
                "JWK kty does not fit the algorithm",
            ));
        }
        if let Some(crv) = alg.curve()
            && this.str("crv")? != Some(crv)
        {
            return Err(CryptoError::InvalidKey(
                "JWK crv does not fit the algorithm",
            ));
        }
        if let Some(declared) = this.str("alg")?
            && declared != alg.as_str()
        {
            return Err(CryptoError::InvalidKey("JWK alg differs"));
        }
        if let Some(u) = this.str("use")?
            && u != "sig"
        {
            return Err(CryptoError::InvalidKey("JWK use is not sig"));
        }
        Ok(this)
    }

    /// The envelope of a private JWK that receives JWEs: an object whose `use`, when
    /// present, is `enc` (RFC 7517 §4.2). The caller checks `kty` and `crv`.
    pub(crate) fn for_encryption(jwk: &'a serde_json::Value) -> Result<Self, CryptoError> {
        let obj = jwk
            .as_object()
            .ok_or(CryptoError::InvalidKey("JWK is not an object"))?;
        let this = PrivateJwk(obj);
        if let Some(u) = this.str("use")?
            && u != "enc"
        {
            return Err(CryptoError::InvalidKey("JWK use is not enc"));
        }
        Ok(this)
    }

    fn str(&self, name: &'static str) -> Result<Option<&'a str>, CryptoError> {
        match self.0.get(name) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(CryptoError::InvalidKey(name)),
        }
    }

    /// A required base64url member.
    pub(crate) fn bytes(&self, name: &'static str) -> Result<Vec<u8>, CryptoError> {
        self.opt_bytes(name)?.ok_or(CryptoError::InvalidKey(name))
    }

    /// An optional base64url member.
    pub(crate) fn opt_bytes(&self, name: &'static str) -> Result<Option<Vec<u8>>, CryptoError> {
        self.str(name)?.map(|s| decode(s, name)).transpose()
    }

    /// RFC 7518 §6.3.2.7: multi-prime keys (`oth`) are not supported.
    pub(crate) fn refuse_oth(&self) -> Result<(), CryptoError> {
        if self.0.contains_key("oth") {
            return Err(CryptoError::InvalidKey("multi-prime RSA (oth) unsupported"));
        }
        Ok(())
    }
}

/// Split an uncompressed SEC1 point `04 || x || y` into its coordinates.
pub(crate) fn split_point(alg: Algorithm, point: &[u8]) -> Option<(&[u8], &[u8])> {
    let len = ec_field_len(alg)?;
    match point.split_first() {
        Some((0x04, xy)) if xy.len() == 2 * len => Some(xy.split_at(len)),
        _ => None,
    }
}

/// Build `04 || x || y` from JWK coordinates, which must have the full field length
/// (RFC 7518 §6.2.1.2, §6.2.1.3).
pub(crate) fn uncompressed_point(
    alg: Algorithm,
    x: &[u8],
    y: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let len = ec_field_len(alg).ok_or(CryptoError::Unsupported(alg))?;
    if x.len() != len || y.len() != len {
        return Err(CryptoError::InvalidKey("EC coordinate length"));
    }
    let mut point = Vec::with_capacity(1 + 2 * len);
    point.push(0x04);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    Ok(point)
}

fn base_jwk(alg: Algorithm) -> Jwk {
    Jwk {
        kty: alg.key_type().as_str().to_owned(),
        alg: Some(alg.as_str().to_owned()),
        use_: Some("sig".to_owned()),
        crv: alg.curve().map(str::to_owned),
        ..Jwk::default()
    }
}

/// Public RSA JWK (RFC 7518 §6.3.1): `n` and `e` without leading zeros.
pub(crate) fn rsa_public_jwk(alg: Algorithm, n: &[u8], e: &[u8]) -> Jwk {
    Jwk {
        n: Some(b64::encode(strip_leading_zeros(n))),
        e: Some(b64::encode(strip_leading_zeros(e))),
        ..base_jwk(alg)
    }
}

/// Public EC JWK (RFC 7518 §6.2.1) from an uncompressed SEC1 point.
pub(crate) fn ec_public_jwk(alg: Algorithm, point: &[u8]) -> Jwk {
    let mut jwk = base_jwk(alg);
    if let Some((x, y)) = split_point(alg, point) {
        jwk.x = Some(b64::encode(x));
        jwk.y = Some(b64::encode(y));
    }
    jwk
}

/// Public OKP JWK (RFC 8037 §2).
pub(crate) fn okp_public_jwk(x: &[u8]) -> Jwk {
    Jwk {
        x: Some(b64::encode(x)),
        ..base_jwk(Algorithm::EdDSA)
    }
}

/// DER prefix of a PKCS#8 v1 Ed25519 private key (RFC 8410 §7): SEQUENCE { INTEGER 0,
/// SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32 bytes) } }.
const ED25519_PKCS8_V1_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// PKCS#8 v1 DER for an Ed25519 seed (RFC 8410 §7), as both providers write it.
#[cfg_attr(not(feature = "rustcrypto"), allow(dead_code))]
pub(crate) fn ed25519_pkcs8_v1(seed: &[u8; ED25519_LEN]) -> Vec<u8> {
    let mut der = Vec::with_capacity(ED25519_PKCS8_V1_PREFIX.len() + ED25519_LEN);
    der.extend_from_slice(&ED25519_PKCS8_V1_PREFIX);
    der.extend_from_slice(seed);
    der
}

/// The key material of a public JWK, checked for its algorithm (RFC 7518 §6): what every
/// provider builds its verifying key from.
pub(crate) enum PublicParts {
    /// An Ed25519 public key (RFC 8037 §2), 32 bytes.
    Ed25519([u8; ED25519_LEN]),
    /// An uncompressed SEC1 point of the algorithm's curve.
    Ec(Vec<u8>),
    /// An RSA modulus of at least 2048 bits, and its exponent.
    Rsa {
        /// Modulus, big-endian.
        n: Vec<u8>,
        /// Public exponent, big-endian.
        e: Vec<u8>,
    },
}

/// The checked key material of `jwk` for `alg`.
pub(crate) fn public_parts(alg: Algorithm, jwk: &Jwk) -> Result<PublicParts, CryptoError> {
    check_public_jwk(alg, jwk)?;
    Ok(match alg {
        Algorithm::EdDSA => PublicParts::Ed25519(
            public_member(&jwk.x, "jwk x")?
                .try_into()
                .map_err(|_| CryptoError::InvalidKey("OKP x length"))?,
        ),
        Algorithm::ES256 | Algorithm::ES384 | Algorithm::ES512 => {
            let x = public_member(&jwk.x, "jwk x")?;
            let y = public_member(&jwk.y, "jwk y")?;
            PublicParts::Ec(uncompressed_point(alg, &x, &y)?)
        }
        _ => {
            let n = public_member(&jwk.n, "jwk n")?;
            let e = public_member(&jwk.e, "jwk e")?;
            check_rsa_modulus(&n)?;
            PublicParts::Rsa { n, e }
        }
    })
}
