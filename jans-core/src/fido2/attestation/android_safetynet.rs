//! The `android-safetynet` attestation statement format (WebAuthn Level 3 §8.5): a
//! SafetyNet attestation (a JWS signed by `attest.android.com`) whose nonce covers the
//! authenticator data and client data hash, issued within the last minute.

use base64::Engine as _;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{AttestationError, AttestationType, Input, Verified};
use crate::fido2::cbor::Value;
use crate::jose::Algorithm;
use crate::x509::{self, der};

/// The host the attestation certificate must be issued to (§8.5 step 4).
const ATTEST_HOST: &str = "attest.android.com";
/// How far `timestampMs` may be from now, in seconds, either way (§8.5 step 5: "within an
/// acceptable window").
pub const TIMESTAMP_WINDOW: u64 = 60;
/// Largest response accepted.
const MAX_RESPONSE_LEN: usize = 32 * 1024;

fn bad(why: &'static str) -> AttestationError {
    AttestationError::Statement {
        fmt: "android-safetynet",
        why,
    }
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    x5c: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    nonce: String,
    timestamp_ms: u64,
    #[serde(default)]
    cts_profile_match: bool,
}

/// Whether `cert` is issued to `host`: a `dNSName` of its subjectAltName, or its CN.
fn issued_to(cert: &x509::Certificate, host: &str) -> bool {
    let in_san = cert.extension("2.5.29.17").is_some_and(|ext| {
        der::single(ext.value)
            .filter(|t| t.is_universal(16))
            .is_some_and(|seq| {
                let mut names = seq.children();
                std::iter::from_fn(|| names.next_tlv())
                    .any(|n| n.is_context(2) && n.contents == host.as_bytes())
            })
    });
    in_san || cert.subject_attribute(x509::OID_COMMON_NAME).as_deref() == Some(host)
}

/// §8.5 "Verification procedure".
pub fn verify(input: &Input<'_>) -> Result<Verified, AttestationError> {
    let stmt = input.att_stmt;
    stmt.get("ver")
        .and_then(Value::as_text)
        .filter(|v| !v.is_empty())
        .ok_or(bad("ver missing"))?;
    let response = stmt
        .get("response")
        .and_then(Value::as_bytes)
        .filter(|r| r.len() <= MAX_RESPONSE_LEN)
        .ok_or(bad("response missing"))?;
    let jws = std::str::from_utf8(response).map_err(|_| bad("response is not a JWS"))?;
    let mut parts = jws.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("response is not a compact JWS"));
    };
    let decode = |x: &str| crate::b64::decode(x).map_err(|_| bad("response is not base64url"));
    let header: Header =
        serde_json::from_slice(&decode(h)?).map_err(|_| bad("the JWS header is malformed"))?;
    let payload: Payload =
        serde_json::from_slice(&decode(p)?).map_err(|_| bad("the JWS payload is malformed"))?;
    let sig = decode(s)?;
    // Step 2: the nonce.
    let expected =
        base64::engine::general_purpose::STANDARD.encode(Sha256::digest(input.signed_data()));
    if payload.nonce != expected {
        return Err(bad(
            "the nonce does not match the authenticator and client data",
        ));
    }
    // Steps 3–4: the JWS, by a certificate issued to attest.android.com.
    if header.x5c.is_empty() || header.x5c.len() > x509::MAX_CHAIN {
        return Err(bad("the JWS header has no certificate chain"));
    }
    let chain = header
        .x5c
        .iter()
        .map(|c| {
            base64::engine::general_purpose::STANDARD
                .decode(c)
                .ok()
                .and_then(|d| x509::Certificate::parse(&d).ok())
                .ok_or(bad("x5c holds a certificate that does not parse"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = chain.first().ok_or(bad("x5c is empty"))?;
    if !issued_to(leaf, ATTEST_HOST) {
        return Err(bad(
            "the attestation certificate is not issued to attest.android.com",
        ));
    }
    let alg: Algorithm = header.alg.parse().map_err(|_| bad("unsupported JWS alg"))?;
    let key = leaf
        .verifying_key(input.provider, alg)
        .map_err(|_| bad("the certificate's key does not fit the JWS alg"))?;
    let signing_input = jws
        .get(..h.len() + 1 + p.len())
        .ok_or(bad("response is not a compact JWS"))?;
    key.verify(signing_input.as_bytes(), &sig)
        .map_err(|_| AttestationError::BadSignature("android-safetynet"))?;
    // Step 5: ctsProfileMatch and a fresh timestamp.
    if !payload.cts_profile_match {
        return Err(bad("ctsProfileMatch is false"));
    }
    let issued = payload.timestamp_ms / 1000;
    if issued > input.now.saturating_add(TIMESTAMP_WINDOW)
        || issued.saturating_add(TIMESTAMP_WINDOW) < input.now
    {
        return Err(bad("the attestation is not from the last minute"));
    }
    Ok(Verified {
        kind: AttestationType::Basic,
        trust_path: chain.iter().map(|c| c.der().to_vec()).collect(),
    })
}
