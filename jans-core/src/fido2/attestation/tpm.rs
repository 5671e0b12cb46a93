//! The `tpm` attestation statement format (WebAuthn Level 3 §8.3): a TPM 2.0 certifies
//! the credential key (its `TPMT_PUBLIC`, `pubArea`) with an attestation identity key
//! (AIK) whose certificate comes in `x5c`; the certification (`TPMS_ATTEST`, `certInfo`)
//! carries a hash of the authenticator data and client data hash. Structures per the TPM
//! 2.0 Library specification, Part 2 (§10.12.8 TPMS_ATTEST, §12.2.4 TPMT_PUBLIC).

use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{AttestationError, AttestationType, Input, Verified};
use crate::fido2::cbor::Value;
use crate::fido2::signature;
use crate::jose::Algorithm;
use crate::x509;

/// TPM_GENERATED_VALUE.
const TPM_GENERATED: u32 = 0xff54_4347;
/// TPM_ST_ATTEST_CERTIFY.
const ST_ATTEST_CERTIFY: u16 = 0x8017;
/// TPM_ALG_RSA, TPM_ALG_ECC, TPM_ALG_NULL.
const ALG_RSA: u16 = 0x0001;
const ALG_ECC: u16 = 0x0023;
const ALG_NULL: u16 = 0x0010;
/// tcg-kp-AIKCertificate (§8.3.1: in the AIK certificate's extended key usage).
const TCG_KP_AIK_CERTIFICATE: &str = "2.23.133.8.3";
/// id-fido-gen-ce-aaguid.
const ID_FIDO_GEN_CE_AAGUID: &str = "1.3.6.1.4.1.45724.1.1.4";

fn bad(why: &'static str) -> AttestationError {
    AttestationError::Statement { fmt: "tpm", why }
}

/// A big-endian reader over a TPM structure.
struct Tpm<'a>(&'a [u8]);

impl<'a> Tpm<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], AttestationError> {
        if self.0.len() < n {
            return Err(bad("a TPM structure is truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u16(&mut self) -> Result<u16, AttestationError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([
            *b.first().unwrap_or(&0),
            *b.get(1).unwrap_or(&0),
        ]))
    }

    fn u32(&mut self) -> Result<u32, AttestationError> {
        Ok((u32::from(self.u16()?) << 16) | u32::from(self.u16()?))
    }

    /// A TPM2B: a u16 size, then that many bytes.
    fn sized(&mut self) -> Result<&'a [u8], AttestationError> {
        let n = usize::from(self.u16()?);
        self.take(n)
    }

    /// A scheme-like TPMT (algorithm, then a hash algorithm unless it is TPM_ALG_NULL).
    fn scheme(&mut self) -> Result<(), AttestationError> {
        if self.u16()? != ALG_NULL {
            self.u16()?;
        }
        Ok(())
    }

    fn done(&self) -> Result<(), AttestationError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(bad("a TPM structure has trailing bytes"))
        }
    }
}

/// The key `pubArea` describes.
#[derive(Debug, PartialEq, Eq)]
enum PubKey<'a> {
    Rsa {
        n: &'a [u8],
        e: u32,
    },
    Ecc {
        curve: u16,
        x: &'a [u8],
        y: &'a [u8],
    },
}

/// TPMT_PUBLIC: (nameAlg, the key).
fn parse_pub_area(bytes: &[u8]) -> Result<(u16, PubKey<'_>), AttestationError> {
    let mut r = Tpm(bytes);
    let kind = r.u16()?;
    let name_alg = r.u16()?;
    r.u32()?; // objectAttributes
    r.sized()?; // authPolicy
    let key = match kind {
        ALG_RSA => {
            // TPMT_SYM_DEF_OBJECT: algorithm, then keyBits and mode unless NULL.
            if r.u16()? != ALG_NULL {
                r.take(4)?;
            }
            r.scheme()?;
            r.u16()?; // keyBits
            let e = r.u32()?;
            let n = r.sized()?;
            PubKey::Rsa { n, e }
        }
        ALG_ECC => {
            if r.u16()? != ALG_NULL {
                r.take(4)?;
            }
            r.scheme()?;
            let curve = r.u16()?;
            r.scheme()?; // kdf
            let x = r.sized()?;
            let y = r.sized()?;
            PubKey::Ecc { curve, x, y }
        }
        _ => return Err(bad("pubArea is neither an RSA nor an ECC key")),
    };
    r.done()?;
    Ok((name_alg, key))
}

