//! The `fido-u2f` attestation statement format (WebAuthn Level 3 §8.6): a FIDO U2F
//! authenticator's registration signature, by its attestation certificate, over the U2F
//! `verificationData` rebuilt from the authenticator data.

use super::{AttestationError, AttestationType, Input, Verified};
use crate::fido2::cbor::Value;
use crate::fido2::signature;
use crate::jose::Algorithm;
use crate::x509;

fn bad(why: &'static str) -> AttestationError {
    AttestationError::Statement {
        fmt: "fido-u2f",
        why,
    }
}

/// §8.6 "Verification procedure".
pub fn verify(input: &Input<'_>) -> Result<Verified, AttestationError> {
    let stmt = input.att_stmt;
    let sig = stmt
        .get("sig")
        .and_then(Value::as_bytes)
        .ok_or(bad("sig missing"))?;
    // Step 2: exactly one certificate, with a P-256 key.
    let chain = super::chain_of(stmt.get("x5c").ok_or(bad("x5c missing"))?)
        .map_err(|_| bad("x5c is not a certificate"))?;
    let [cert] = chain.as_slice() else {
        return Err(bad("x5c must hold exactly one certificate"));
    };
    // Steps 3–4: the credential key must be EC2 P-256; its raw point.
    if input.credential_alg != Algorithm::ES256 {
        return Err(AttestationError::AlgorithmMismatch("fido-u2f"));
    }
    let attested = input
        .auth_data
        .attested
        .as_ref()
        .ok_or(bad("no credential"))?;
    let coordinate = |label| {
        attested
            .public_key_cbor
            .get_int(label)
            .and_then(Value::as_bytes)
            .filter(|c| c.len() == 32)
            .ok_or(bad("the credential key is not a P-256 point"))
    };
    let (x, y) = (coordinate(-2)?, coordinate(-3)?);
    let point = [&[0x04][..], x, y].concat();
    // Steps 5–6.
    verify_registration_signature(
        cert,
        &input.auth_data.rp_id_hash,
        input.client_data_hash,
        &attested.credential_id,
        &point,
        sig,
        input.provider,
    )?;
    Ok(Verified {
        kind: AttestationType::Basic,
        trust_path: vec![cert.der().to_vec()],
    })
}

/// A U2F registration signature (FIDO U2F Raw Message Formats v1.2 §4.3; WebAuthn Level 3
/// §8.6 steps 5–6): `sig` (DER ECDSA) by `cert`'s P-256 key over `0x00 || appIdHash ||
/// clientDataHash || keyHandle || publicKeyU2F` (the 65-byte uncompressed point).
pub fn verify_registration_signature(
    cert: &x509::Certificate,
    app_id_hash: &[u8; 32],
    client_data_hash: &[u8; 32],
    key_handle: &[u8],
    public_key_u2f: &[u8],
    sig: &[u8],
    provider: &dyn crate::crypto::CryptoProvider,
) -> Result<(), AttestationError> {
    let key = cert
        .verifying_key(provider, Algorithm::ES256)
        .map_err(|_| bad("the attestation certificate's key is not P-256"))?;
    let mut data = Vec::with_capacity(1 + 32 + 32 + key_handle.len() + public_key_u2f.len());
    data.push(0x00);
    data.extend_from_slice(app_id_hash);
    data.extend_from_slice(client_data_hash);
    data.extend_from_slice(key_handle);
    data.extend_from_slice(public_key_u2f);
    let sig = signature::to_jws(Algorithm::ES256, sig)
        .map_err(|_| AttestationError::BadSignature("fido-u2f"))?;
    key.verify(&data, &sig)
        .map_err(|_| AttestationError::BadSignature("fido-u2f"))
}
