//! FIDO Metadata Service v3.0 (MDS3): the metadata that tells which authenticator models
//! exist, which roots their attestations lead to, and whether any was revoked or
//! compromised — what WebAuthn Level 3 §7.1 steps 22–24 judge an attestation's trust by.
//!
//! - [`blob`]: the metadata BLOB (a JWS whose `x5c` chain leads to the configured root),
//!   verified per MDS3 §3.1.8; [`crl`]: revocation of that chain;
//! - [`trust`]: the judgement of one registration's attestation, with Janssen's `JFS_*`
//!   codes;
//! - this module: the metadata in force ([`Metadata`]), built from what the host read
//!   ([`Sources`]: `mdsTocsFolder`, `mdsCertsFolder`, `serverMetadataFolder`,
//!   `authenticatorCertsFolder`) and from BLOBs fetched through the outbound client at
//!   their `nextUpdate` ([`crate::fido2::Fido2Server::refresh_metadata`]). The engine
//!   reads no file itself (DESIGN.md §3).

pub mod blob;
pub mod crl;
pub mod trust;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::crypto::CryptoProvider;
use crate::ctx::UnixTime;
pub use crate::ctx::{format_date, format_datetime, parse_date};
use crate::x509::{self, CertError, Certificate};
use blob::{Blob, Entry, MetadataStatement};
use crl::Crl;

/// The FIDO Alliance's MDS3 BLOB signing root, GlobalSign Root CA - R3 (SHA-256
/// CB:B5:22:D7:...:C5:3B), the root when `mdsCertsFolder` holds none.
pub const FIDO_MDS_ROOT_PEM: &str = include_str!("roots/globalsign-root-r3.pem");
/// Apple WebAuthn Root CA (SHA-256 09:15:DD:5C:...:BB:29): `apple` anonymous attestations
/// lead to it, and Apple publishes no metadata.
pub const APPLE_WEBAUTHN_ROOT_PEM: &str = include_str!("roots/apple-webauthn-root.pem");

/// Files are at most this large (a BLOB is the largest).
pub const MAX_FILE_BYTES: usize = blob::MAX_BLOB_BYTES;

/// Why metadata was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MdsError {
    /// Not a BLOB or statement of the expected shape.
    #[error("malformed metadata: {0}")]
    Malformed(&'static str),
    /// The BLOB's chain does not verify to a configured root.
    #[error("the BLOB's certificate chain: {0}")]
    Chain(CertError),
    /// A certificate of the BLOB's chain is revoked.
    #[error("a certificate of the BLOB's chain is revoked")]
    Revoked,
    /// A CRL is unusable, or missing where one is required.
    #[error("CRL: {0}")]
    Crl(&'static str),
    /// The BLOB's signature does not verify.
    #[error("the BLOB's signature is invalid")]
    BadSignature,
    /// The BLOB is not newer than the one in force (§3.1.8 step 6).
    #[error("the BLOB's number {0} is not above the one in force")]
    NotNewer(u64),
    /// The BLOB's `nextUpdate` has passed.
    #[error("the BLOB's nextUpdate has passed")]
    Expired,
    /// Fetching failed.
    #[error("fetch: {0}")]
    Fetch(String),
}

/// Files the host read for the metadata: each `(name, bytes)`, names only for messages.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// `mdsTocsFolder`: BLOBs.
    pub blobs: Vec<(String, Vec<u8>)>,
    /// `mdsCertsFolder`: BLOB roots (PEM or DER) and CRLs (`.crl`).
    pub mds_certs: Vec<(String, Vec<u8>)>,
    /// `serverMetadataFolder`: metadata statements (JSON).
    pub statements: Vec<(String, Vec<u8>)>,
    /// `authenticatorCertsFolder`: attestation roots trusted for every authenticator.
    pub authenticator_certs: Vec<(String, Vec<u8>)>,
}

/// One entry in force, and whether it came from a BLOB (it then expires with it).
#[derive(Clone, Debug)]
pub struct Known {
    /// The entry.
    pub entry: Entry,
    /// The BLOB's `nextUpdate`, for entries of a BLOB.
    pub blob_next_update: Option<UnixTime>,
}