/// The hash of a TPM algorithm id (TPM_ALG_SHA1 4, SHA256 0x0b, SHA384 0x0c, SHA512 0x0d).
fn tpm_hash(alg: u16, data: &[u8]) -> Result<Vec<u8>, AttestationError> {
    Ok(match alg {
        0x0004 => sha1::Sha1::digest(data).to_vec(),
        0x000b => Sha256::digest(data).to_vec(),
        0x000c => Sha384::digest(data).to_vec(),
        0x000d => Sha512::digest(data).to_vec(),
        _ => return Err(bad("unsupported TPM hash algorithm")),
    })
}

/// The statement's signature algorithm: RS1 (older TPMs) or a JOSE algorithm, and the
/// hash `extraData` is made with.
enum SigAlg {
    Rs1,
    Jose(Algorithm),
}

fn sig_alg(cose: i64) -> Result<SigAlg, AttestationError> {
    Ok(match cose {
        -65535 => SigAlg::Rs1,
        -257 => SigAlg::Jose(Algorithm::RS256),
        -258 => SigAlg::Jose(Algorithm::RS384),
        -259 => SigAlg::Jose(Algorithm::RS512),
        -37 => SigAlg::Jose(Algorithm::PS256),
        -38 => SigAlg::Jose(Algorithm::PS384),
        -39 => SigAlg::Jose(Algorithm::PS512),
        -7 => SigAlg::Jose(Algorithm::ES256),
        -35 => SigAlg::Jose(Algorithm::ES384),
        -36 => SigAlg::Jose(Algorithm::ES512),
        _ => return Err(bad("unsupported alg")),
    })
}

fn extra_data_hash(alg: &SigAlg, data: &[u8]) -> Vec<u8> {
    match alg {
        SigAlg::Rs1 => sha1::Sha1::digest(data).to_vec(),
        SigAlg::Jose(Algorithm::RS384 | Algorithm::PS384 | Algorithm::ES384) => {
            Sha384::digest(data).to_vec()
        }
        SigAlg::Jose(Algorithm::RS512 | Algorithm::PS512 | Algorithm::ES512) => {
            Sha512::digest(data).to_vec()
        }
        SigAlg::Jose(_) => Sha256::digest(data).to_vec(),
    }
}

/// Whether the credential public key (COSE) is the key `pubArea` describes (§8.3 step 2).
fn matches_credential(key: &PubKey<'_>, cose: &Value) -> bool {
    let param = |label: i64| cose.get_int(label).and_then(Value::as_bytes);
    let int = |label: i64| cose.get_int(label).and_then(Value::as_i64);
    let strip = |b: &[u8]| -> Vec<u8> { b.iter().copied().skip_while(|x| *x == 0).collect() };
    match key {
        PubKey::Rsa { n, e } => {
            let e = if *e == 0 { 65_537 } else { *e };
            int(1) == Some(3)
                && param(-1).is_some_and(|cn| strip(cn) == strip(n))
                && param(-2).is_some_and(|ce| strip(ce) == strip(&e.to_be_bytes()))
        }
        PubKey::Ecc { curve, x, y } => {
            // TPM_ECC_NIST_P256/P384/P521 → COSE crv 1/2/3.
            let crv = match curve {
                0x0003 => 1,
                0x0004 => 2,
                0x0005 => 3,
                _ => return false,
            };
            int(1) == Some(2)
                && int(-1) == Some(crv)
                && param(-2) == Some(*x)
                && param(-3) == Some(*y)
        }
    }
}

