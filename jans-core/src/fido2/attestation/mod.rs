//! Attestation (WebAuthn Level 3 §6.5): the attestation object a registration returns, and
//! the verification procedure of each attestation statement format (§8), one file each.
//!
//! A verifier gets the statement, the authenticator data (raw and parsed), the hash of
//! clientDataJSON and the credential's verifying key, and says which attestation type it
//! verified (§6.5.3) with the trust path, for the policy of §7.1 steps 23–24 to judge.

pub mod android_key;
pub mod android_safetynet;
pub mod apple;
pub mod fido_u2f;
pub mod none;
pub mod packed;
pub mod tpm;

use std::sync::Arc;

use super::authenticator_data::{self, AuthDataError, AuthenticatorData};
use super::cbor::{self, Value};
use crate::crypto::{CryptoProvider, VerifyingKey};
use crate::jose::Algorithm;
use crate::x509;

/// Largest attestation object accepted (a statement with a certificate chain fits well).
pub const MAX_ATTESTATION_OBJECT_LEN: usize = 48 * 1024;

/// The attestation object (§6.5.4): `fmt`, `attStmt`, `authData`.
#[derive(Clone, Debug)]
pub struct AttestationObject {
    /// The statement format identifier (§8).
    pub fmt: String,
    /// The statement, a CBOR map.
    pub att_stmt: Value,
    /// The authenticator data's bytes (what the statement signs).
    pub auth_data_raw: Vec<u8>,
    /// The authenticator data.
    pub auth_data: AuthenticatorData,
}

/// Why an attestation object was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttestationError {
    /// Not CBOR, too large, or a CBOR item we refuse.
    #[error("the attestation object is not valid CBOR: {0}")]
    Cbor(#[from] cbor::CborError),
    /// A member is missing or has the wrong type.
    #[error("the attestation object is malformed: {0}")]
    Malformed(&'static str),
    /// The authenticator data inside is malformed.
    #[error("authenticator data: {0}")]
    AuthData(#[from] AuthDataError),
    /// The authenticator data has no attested credential data (flag AT).
    #[error("the authenticator data carries no attested credential")]
    NoCredential,
    /// A format this server does not verify.
    #[error("attestation statement format {0:?} is not supported")]
    UnsupportedFormat(String),
    /// The statement is malformed for its format.
    #[error("{fmt} attestation statement is malformed: {why}")]
    Statement {
        /// The format.
        fmt: &'static str,
        /// What is wrong.
        why: &'static str,
    },
    /// The statement's signature does not verify.
    #[error("{0} attestation signature is invalid")]
    BadSignature(&'static str),
    /// The statement's algorithm does not fit the credential.
    #[error("{0} attestation algorithm does not match the credential key")]
    AlgorithmMismatch(&'static str),
}

/// The attestation type a statement proved (§6.5.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttestationType {
    /// No attestation (format `none`, or stripped).
    None,
    /// Self attestation: signed by the credential key itself.
    Self_,
    /// Basic attestation: an attestation certificate (x5c).
    Basic,
    /// Attestation CA (TPM AIK certificates).
    AttCa,
    /// Anonymization CA (Apple).
    AnonCa,
}

impl AttestationType {
    /// The name stored with a registration.
    pub fn as_str(self) -> &'static str {
        match self {
            AttestationType::None => "none",
            AttestationType::Self_ => "self",
            AttestationType::Basic => "basic",
            AttestationType::AttCa => "attca",
            AttestationType::AnonCa => "anonca",
        }
    }
}

/// What a verified statement says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The attestation type.
    pub kind: AttestationType,
    /// The certificate chain (DER, leaf first) when the type has one.
    pub trust_path: Vec<Vec<u8>>,
}

/// What every format's verifier is given (§8: "attStmt, authenticatorData and
/// clientDataHash").
pub struct Input<'a> {
    /// The statement.
    pub att_stmt: &'a Value,
    /// The authenticator data's bytes.
    pub auth_data_raw: &'a [u8],
    /// The authenticator data.
    pub auth_data: &'a AuthenticatorData,
    /// SHA-256 of clientDataJSON.
    pub client_data_hash: &'a [u8; 32],
    /// The credential public key's algorithm.
    pub credential_alg: Algorithm,
    /// The credential public key.
    pub credential_key: &'a Arc<dyn VerifyingKey>,
    /// The crypto provider, for keys in certificates.
    pub provider: &'a dyn CryptoProvider,
    /// Now (statements with a timestamp, certificate validity).
    pub now: crate::ctx::UnixTime,
}

impl std::fmt::Debug for Input<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input")
            .field("credential_alg", &self.credential_alg)
            .finish_non_exhaustive()
    }
}

