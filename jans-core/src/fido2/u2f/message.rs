//! FIDO U2F raw messages, as U2F clients (Super Gluu, the U2F JavaScript API) post them:
//! the registration response (FIDO U2F Raw Message Formats v1.2 §4.3), the
//! authentication response (§5.4), and the client data (FIDO U2F JavaScript API v1.2 §7
//! `ClientData`). Each parser is bounded and refuses rather than guesses.

use coset::CborSerializable;
use coset::iana;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use std::sync::Arc;

use crate::crypto::{CryptoProvider, VerifyingKey};
use crate::fido2::signature;
use crate::jose::{Algorithm, Jwk};
use crate::x509::Certificate;
use crate::x509::der::Reader;

/// An uncompressed P-256 point: `0x04 || x || y`.
pub const PUBLIC_KEY_LEN: usize = 65;
/// Largest message accepted (a registration response with its certificate).
pub const MAX_MESSAGE: usize = 16 * 1024;
/// `typ` of registration client data.
pub const TYP_REGISTRATION: &str = "navigator.id.finishEnrollment";
/// `typ` of authentication client data.
pub const TYP_AUTHENTICATION: &str = "navigator.id.getAssertion";

/// Why a U2F message was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum U2fError {
    /// Not a message of the expected shape.
    #[error("malformed U2F message: {0}")]
    Malformed(&'static str),
    /// A signature does not verify.
    #[error("the U2F {0} signature is invalid")]
    BadSignature(&'static str),
}

/// A registration response (§4.3).
#[derive(Clone, Debug)]
pub struct Registration {
    /// The user public key (uncompressed P-256 point).
    pub public_key: Vec<u8>,
    /// The key handle.
    pub key_handle: Vec<u8>,
    /// The attestation certificate.
    pub certificate: Certificate,
    /// The attestation signature (DER ECDSA).
    pub signature: Vec<u8>,
}

/// Parse a registration response: `0x05 || publicKey(65) || L || keyHandle(L) ||
/// attestationCert (DER) || signature`.
pub fn parse_registration(b: &[u8]) -> Result<Registration, U2fError> {
    if b.len() > MAX_MESSAGE {
        return Err(U2fError::Malformed("larger than accepted"));
    }
    let (&reserved, rest) = b.split_first().ok_or(U2fError::Malformed("empty"))?;
    if reserved != 0x05 {
        return Err(U2fError::Malformed("the reserved byte is not 0x05"));
    }
    let (public_key, rest) = rest
        .split_at_checked(PUBLIC_KEY_LEN)
        .ok_or(U2fError::Malformed("truncated public key"))?;
    if public_key.first() != Some(&0x04) {
        return Err(U2fError::Malformed(
            "the public key is not an uncompressed point",
        ));
    }
    let (&len, rest) = rest
        .split_first()
        .ok_or(U2fError::Malformed("truncated key handle length"))?;
    let (key_handle, rest) = rest
        .split_at_checked(usize::from(len))
        .ok_or(U2fError::Malformed("truncated key handle"))?;
    if key_handle.is_empty() {
        return Err(U2fError::Malformed("empty key handle"));
    }
    let mut reader = Reader(rest);
    let cert = reader
        .next_tlv()
        .filter(|t| t.is_universal(16))
        .ok_or(U2fError::Malformed("no attestation certificate"))?;
    let certificate = Certificate::parse(cert.raw)
        .map_err(|_| U2fError::Malformed("the attestation certificate does not parse"))?;
    let signature = rest
        .get(cert.raw.len()..)
        .filter(|s| !s.is_empty())
        .ok_or(U2fError::Malformed("no signature"))?;
    Ok(Registration {
        public_key: public_key.to_vec(),
        key_handle: key_handle.to_vec(),
        certificate,
        signature: signature.to_vec(),
    })
}

/// An authentication response (§5.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureData {
    /// The user presence byte (bit 0: the user was present).
    pub user_presence: u8,
    /// The counter.
    pub counter: u32,
    /// The signature (DER ECDSA).
    pub signature: Vec<u8>,
}

impl SignatureData {
    /// Whether the user was present.
    pub fn user_present(&self) -> bool {
        self.user_presence & 0x01 == 0x01
    }
}

