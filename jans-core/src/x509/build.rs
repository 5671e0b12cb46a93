//! Self-signed X.509 v3 certificates (RFC 5280 §4.1) for signing keys of the key ring:
//! what the SAML IdP publishes of its keys in metadata, a `ds:X509Certificate` inside
//! `<md:KeyDescriptor use="signing">` (SAML 2.0 Metadata §2.4.1.1, XML Signature 1.1
//! §4.5.4). Relying parties pin the key, not a chain, so the certificate only carries it:
//! subject = issuer = `CN=<name>`, basicConstraints (not a CA) and keyUsage
//! digitalSignature, both critical.
//!
//! The DER (ITU-T X.690 §10) is written by hand, by the small writer below; the key
//! signs the `tbsCertificate` through [`SigningKey::sign`], so any provider's key works.
//! Keys: RSA for RS256/384/512 (PKCS#1 v1.5, RFC 4055 §5), P-256/384/521 for
//! ES256/384/512 (RFC 5758 §3.2, RFC 5480 §2.1.1). PS* (an RSASSA-PSS certificate needs the
//! parameters of RFC 4055 §3.1, not written here) and EdDSA are refused.

use const_oid::ObjectIdentifier as Oid;

use super::CertError;
use crate::crypto::SigningKey;
use crate::ctx::{Random, UnixTime};
use crate::jose::{Algorithm, Jwk};

/// Longest serial number, in contents octets of its INTEGER (RFC 5280 §4.1.2.2).
pub const MAX_SERIAL_LEN: usize = 20;
/// Longest commonName, in characters (RFC 5280 Appendix A.1, `ub-common-name`).
pub const MAX_COMMON_NAME: usize = 64;
/// The last second a time of a certificate can say, 9999-12-31T23:59:59Z: GeneralizedTime
/// has four year digits (RFC 5280 §4.1.2.5.2).
pub const MAX_TIME: UnixTime = 253_402_300_799;

// Object identifiers, parsed at compile time (a malformed one does not build).
/// rsaEncryption (RFC 3279 §2.3.1).
const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
/// sha256WithRSAEncryption (RFC 4055 §5).
const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
/// sha384WithRSAEncryption (RFC 4055 §5).
const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
/// sha512WithRSAEncryption (RFC 4055 §5).
const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
/// id-ecPublicKey (RFC 5480 §2.1.1).
const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
/// secp256r1 / prime256v1 (RFC 5480 §2.1.1.1).
const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
/// secp384r1 (RFC 5480 §2.1.1.1).
const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
/// secp521r1 (RFC 5480 §2.1.1.1).
const SECP521R1: Oid = Oid::new_unwrap("1.3.132.0.35");
/// ecdsa-with-SHA256 (RFC 5758 §3.2).
const ECDSA_WITH_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
/// ecdsa-with-SHA384 (RFC 5758 §3.2).
const ECDSA_WITH_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
/// ecdsa-with-SHA512 (RFC 5758 §3.2).
const ECDSA_WITH_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
/// commonName (RFC 5280 Appendix A.1).
const COMMON_NAME: Oid = Oid::new_unwrap(super::OID_COMMON_NAME);
/// id-ce-basicConstraints (RFC 5280 §4.2.1.9).
const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
/// id-ce-keyUsage (RFC 5280 §4.2.1.3).
const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");

