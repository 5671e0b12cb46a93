//! X.509 certificates (RFC 5280) — of FIDO attestation statements and metadata, of
//! clients authenticating with mutual TLS (RFC 8705) — read with `x509-cert`, their keys
//! made keys of the engine's [`CryptoProvider`], and chains verified against trust anchors
//! at the time the caller gives (never the system clock).
//!
//! Signatures are checked over the certificate's own `tbsCertificate` bytes as sent (not a
//! re-encoding). Signature algorithms: ECDSA (P-256/384/521) with SHA-256/384/512 in any
//! pairing, RSA PKCS#1 v1.5 with SHA-256/384/512, Ed25519.

pub mod build;
pub mod der;
pub mod forwarded;
pub mod names;

use std::sync::Arc;

use ::der::Decode;
use x509_cert::certificate::Certificate as X509;

use crate::crypto::{CryptoProvider, VerifyingKey};
use crate::ctx::UnixTime;
use crate::jose::{Algorithm, Jwk};

/// Subject attribute countryName.
pub const OID_COUNTRY: &str = "2.5.4.6";
/// Subject attribute organizationName.
pub const OID_ORGANIZATION: &str = "2.5.4.10";
/// Subject attribute organizationalUnitName.
pub const OID_ORGANIZATIONAL_UNIT: &str = "2.5.4.11";
/// Subject attribute commonName.
pub const OID_COMMON_NAME: &str = "2.5.4.3";

/// Longest chain accepted (leaf, intermediates).
pub const MAX_CHAIN: usize = 8;
/// Largest certificate accepted.
pub const MAX_CERT_LEN: usize = 8 * 1024;

/// Why a certificate or chain was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    /// Not a DER certificate (or larger than accepted).
    #[error("certificate does not parse")]
    Malformed,
    /// Its key is of a kind, or on a curve, not supported, or does not fit the algorithm.
    #[error("certificate key is not supported: {0}")]
    UnsupportedKey(&'static str),
    /// Its signature algorithm is not supported.
    #[error("certificate signature algorithm {0} is not supported")]
    UnsupportedSignature(String),
    /// A signature in the chain does not verify.
    #[error("certificate signature does not verify")]
    BadSignature,
    /// A certificate is not valid at the time of verification.
    #[error("certificate is expired or not yet valid")]
    Expired,
    /// An issuer in the chain is not a CA.
    #[error("an issuing certificate is not a CA")]
    NotCa,
    /// The chain does not end at a trust anchor.
    #[error("the chain does not lead to a trusted root")]
    Untrusted,
    /// The chain is empty or too long.
    #[error("the chain is empty or longer than {MAX_CHAIN}")]
    ChainLength,
    /// A certificate cannot be written as asked (RFC 5280 §4.1: serial number, name,
    /// validity), or its key did not sign it.
    #[error("certificate cannot be built: {0}")]
    Build(&'static str),
}

/// A certificate extension, as found.
#[derive(Clone, Copy, Debug)]
pub struct Extension<'a> {
    /// Critical flag.
    pub critical: bool,
    /// `extnValue`'s contents (the DER of the extension's own value).
    pub value: &'a [u8],
}

/// A parsed certificate with its DER.
#[derive(Clone, Debug)]
pub struct Certificate {
    der: Vec<u8>,
    cert: X509,
}

/// The bytes of an INTEGER's value without its sign padding.
fn unsigned(int: &[u8]) -> &[u8] {
    match int {
        [0, rest @ ..] if !rest.is_empty() => rest,
        _ => int,
    }
}

impl Certificate {
    /// Parse a DER certificate.
    pub fn parse(der: &[u8]) -> Result<Certificate, CertError> {
        if der.len() > MAX_CERT_LEN {
            return Err(CertError::Malformed);
        }
        let cert = X509::from_der(der).map_err(|_| CertError::Malformed)?;
        Ok(Certificate {
            der: der.to_vec(),
            cert,
        })
    }

    /// Its DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// `x5t#S256`: base64url of the SHA-256 of its DER (RFC 7515 §4.1.8), what a
    /// certificate-bound token is bound to (RFC 8705 §3.1).
    pub fn thumbprint_s256(&self) -> String {
        thumbprint_s256(&self.der)
    }

    /// 1, 2 or 3.
    pub fn version(&self) -> u8 {
        match self.cert.tbs_certificate().version() {
            x509_cert::certificate::Version::V1 => 1,
            x509_cert::certificate::Version::V2 => 2,
            x509_cert::certificate::Version::V3 => 3,
        }
    }