/// The metadata in force: the entries of the newest verified BLOB of each source, the
/// statements of `serverMetadataFolder`, the roots, indexed by AAGUID and by attestation
/// key identifier.
#[derive(Debug, Default)]
pub struct Metadata {
    entries: Vec<Known>,
    by_aaguid: HashMap<String, usize>,
    by_key_id: HashMap<String, usize>,
    /// Attestation roots trusted for every authenticator.
    pub authenticator_roots: Vec<Certificate>,
    /// The BLOBs in force, by source (`folder:NAME` or the URL).
    pub blobs: BTreeMap<String, BlobInfo>,
}

/// What the health report tells of one BLOB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobInfo {
    /// `no`.
    pub no: u64,
    /// `nextUpdate`.
    pub next_update: UnixTime,
    /// Entries.
    pub entries: usize,
}

/// Whether a BLOB whose `nextUpdate` is `next_update` is past it at `now`: it serves through
/// that day (UTC), as Janssen keeps it.
pub fn expired(next_update: UnixTime, now: UnixTime) -> bool {
    now >= next_update.saturating_add(86_400)
}

impl Metadata {
    /// The metadata of `blobs` (by source), `statements` and `authenticator_roots`.
    pub fn build(
        blobs: &BTreeMap<String, Blob>,
        statements: &[MetadataStatement],
        authenticator_roots: Vec<Certificate>,
    ) -> Metadata {
        let mut md = Metadata {
            authenticator_roots,
            ..Metadata::default()
        };
        // Statements first: a BLOB's entry for the same model (with its status reports)
        // overrides a local statement.
        for s in statements {
            md.add(Known {
                entry: Entry::of_statement(s.clone()),
                blob_next_update: None,
            });
        }
        for (source, b) in blobs {
            md.blobs.insert(
                source.clone(),
                BlobInfo {
                    no: b.no,
                    next_update: b.next_update,
                    entries: b.entries.len(),
                },
            );
            for e in &b.entries {
                md.add(Known {
                    entry: e.clone(),
                    blob_next_update: Some(b.next_update),
                });
            }
        }
        md
    }

    fn add(&mut self, known: Known) {
        let i = self.entries.len();
        let statement = known.entry.metadata_statement.as_ref();
        let aaguid = known
            .entry
            .aaguid
            .clone()
            .or_else(|| statement.and_then(|s| s.aaguid.clone()));
        if let Some(a) = aaguid {
            self.by_aaguid.insert(a.to_ascii_lowercase(), i);
        }
        let ids = known
            .entry
            .attestation_certificate_key_identifiers
            .iter()
            .chain(statement.map_or(&[][..], |s| &s.attestation_certificate_key_identifiers));
        for k in ids {
            self.by_key_id.insert(k.to_ascii_lowercase(), i);
        }
        self.entries.push(known);
    }

    /// Entries in force (all sources).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry of the AAGUID `aaguid` (UUID text).
    pub fn by_aaguid(&self, aaguid: &str) -> Option<&Known> {
        self.by_aaguid
            .get(&aaguid.to_ascii_lowercase())
            .and_then(|i| self.entries.get(*i))
    }

    /// The entry of an attestation certificate key identifier (U2F authenticators).
    pub fn by_key_identifier(&self, id: &str) -> Option<&Known> {
        self.by_key_id
            .get(&id.to_ascii_lowercase())
            .and_then(|i| self.entries.get(*i))
    }

    /// The earliest `nextUpdate` of the BLOBs in force.
    pub fn next_update(&self) -> Option<UnixTime> {
        self.blobs.values().map(|b| b.next_update).min()
    }
}

