//! The `packed` attestation statement format (WebAuthn Level 3 §8.2): a signature over
//! `authenticatorData || clientDataHash`, by an attestation certificate's key (`x5c`,
//! basic attestation) or by the credential key itself (self attestation).

use super::{AttestationError, AttestationType, Input, Verified};
use crate::fido2::cbor::Value;
use crate::fido2::{cose, signature};
use crate::x509::{self, Certificate};

/// id-fido-gen-ce-aaguid (§8.2.1): the AAGUID of the authenticator model, in the
/// attestation certificate.
const ID_FIDO_GEN_CE_AAGUID: &str = "1.3.6.1.4.1.45724.1.1.4";

fn bad(why: &'static str) -> AttestationError {
    AttestationError::Statement { fmt: "packed", why }
}

/// §8.2 "Verification procedure".
pub fn verify(input: &Input<'_>) -> Result<Verified, AttestationError> {
    let stmt = input.att_stmt;
    let alg = stmt
        .get("alg")
        .and_then(Value::as_i64)
        .ok_or(bad("alg missing"))?;
    let sig = stmt
        .get("sig")
        .and_then(Value::as_bytes)
        .ok_or(bad("sig missing"))?;
    let msg = input.signed_data();
    match stmt.get("x5c") {
        Some(x5c) => {
            let chain = super::chain_of(x5c).map_err(|_| bad("x5c is not a certificate chain"))?;
            let leaf = chain.first().ok_or(bad("x5c is empty"))?;
            let jose_alg = cose::algorithm(alg).ok_or(bad("unsupported alg"))?;
            let key = leaf
                .verifying_key(input.provider, jose_alg)
                .map_err(|_| bad("the certificate's key does not fit alg"))?;
            let sig = signature::to_jws(jose_alg, sig)
                .map_err(|_| AttestationError::BadSignature("packed"))?;
            key.verify(&msg, &sig)
                .map_err(|_| AttestationError::BadSignature("packed"))?;
            check_certificate(leaf, input)?;
            Ok(Verified {
                kind: AttestationType::Basic,
                trust_path: chain.iter().map(|c| c.der().to_vec()).collect(),
            })
        }
        None => {
            // Self attestation: the credential key signs, with its own algorithm.
            if cose::algorithm(alg) != Some(input.credential_alg) {
                return Err(AttestationError::AlgorithmMismatch("packed"));
            }
            let sig = signature::to_jws(input.credential_alg, sig)
                .map_err(|_| AttestationError::BadSignature("packed"))?;
            input
                .credential_key
                .verify(&msg, &sig)
                .map_err(|_| AttestationError::BadSignature("packed"))?;
            Ok(Verified {
                kind: AttestationType::Self_,
                trust_path: Vec::new(),
            })
        }
    }
}

/// §8.2.1 "Certificate Requirements for Packed Attestation Statements", and the AAGUID
/// extension, when present, equal to the authenticator data's.
fn check_certificate(cert: &Certificate, input: &Input<'_>) -> Result<(), AttestationError> {
    if cert.version() != 3 {
        return Err(bad("the attestation certificate is not version 3"));
    }
    let subject = |oid| cert.subject_attribute(oid).unwrap_or_default();
    let country = subject(x509::OID_COUNTRY);
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(bad(
            "the attestation certificate's subject C is not a country code",
        ));
    }
    if subject(x509::OID_ORGANIZATION).is_empty() {
        return Err(bad("the attestation certificate's subject has no O"));
    }
    if subject(x509::OID_ORGANIZATIONAL_UNIT) != "Authenticator Attestation" {
        return Err(bad(
            "the attestation certificate's subject OU is not \"Authenticator Attestation\"",
        ));
    }
    if subject(x509::OID_COMMON_NAME).is_empty() {
        return Err(bad("the attestation certificate's subject has no CN"));
    }
    if cert.is_ca() {
        return Err(bad("the attestation certificate is a CA certificate"));
    }
    if let Some(ext) = cert.extension(ID_FIDO_GEN_CE_AAGUID) {
        if ext.critical {
            return Err(bad("the AAGUID extension is marked critical"));
        }
        // The extension's value is an OCTET STRING holding the 16 bytes.
        let aaguid = crate::x509::der::octet_string(ext.value)
            .ok_or(bad("the AAGUID extension is malformed"))?;
        let attested = input.auth_data.attested.as_ref().map(|a| a.aaguid);
        if attested.as_ref().map(|a| a.as_slice()) != Some(aaguid) {
            return Err(bad(
                "the certificate's AAGUID differs from the authenticator data's",
            ));
        }
    }
    Ok(())
}