/// Parse an authentication response: `userPresence || counter(4, big-endian) ||
/// signature`.
pub fn parse_signature(b: &[u8]) -> Result<SignatureData, U2fError> {
    if b.len() > MAX_MESSAGE {
        return Err(U2fError::Malformed("larger than accepted"));
    }
    let (&user_presence, rest) = b.split_first().ok_or(U2fError::Malformed("empty"))?;
    let (counter, signature) = rest
        .split_first_chunk::<4>()
        .ok_or(U2fError::Malformed("truncated counter"))?;
    if signature.is_empty() {
        return Err(U2fError::Malformed("no signature"));
    }
    Ok(SignatureData {
        user_presence,
        counter: u32::from_be_bytes(*counter),
        signature: signature.to_vec(),
    })
}

/// The client data (U2F JavaScript API §7): what the client signed over.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ClientData {
    /// `navigator.id.finishEnrollment` or `navigator.id.getAssertion`.
    pub typ: String,
    /// The server's challenge (websafe base64).
    pub challenge: String,
    /// The facet the request came from.
    pub origin: String,
}

/// Parse client data (JSON, at most [`MAX_MESSAGE`] bytes; other members ignored).
pub fn parse_client_data(b: &[u8]) -> Result<ClientData, U2fError> {
    if b.len() > MAX_MESSAGE {
        return Err(U2fError::Malformed("client data larger than accepted"));
    }
    serde_json::from_slice(b).map_err(|_| U2fError::Malformed("client data is not U2F ClientData"))
}

/// `SHA-256(s)`.
pub fn sha256(s: &[u8]) -> [u8; 32] {
    Sha256::digest(s).into()
}

/// The x and y coordinates of an uncompressed P-256 point (`0x04 || x || y`).
fn coordinates(public_key: &[u8]) -> Result<(&[u8], &[u8]), U2fError> {
    public_key
        .strip_prefix(&[0x04])
        .filter(|p| p.len() == PUBLIC_KEY_LEN - 1)
        .map(|p| p.split_at(32))
        .ok_or(U2fError::Malformed(
            "the public key is not an uncompressed P-256 point",
        ))
}

/// The JWK of an uncompressed P-256 point.
fn jwk_of(public_key: &[u8]) -> Result<Jwk, U2fError> {
    let (x, y) = coordinates(public_key)?;
    Ok(Jwk {
        kty: "EC".to_owned(),
        crv: Some("P-256".to_owned()),
        x: Some(crate::b64::encode(x)),
        y: Some(crate::b64::encode(y)),
        ..Jwk::default()
    })
}

/// The verifying key of a U2F public key (an uncompressed P-256 point).
pub fn point_key(
    public_key: &[u8],
    provider: &dyn CryptoProvider,
) -> Result<Arc<dyn VerifyingKey>, U2fError> {
    provider
        .verifying_key(Algorithm::ES256, &jwk_of(public_key)?)
        .map_err(|_| U2fError::Malformed("the public key is not on P-256"))
}

/// Verify an authentication response (§5.4): the signature by `key` over
/// `SHA-256(appId) || userPresence || counter || SHA-256(clientData)`.
pub fn verify_signature(
    key: &dyn VerifyingKey,
    app_id: &str,
    data: &SignatureData,
    client_data: &[u8],
) -> Result<(), U2fError> {
    let mut signed = Vec::with_capacity(32 + 1 + 4 + 32);
    signed.extend_from_slice(&sha256(app_id.as_bytes()));
    signed.push(data.user_presence);
    signed.extend_from_slice(&data.counter.to_be_bytes());
    signed.extend_from_slice(&sha256(client_data));
    let sig = signature::to_jws(Algorithm::ES256, &data.signature)
        .map_err(|_| U2fError::BadSignature("authentication"))?;
    key.verify(&signed, &sig)
        .map_err(|_| U2fError::BadSignature("authentication"))
}

