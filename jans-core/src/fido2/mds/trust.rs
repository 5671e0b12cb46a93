//! Attestation trust (WebAuthn Level 3 §7.1 steps 22–24): whether a verified attestation
//! statement leads to a root the metadata names for that authenticator model, and whether
//! the model's status reports allow it. A pure judgement over the metadata in force; the
//! `attestationMode` decides what a failure does.
//!
//! Failures carry Janssen's diagnostic codes (`AttestationTrustDiagnostic`).

use base64::Engine as _;

use super::{APPLE_WEBAUTHN_ROOT_PEM, Known, Metadata, builtin, expired, parse_date};
use crate::crypto::CryptoProvider;
use crate::ctx::UnixTime;
use crate::fido2::attestation::{AttestationType, Verified};
use crate::x509::{self, Certificate};

/// Janssen's codes for an attestation that is not trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustCode {
    /// The AAGUID (or key identifier) is not in the metadata.
    AaguidNotInMds,
    /// The BLOB that named the model is past its `nextUpdate`.
    MdsMetadataExpired,
    /// No metadata is loaded at all.
    MdsUnavailable,
    /// The attestation type or format is not one the model's metadata (or the mode)
    /// permits: no attestation, or self attestation of a model that does not use it.
    AttestationFormatNotPermitted,
    /// The chain does not lead to a root of the model (or a configured one).
    RootCertNotTrusted,
    /// A status report of the model says revoked or compromised.
    AuthenticatorStatusUnacceptable,
}

impl TrustCode {
    /// Janssen's name.
    pub fn as_str(self) -> &'static str {
        match self {
            TrustCode::AaguidNotInMds => "JFS_AAGUID_NOT_IN_MDS",
            TrustCode::MdsMetadataExpired => "JFS_MDS_METADATA_EXPIRED",
            TrustCode::MdsUnavailable => "JFS_MDS_UNAVAILABLE",
            TrustCode::AttestationFormatNotPermitted => "JFS_ATTESTATION_FORMAT_NOT_PERMITTED",
            TrustCode::RootCertNotTrusted => "JFS_ROOT_CERT_NOT_TRUSTED",
            TrustCode::AuthenticatorStatusUnacceptable => "JFS_AUTHENTICATOR_STATUS_UNACCEPTABLE",
        }
    }
}

impl std::fmt::Display for TrustCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Status reports that make an authenticator unacceptable (MDS3 §3.1.4
/// `AuthenticatorStatus`): the FIDO Alliance revoked it, its user verification can be
/// bypassed, or its attestation or user keys are compromised.
pub const UNACCEPTABLE: [&str; 5] = [
    "REVOKED",
    "USER_VERIFICATION_BYPASS",
    "ATTESTATION_KEY_COMPROMISE",
    "USER_KEY_REMOTE_COMPROMISE",
    "USER_KEY_PHYSICAL_COMPROMISE",
];

/// The judgement of one attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Judgement {
    /// Whether the attestation is trusted.
    pub trusted: bool,
    /// Why not.
    pub problem: Option<(TrustCode, String)>,
    /// The model's name in its metadata.
    pub description: Option<String>,
}

impl Judgement {
    fn trusted(known: Option<&Known>) -> Judgement {
        Judgement {
            trusted: true,
            problem: None,
            description: description(known),
        }
    }

    fn refused(code: TrustCode, why: impl Into<String>, known: Option<&Known>) -> Judgement {
        Judgement {
            trusted: false,
            problem: Some((code, why.into())),
            description: description(known),
        }
    }
}

fn description(known: Option<&Known>) -> Option<String> {
    known
        .and_then(|k| k.entry.metadata_statement.as_ref())
        .and_then(|s| s.description.clone())
        .map(|d| d.chars().take(200).collect())
}

/// The MDS name of an attestation type (Metadata Statement §3.6.3 / FIDO Registry §3.6.3).
fn mds_type(kind: AttestationType) -> &'static str {
    match kind {
        AttestationType::None => "none",
        AttestationType::Self_ => "basic_surrogate",
        AttestationType::Basic => "basic_full",
        AttestationType::AttCa => "attca",
        AttestationType::AnonCa => "anonca",
    }
}

/// What is judged: the statement's format and verification, the authenticator's AAGUID
/// (UUID text; all zeros for U2F keys).
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    /// The statement format.
    pub fmt: &'a str,
    /// What its verification proved.
    pub verified: &'a Verified,
    /// The AAGUID.
    pub aaguid: &'a str,
}

