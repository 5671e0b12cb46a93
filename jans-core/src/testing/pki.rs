//! Certificates, CRLs and FIDO metadata BLOBs made on the spot, for tests of attestation
//! trust and of the metadata service: a small DER writer (X.690) and ES256 signatures by
//! keys of the engine's [`CryptoProvider`]. Tests only: nothing here checks what it writes.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::Value;

use crate::crypto::{CryptoError, CryptoProvider, SigningKey};
use crate::ctx::{Random, UnixTime};
use crate::jose::Algorithm;

/// One DER TLV.
pub fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    crate::crypto::der_tlv(tag, contents)
}

/// `SEQUENCE { parts }`.
pub fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// `INTEGER` of the unsigned big-endian `v`.
pub fn int(v: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = v.iter().copied().skip_while(|b| *b == 0).collect();
    if v.first().is_none_or(|b| *b >= 0x80) {
        v.insert(0, 0);
    }
    tlv(0x02, &v)
}

/// `OBJECT IDENTIFIER` of the dotted `oid`.
pub fn oid(dotted: &str) -> Vec<u8> {
    let o = const_oid::ObjectIdentifier::new(dotted).unwrap_or(const_oid::db::rfc5280::ID_CE);
    tlv(0x06, o.as_bytes())
}

/// `OCTET STRING`.
pub fn octets(v: &[u8]) -> Vec<u8> {
    tlv(0x04, v)
}

/// `BIT STRING` with no unused bits.
pub fn bits(v: &[u8]) -> Vec<u8> {
    tlv(0x03, &[&[0u8][..], v].concat())
}

/// A JWS `r || s` ECDSA signature as the DER `Ecdsa-Sig-Value` (RFC 3279 §2.2.3).
pub fn ecdsa_der(sig: &[u8]) -> Vec<u8> {
    let (r, s) = sig.split_at(sig.len() / 2);
    seq(&[int(r), int(s)])
}

/// `Time`: UTCTime through 2049, GeneralizedTime after (RFC 5280 §4.1.2.5).
pub fn time(t: UnixTime) -> Vec<u8> {
    let date = crate::ctx::format_datetime(t);
    let digits: String = date.chars().filter(char::is_ascii_digit).collect();
    let year: u32 = digits
        .get(0..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(1970);
    if year < 2050 {
        tlv(
            0x17,
            format!("{}Z", digits.get(2..).unwrap_or_default()).as_bytes(),
        )
    } else {
        tlv(0x18, format!("{digits}Z").as_bytes())
    }
}

/// A distinguished name of `(attribute OID, value)` pairs: countryName as
/// PrintableString, the others UTF8String.
pub fn name(attrs: &[(&str, &str)]) -> Vec<u8> {
    let rdns: Vec<Vec<u8>> = attrs
        .iter()
        .map(|(o, v)| {
            // countryName
            let tag = if *o == "2.5.4.6" { 0x13 } else { 0x0c };
            tlv(0x31, &seq(&[oid(o), tlv(tag, v.as_bytes())]))
        })
        .collect();
    seq(&rdns)
}

/// `SubjectPublicKeyInfo` of a P-256 key.
pub fn spki(key: &dyn SigningKey) -> Vec<u8> {
    let jwk = key.public_jwk();
    let coord = |m: Option<&String>| {
        m.and_then(|v| crate::b64::decode(v).ok())
            .unwrap_or_default()
    };
    let point = [vec![4u8], coord(jwk.x.as_ref()), coord(jwk.y.as_ref())].concat();
    seq(&[
        seq(&[oid("1.2.840.10045.2.1"), oid("1.2.840.10045.3.1.7")]),
        bits(&point),
    ])
}

/// ecdsa-with-SHA256.
fn es256_algorithm() -> Vec<u8> {
    seq(&[oid("1.2.840.10045.4.3.2")])
}

/// `tbs` signed by `key` (ES256): `SEQUENCE { tbs, algorithm, BIT STRING signature }`.
fn signed(tbs: Vec<u8>, key: &dyn SigningKey, rng: &dyn Random) -> Result<Vec<u8>, CryptoError> {
    let sig = ecdsa_der(&key.sign(&tbs, rng)?);
    Ok(seq(&[tbs, es256_algorithm(), bits(&sig)]))
}

/// A certificate authority (or any certificate) with its key.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate's DER.
    pub der: Vec<u8>,
    /// Its subject name's DER.
    pub name: Vec<u8>,
    /// Its key.
    pub key: Arc<dyn SigningKey>,
}