/// §8.3.1 "TPM Attestation Statement Certificate Requirements".
fn check_aik(cert: &x509::Certificate, aaguid: &[u8; 16]) -> Result<(), AttestationError> {
    if cert.version() != 3 {
        return Err(bad("the AIK certificate is not version 3"));
    }
    if !cert.subject_is_empty() {
        return Err(bad("the AIK certificate's subject is not empty"));
    }
    if cert.extension("2.5.29.17").is_none() {
        return Err(bad("the AIK certificate has no subject alternative name"));
    }
    if !cert
        .extended_key_usages()
        .iter()
        .any(|k| k == TCG_KP_AIK_CERTIFICATE)
    {
        return Err(bad(
            "the AIK certificate's key usage is not tcg-kp-AIKCertificate",
        ));
    }
    if cert.is_ca() {
        return Err(bad("the AIK certificate is a CA certificate"));
    }
    if let Some(ext) = cert.extension(ID_FIDO_GEN_CE_AAGUID) {
        let found = crate::x509::der::octet_string(ext.value)
            .ok_or(bad("the AAGUID extension is malformed"))?;
        if ext.critical || found != aaguid {
            return Err(bad(
                "the AIK certificate's AAGUID differs from the authenticator data's",
            ));
        }
    }
    Ok(())
}

/// §8.3 "Verification procedure".
pub fn verify(input: &Input<'_>) -> Result<Verified, AttestationError> {
    let stmt = input.att_stmt;
    if stmt.get("ver").and_then(Value::as_text) != Some("2.0") {
        return Err(bad("ver is not 2.0"));
    }
    let bytes = |name: &'static str| {
        stmt.get(name)
            .and_then(Value::as_bytes)
            .ok_or(bad("a member is missing"))
    };
    let alg = sig_alg(
        stmt.get("alg")
            .and_then(Value::as_i64)
            .ok_or(bad("alg missing"))?,
    )?;
    let (sig, cert_info, pub_area) = (bytes("sig")?, bytes("certInfo")?, bytes("pubArea")?);
    let attested = input
        .auth_data
        .attested
        .as_ref()
        .ok_or(bad("no credential"))?;
    // Step 2: pubArea is the credential key.
    let (name_alg, key) = parse_pub_area(pub_area)?;
    if !matches_credential(&key, &attested.public_key_cbor) {
        return Err(bad("pubArea is not the credential public key"));
    }
    // Step 4: certInfo.
    let mut r = Tpm(cert_info);
    if r.u32()? != TPM_GENERATED {
        return Err(bad("certInfo magic is not TPM_GENERATED_VALUE"));
    }
    if r.u16()? != ST_ATTEST_CERTIFY {
        return Err(bad("certInfo type is not TPM_ST_ATTEST_CERTIFY"));
    }
    r.sized()?; // qualifiedSigner
    let extra_data = r.sized()?;
    r.take(17)?; // clockInfo
    r.take(8)?; // firmwareVersion
    let name = r.sized()?;
    r.sized()?; // qualifiedName
    r.done()?;
    if extra_data != extra_data_hash(&alg, &input.signed_data()) {
        return Err(bad(
            "extraData is not the hash of the authenticator and client data",
        ));
    }
    let mut expected_name = name_alg.to_be_bytes().to_vec();
    expected_name.extend(tpm_hash(name_alg, pub_area)?);
    if name != expected_name {
        return Err(bad("the certified name is not pubArea's"));
    }
    // Step 5: the AIK certificate signed certInfo.
    let chain = super::chain_of(
        stmt.get("x5c")
            .ok_or(bad("x5c missing (ECDAA is not supported)"))?,
    )
    .map_err(|_| bad("x5c is not a certificate chain"))?;
    let aik = chain.first().ok_or(bad("x5c is empty"))?;
    match alg {
        SigAlg::Rs1 => {
            let (jwk, _) = aik
                .public_jwk()
                .map_err(|_| bad("the AIK certificate's key is not supported"))?;
            input
                .provider
                .verify_legacy_rs1(&jwk, cert_info, sig)
                .map_err(|_| AttestationError::BadSignature("tpm"))?;
        }
        SigAlg::Jose(a) => {
            let key = aik
                .verifying_key(input.provider, a)
                .map_err(|_| bad("the AIK certificate's key does not fit alg"))?;
            let sig =
                signature::to_jws(a, sig).map_err(|_| AttestationError::BadSignature("tpm"))?;
            key.verify(cert_info, &sig)
                .map_err(|_| AttestationError::BadSignature("tpm"))?;
        }
    }
    check_aik(aik, &attested.aaguid)?;
    Ok(Verified {
        kind: AttestationType::AttCa,
        trust_path: chain.iter().map(|c| c.der().to_vec()).collect(),
    })
}