impl Input<'_> {
    /// `authenticatorData || clientDataHash`: what most formats sign (§8.2, §8.3, ..).
    pub fn signed_data(&self) -> Vec<u8> {
        let mut m = Vec::with_capacity(self.auth_data_raw.len() + 32);
        m.extend_from_slice(self.auth_data_raw);
        m.extend_from_slice(self.client_data_hash);
        m
    }
}

/// Whether the credential public key (its COSE_Key, `cose`) is `cert`'s subject public key
/// (§8.4 step 3, §8.8 step 4).
pub fn same_key(cert: &crate::x509::Certificate, cose: &Value) -> bool {
    let Ok((jwk, _)) = cert.public_jwk() else {
        return false;
    };
    let member = |m: &Option<String>| m.as_deref().and_then(|v| crate::b64::decode(v).ok());
    let param = |label: i64| cose.get_int(label).and_then(Value::as_bytes);
    let strip = |b: &[u8]| -> Vec<u8> { b.iter().copied().skip_while(|x| *x == 0).collect() };
    let kty = cose.get_int(1).and_then(Value::as_i64);
    match (jwk.kty.as_str(), kty) {
        ("EC", Some(2)) => {
            let crv = match jwk.crv.as_deref() {
                Some("P-256") => 1,
                Some("P-384") => 2,
                Some("P-521") => 3,
                _ => return false,
            };
            cose.get_int(-1).and_then(Value::as_i64) == Some(crv)
                && member(&jwk.x).as_deref() == param(-2)
                && member(&jwk.y).as_deref() == param(-3)
        }
        ("RSA", Some(3)) => {
            let (Some(n), Some(e), Some(cn), Some(ce)) =
                (member(&jwk.n), member(&jwk.e), param(-1), param(-2))
            else {
                return false;
            };
            strip(&n) == strip(cn) && strip(&e) == strip(ce)
        }
        ("OKP", Some(1)) => member(&jwk.x).as_deref() == param(-2),
        _ => false,
    }
}

/// Parse an attestation object (§6.5.4) and its authenticator data, which must carry an
/// attested credential (§7.1 step 18 reads it).
pub fn parse(bytes: &[u8]) -> Result<AttestationObject, AttestationError> {
    if bytes.len() > MAX_ATTESTATION_OBJECT_LEN {
        return Err(AttestationError::Malformed("larger than accepted"));
    }
    let v = cbor::decode(bytes)?;
    let Value::Map(_) = &v else {
        return Err(AttestationError::Malformed("not a map"));
    };
    let fmt = v
        .get("fmt")
        .and_then(Value::as_text)
        .ok_or(AttestationError::Malformed("fmt"))?
        .to_owned();
    let att_stmt = v
        .get("attStmt")
        .filter(|s| matches!(s, Value::Map(_)))
        .ok_or(AttestationError::Malformed("attStmt"))?
        .clone();
    let auth_data_raw = v
        .get("authData")
        .and_then(Value::as_bytes)
        .ok_or(AttestationError::Malformed("authData"))?
        .to_vec();
    let auth_data = authenticator_data::parse(&auth_data_raw)?;
    if auth_data.attested.is_none() {
        return Err(AttestationError::NoCredential);
    }
    Ok(AttestationObject {
        fmt,
        att_stmt,
        auth_data_raw,
        auth_data,
    })
}

/// The formats verified here (§8), in the registry's order.
pub const FORMATS: [&str; 7] = [
    "packed",
    "tpm",
    "android-key",
    "android-safetynet",
    "fido-u2f",
    "none",
    "apple",
];

/// Verify the statement with the procedure of its format (§7.1 step 21).
pub fn verify(fmt: &str, input: &Input<'_>) -> Result<Verified, AttestationError> {
    match fmt {
        "none" => none::verify(input),
        "packed" => packed::verify(input),
        "fido-u2f" => fido_u2f::verify(input),
        "tpm" => tpm::verify(input),
        "android-key" => android_key::verify(input),
        "android-safetynet" => android_safetynet::verify(input),
        "apple" => apple::verify(input),
        other => Err(AttestationError::UnsupportedFormat(
            other.chars().take(32).collect(),
        )),
    }
}

#[cfg(test)]
mod tests;

/// The certificates of a CBOR `x5c` array (DER byte strings, leaf first).
pub fn chain_of(x5c: &Value) -> Result<Vec<x509::Certificate>, x509::CertError> {
    let Value::Array(items) = x5c else {
        return Err(x509::CertError::Malformed);
    };
    if items.is_empty() || items.len() > x509::MAX_CHAIN {
        return Err(x509::CertError::ChainLength);
    }
    items
        .iter()
        .map(|c| x509::Certificate::parse(c.as_bytes().ok_or(x509::CertError::Malformed)?))
        .collect()
}
