//! The metadata BLOB (FIDO Metadata Service v3.0 §3.1): a JWS in compact form whose header
//! carries the signing chain (`x5c`) and whose payload lists the authenticators
//! (`MetadataBLOBPayload`), verified per §3.1.8 "Metadata BLOB object processing rules".

use base64::Engine as _;
use serde::Deserialize;

use super::crl::{self, Crl};
use super::{MdsError, parse_date};
use crate::crypto::CryptoProvider;
use crate::ctx::UnixTime;
use crate::jose::Algorithm;
use crate::x509::{self, Certificate};

/// Largest BLOB accepted (the FIDO Alliance's is a few megabytes).
pub const MAX_BLOB_BYTES: usize = 16 * 1024 * 1024;
/// Most entries accepted in one BLOB.
pub const MAX_ENTRIES: usize = 100_000;

/// A status report (§3.1.3 `StatusReport`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusReport {
    /// `AuthenticatorStatus` (§3.1.4): `FIDO_CERTIFIED`, `REVOKED`, ...
    pub status: String,
    /// The date it took effect (`YYYY-MM-DD`).
    #[serde(default)]
    pub effective_date: Option<String>,
    /// For `ATTESTATION_KEY_COMPROMISE`: the compromised attestation certificate (base64
    /// DER); absent, every attestation key of the model is compromised.
    #[serde(default)]
    pub certificate: Option<String>,
}

/// A metadata statement (FIDO Metadata Statement v3.0 §4), the members trust is judged
/// by; the others are kept as sent.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MetadataStatement {
    /// The model's name.
    #[serde(default)]
    pub description: Option<String>,
    /// FIDO2 authenticators: the AAGUID (UUID text).
    #[serde(default)]
    pub aaguid: Option<String>,
    /// U2F authenticators: the key identifiers of their attestation certificates.
    #[serde(default)]
    pub attestation_certificate_key_identifiers: Vec<String>,
    /// `basic_full`, `basic_surrogate`, `attca`, `anonca`, `none`.
    #[serde(default)]
    pub attestation_types: Vec<String>,
    /// The roots its attestation chains lead to (base64 DER, standard alphabet).
    #[serde(default)]
    pub attestation_root_certificates: Vec<String>,
}

/// One BLOB entry (§3.1.1 `MetadataBLOBPayloadEntry`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// FIDO2: the AAGUID.
    #[serde(default)]
    pub aaguid: Option<String>,
    /// U2F: attestation certificate key identifiers.
    #[serde(default)]
    pub attestation_certificate_key_identifiers: Vec<String>,
    /// The statement.
    #[serde(default)]
    pub metadata_statement: Option<MetadataStatement>,
    /// Status reports, oldest first as published.
    #[serde(default)]
    pub status_reports: Vec<StatusReport>,
}