/// A self-signed X.509 v3 certificate (DER) for `key`, named `CN=common_name` as subject
/// and issuer, with serial number `serial` (unsigned big-endian; 1 to
/// [`MAX_SERIAL_LEN`] octets once encoded as a positive INTEGER, RFC 5280 §4.1.2.2),
/// valid from `not_before` through `not_after` (RFC 5280 §4.1.2.5, both inclusive), and
/// signed by `key` with its own algorithm. `rng` is what the key signs with (ECDSA).
///
/// Refused: a key whose algorithm is not RS256/384/512 or ES256/384/512
/// ([`CertError::UnsupportedSignature`]); a public key that does not fit its algorithm
/// ([`CertError::UnsupportedKey`]); a zero, empty or too long serial, an empty or too long
/// name, `not_after` before `not_before` or after [`MAX_TIME`], or a failed signature
/// ([`CertError::Build`]).
pub fn self_signed(
    key: &dyn SigningKey,
    common_name: &str,
    serial: &[u8],
    not_before: UnixTime,
    not_after: UnixTime,
    rng: &dyn Random,
) -> Result<Vec<u8>, CertError> {
    let scheme = Scheme::of(key.algorithm())?;
    let serial = serial_number(serial)?;
    let chars = common_name.chars().count();
    if chars == 0 || chars > MAX_COMMON_NAME {
        return Err(CertError::Build("commonName must have 1 to 64 characters"));
    }
    if not_after < not_before {
        return Err(CertError::Build("notAfter is before notBefore"));
    }
    let name = name(common_name);
    let algorithm = scheme.algorithm_identifier();
    // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue }
    // (RFC 5280 §4.1). BasicConstraints with cA FALSE, the DEFAULT, is the empty
    // SEQUENCE (X.690 §11.5); keyUsage is a named BIT STRING whose trailing zero bits
    // DER drops (X.690 §11.2.2): digitalSignature (bit 0) alone is 07 80.
    let extensions = seq(&[
        extension(&BASIC_CONSTRAINTS, true, &seq(&[])),
        extension(&KEY_USAGE, true, &tlv(0x03, &[0x07, 0x80])),
    ]);
    // TBSCertificate (RFC 5280 §4.1): version [0] v3(2), serialNumber, signature,
    // issuer, validity, subject, subjectPublicKeyInfo, extensions [3].
    let tbs = seq(&[
        explicit(0, &uint(&[2])),
        serial,
        algorithm.clone(),
        name.clone(),
        seq(&[time(not_before)?, time(not_after)?]),
        name,
        scheme.subject_public_key_info(&key.public_jwk())?,
        explicit(3, &extensions),
    ]);
    let signature = key
        .sign(&tbs, rng)
        .map_err(|_| CertError::Build("the key did not sign"))?;
    let signature = scheme.signature_value(&signature)?;
    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }
    Ok(seq(&[tbs, algorithm, bits(&signature)]))
}

/// How a JOSE algorithm's key is written and signs in a certificate.
#[derive(Clone, Copy, Debug)]
enum Scheme {
    /// RSASSA-PKCS1-v1_5 with the hash of this signature OID.
    Rsa(Oid),
    /// ECDSA on one curve.
    Ecdsa {
        /// ecdsa-with-SHA*.
        signature: Oid,
        /// The named curve.
        curve: Oid,
        /// Its JWK `crv`.
        crv: &'static str,
        /// The octets of one coordinate (and of `r`, `s` in JWS form).
        size: usize,
    },
}

impl Scheme {
    fn of(alg: Algorithm) -> Result<Scheme, CertError> {
        let ecdsa = |signature, curve, crv, size| Scheme::Ecdsa {
            signature,
            curve,
            crv,
            size,
        };
        Ok(match alg {
            Algorithm::RS256 => Scheme::Rsa(SHA256_WITH_RSA),
            Algorithm::RS384 => Scheme::Rsa(SHA384_WITH_RSA),
            Algorithm::RS512 => Scheme::Rsa(SHA512_WITH_RSA),
            Algorithm::ES256 => ecdsa(ECDSA_WITH_SHA256, SECP256R1, "P-256", 32),
            Algorithm::ES384 => ecdsa(ECDSA_WITH_SHA384, SECP384R1, "P-384", 48),
            Algorithm::ES512 => ecdsa(ECDSA_WITH_SHA512, SECP521R1, "P-521", 66),
            other => return Err(CertError::UnsupportedSignature(other.to_string())),
        })
    }

    /// The signature's `AlgorithmIdentifier`: NULL parameters for RSA (RFC 4055 §5),
    /// none for ECDSA (RFC 5758 §3.2).
    fn algorithm_identifier(&self) -> Vec<u8> {
        match self {
            Scheme::Rsa(signature) => seq(&[oid(signature), null()]),
            Scheme::Ecdsa { signature, .. } => seq(&[oid(signature)]),
        }
    }