/// §7.1 steps 22–24 against `md` at `now`.
pub fn judge(
    md: &Metadata,
    subject: Subject<'_>,
    now: UnixTime,
    provider: &dyn CryptoProvider,
) -> Judgement {
    let v = subject.verified;
    if v.kind == AttestationType::None {
        return Judgement::refused(
            TrustCode::AttestationFormatNotPermitted,
            "the registration carries no attestation",
            None,
        );
    }
    let chain: Vec<Certificate> = v
        .trust_path
        .iter()
        .filter_map(|d| Certificate::parse(d).ok())
        .collect();
    let zero = subject.aaguid.bytes().all(|b| b == b'0' || b == b'-');
    let known = if zero {
        chain
            .first()
            .and_then(|leaf| md.by_key_identifier(&leaf.key_identifier()))
    } else {
        md.by_aaguid(subject.aaguid)
    };
    let Some(known) = known else {
        // Apple publishes no metadata: its anonymization CA's root is built in.
        if subject.fmt == "apple" {
            return match x509::verify_chain(
                &chain,
                &builtin(APPLE_WEBAUTHN_ROOT_PEM),
                now,
                provider,
            ) {
                Ok(_) => Judgement::trusted(None),
                Err(e) => Judgement::refused(
                    TrustCode::RootCertNotTrusted,
                    format!("the apple attestation chain: {e}"),
                    None,
                ),
            };
        }
        if !chain.is_empty()
            && x509::verify_chain(&chain, &md.authenticator_roots, now, provider).is_ok()
        {
            return Judgement::trusted(None);
        }
        let what = if zero {
            "the attestation certificate's key identifier".to_owned()
        } else {
            format!("AAGUID {}", subject.aaguid)
        };
        return if md.is_empty() {
            Judgement::refused(
                TrustCode::MdsUnavailable,
                "no metadata is loaded to judge the attestation by",
                None,
            )
        } else if md.next_update().is_some_and(|n| expired(n, now)) {
            Judgement::refused(
                TrustCode::MdsMetadataExpired,
                format!("{what} is not in the metadata in force, whose BLOB has expired"),
                None,
            )
        } else {
            Judgement::refused(
                TrustCode::AaguidNotInMds,
                format!("{what} is not in the metadata"),
                None,
            )
        };
    };
    let found = Some(known);
    if known.blob_next_update.is_some_and(|n| expired(n, now)) {
        return Judgement::refused(
            TrustCode::MdsMetadataExpired,
            "the metadata BLOB naming this authenticator is past its nextUpdate",
            found,
        );
    }
    // Status reports in effect.
    for r in &known.entry.status_reports {
        let effective = r
            .effective_date
            .as_deref()
            .and_then(parse_date)
            .is_none_or(|d| d <= now);
        if !effective || !UNACCEPTABLE.contains(&r.status.as_str()) {
            continue;
        }
        // An attestation key compromise names the certificate when it is one key.
        if r.status == "ATTESTATION_KEY_COMPROMISE"
            && let Some(c) = r.certificate.as_deref()
        {
            let der = base64::engine::general_purpose::STANDARD.decode(c).ok();
            if !chain.iter().any(|x| Some(x.der()) == der.as_deref()) {
                continue;
            }
        }
        return Judgement::refused(
            TrustCode::AuthenticatorStatusUnacceptable,
            format!("the authenticator's status is {}", r.status),
            found,
        );
    }
    let statement = known.entry.metadata_statement.as_ref();
    let types = statement.map_or(&[][..], |s| &s.attestation_types[..]);
    if !types.is_empty() && !types.iter().any(|t| t == mds_type(v.kind)) {
        return Judgement::refused(
            TrustCode::AttestationFormatNotPermitted,
            format!(
                "attestation type {} is not one the authenticator's metadata lists",
                mds_type(v.kind)
            ),
            found,
        );
    }
    if v.kind == AttestationType::Self_ {
        // Surrogate basic attestation: nothing to chain; the metadata allowing it is the trust.
        return if types.iter().any(|t| t == "basic_surrogate") {
            Judgement::trusted(found)
        } else {
            Judgement::refused(
                TrustCode::AttestationFormatNotPermitted,
                "self attestation is not listed for this authenticator",
                found,
            )
        };
    }
    let mut roots: Vec<Certificate> = statement
        .map_or(&[][..], |s| &s.attestation_root_certificates[..])
        .iter()
        .filter_map(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .filter_map(|d| Certificate::parse(&d).ok())
        .collect();
    roots.extend(md.authenticator_roots.iter().cloned());
    if subject.fmt == "apple" {
        roots.extend(builtin(APPLE_WEBAUTHN_ROOT_PEM));
    }
    match x509::verify_chain(&chain, &roots, now, provider) {
        Ok(_) => Judgement::trusted(found),
        Err(e) => Judgement::refused(
            TrustCode::RootCertNotTrusted,
            format!("the attestation chain does not lead to the authenticator's roots: {e}"),
            found,
        ),
    }
}
