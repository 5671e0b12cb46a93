//! JSON Web Keys (RFC 7517) and thumbprints (RFC 7638).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{Algorithm, JoseError, KeyType};

/// A public JWK. Private parameters (`d`, `p`, `q`, ...) have no field here, so a `Jwk` can
/// never publish a private key; unknown members are kept in `extra` and round-trip.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// RFC 7517 §4.1
    pub kty: String,
    /// RFC 7517 §4.5
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// RFC 7517 §4.2
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// RFC 7517 §4.4
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// EC / OKP curve (RFC 7518 §6.2.1.1, RFC 8037 §2)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate / OKP public key (base64url)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate (base64url)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus (base64url, RFC 7518 §6.3.1.1)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent (base64url)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Janssen publishes the key's expiry (ms since epoch) beside each key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// Other members, kept as they came.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Jwk {
    /// The key family, if `kty` is one we know.
    pub fn key_type(&self) -> Option<KeyType> {
        match self.kty.as_str() {
            "RSA" => Some(KeyType::Rsa),
            "EC" => Some(KeyType::Ec),
            "OKP" => Some(KeyType::Okp),
            "oct" => Some(KeyType::Oct),
            _ => None,
        }
    }

    /// The declared `alg`, if it is one we implement.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.alg.as_deref().and_then(Algorithm::from_name)
    }

    /// Whether this key may be used to verify a JWS with `alg`: the `kty` (and `crv`) fit,
    /// any declared `alg` equals it, and any `use` is `sig` (RFC 7517 §4.2, §4.4).
    pub fn fits(&self, alg: Algorithm) -> bool {
        if self.key_type() != Some(alg.key_type()) {
            return false;
        }
        if let Some(crv) = alg.curve()
            && self.crv.as_deref() != Some(crv)
        {
            return false;
        }
        if let Some(declared) = &self.alg
            && Algorithm::from_name(declared) != Some(alg)
        {
            return false;
        }
        !matches!(self.use_.as_deref(), Some(u) if u != "sig")
    }

    /// RFC 7638 §3: the SHA-256 thumbprint over the required members in lexicographic
    /// order, base64url encoded. We use it as `kid`.
    pub fn thumbprint(&self) -> Result<String, JoseError> {
        fn req<'a>(v: &'a Option<String>, name: &'static str) -> Result<&'a str, JoseError> {
            v.as_deref().ok_or(JoseError::Malformed(name))
        }
        // serde_json escapes strings exactly as RFC 7638 §3.3 requires (no whitespace).
        let canonical = match self.key_type() {
            Some(KeyType::Rsa) => serde_json::json!({
                "e": req(&self.e, "jwk e")?, "kty": "RSA", "n": req(&self.n, "jwk n")?
            }),
            Some(KeyType::Ec) => serde_json::json!({
                "crv": req(&self.crv, "jwk crv")?, "kty": "EC",
                "x": req(&self.x, "jwk x")?, "y": req(&self.y, "jwk y")?
            }),
            Some(KeyType::Okp) => serde_json::json!({
                "crv": req(&self.crv, "jwk crv")?, "kty": "OKP", "x": req(&self.x, "jwk x")?
            }),
            Some(KeyType::Oct) | None => return Err(JoseError::Malformed("jwk kty")),
        };
        // serde_json::Map is a BTreeMap without `preserve_order`, so keys come out sorted.
        let text = serde_json::to_string(&canonical).map_err(|_| JoseError::Malformed("jwk"))?;
        Ok(crate::b64::encode(&Sha256::digest(text.as_bytes())))
    }
}

/// A JWK Set (RFC 7517 §5).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys, in publication order.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The key with this `kid`.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid.as_deref() == Some(kid))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1 example.
    #[test]
    fn rfc7638_thumbprint_example() {
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "RSA",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
            "e": "AQAB",
            "alg": "RS256",
            "kid": "2011-04-29"
        }))
        .unwrap();
        assert_eq!(
            jwk.thumbprint().unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn fits_checks_kty_crv_alg_and_use() {
        let ec = Jwk {
            kty: "EC".into(),
            crv: Some("P-256".into()),
            ..Jwk::default()
        };
        assert!(ec.fits(Algorithm::ES256));
        assert!(!ec.fits(Algorithm::ES384));
        assert!(!ec.fits(Algorithm::RS256));
        assert!(!ec.fits(Algorithm::HS256));
        let enc = Jwk {
            use_: Some("enc".into()),
            ..ec.clone()
        };
        assert!(!enc.fits(Algorithm::ES256));
        let declared = Jwk {
            alg: Some("ES384".into()),
            ..ec
        };
        assert!(!declared.fits(Algorithm::ES256));
    }
}
