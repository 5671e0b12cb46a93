//! Authenticator data (WebAuthn Level 3 §6.1): the RP ID hash, the flags, the signature
//! counter, and, when the flags say so, the attested credential data (§6.5.1) and the
//! extension outputs (§9), in that order and nothing after them.

use super::cbor::{self, CborError, Value};

/// Longest credential id accepted (§5.1: `id` ... at most 1023 bytes).
pub const MAX_CREDENTIAL_ID_LEN: usize = 1023;

/// The flags byte (§6.1 table: bit 0 UP, 2 UV, 3 BE, 4 BS, 6 AT, 7 ED; 1 and 5 reserved).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flags(pub u8);

impl Flags {
    /// User present.
    pub fn user_present(self) -> bool {
        self.0 & 0x01 != 0
    }
    /// User verified.
    pub fn user_verified(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// Backup eligible: the credential may be synced (a passkey).
    pub fn backup_eligible(self) -> bool {
        self.0 & 0x08 != 0
    }
    /// Backed up now.
    pub fn backed_up(self) -> bool {
        self.0 & 0x10 != 0
    }
    /// Attested credential data follows.
    pub fn attested(self) -> bool {
        self.0 & 0x40 != 0
    }
    /// Extension outputs follow.
    pub fn extensions(self) -> bool {
        self.0 & 0x80 != 0
    }
}

/// Attested credential data (§6.5.1).
#[derive(Clone, Debug, PartialEq)]
pub struct AttestedCredential {
    /// The authenticator's model.
    pub aaguid: [u8; 16],
    /// The credential id.
    pub credential_id: Vec<u8>,
    /// The credential public key, as encoded (a COSE_Key, RFC 9052 §7).
    pub public_key: Vec<u8>,
    /// The same key, decoded.
    pub public_key_cbor: Value,
}

/// Parsed authenticator data.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthenticatorData {
    /// SHA-256 of the RP ID the authenticator scoped the credential to.
    pub rp_id_hash: [u8; 32],
    /// The flags.
    pub flags: Flags,
    /// The signature counter (0 when the authenticator keeps none).
    pub sign_count: u32,
    /// Present when [`Flags::attested`] (registration).
    pub attested: Option<AttestedCredential>,
    /// Present when [`Flags::extensions`]: a map of extension identifiers to outputs.
    pub extensions: Option<Value>,
}

/// Why authenticator data was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthDataError {
    /// Shorter than its fixed part, or than what its flags announce.
    #[error("authenticator data is truncated")]
    Truncated,
    /// Bytes follow what the flags announce.
    #[error("authenticator data has trailing bytes")]
    TrailingBytes,
    /// A credential id over [`MAX_CREDENTIAL_ID_LEN`] bytes.
    #[error("credential id is longer than 1023 bytes")]
    CredentialIdTooLong,
    /// The credential public key is not a CBOR map.
    #[error("credential public key is not a COSE key: {0}")]
    BadPublicKey(CborError),
    /// The extension outputs are not a CBOR map.
    #[error("extension outputs are not a CBOR map: {0}")]
    BadExtensions(CborError),
    /// BS set without BE (§6.1: a credential that cannot be backed up is not backed up).
    #[error("backup state set on a credential that is not backup eligible")]
    BackedUpWithoutEligibility,
}

/// A CBOR item that must be a map.
fn map_prefix(bytes: &[u8]) -> Result<(Value, usize), CborError> {
    let (value, used) = cbor::decode_prefix(bytes)?;
    match value {
        Value::Map(_) => Ok((value, used)),
        _ => Err(CborError::Unsupported),
    }
}

/// The first `n` bytes of `rest`, which then starts after them.
fn take<'a>(rest: &mut &'a [u8], n: usize) -> Result<&'a [u8], AuthDataError> {
    let (head, tail) = rest.split_at_checked(n).ok_or(AuthDataError::Truncated)?;
    *rest = tail;
    Ok(head)
}

/// The first `N` bytes of `rest` as an array.
fn array<const N: usize>(rest: &mut &[u8]) -> Result<[u8; N], AuthDataError> {
    take(rest, N)?
        .try_into()
        .map_err(|_| AuthDataError::Truncated)
}

/// A CBOR map at the start of `rest`, which then starts after it.
fn map(rest: &mut &[u8]) -> Result<(Value, Vec<u8>), CborError> {
    let (value, used) = map_prefix(rest)?;
    let (encoded, tail) = rest.split_at_checked(used).ok_or(CborError::Truncated)?;
    *rest = tail;
    Ok((value, encoded.to_vec()))
}

