//! What a server key is for: signing with a JWS algorithm, or receiving JWEs with a key
//! management algorithm. Janssen lists both kinds in `keyAlgsAllowedForGeneration`; the names
//! never overlap (RFC 7518 §3.1, §4.1).

use serde::{Deserialize, Serialize};

use super::Algorithm;
use super::jwe::KeyAlg;

/// A signing or an encryption key algorithm, written as its registered name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyAlgorithm {
    /// A JWS algorithm: the key signs (`use: sig`).
    Sig(Algorithm),
    /// A JWE key management algorithm: the key decrypts (`use: enc`).
    Enc(KeyAlg),
}

impl KeyAlgorithm {
    /// The registered name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Sig(a) => a.as_str(),
            KeyAlgorithm::Enc(a) => a.as_str(),
        }
    }

    /// The algorithm a name registers, if we implement it (EdDSA also as `Ed25519`).
    pub fn from_name(name: &str) -> Option<KeyAlgorithm> {
        Algorithm::from_name(name)
            .map(KeyAlgorithm::Sig)
            .or_else(|| KeyAlg::from_name(name).map(KeyAlgorithm::Enc))
    }

    /// The signing algorithm, for a signing key.
    pub fn signing(self) -> Option<Algorithm> {
        match self {
            KeyAlgorithm::Sig(a) => Some(a),
            KeyAlgorithm::Enc(_) => None,
        }
    }

    /// The key management algorithm, for an encryption key.
    pub fn encryption(self) -> Option<KeyAlg> {
        match self {
            KeyAlgorithm::Enc(a) => Some(a),
            KeyAlgorithm::Sig(_) => None,
        }
    }

    /// The JWK `use` of such a key.
    pub fn key_use(self) -> &'static str {
        match self {
            KeyAlgorithm::Sig(_) => "sig",
            KeyAlgorithm::Enc(_) => "enc",
        }
    }

    /// Whether no key pair exists for it (HMAC, key wrap with a shared key, `dir`).
    pub fn is_symmetric(self) -> bool {
        match self {
            KeyAlgorithm::Sig(a) => a.is_symmetric(),
            KeyAlgorithm::Enc(a) => a.is_symmetric(),
        }
    }
}

impl From<Algorithm> for KeyAlgorithm {
    fn from(a: Algorithm) -> Self {
        KeyAlgorithm::Sig(a)
    }
}

impl From<KeyAlg> for KeyAlgorithm {
    fn from(a: KeyAlg) -> Self {
        KeyAlgorithm::Enc(a)
    }
}

impl PartialEq<Algorithm> for KeyAlgorithm {
    fn eq(&self, other: &Algorithm) -> bool {
        *self == KeyAlgorithm::Sig(*other)
    }
}

impl std::fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for KeyAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        KeyAlgorithm::from_name(s).ok_or_else(|| format!("unsupported algorithm {s:?}"))
    }
}

impl Serialize for KeyAlgorithm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for KeyAlgorithm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        KeyAlgorithm::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unsupported algorithm {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_never_collide() {
        for a in Algorithm::ASYMMETRIC {
            let k = KeyAlgorithm::from(a);
            assert_eq!(KeyAlgorithm::from_name(k.as_str()), Some(k));
            assert_eq!(k.key_use(), "sig");
        }
        for a in crate::jose::jwe::KEY_ALGS {
            let k = KeyAlgorithm::from(a);
            assert_eq!(KeyAlgorithm::from_name(k.as_str()), Some(k));
            assert_eq!(k.key_use(), "enc");
        }
        assert_eq!(
            serde_json::to_value(KeyAlgorithm::Enc(KeyAlg::RsaOaep256)).unwrap(),
            "RSA-OAEP-256"
        );
        let v: KeyAlgorithm = serde_json::from_value("ES256".into()).unwrap();
        assert_eq!(v, Algorithm::ES256);
        assert!(serde_json::from_value::<KeyAlgorithm>("RSA1_5".into()).is_err());
    }
}
