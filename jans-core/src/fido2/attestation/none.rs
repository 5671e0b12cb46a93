//! The `none` attestation statement format (WebAuthn Level 3 §8.7): an empty statement,
//! used when the relying party asked for no attestation or the client removed it.

use super::{AttestationError, AttestationType, Input, Verified};
use crate::fido2::cbor::Value;

/// §8.7: the statement is an empty map; nothing else to verify.
pub fn verify(input: &Input<'_>) -> Result<Verified, AttestationError> {
    match input.att_stmt {
        Value::Map(m) if m.is_empty() => Ok(Verified {
            kind: AttestationType::None,
            trust_path: Vec::new(),
        }),
        _ => Err(AttestationError::Statement {
            fmt: "none",
            why: "the statement is not empty",
        }),
    }
}