    /// `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7) of the public JWK `jwk`: rsaEncryption
    /// with NULL parameters over `RSAPublicKey` (RFC 3279 §2.3.1), or id-ecPublicKey with
    /// the named curve over the uncompressed point (RFC 5480 §2.1.1, §2.2).
    fn subject_public_key_info(&self, jwk: &Jwk) -> Result<Vec<u8>, CertError> {
        let field = |v: Option<&String>| {
            v.and_then(|v| crate::b64::decode(v).ok())
                .ok_or(CertError::UnsupportedKey(
                    "public JWK member missing or not base64url",
                ))
        };
        match self {
            Scheme::Rsa(_) => {
                if jwk.kty != "RSA" {
                    return Err(CertError::UnsupportedKey("RS* needs an RSA key"));
                }
                let (n, e) = (field(jwk.n.as_ref())?, field(jwk.e.as_ref())?);
                let key = seq(&[uint(&n), uint(&e)]);
                Ok(seq(&[seq(&[oid(&RSA_ENCRYPTION), null()]), bits(&key)]))
            }
            Scheme::Ecdsa {
                curve, crv, size, ..
            } => {
                if jwk.kty != "EC" || jwk.crv.as_deref() != Some(*crv) {
                    return Err(CertError::UnsupportedKey("the EC key is not on the curve"));
                }
                let mut point = vec![0x04];
                for c in [field(jwk.x.as_ref())?, field(jwk.y.as_ref())?] {
                    point.extend(left_pad(&c, *size)?);
                }
                Ok(seq(&[
                    seq(&[oid(&EC_PUBLIC_KEY), oid(curve)]),
                    bits(&point),
                ]))
            }
        }
    }

    /// The certificate's signature from the JWS one: PKCS#1 v1.5 as it is; ECDSA's
    /// `r || s` (RFC 7518 §3.4) as `Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`
    /// (RFC 3279 §2.2.3).
    fn signature_value(&self, jws: &[u8]) -> Result<Vec<u8>, CertError> {
        match self {
            Scheme::Rsa(_) => Ok(jws.to_vec()),
            Scheme::Ecdsa { size, .. } => {
                let (r, s) = jws
                    .split_at_checked(*size)
                    .filter(|(_, s)| s.len() == *size)
                    .ok_or(CertError::Build("the ECDSA signature has the wrong size"))?;
                Ok(seq(&[uint(r), uint(s)]))
            }
        }
    }
}

/// A coordinate of `size` octets: `c` with zeros in front, in case a JWK dropped them
/// (RFC 7518 §6.2.1.2 says it must not).
fn left_pad(c: &[u8], size: usize) -> Result<Vec<u8>, CertError> {
    let pad = size.checked_sub(c.len()).ok_or(CertError::UnsupportedKey(
        "EC coordinate longer than its curve",
    ))?;
    Ok([vec![0; pad], c.to_vec()].concat())
}

/// The serial number INTEGER of the unsigned big-endian `serial`: positive, at most
/// [`MAX_SERIAL_LEN`] contents octets (RFC 5280 §4.1.2.2).
fn serial_number(serial: &[u8]) -> Result<Vec<u8>, CertError> {
    if serial.iter().all(|b| *b == 0) {
        return Err(CertError::Build("the serial number must be positive"));
    }
    let contents = uint_contents(serial);
    if contents.len() > MAX_SERIAL_LEN {
        return Err(CertError::Build(
            "the serial number is longer than 20 octets",
        ));
    }
    Ok(tlv(0x02, &contents))
}

/// `Name` (RFC 5280 §4.1.2.4) of one RDN, commonName as a UTF8String (RFC 5280 §4.1.2.6).
fn name(common_name: &str) -> Vec<u8> {
    seq(&[set(&seq(&[oid(&COMMON_NAME), utf8(common_name)]))])
}

/// An `Extension` (RFC 5280 §4.1): criticality written only when TRUE, as DER drops a
/// DEFAULT value (X.690 §11.5).
fn extension(id: &Oid, critical: bool, value: &[u8]) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(tlv(0x01, &[0xff]));
    }
    parts.push(tlv(0x04, value));
    seq(&parts)
}

// The DER writer (X.690 §8, §10): definite lengths, primitive strings.

/// One TLV: tag octet, definite length (short or long form, X.690 §8.1.3), contents.
fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    crate::crypto::der_tlv(tag, contents)
}

/// `SEQUENCE { parts }` (X.690 §8.9).
fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// `SET` of one element (X.690 §8.11; the DER order of §11.6 is moot for one).
fn set(element: &[u8]) -> Vec<u8> {
    tlv(0x31, element)
}