/// Parse authenticator data (§6.1); every byte must be accounted for.
pub fn parse(bytes: &[u8]) -> Result<AuthenticatorData, AuthDataError> {
    let mut rest = bytes;
    let rp_id_hash: [u8; 32] = array(&mut rest)?;
    let flags = Flags(u8::from_be_bytes(array(&mut rest)?));
    let sign_count = u32::from_be_bytes(array(&mut rest)?);
    if flags.backed_up() && !flags.backup_eligible() {
        return Err(AuthDataError::BackedUpWithoutEligibility);
    }
    let attested = if flags.attested() {
        let aaguid: [u8; 16] = array(&mut rest)?;
        let id_len = usize::from(u16::from_be_bytes(array(&mut rest)?));
        if id_len > MAX_CREDENTIAL_ID_LEN {
            return Err(AuthDataError::CredentialIdTooLong);
        }
        let credential_id = take(&mut rest, id_len)?.to_vec();
        let (public_key_cbor, public_key) = map(&mut rest).map_err(AuthDataError::BadPublicKey)?;
        Some(AttestedCredential {
            aaguid,
            credential_id,
            public_key,
            public_key_cbor,
        })
    } else {
        None
    };
    let extensions = if flags.extensions() {
        Some(map(&mut rest).map_err(AuthDataError::BadExtensions)?.0)
    } else {
        None
    };
    if !rest.is_empty() {
        return Err(AuthDataError::TrailingBytes);
    }
    Ok(AuthenticatorData {
        rp_id_hash,
        flags,
        sign_count,
        attested,
        extensions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// An ES256 COSE key (RFC 9053 §7.1.1: kty 2 = EC2, alg -7, crv 1 = P-256, x, y).
    fn cose_es256() -> Vec<u8> {
        let mut k = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        k.extend([0x11; 32]);
        k.extend([0x22, 0x58, 0x20]);
        k.extend([0x22; 32]);
        k
    }

    fn auth_data(flags: u8, count: u32, id_len: usize, tail: &[u8]) -> Vec<u8> {
        let mut d = Sha256::digest(b"localhost").to_vec();
        d.push(flags);
        d.extend(count.to_be_bytes());
        if flags & 0x40 != 0 {
            d.extend([0xab; 16]);
            d.extend(u16::try_from(id_len).unwrap().to_be_bytes());
            d.extend(std::iter::repeat_n(0x5a, id_len));
            d.extend(cose_es256());
        }
        d.extend(tail);
        d
    }

    /// `{"credProtect": 2}`.
    const CRED_PROTECT: [u8; 14] = [
        0xa1, 0x6b, b'c', b'r', b'e', b'd', b'P', b'r', b'o', b't', b'e', b'c', b't', 0x02,
    ];

    #[test]
    fn registration_data_with_a_key_and_extensions() {
        // UP | UV | BE | BS | AT | ED
        let bytes = auth_data(0xdd, 7, 16, &CRED_PROTECT);
        let d = parse(&bytes).unwrap();
        assert_eq!(
            d.rp_id_hash.as_slice(),
            Sha256::digest(b"localhost").as_slice()
        );
        assert!(d.flags.user_present() && d.flags.user_verified());
        assert!(d.flags.backup_eligible() && d.flags.backed_up());
        assert_eq!(d.sign_count, 7);
        let a = d.attested.unwrap();
        assert_eq!(a.aaguid, [0xab; 16]);
        assert_eq!(a.credential_id, vec![0x5a; 16]);
        assert_eq!(a.public_key, cose_es256());
        assert_eq!(
            a.public_key_cbor.get_int(3).and_then(Value::as_i64),
            Some(-7)
        );
        assert_eq!(
            d.extensions.unwrap().get("credProtect"),
            Some(&Value::Uint(2))
        );
    }

    #[test]
    fn assertion_data_is_the_fixed_part() {
        let d = parse(&auth_data(0x01, 42, 0, &[])).unwrap();
        assert!(d.flags.user_present() && !d.flags.user_verified());
        assert_eq!(d.sign_count, 42);
        assert!(d.attested.is_none() && d.extensions.is_none());
    }

    #[test]
    fn what_the_flags_do_not_announce_or_cannot_back_is_refused() {
        let ok = auth_data(0x41, 0, 16, &[]);
        // 37 fixed bytes, 18 of AAGUID and id length, a 16-byte id, then the key from 71.
        for cut in [0, 10, 36, 37, 50, 54, 55, 70, 71, ok.len() - 1] {
            assert_eq!(
                parse(&ok[..cut]).map(|_| ()),
                Err(if cut >= 71 {
                    AuthDataError::BadPublicKey(CborError::Truncated)
                } else {
                    AuthDataError::Truncated
                }),
                "cut at {cut}"
            );
        }
        assert_eq!(
            parse(&auth_data(0x01, 0, 0, &[0x00])),
            Err(AuthDataError::TrailingBytes)
        );
        assert_eq!(
            parse(&auth_data(0x41, 0, 16, &CRED_PROTECT)),
            Err(AuthDataError::TrailingBytes),
            "extensions without ED"
        );
        assert_eq!(
            parse(&auth_data(0x81, 0, 0, &[])),
            Err(AuthDataError::BadExtensions(CborError::Truncated))
        );
        assert_eq!(
            parse(&auth_data(0x81, 0, 0, &[0x01])),
            Err(AuthDataError::BadExtensions(CborError::Unsupported)),
            "extensions must be a map"
        );
        assert_eq!(
            parse(&auth_data(0x11, 0, 0, &[])),
            Err(AuthDataError::BackedUpWithoutEligibility)
        );
        assert!(parse(&auth_data(0x41, 0, MAX_CREDENTIAL_ID_LEN, &[])).is_ok());
        assert_eq!(
            parse(&auth_data(0x41, 0, MAX_CREDENTIAL_ID_LEN + 1, &[])),
            Err(AuthDataError::CredentialIdTooLong)
        );
        // A public key that is not a map.
        let mut not_map = auth_data(0x01, 0, 0, &[]);
        not_map[32] = 0x41;
        not_map.extend([0xab; 16]);
        not_map.extend([0, 1, 0x5a, 0x01]);
        assert_eq!(
            parse(&not_map),
            Err(AuthDataError::BadPublicKey(CborError::Unsupported))
        );
    }
}