    /// The first subject attribute `oid` (dotted) as text, when it is a string.
    pub fn subject_attribute(&self, oid: &str) -> Option<String> {
        let oid = const_oid::ObjectIdentifier::new(oid).ok()?;
        self.cert
            .tbs_certificate()
            .subject()
            .iter()
            .find(|a| a.oid == oid)
            .and_then(|a| {
                // UTF8String, PrintableString, T61String, IA5String, BMP is not read.
                use ::der::{Tag, Tagged};
                matches!(
                    a.value.tag(),
                    Tag::Utf8String | Tag::PrintableString | Tag::TeletexString | Tag::Ia5String
                )
                .then(|| String::from_utf8(a.value.value().to_vec()).ok())
                .flatten()
            })
    }

    /// The extension `oid` (dotted).
    pub fn extension(&self, oid: &str) -> Option<Extension<'_>> {
        let oid = const_oid::ObjectIdentifier::new(oid).ok()?;
        self.cert
            .tbs_certificate()
            .extensions()?
            .iter()
            .find(|e| e.extn_id == oid)
            .map(|e| Extension {
                critical: e.critical,
                value: e.extn_value.as_bytes(),
            })
    }

    /// Whether the subject is an empty name.
    pub fn subject_is_empty(&self) -> bool {
        self.cert.tbs_certificate().subject().is_empty()
    }

    /// The extended key usages (dotted OIDs), from the extension when present.
    pub fn extended_key_usages(&self) -> Vec<String> {
        let Some(ext) = self.extension("2.5.29.37") else {
            return Vec::new();
        };
        let Some(seq) = der::single(ext.value).filter(|t| t.is_universal(16)) else {
            return Vec::new();
        };
        let mut r = seq.children();
        std::iter::from_fn(|| r.next_tlv())
            .filter(|t| t.is_universal(6))
            .filter_map(|t| const_oid::ObjectIdentifier::from_bytes(t.contents).ok())
            .map(|o| o.to_string())
            .collect()
    }

    /// Whether basicConstraints says CA.
    pub fn is_ca(&self) -> bool {
        self.extension("2.5.29.19")
            .and_then(|e| {
                x509_cert::ext::pkix::BasicConstraints::from_der(e.value)
                    .ok()
                    .map(|b| b.ca)
            })
            .unwrap_or(false)
    }

    /// notBefore and notAfter, in seconds since the epoch.
    pub fn validity(&self) -> (UnixTime, UnixTime) {
        let v = self.cert.tbs_certificate().validity();
        (
            v.not_before.to_unix_duration().as_secs(),
            v.not_after.to_unix_duration().as_secs(),
        )
    }

    /// Whether it is valid at `now`.
    pub fn valid_at(&self, now: UnixTime) -> bool {
        let (from, to) = self.validity();
        from <= now && now <= to
    }

    /// The subject public key as a JWK, with the JOSE algorithms it can verify.
    pub fn public_jwk(&self) -> Result<(Jwk, &'static [Algorithm]), CertError> {
        let spki = self.cert.tbs_certificate().subject_public_key_info();
        let key = spki.subject_public_key.raw_bytes();
        let b64 = |b: &[u8]| Some(crate::b64::encode(b));
        match spki.algorithm.oid.to_string().as_str() {
            // id-ecPublicKey
            "1.2.840.10045.2.1" => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<const_oid::ObjectIdentifier>().ok())
                    .ok_or(CertError::UnsupportedKey("EC key without a named curve"))?;
                let (crv, size, algs): (&str, usize, &'static [Algorithm]) =
                    match curve.to_string().as_str() {
                        "1.2.840.10045.3.1.7" => ("P-256", 32, &[Algorithm::ES256]),
                        "1.3.132.0.34" => ("P-384", 48, &[Algorithm::ES384]),
                        "1.3.132.0.35" => ("P-521", 66, &[Algorithm::ES512]),
                        _ => return Err(CertError::UnsupportedKey("EC curve")),
                    };
                let point = key
                    .strip_prefix(&[0x04])
                    .filter(|p| p.len() == 2 * size)
                    .ok_or(CertError::UnsupportedKey("EC point is not uncompressed"))?;
                let (x, y) = point.split_at(size);
                Ok((
                    Jwk {
                        kty: "EC".to_owned(),
                        crv: Some(crv.to_owned()),
                        x: b64(x),
                        y: b64(y),
                        ..Jwk::default()
                    },
                    algs,
                ))
            }
            // rsaEncryption: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }
            "1.2.840.113549.1.1.1" => {
                let bad = CertError::UnsupportedKey("RSA key does not parse");
                let seq = der::single(key)
                    .filter(|t| t.is_universal(16))
                    .ok_or(bad.clone())?;
                let mut parts = seq.children();
                let (Some(n), Some(e), true) =
                    (parts.next_tlv(), parts.next_tlv(), parts.is_empty())
                else {
                    return Err(bad);
                };
                if !n.is_universal(2) || !e.is_universal(2) {
                    return Err(bad);
                }
                let (n, e) = (n.contents, e.contents);
                Ok((
                    Jwk {
                        kty: "RSA".to_owned(),
                        n: b64(unsigned(n)),
                        e: b64(unsigned(e)),
                        ..Jwk::default()
                    },
                    &[
                        Algorithm::RS256,
                        Algorithm::RS384,
                        Algorithm::RS512,
                        Algorithm::PS256,
                    ],
                ))
            }
            // id-Ed25519
            "1.3.101.112" => Ok((
                Jwk {
                    kty: "OKP".to_owned(),
                    crv: Some("Ed25519".to_owned()),
                    x: b64(key),
                    ..Jwk::default()
                },
                &[Algorithm::EdDSA],
            )),
            _ => Err(CertError::UnsupportedKey("key type")),
        }
    }

    /// The subject public key as a key of `provider` verifying `alg`.
    pub fn verifying_key(
        &self,
        provider: &dyn CryptoProvider,
        alg: Algorithm,
    ) -> Result<Arc<dyn VerifyingKey>, CertError> {
        let (jwk, algs) = self.public_jwk()?;
        if !algs.contains(&alg) {
            return Err(CertError::UnsupportedKey(
                "the key does not fit the algorithm",
            ));
        }
        provider
            .verifying_key(alg, &jwk)
            .map_err(|_| CertError::UnsupportedKey("the provider refused the key"))
    }

    /// The raw bytes of `tbsCertificate`, as signed.
    fn tbs_bytes(&self) -> Result<&[u8], CertError> {
        let outer = der::single(&self.der).ok_or(CertError::Malformed)?;
        let tbs = outer.children().next_tlv().ok_or(CertError::Malformed)?;
        Ok(tbs.raw)
    }

    /// Whether `issuer`'s key signed this certificate.
    pub fn verify_signed_by(
        &self,
        issuer: &Certificate,
        provider: &dyn CryptoProvider,
    ) -> Result<(), CertError> {
        let raw = self
            .cert
            .signature()
            .as_bytes()
            .ok_or(CertError::Malformed)?;
        verify_signature(
            &self.cert.signature_algorithm().oid.to_string(),
            self.tbs_bytes()?,
            raw,
            issuer,
            provider,
        )
    }

    /// The issuer name's DER (to match a CRL's issuer).
    pub fn issuer_der(&self) -> Vec<u8> {
        use ::der::Encode;
        self.cert
            .tbs_certificate()
            .issuer()
            .to_der()
            .unwrap_or_default()
    }

    /// The subject name's DER.
    pub fn subject_der(&self) -> Vec<u8> {
        use ::der::Encode;
        self.cert
            .tbs_certificate()
            .subject()
            .to_der()
            .unwrap_or_default()
    }

    /// The serial number's bytes, as encoded.
    pub fn serial(&self) -> &[u8] {
        self.cert.tbs_certificate().serial_number().as_bytes()
    }

    /// The URIs of the CRL distribution points extension (RFC 5280 §4.2.1.13).
    pub fn crl_distribution_points(&self) -> Vec<String> {
        use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
        let Some(ext) = self.extension("2.5.29.31") else {
            return Vec::new();
        };
        let Ok(points) = x509_cert::ext::pkix::CrlDistributionPoints::from_der(ext.value) else {
            return Vec::new();
        };
        points
            .0
            .iter()
            .filter_map(|p| match &p.distribution_point {
                Some(DistributionPointName::FullName(names)) => Some(names),
                _ => None,
            })
            .flatten()
            .filter_map(|n| match n {
                GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                _ => None,
            })
            .collect()
    }

    /// FIDO's attestation certificate key identifier: the lowercase hex SHA-1 of the
    /// subject public key's bit string (FIDO Metadata Statement §4
    /// `attestationCertificateKeyIdentifiers`), how U2F authenticators are named in
    /// metadata.
    pub fn key_identifier(&self) -> String {
        use sha1::Digest as _;
        let key = self
            .cert
            .tbs_certificate()
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes();
        sha1::Sha1::digest(key)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// `x5t#S256` of the certificate `der` (RFC 7515 §4.1.8, RFC 8705 §3.1).
pub fn thumbprint_s256(der: &[u8]) -> String {
    use sha2::Digest as _;
    crate::b64::encode(&sha2::Sha256::digest(der))
}

/// Verify `raw`, a signature of algorithm `oid` (dotted) over `tbs`, with `issuer`'s key:
/// certificates and CRLs are signed alike.
pub fn verify_signature(
    oid: &str,
    tbs: &[u8],
    raw: &[u8],
    issuer: &Certificate,
    provider: &dyn CryptoProvider,
) -> Result<(), CertError> {
    // ECDSA: the issuer's curve and the signature's hash are chosen apart (RFC 5758 §3.2).
    let ecdsa = match oid {
        "1.2.840.10045.4.3.2" => Some(crate::crypto::Hash::Sha256),
        "1.2.840.10045.4.3.3" => Some(crate::crypto::Hash::Sha384),
        "1.2.840.10045.4.3.4" => Some(crate::crypto::Hash::Sha512),
        _ => None,
    };
    if let Some(hash) = ecdsa {
        let (jwk, _) = issuer.public_jwk()?;
        if jwk.kty != "EC" {
            return Err(CertError::UnsupportedKey(
                "an ECDSA signature needs an EC key",
            ));
        }
        return provider
            .verify_ecdsa(&jwk, hash, tbs, raw)
            .map_err(|_| CertError::BadSignature);
    }
    let alg = match oid {
        "1.2.840.113549.1.1.11" => Algorithm::RS256,
        "1.2.840.113549.1.1.12" => Algorithm::RS384,
        "1.2.840.113549.1.1.13" => Algorithm::RS512,
        "1.3.101.112" => Algorithm::EdDSA,
        _ => return Err(CertError::UnsupportedSignature(oid.to_owned())),
    };
    let key = issuer.verifying_key(provider, alg)?;
    key.verify(tbs, raw).map_err(|_| CertError::BadSignature)
}

/// The DER certificates in `bytes`: PEM (any number of `CERTIFICATE` blocks) or one DER
/// certificate.
pub fn parse_pem_or_der(bytes: &[u8]) -> Result<Vec<Certificate>, CertError> {
    match pem_blocks(bytes, "CERTIFICATE") {
        Some(blocks) if !blocks.is_empty() => {
            blocks.iter().map(|d| Certificate::parse(d)).collect()
        }
        Some(_) => Err(CertError::Malformed),
        None => Certificate::parse(bytes).map(|c| vec![c]),
    }
}

/// The decoded `label` blocks of a PEM text, or `None` when `bytes` is not PEM text.
pub fn pem_blocks(bytes: &[u8], label: &str) -> Option<Vec<Vec<u8>>> {
    use base64::Engine as _;
    let text = std::str::from_utf8(bytes).ok()?;
    if !text.contains("-----BEGIN ") {
        return None;
    }
    let (begin, end) = (
        format!("-----BEGIN {label}-----"),
        format!("-----END {label}-----"),
    );
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let body_start = start + begin.len();
        let Some(len) = rest.get(body_start..).and_then(|r| r.find(&end)) else {
            return Some(Vec::new());
        };
        let body: String = rest
            .get(body_start..body_start + len)
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        match base64::engine::general_purpose::STANDARD.decode(body) {
            Ok(der) => out.push(der),
            Err(_) => return Some(Vec::new()),
        }
        rest = rest.get(body_start + len + end.len()..).unwrap_or_default();
    }
    Some(out)
}