/// `UTF8String` (X.690 §8.23.10).
fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0c, s.as_bytes())
}

/// `[number] EXPLICIT` around one encoding (X.690 §8.14), for `number` under 31.
fn explicit(number: u8, inner: &[u8]) -> Vec<u8> {
    tlv(0xa0 | (number & 0x1f), inner)
}

/// A non-negative `INTEGER` of the unsigned big-endian `be` (X.690 §8.3).
fn uint(be: &[u8]) -> Vec<u8> {
    tlv(0x02, &uint_contents(be))
}

/// The contents of a non-negative `INTEGER`: `be` without its leading zeros, and with
/// one zero in front when the high bit is set or the value is zero (X.690 §8.3.2).
fn uint_contents(be: &[u8]) -> Vec<u8> {
    let start = be.iter().position(|b| *b != 0).unwrap_or(be.len());
    let v = be.get(start..).unwrap_or_default();
    let mut contents = Vec::with_capacity(v.len() + 1);
    if v.first().is_none_or(|b| *b & 0x80 != 0) {
        contents.push(0);
    }
    contents.extend_from_slice(v);
    contents
}

/// `OBJECT IDENTIFIER` (X.690 §8.19) from its encoded arcs.
fn oid(o: &Oid) -> Vec<u8> {
    tlv(0x06, o.as_bytes())
}

/// `NULL` (X.690 §8.8).
fn null() -> Vec<u8> {
    tlv(0x05, &[])
}

/// `BIT STRING` of whole octets: no unused bits (X.690 §8.6).
fn bits(v: &[u8]) -> Vec<u8> {
    tlv(0x03, &[&[0u8][..], v].concat())
}