/// The COSE_Key (EC2, P-256, ES256) of a U2F public key, as registrations store keys.
pub fn cose_key(public_key: &[u8]) -> Result<Vec<u8>, U2fError> {
    let (x, y) = coordinates(public_key)?;
    coset::CoseKeyBuilder::new_ec2_pub_key(iana::EllipticCurve::P_256, x.to_vec(), y.to_vec())
        .algorithm(iana::Algorithm::ES256)
        .build()
        .to_vec()
        .map_err(|_| U2fError::Malformed("the public key cannot be encoded"))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::crypto::tests::providers;
    use crate::fido2::attestation::fido_u2f::verify_registration_signature;

    fn vectors() -> Value {
        serde_json::from_str(include_str!("../../../tests/data/fido2/u2f-raw.json")).unwrap()
    }

    fn hex(v: &Value) -> Vec<u8> {
        let s = v.as_str().unwrap().as_bytes();
        s.chunks(2)
            .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
            .collect()
    }

    /// The specification's registration example: parsed into its parts, its attestation
    /// signature verified; anything changed is refused.
    #[test]
    fn the_specification_registration_example() {
        let v = vectors();
        let r = &v["registration"];
        let raw = hex(&r["registrationDataHex"]);
        let reg = parse_registration(&raw).unwrap();
        assert_eq!(reg.key_handle, hex(&r["keyHandleHex"]));
        assert_eq!(reg.public_key, hex(&r["publicKeyHex"]));
        let client_data = r["clientData"].as_str().unwrap().as_bytes();
        let cd = parse_client_data(client_data).unwrap();
        assert_eq!(cd.typ, TYP_REGISTRATION);
        assert_eq!(cd.origin, "http://example.com");
        for provider in providers() {
            let check = |app_id: &str, client_data: &[u8]| {
                verify_registration_signature(
                    &reg.certificate,
                    &sha256(app_id.as_bytes()),
                    &sha256(client_data),
                    &reg.key_handle,
                    &reg.public_key,
                    &reg.signature,
                    provider.as_ref(),
                )
            };
            check(r["appId"].as_str().unwrap(), client_data).unwrap();
            assert!(check("https://example.com", client_data).is_err());
            assert!(check(r["appId"].as_str().unwrap(), b"{}").is_err());
        }
        // Truncated before the signature, or with a wrong first byte: refused, never a
        // panic; with a truncated signature, the signature does not verify.
        let signed_len = raw.len() - reg.signature.len();
        for n in 0..=signed_len {
            assert!(parse_registration(&raw[..n]).is_err(), "{n}");
        }
        let cut = parse_registration(&raw[..raw.len() - 1]).unwrap();
        assert!(
            verify_registration_signature(
                &cut.certificate,
                &sha256(r["appId"].as_str().unwrap().as_bytes()),
                &sha256(client_data),
                &cut.key_handle,
                &cut.public_key,
                &cut.signature,
                providers()[0].as_ref(),
            )
            .is_err()
        );
        let mut wrong = raw.clone();
        wrong[0] = 0x04;
        assert!(parse_registration(&wrong).is_err());
        let mut compressed = raw;
        compressed[1] = 0x02;
        assert!(parse_registration(&compressed).is_err());
    }

    #[test]
    fn the_specification_authentication_example() {
        let v = vectors();
        let a = &v["authentication"];
        let raw = hex(&a["signatureDataHex"]);
        let data = parse_signature(&raw).unwrap();
        assert!(data.user_present());
        assert_eq!(u64::from(data.counter), a["counter"].as_u64().unwrap());
        let client_data = a["clientData"].as_str().unwrap().as_bytes();
        assert_eq!(sha256(client_data).to_vec(), hex(&a["clientDataSha256Hex"]));
        let app_id = a["appId"].as_str().unwrap();
        for provider in providers() {
            let key = point_key(&hex(&a["publicKeyHex"]), provider.as_ref()).unwrap();
            verify_signature(key.as_ref(), app_id, &data, client_data).unwrap();
            assert!(
                verify_signature(key.as_ref(), "http://example.com", &data, client_data).is_err()
            );
            let replayed = SignatureData {
                counter: 2,
                ..data.clone()
            };
            assert!(verify_signature(key.as_ref(), app_id, &replayed, client_data).is_err());
        }
        for n in 0..6 {
            assert!(parse_signature(&raw[..n]).is_err(), "{n}");
        }
        assert!(parse_client_data(b"{\"typ\":1}").is_err());
        assert!(point_key(&[4; 64], providers()[0].as_ref()).is_err());
        // The stored form of the key reads back as the same ES256 key.
        let cose = cose_key(&hex(&a["publicKeyHex"])).unwrap();
        let (alg, key) =
            crate::fido2::cose::verifying_key(providers()[0].as_ref(), &cose, &[Algorithm::ES256])
                .unwrap();
        assert_eq!(alg, Algorithm::ES256);
        verify_signature(key.as_ref(), app_id, &data, client_data).unwrap();
    }
}