impl Entry {
    /// An entry made of a statement alone (`serverMetadataFolder`): no status reports.
    pub fn of_statement(statement: MetadataStatement) -> Entry {
        Entry {
            aaguid: statement.aaguid.clone(),
            attestation_certificate_key_identifiers: statement
                .attestation_certificate_key_identifiers
                .clone(),
            metadata_statement: Some(statement),
            status_reports: Vec::new(),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    no: u64,
    next_update: String,
    #[serde(default)]
    legal_header: Option<String>,
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    x5c: Vec<String>,
}

/// A verified BLOB.
#[derive(Clone, Debug)]
pub struct Blob {
    /// Its serial number (`no`): a BLOB replaces only one with a lower number.
    pub no: u64,
    /// Its `nextUpdate`, the start of that day (UTC).
    pub next_update: UnixTime,
    /// The legal header, as published.
    pub legal_header: Option<String>,
    /// Its entries.
    pub entries: Vec<Entry>,
}

/// What a BLOB is checked against.
#[derive(Clone, Copy, Debug)]
pub struct Anchors<'a> {
    /// The roots its chain may lead to.
    pub roots: &'a [Certificate],
    /// CRLs at hand.
    pub crls: &'a [Crl],
    /// Whether a chain certificate naming a CRL distribution point needs a current CRL.
    pub require_crls: bool,
}

/// The certificates of the BLOB's `x5c` header (base64, standard alphabet; leaf first).
pub fn signing_chain(jwt: &[u8]) -> Result<Vec<Certificate>, MdsError> {
    let (header, _, _) = split(jwt)?;
    header
        .x5c
        .iter()
        .take(x509::MAX_CHAIN + 1)
        .map(|c| {
            let der = base64::engine::general_purpose::STANDARD
                .decode(c)
                .map_err(|_| MdsError::Malformed("x5c is not base64"))?;
            Certificate::parse(&der).map_err(MdsError::Chain)
        })
        .collect()
}

fn split(jwt: &[u8]) -> Result<(Header, &[u8], &[u8]), MdsError> {
    if jwt.len() > MAX_BLOB_BYTES {
        return Err(MdsError::Malformed("larger than accepted"));
    }
    let jwt = jwt.trim_ascii();
    let mut parts = jwt.split(|b| *b == b'.');
    let (Some(h), Some(p), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(MdsError::Malformed("not a compact JWS"));
    };
    let header_json =
        crate::b64::decode(std::str::from_utf8(h).map_err(|_| MdsError::Malformed("header"))?)
            .map_err(|_| MdsError::Malformed("header is not base64url"))?;
    let header: Header =
        serde_json::from_slice(&header_json).map_err(|_| MdsError::Malformed("header"))?;
    let signed_len = h.len() + 1 + p.len();
    let signed = jwt.get(..signed_len).ok_or(MdsError::Malformed("JWS"))?;
    Ok((header, p, signed))
}

/// §3.1.8: verify the BLOB `jwt` at `now` — its chain (steps 3–4) up to one of the roots
/// with no certificate revoked, its signature by the chain's leaf (step 5) — and read its
/// payload.
pub fn verify(
    jwt: &[u8],
    anchors: Anchors<'_>,
    now: UnixTime,
    provider: &dyn CryptoProvider,
) -> Result<Blob, MdsError> {
    let (header, payload_b64, signed) = split(jwt)?;
    let sig_b64 = jwt
        .trim_ascii()
        .get(signed.len() + 1..)
        .ok_or(MdsError::Malformed("JWS"))?;
    let sig = std::str::from_utf8(sig_b64)
        .ok()
        .and_then(|s| crate::b64::decode(s).ok())
        .ok_or(MdsError::Malformed("signature is not base64url"))?;
    // Step 3: a BLOB without x5c would need x5u; the FIDO Alliance's carries x5c.
    let chain = signing_chain(jwt)?;
    if chain.is_empty() {
        return Err(MdsError::Malformed("the header has no x5c"));
    }
    // Step 4.
    let root = x509::verify_chain(&chain, anchors.roots, now, provider).map_err(MdsError::Chain)?;
    crl::check_chain(
        &chain,
        root,
        anchors.crls,
        anchors.require_crls,
        now,
        provider,
    )?;
    // Step 5.
    let alg = Algorithm::from_name(&header.alg)
        .filter(|a| {
            matches!(
                a,
                Algorithm::RS256
                    | Algorithm::RS384
                    | Algorithm::RS512
                    | Algorithm::PS256
                    | Algorithm::ES256
                    | Algorithm::ES384
                    | Algorithm::ES512
                    | Algorithm::EdDSA
            )
        })
        .ok_or(MdsError::Malformed("alg is not a signature algorithm"))?;
    let leaf = chain.first().ok_or(MdsError::Malformed("x5c"))?;
    leaf.verifying_key(provider, alg)
        .map_err(MdsError::Chain)?
        .verify(signed, &sig)
        .map_err(|_| MdsError::BadSignature)?;
    let payload = std::str::from_utf8(payload_b64)
        .ok()
        .and_then(|s| crate::b64::decode(s).ok())
        .ok_or(MdsError::Malformed("payload is not base64url"))?;
    parse_payload(&payload)
}

/// A `MetadataBLOBPayload` (§3.1.6), once its signature is verified.
pub fn parse_payload(payload: &[u8]) -> Result<Blob, MdsError> {
    let payload: Payload = serde_json::from_slice(payload)
        .map_err(|_| MdsError::Malformed("the payload is not a MetadataBLOBPayload"))?;
    if payload.entries.len() > MAX_ENTRIES {
        return Err(MdsError::Malformed("too many entries"));
    }
    Ok(Blob {
        no: payload.no,
        next_update: parse_date(&payload.next_update)
            .ok_or(MdsError::Malformed("nextUpdate is not a date"))?,
        legal_header: payload.legal_header,
        entries: payload.entries,
    })
}