/// `Time` (RFC 5280 §4.1.2.5): UTCTime `YYMMDDHHMMSSZ` through 2049, GeneralizedTime
/// `YYYYMMDDHHMMSSZ` from 2050, seconds always, no fractions (X.690 §11.7, §11.8).
fn time(t: UnixTime) -> Result<Vec<u8>, CertError> {
    if t > MAX_TIME {
        return Err(CertError::Build("a validity time is after the year 9999"));
    }
    let (y, m, d) = crate::ctx::civil_date(t);
    let s = t % 86_400;
    let hms = format!("{:02}{:02}{:02}Z", s / 3600, s / 60 % 60, s % 60);
    Ok(if y < 2050 {
        tlv(0x17, format!("{:02}{m:02}{d:02}{hms}", y % 100).as_bytes())
    } else {
        tlv(0x18, format!("{y:04}{m:02}{d:02}{hms}").as_bytes())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::tests::{TestRng, providers};
    use crate::x509::{Certificate, OID_COMMON_NAME, der};

    /// 2024-01-01T00:00:00Z, and 2051-06-30T12:34:56Z (a GeneralizedTime).
    const FROM: UnixTime = 1_704_067_200;
    const UNTIL: UnixTime = 2_571_741_296;

    /// The signature scheme's JWK members that name the public key.
    fn public_members(jwk: &Jwk) -> [Option<String>; 6] {
        [
            Some(jwk.kty.clone()),
            jwk.n.clone(),
            jwk.e.clone(),
            jwk.crv.clone(),
            jwk.x.clone(),
            jwk.y.clone(),
        ]
    }

    /// A key for each supported algorithm; the RSA ones share one modulus.
    fn keys(rng: &dyn Random) -> Vec<std::sync::Arc<dyn SigningKey>> {
        let p = crate::crypto::default_provider();
        let rsa = p.generate(Algorithm::RS256, rng).unwrap();
        let pkcs8 = rsa.to_pkcs8_der().unwrap();
        let mut keys = vec![rsa];
        for alg in [Algorithm::RS384, Algorithm::RS512] {
            keys.push(p.signing_key_from_pkcs8(alg, &pkcs8).unwrap());
        }
        for alg in [Algorithm::ES256, Algorithm::ES384, Algorithm::ES512] {
            keys.push(p.generate(alg, rng).unwrap());
        }
        keys
    }

    #[test]
    fn certifies_every_supported_key() {
        let rng = TestRng::new(5280);
        for key in keys(&rng) {
            let alg = key.algorithm();
            let serial = [0x9c, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
            let der =
                self_signed(key.as_ref(), "idp.example.org", &serial, FROM, UNTIL, &rng).unwrap();
            let cert = Certificate::parse(&der).unwrap();
            assert_eq!(cert.version(), 3, "{alg}");
            let (jwk, algs) = cert.public_jwk().unwrap();
            assert_eq!(
                public_members(&jwk),
                public_members(&key.public_jwk()),
                "{alg}"
            );
            assert!(algs.contains(&alg), "{alg}");
            assert_eq!(cert.validity(), (FROM, UNTIL), "{alg}");
            assert_eq!(
                cert.subject_attribute(OID_COMMON_NAME).as_deref(),
                Some("idp.example.org"),
                "{alg}"
            );
            assert_eq!(cert.issuer_der(), cert.subject_der(), "{alg}");
            assert_eq!(cert.serial(), [&[0u8][..], &serial].concat(), "{alg}");
            assert!(!cert.is_ca(), "{alg}");
            let bc = cert.extension("2.5.29.19").unwrap();
            assert!(bc.critical && bc.value == [0x30, 0x00], "{alg}");
            let ku = cert.extension("2.5.29.15").unwrap();
            assert!(ku.critical && ku.value == [0x03, 0x02, 0x07, 0x80], "{alg}");
            // signatureAlgorithm repeats the tbsCertificate's signature (RFC 5280 §4.1.1.2).
            let mut outer = der::single(&der).unwrap().children();
            let tbs = outer.next_tlv().unwrap();
            let sig_alg = outer.next_tlv().unwrap();
            let mut fields = tbs.children();
            fields.next_tlv().unwrap();
            fields.next_tlv().unwrap();
            assert_eq!(fields.next_tlv().unwrap().raw, sig_alg.raw, "{alg}");
            // What one provider's key signed, every provider verifies.
            for p in providers() {
                cert.verify_signed_by(&cert, p.as_ref())
                    .unwrap_or_else(|e| panic!("{alg} by {}: {e}", p.name()));
            }
            // ... and only what it signed.
            let mut forged = der.clone();
            *forged.last_mut().unwrap() ^= 1;
            let forged = Certificate::parse(&forged).unwrap();
            assert_eq!(
                forged.verify_signed_by(&forged, crate::crypto::default_provider().as_ref()),
                Err(CertError::BadSignature),
                "{alg}"
            );
        }
    }

    #[test]
    fn refuses_other_algorithms_serials_names_and_times() {
        let rng = TestRng::new(5281);
        let p = crate::crypto::default_provider();
        let es = p.generate(Algorithm::ES256, &rng).unwrap();
        let ed = p.generate(Algorithm::EdDSA, &rng).unwrap();
        assert_eq!(
            self_signed(ed.as_ref(), "idp", &[1], FROM, UNTIL, &rng),
            Err(CertError::UnsupportedSignature("EdDSA".to_owned()))
        );
        let cert = |name: &str, serial: &[u8], from, until| {
            self_signed(es.as_ref(), name, serial, from, until, &rng)
        };
        let building = |r: Result<Vec<u8>, CertError>| matches!(r, Err(CertError::Build(_)));
        for serial in [&[][..], &[0, 0], &[0x80; 20], &[1; 21]] {
            assert!(building(cert("idp", serial, FROM, UNTIL)), "{serial:02x?}");
        }
        // Twenty octets fit when the high bit is clear; leading zeros do not count.
        for serial in [
            &[0x7f; 20][..],
            &[[0u8; 5].as_slice(), &[0x7f; 20]].concat(),
        ] {
            let der = cert("idp", serial, FROM, UNTIL).unwrap();
            assert_eq!(Certificate::parse(&der).unwrap().serial(), [0x7f; 20]);
        }
        assert!(building(cert("", &[1], FROM, UNTIL)));
        assert!(building(cert(&"é".repeat(65), &[1], FROM, UNTIL)));
        assert!(cert(&"é".repeat(64), &[1], FROM, UNTIL).is_ok());
        assert!(building(cert("idp", &[1], UNTIL, FROM)));
        assert!(building(cert("idp", &[1], FROM, MAX_TIME + 1)));
        let last = cert("idp", &[1], FROM, MAX_TIME).unwrap();
        assert_eq!(Certificate::parse(&last).unwrap().validity().1, MAX_TIME);
    }

    #[test]
    fn refuses_pss_keys() {
        let rng = TestRng::new(5282);
        let ps = crate::crypto::default_provider()
            .generate(Algorithm::PS256, &rng)
            .unwrap();
        assert_eq!(
            self_signed(ps.as_ref(), "idp", &[1], FROM, UNTIL, &rng),
            Err(CertError::UnsupportedSignature("PS256".to_owned()))
        );
    }

    #[test]
    fn writes_der() {
        assert_eq!(uint(&[]), [0x02, 0x01, 0x00]);
        assert_eq!(uint(&[0, 0, 1]), [0x02, 0x01, 0x01]);
        assert_eq!(uint(&[0x80]), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(uint(&[0, 0x7f, 0xff]), [0x02, 0x02, 0x7f, 0xff]);
        assert_eq!(null(), [0x05, 0x00]);
        assert_eq!(bits(&[0xab]), [0x03, 0x02, 0x00, 0xab]);
        assert_eq!(explicit(3, &null()), [0xa3, 0x02, 0x05, 0x00]);
        // Long-form lengths.
        assert_eq!(tlv(0x04, &[0; 200]).get(..3), Some(&[0x04, 0x81, 200][..]));
        assert_eq!(
            tlv(0x04, &[0; 300]).get(..4),
            Some(&[0x04, 0x82, 1, 44][..])
        );
        assert_eq!(
            oid(&SHA256_WITH_RSA),
            [
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b
            ]
        );
        assert_eq!(
            name("a"),
            [
                0x30, 0x0c, 0x31, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x01, b'a'
            ]
        );
        let time = |t| time(t).unwrap();
        assert_eq!(time(0), [&[0x17, 13][..], b"700101000000Z"].concat());
        // 2049-12-31T23:59:59Z is the last UTCTime, 2050-01-01 the first GeneralizedTime.
        assert_eq!(
            time(2_524_607_999),
            [&[0x17, 13][..], b"491231235959Z"].concat()
        );
        assert_eq!(
            time(2_524_608_000),
            [&[0x18, 15][..], b"20500101000000Z"].concat()
        );
        assert_eq!(
            time(MAX_TIME),
            [&[0x18, 15][..], b"99991231235959Z"].concat()
        );
        assert!(super::time(MAX_TIME + 1).is_err());
    }

    /// OpenSSL, when installed, reads what we write and verifies its self-signature
    /// (strict X.509 checks); skipped without it.
    #[test]
    fn openssl_reads_and_verifies_it() {
        use std::process::Command;
        let openssl = |args: &[&str]| Command::new("openssl").args(args).output();
        if openssl(&["version"]).is_err() {
            eprintln!("openssl is not installed: skipped");
            return;
        }
        let rng = TestRng::new(5283);
        let dir = std::env::temp_dir().join(format!("jans-x509-build-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for key in keys(&rng) {
            let alg = key.algorithm();
            let der =
                self_signed(key.as_ref(), "idp.example.org", &[42], FROM, UNTIL, &rng).unwrap();
            let (der_path, pem_path) = (
                dir.join(format!("{alg}.der")),
                dir.join(format!("{alg}.pem")),
            );
            std::fs::write(&der_path, &der).unwrap();
            std::fs::write(&pem_path, crate::testing::pki::pem(&der)).unwrap();
            let (der_path, pem_path) = (der_path.to_str().unwrap(), pem_path.to_str().unwrap());
            let out =
                openssl(&["x509", "-inform", "DER", "-in", der_path, "-noout", "-text"]).unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{alg}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            for expected in [
                "Version: 3",
                "Issuer: CN = idp.example.org",
                "Subject: CN = idp.example.org",
                "Not After : Jun 30 12:34:56 2051 GMT",
                "X509v3 Basic Constraints: critical",
                "CA:FALSE",
                "X509v3 Key Usage: critical",
                "Digital Signature",
            ] {
                assert!(text.contains(expected), "{alg}: {expected}\n{text}");
            }
            let verify = [
                "verify",
                "-x509_strict",
                "-check_ss_sig",
                "-attime",
                "1704153600",
            ];
            let out = openssl(&[&verify[..], &["-CAfile", pem_path, pem_path]].concat()).unwrap();
            assert!(
                out.status.success(),
                "{alg}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
