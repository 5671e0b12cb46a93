//! The `apple` anonymous attestation statement format (WebAuthn Level 3 §8.8): Apple's
//! anonymization CA certifies the credential key itself, with a nonce over the
//! authenticator data and client data hash in an extension of the certificate.

use sha2::{Digest, Sha256};

use super::{AttestationError, AttestationType, Input, Verified, same_key};
use crate::x509::der;

/// The extension holding the nonce (§8.8 step 3).
const NONCE_EXTENSION: &str = "1.2.840.113635.100.8.2";

fn bad(why: &'static str) -> AttestationError {
    AttestationError::Statement { fmt: "apple", why }
}

/// §8.8 "Verification procedure".
pub fn verify(input: &Input<'_>) -> Result<Verified, AttestationError> {
    let chain = super::chain_of(input.att_stmt.get("x5c").ok_or(bad("x5c missing"))?)
        .map_err(|_| bad("x5c is not a certificate chain"))?;
    let cred_cert = chain.first().ok_or(bad("x5c is empty"))?;
    // Steps 2–3: the nonce.
    let nonce: [u8; 32] = Sha256::digest(input.signed_data()).into();
    let ext = cred_cert
        .extension(NONCE_EXTENSION)
        .ok_or(bad("the certificate has no nonce extension"))?;
    // SEQUENCE { [1] EXPLICIT OCTET STRING nonce }
    let found = der::single(ext.value)
        .filter(|t| t.is_universal(16))
        .and_then(|seq| {
            let mut r = seq.children();
            let tagged = r.next_tlv().filter(|t| t.is_context(1))?;
            r.is_empty().then_some(tagged)
        })
        .and_then(|tagged| der::octet_string(tagged.contents))
        .ok_or(bad("the nonce extension is malformed"))?;
    if found != nonce {
        return Err(bad(
            "the nonce does not match the authenticator and client data",
        ));
    }
    // Step 4: the certificate's key is the credential key.
    let attested = input
        .auth_data
        .attested
        .as_ref()
        .ok_or(bad("no credential"))?;
    if !same_key(cred_cert, &attested.public_key_cbor) {
        return Err(bad(
            "the certificate's key is not the credential public key",
        ));
    }
    Ok(Verified {
        kind: AttestationType::AnonCa,
        trust_path: chain.iter().map(|c| c.der().to_vec()).collect(),
    })
}