/// The roots and CRLs of `mdsCertsFolder`: files ending `.crl` or holding PEM `X509 CRL`
/// are CRLs, the others certificates. Without a root, the FIDO Alliance's.
pub fn mds_anchors(files: &[(String, Vec<u8>)]) -> (Vec<Certificate>, Vec<Crl>, Vec<String>) {
    let (mut roots, mut crls, mut problems) = (Vec::new(), Vec::new(), Vec::new());
    for (name, bytes) in files {
        let is_crl = name.ends_with(".crl")
            || std::str::from_utf8(bytes).is_ok_and(|t| t.contains("-----BEGIN X509 CRL"));
        if is_crl {
            match Crl::parse(bytes) {
                Ok(c) => crls.push(c),
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        } else {
            match x509::parse_pem_or_der(bytes) {
                Ok(cs) => roots.extend(cs),
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        }
    }
    if roots.is_empty() {
        roots = builtin(FIDO_MDS_ROOT_PEM);
    }
    (roots, crls, problems)
}

/// The certificates of a built-in PEM.
pub fn builtin(pem: &str) -> Vec<Certificate> {
    x509::parse_pem_or_der(pem.as_bytes()).unwrap_or_default()
}

/// Certificates of every file, with the names of those that do not parse.
pub fn certificates(files: &[(String, Vec<u8>)]) -> (Vec<Certificate>, Vec<String>) {
    let (mut certs, mut problems) = (Vec::new(), Vec::new());
    for (name, bytes) in files {
        match x509::parse_pem_or_der(bytes) {
            Ok(cs) => certs.extend(cs),
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    (certs, problems)
}

/// The metadata statements of `files` (JSON; a file may hold one statement or an array).
pub fn statements(files: &[(String, Vec<u8>)]) -> (Vec<MetadataStatement>, Vec<String>) {
    let (mut out, mut problems) = (Vec::new(), Vec::new());
    for (name, bytes) in files {
        if bytes.len() > MAX_FILE_BYTES {
            problems.push(format!("{name}: larger than accepted"));
            continue;
        }
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(serde_json::Value::Array(items)) => {
                for item in items {
                    match serde_json::from_value(item) {
                        Ok(s) => out.push(s),
                        Err(e) => problems.push(format!("{name}: {e}")),
                    }
                }
            }
            Ok(v) => match serde_json::from_value(v) {
                Ok(s) => out.push(s),
                Err(e) => problems.push(format!("{name}: {e}")),
            },
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    (out, problems)
}

/// Among BLOB files, the newest (highest `no`) that verifies and has not expired.
pub fn newest_blob(
    files: &[(String, Vec<u8>)],
    anchors: blob::Anchors<'_>,
    now: UnixTime,
    provider: &dyn CryptoProvider,
) -> (Option<Blob>, Vec<String>) {
    let mut best: Option<Blob> = None;
    let mut problems = Vec::new();
    for (name, bytes) in files {
        match blob::verify(bytes, anchors, now, provider) {
            Ok(b) if expired(b.next_update, now) => {
                problems.push(format!("{name}: {}", MdsError::Expired));
            }
            Ok(b) => {
                if best.as_ref().is_none_or(|x| b.no > x.no) {
                    best = Some(b);
                }
            }
            Err(e) => problems.push(format!("{name}: {e}")),
        }
    }
    (best, problems)
}

/// The parsed folder contents kept between refreshes (a fetched BLOB is judged with the
/// folder's roots and CRLs, and merged with its statements).
#[derive(Debug, Default)]
pub struct Local {
    /// BLOB roots.
    pub roots: Vec<Certificate>,
    /// CRLs.
    pub crls: Vec<Crl>,
    /// Statements.
    pub statements: Vec<MetadataStatement>,
    /// Attestation roots for every authenticator.
    pub authenticator_roots: Vec<Certificate>,
}

/// The metadata state of a FIDO2 server: what is in force and how its refreshes went.
#[derive(Debug, Default)]
pub struct State {
    /// The metadata in force.
    pub current: Arc<Metadata>,
    /// What the folders held.
    pub local: Local,
    /// The verified BLOBs, by source.
    pub blobs: BTreeMap<String, Blob>,
    /// When the URLs are fetched next.
    pub next_fetch: UnixTime,
    /// When a refresh last succeeded.
    pub last_success: Option<UnixTime>,
    /// Why the last refresh failed (its first failure), until one succeeds.
    pub last_error: Option<String>,
}

impl State {
    /// Rebuild [`State::current`] from the BLOBs and the local files.
    pub fn rebuild(&mut self) {
        self.current = Arc::new(Metadata::build(
            &self.blobs,
            &self.local.statements,
            self.local.authenticator_roots.clone(),
        ));
    }
}

#[cfg(test)]
mod tests;