/// Verify `chain` (leaf first) up to one of `roots` at `now`: each certificate signed by
/// the next, each issuer a CA, every certificate (the root's too) valid at `now`. A chain
/// that includes its root is accepted as well as one that stops below it. Returns the
/// root it reached.
pub fn verify_chain<'r>(
    chain: &[Certificate],
    roots: &'r [Certificate],
    now: UnixTime,
    provider: &dyn CryptoProvider,
) -> Result<&'r Certificate, CertError> {
    if chain.is_empty() || chain.len() > MAX_CHAIN {
        return Err(CertError::ChainLength);
    }
    for (i, cert) in chain.iter().enumerate() {
        if let Some(root) = roots.iter().find(|r| r.der == cert.der) {
            return root.valid_at(now).then_some(root).ok_or(CertError::Expired);
        }
        if !cert.valid_at(now) {
            return Err(CertError::Expired);
        }
        match chain.get(i + 1) {
            Some(issuer) => {
                if !issuer.is_ca() {
                    return Err(CertError::NotCa);
                }
                cert.verify_signed_by(issuer, provider)?;
            }
            None => {
                let root = roots
                    .iter()
                    .find(|r| cert.verify_signed_by(r, provider).is_ok())
                    .ok_or(CertError::Untrusted)?;
                if !root.valid_at(now) {
                    return Err(CertError::Expired);
                }
                return Ok(root);
            }
        }
    }
    Err(CertError::Untrusted)
}
