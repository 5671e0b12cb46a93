//! The `android-key` attestation statement format (WebAuthn Level 3 §8.4): Android
//! Keystore's hardware attestation. The attestation certificate describes the credential
//! key (Android's `KeyDescription` extension): its challenge is the client data hash, and
//! the key was generated inside the keystore for signing.

use super::{AttestationError, AttestationType, Input, Verified, same_key};
use crate::fido2::cbor::Value;
use crate::fido2::{cose, signature};
use crate::x509::der::{self, Tlv};

/// Android's key attestation extension (the `KeyDescription`).
const KEY_DESCRIPTION: &str = "1.3.6.1.4.1.11129.2.1.17";
/// AuthorizationList tags: `purpose [1]`, `allApplications [600]`, `origin [702]`.
const TAG_PURPOSE: u32 = 1;
const TAG_ALL_APPLICATIONS: u32 = 600;
const TAG_ORIGIN: u32 = 702;
/// KM_PURPOSE_SIGN, KM_ORIGIN_GENERATED.
const PURPOSE_SIGN: u64 = 2;
const ORIGIN_GENERATED: u64 = 0;

fn bad(why: &'static str) -> AttestationError {
    AttestationError::Statement {
        fmt: "android-key",
        why,
    }
}

/// What the key description says, from both of its authorization lists.
#[derive(Debug, Default)]
struct Authorizations {
    purposes: Vec<u64>,
    origins: Vec<u64>,
    all_applications: bool,
}

impl Authorizations {
    fn read(&mut self, list: Tlv<'_>) -> Result<(), AttestationError> {
        if !list.is_universal(16) {
            return Err(bad("an authorization list is not a SEQUENCE"));
        }
        let mut entries = list.children();
        while !entries.is_empty() {
            let e = entries
                .next_tlv()
                .ok_or(bad("an authorization list is malformed"))?;
            let inner =
                || der::single(e.contents).ok_or(bad("an authorization entry is malformed"));
            if e.is_context(TAG_PURPOSE) {
                let set = inner()?;
                let mut values = set.children();
                while !values.is_empty() {
                    let v = values.next_tlv().and_then(|t| t.as_u64());
                    self.purposes.push(v.ok_or(bad("purpose is malformed"))?);
                }
            } else if e.is_context(TAG_ORIGIN) {
                self.origins
                    .push(inner()?.as_u64().ok_or(bad("origin is malformed"))?);
            } else if e.is_context(TAG_ALL_APPLICATIONS) {
                self.all_applications = true;
            }
        }
        Ok(())
    }
}

/// §8.4 "Verification procedure".
pub fn verify(input: &Input<'_>) -> Result<Verified, AttestationError> {
    let stmt = input.att_stmt;
    let alg = stmt
        .get("alg")
        .and_then(Value::as_i64)
        .and_then(cose::algorithm)
        .ok_or(bad("alg missing or unsupported"))?;
    let sig = stmt
        .get("sig")
        .and_then(Value::as_bytes)
        .ok_or(bad("sig missing"))?;
    let chain = super::chain_of(stmt.get("x5c").ok_or(bad("x5c missing"))?)
        .map_err(|_| bad("x5c is not a certificate chain"))?;
    let cred_cert = chain.first().ok_or(bad("x5c is empty"))?;
    // Step 2: the signature, by the certificate's key.
    let key = cred_cert
        .verifying_key(input.provider, alg)
        .map_err(|_| bad("the certificate's key does not fit alg"))?;
    let sig =
        signature::to_jws(alg, sig).map_err(|_| AttestationError::BadSignature("android-key"))?;
    key.verify(&input.signed_data(), &sig)
        .map_err(|_| AttestationError::BadSignature("android-key"))?;
    // Step 3: the certificate's key is the credential key.
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
    // Step 4: the key description.
    let ext = cred_cert
        .extension(KEY_DESCRIPTION)
        .ok_or(bad("the certificate has no key description"))?;
    let desc = der::single(ext.value)
        .filter(|t| t.is_universal(16))
        .ok_or(bad("the key description is malformed"))?;
    let mut fields = desc.children();
    let mut field = || fields.next_tlv().ok_or(bad("the key description is short"));
    for _ in 0..4 {
        field()?; // versions and security levels
    }
    let challenge = field()?;
    if !challenge.is_universal(4) || challenge.contents != input.client_data_hash {
        return Err(bad("attestationChallenge is not the client data hash"));
    }
    field()?; // uniqueId
    let mut auth = Authorizations::default();
    auth.read(field()?)?; // softwareEnforced
    auth.read(field()?)?; // teeEnforced
    // Steps 5–6 (both lists: software-backed keystores are accepted too).
    if auth.all_applications {
        return Err(bad("the key is usable by all applications"));
    }
    if auth.origins.is_empty() || auth.origins.iter().any(|o| *o != ORIGIN_GENERATED) {
        return Err(bad("the key was not generated in the keystore"));
    }
    if !auth.purposes.contains(&PURPOSE_SIGN) {
        return Err(bad("the key's purposes do not include signing"));
    }
    Ok(Verified {
        kind: AttestationType::Basic,
        trust_path: chain.iter().map(|c| c.der().to_vec()).collect(),
    })
}
