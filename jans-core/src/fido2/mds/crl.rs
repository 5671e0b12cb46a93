//! Certificate revocation lists (RFC 5280 §5): parsed with `x509-cert`, their signature
//! checked against the issuing certificate, and a chain refused when one of its
//! certificates is listed (FIDO MDS3 §3.1.8 step 4: "ignore the file if ... one of the
//! chain certificates is revoked").

use ::der::Decode;
use x509_cert::crl::CertificateList;

use super::MdsError;
use crate::crypto::CryptoProvider;
use crate::ctx::UnixTime;
use crate::x509::der;
use crate::x509::{self, Certificate};

/// Largest CRL accepted.
pub const MAX_CRL_LEN: usize = 1024 * 1024;

/// A parsed CRL.
#[derive(Clone, Debug)]
pub struct Crl {
    issuer: Vec<u8>,
    this_update: UnixTime,
    next_update: Option<UnixTime>,
    revoked: Vec<Vec<u8>>,
    tbs: Vec<u8>,
    algorithm: String,
    signature: Vec<u8>,
}

impl Crl {
    /// Parse a CRL: DER, or PEM (`X509 CRL`).
    pub fn parse(bytes: &[u8]) -> Result<Crl, MdsError> {
        let der_bytes = match x509::pem_blocks(bytes, "X509 CRL") {
            Some(mut blocks) if blocks.len() == 1 => blocks.remove(0),
            Some(_) => return Err(MdsError::Crl("not one PEM X509 CRL")),
            None => bytes.to_vec(),
        };
        if der_bytes.len() > MAX_CRL_LEN {
            return Err(MdsError::Crl("larger than accepted"));
        }
        let list =
            <CertificateList>::from_der(&der_bytes).map_err(|_| MdsError::Crl("does not parse"))?;
        let tbs = der::single(&der_bytes)
            .and_then(|outer| outer.children().next_tlv())
            .ok_or(MdsError::Crl("does not parse"))?
            .raw
            .to_vec();
        use ::der::Encode;
        let t = &list.tbs_cert_list;
        Ok(Crl {
            issuer: t.issuer.to_der().map_err(|_| MdsError::Crl("issuer"))?,
            this_update: t.this_update.to_unix_duration().as_secs(),
            next_update: t.next_update.map(|n| n.to_unix_duration().as_secs()),
            revoked: t
                .revoked_certificates
                .iter()
                .flatten()
                .map(|r| r.serial_number.as_bytes().to_vec())
                .collect(),
            tbs,
            algorithm: list.signature_algorithm.oid.to_string(),
            signature: list
                .signature
                .as_bytes()
                .ok_or(MdsError::Crl("signature"))?
                .to_vec(),
        })
    }

    /// Whether this CRL is `issuer`'s: the same name and `issuer`'s signature.
    pub fn issued_by(&self, issuer: &Certificate, provider: &dyn CryptoProvider) -> bool {
        self.issuer == issuer.subject_der()
            && x509::verify_signature(
                &self.algorithm,
                &self.tbs,
                &self.signature,
                issuer,
                provider,
            )
            .is_ok()
    }

    /// Whether it is in force at `now` (thisUpdate passed, nextUpdate not yet).
    pub fn current_at(&self, now: UnixTime) -> bool {
        self.this_update <= now && self.next_update.is_none_or(|n| now <= n)
    }

    /// Whether `cert` is listed.
    pub fn revokes(&self, cert: &Certificate) -> bool {
        self.revoked.iter().any(|s| s == cert.serial())
    }
}

/// Check each certificate of `chain` (leaf first; its issuer the next one, the last one's
/// `root`) against the CRLs its issuer signed. A certificate that names a distribution point
/// needs a current CRL when `require` (metadata fetched online, where the CRL was fetched
/// too); otherwise a certificate without a CRL passes.
pub fn check_chain(
    chain: &[Certificate],
    root: &Certificate,
    crls: &[Crl],
    require: bool,
    now: UnixTime,
    provider: &dyn CryptoProvider,
) -> Result<(), MdsError> {
    for (i, cert) in chain.iter().enumerate() {
        if cert.der() == root.der() {
            break;
        }
        let issuer = chain.get(i + 1).unwrap_or(root);
        let mut found = false;
        for crl in crls.iter().filter(|c| c.issued_by(issuer, provider)) {
            if !crl.current_at(now) {
                continue;
            }
            found = true;
            if crl.revokes(cert) {
                return Err(MdsError::Revoked);
            }
        }
        if !found && require && !cert.crl_distribution_points().is_empty() {
            return Err(MdsError::Crl(
                "no current CRL for a certificate of the chain",
            ));
        }
    }
    Ok(())
}