/// What a certificate says.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Subject attributes.
    pub subject: Vec<(&'static str, String)>,
    /// Serial number.
    pub serial: u64,
    /// Validity.
    pub not_before: UnixTime,
    /// Validity.
    pub not_after: UnixTime,
    /// basicConstraints CA.
    pub ca: bool,
    /// A CRL distribution point URI.
    pub crl_url: Option<String>,
    /// Other extensions: (OID, critical, the extension value's DER).
    pub extensions: Vec<(&'static str, bool, Vec<u8>)>,
}

impl Spec {
    /// A certificate named `cn`, valid from `from` for ten years.
    pub fn new(cn: &str, serial: u64, from: UnixTime, ca: bool) -> Spec {
        Spec {
            // commonName
            subject: vec![("2.5.4.3", cn.to_owned())],
            serial,
            not_before: from,
            not_after: from + 10 * 365 * 86_400,
            ca,
            crl_url: None,
            extensions: Vec::new(),
        }
    }
}

fn extension(id: &str, critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(tlv(0x01, &[0xff]));
    }
    parts.push(octets(value));
    seq(&parts)
}

/// A certificate for `spec` with a fresh ES256 key, signed by `issuer` (self-signed
/// without one).
pub fn issue(
    spec: &Spec,
    issuer: Option<&Issued>,
    provider: &dyn CryptoProvider,
    rng: &dyn Random,
) -> Result<Issued, CryptoError> {
    let key = provider.generate(Algorithm::ES256, rng)?;
    let attrs: Vec<(&str, &str)> = spec.subject.iter().map(|(o, v)| (*o, v.as_str())).collect();
    let subject = name(&attrs);
    let mut exts = vec![extension(
        "2.5.29.19",
        true,
        &seq(&if spec.ca {
            vec![tlv(0x01, &[0xff])]
        } else {
            Vec::new()
        }),
    )];
    if let Some(url) = &spec.crl_url {
        // DistributionPoint { distributionPoint [0] { fullName [0] { [6] URI } } }
        let uri = tlv(0x86, url.as_bytes());
        exts.push(extension(
            "2.5.29.31",
            false,
            &seq(&[seq(&[tlv(0xa0, &tlv(0xa0, &uri))])]),
        ));
    }
    for (o, critical, v) in &spec.extensions {
        exts.push(extension(o, *critical, v));
    }
    let issuer_name = issuer.map_or(subject.clone(), |i| i.name.clone());
    let tbs = seq(&[
        tlv(0xa0, &int(&[2])),
        int(&spec.serial.to_be_bytes()),
        es256_algorithm(),
        issuer_name,
        seq(&[time(spec.not_before), time(spec.not_after)]),
        subject.clone(),
        spki(key.as_ref()),
        tlv(0xa3, &seq(&exts)),
    ]);
    let signer = issuer.map_or(key.as_ref(), |i| i.key.as_ref());
    Ok(Issued {
        der: signed(tbs, signer, rng)?,
        name: subject,
        key,
    })
}

/// A CRL of `issuer` listing the `revoked` serials, current from `this_update` to
/// `next_update`.
pub fn crl(
    issuer: &Issued,
    revoked: &[u64],
    this_update: UnixTime,
    next_update: UnixTime,
    rng: &dyn Random,
) -> Result<Vec<u8>, CryptoError> {
    let mut parts = vec![
        int(&[1]),
        es256_algorithm(),
        issuer.name.clone(),
        time(this_update),
        time(next_update),
    ];
    if !revoked.is_empty() {
        parts.push(seq(&revoked
            .iter()
            .map(|s| seq(&[int(&s.to_be_bytes()), time(this_update)]))
            .collect::<Vec<_>>()));
    }
    signed(seq(&parts), issuer.key.as_ref(), rng)
}

/// A metadata BLOB (MDS3 §3.1.7): `payload` signed (ES256) by `signer`, whose chain is
/// `x5c` (leaf first).
pub fn blob(
    payload: &Value,
    signer: &Issued,
    x5c: &[&Issued],
    rng: &dyn Random,
) -> Result<Vec<u8>, CryptoError> {
    let std = base64::engine::general_purpose::STANDARD;
    let header = serde_json::json!({
        "alg": "ES256",
        "typ": "JWT",
        "x5c": x5c.iter().map(|c| std.encode(&c.der)).collect::<Vec<_>>(),
    });
    let signing_input = format!(
        "{}.{}",
        crate::b64::encode(header.to_string().as_bytes()),
        crate::b64::encode(payload.to_string().as_bytes())
    );
    let sig = signer.key.sign(signing_input.as_bytes(), rng)?;
    Ok(format!("{signing_input}.{}", crate::b64::encode(&sig)).into_bytes())
}

/// A PEM `CERTIFICATE` block.
pub fn pem(der: &[u8]) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}
