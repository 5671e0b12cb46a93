//! Assertion and attestation signatures as authenticators send them (WebAuthn Level 3
//! §6.5.5): ECDSA as an ASN.1 DER `Ecdsa-Sig-Value` (SEQUENCE of the INTEGERs r and s,
//! RFC 3279 §2.2.3), where the engine's verifying keys take the JWS form, r ‖ s each
//! left-padded to the field size (RFC 7518 §3.4). EdDSA and RSA signatures are the same in
//! both and pass through.

use crate::jose::Algorithm;

/// Why a signature could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the signature is not a DER ECDSA signature for the key's curve")]
pub struct SignatureError;

/// The field size in bytes of an ECDSA algorithm's curve.
fn field_len(alg: Algorithm) -> Option<usize> {
    match alg {
        Algorithm::ES256 => Some(32),
        Algorithm::ES384 => Some(48),
        Algorithm::ES512 => Some(66),
        _ => None,
    }
}

/// One DER element of `tag` at the start of `input` (short or long definite length,
/// minimally encoded): its contents and what follows it.
fn element(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), SignatureError> {
    let (&t, rest) = input.split_first().ok_or(SignatureError)?;
    if t != tag {
        return Err(SignatureError);
    }
    let (&first, rest) = rest.split_first().ok_or(SignatureError)?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        // One length byte is enough for anything ES512 needs; it must be ≥ 128 (DER).
        0x81 => {
            let (&l, rest) = rest.split_first().ok_or(SignatureError)?;
            if l < 0x80 {
                return Err(SignatureError);
            }
            (usize::from(l), rest)
        }
        _ => return Err(SignatureError),
    };
    rest.split_at_checked(len).ok_or(SignatureError)
}

/// A DER INTEGER's contents as an unsigned value of exactly `len` bytes: positive,
/// minimally encoded, and no wider than the field.
fn unsigned(contents: &[u8], len: usize) -> Result<Vec<u8>, SignatureError> {
    let (&first, _) = contents.split_first().ok_or(SignatureError)?;
    if first & 0x80 != 0 {
        return Err(SignatureError);
    }
    let magnitude = match contents {
        // A leading zero is allowed only before a byte with the high bit set.
        [0, next, ..] if next & 0x80 != 0 => contents.get(1..).ok_or(SignatureError)?,
        [0, _, ..] => return Err(SignatureError),
        _ => contents,
    };
    if magnitude.len() > len || magnitude.iter().all(|b| *b == 0) {
        return Err(SignatureError);
    }
    let mut out = vec![0u8; len - magnitude.len()];
    out.extend_from_slice(magnitude);
    Ok(out)
}

/// The signature in `sig`, made by a key of `alg`, in the form the engine's verifying keys
/// take.
pub fn to_jws(alg: Algorithm, sig: &[u8]) -> Result<Vec<u8>, SignatureError> {
    let Some(len) = field_len(alg) else {
        return Ok(sig.to_vec());
    };
    let (seq, trailing) = element(sig, 0x30)?;
    if !trailing.is_empty() {
        return Err(SignatureError);
    }
    let (r, rest) = element(seq, 0x02)?;
    let (s, rest) = element(rest, 0x02)?;
    if !rest.is_empty() {
        return Err(SignatureError);
    }
    let mut out = unsigned(r, len)?;
    out.extend(unsigned(s, len)?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DER of (r, s), each given as its minimal big-endian magnitude.
    fn der(r: &[u8], s: &[u8]) -> Vec<u8> {
        let int = |v: &[u8]| {
            let mut c = Vec::new();
            if v.first().is_some_and(|b| b & 0x80 != 0) {
                c.push(0);
            }
            c.extend_from_slice(v);
            let mut e = vec![0x02, u8::try_from(c.len()).unwrap()];
            e.extend(c);
            e
        };
        let body: Vec<u8> = [int(r), int(s)].concat();
        let mut out = vec![0x30];
        if body.len() >= 0x80 {
            out.push(0x81);
        }
        out.push(u8::try_from(body.len()).unwrap());
        out.extend(body);
        out
    }

    #[test]
    fn der_becomes_fixed_width_r_and_s() {
        let r = [0x81u8; 32];
        let s = [0x01u8, 0x02];
        let jws = to_jws(Algorithm::ES256, &der(&r, &s)).unwrap();
        assert_eq!(jws.len(), 64);
        assert_eq!(&jws[..32], &r);
        assert_eq!(&jws[32..62], &[0u8; 30]);
        assert_eq!(&jws[62..], &s);
        // ES512: 66-byte fields and a long-form sequence length.
        let r = [0x01u8; 66];
        let s = [0x7fu8; 65];
        let jws = to_jws(Algorithm::ES512, &der(&r, &s)).unwrap();
        assert_eq!(jws.len(), 132);
        assert_eq!(&jws[..66], &r);
        assert_eq!(jws[66], 0);
        assert_eq!(&jws[67..], &s);
        // Other algorithms pass through.
        assert_eq!(to_jws(Algorithm::EdDSA, b"sig").unwrap(), b"sig");
    }

    /// A real signature of each provider, carried as DER, verifies after conversion.
    #[test]
    fn provider_signatures_survive_the_round_trip() {
        let rng = crate::testing::SeededRandom::new(3);
        let provider = crate::crypto::default_provider();
        for alg in [Algorithm::ES256, Algorithm::ES384, Algorithm::ES512] {
            let key = provider.generate(alg, &rng).unwrap();
            let jws = key.sign(b"message", &rng).unwrap();
            let half = jws.len() / 2;
            let strip = |v: &[u8]| -> Vec<u8> {
                let first = v.iter().position(|b| *b != 0).unwrap_or(v.len() - 1);
                v[first..].to_vec()
            };
            let der = der(&strip(&jws[..half]), &strip(&jws[half..]));
            let back = to_jws(alg, &der).unwrap();
            assert_eq!(back, jws);
            let verifier = provider.verifying_key(alg, &key.public_jwk()).unwrap();
            assert!(verifier.verify(b"message", &back).is_ok());
        }
    }

    #[test]
    fn anything_but_strict_der_is_refused() {
        let good = der(&[0x11; 32], &[0x22; 32]);
        let mut cases: Vec<Vec<u8>> = vec![
            vec![],
            good[..good.len() - 1].to_vec(),
            [good.as_slice(), &[0]].concat(),
            // r wider than the field.
            der(&[0x11; 33], &[0x22; 32]),
            // r zero.
            der(&[0], &[0x22; 32]),
            // A negative r (high bit without the leading zero).
            [
                vec![0x30, 0x24, 0x02, 0x20],
                vec![0x81; 32],
                vec![0x02, 0x00],
            ]
            .concat(),
            // A needless leading zero.
            [vec![
                0x30, 0x08, 0x02, 0x02, 0x00, 0x01, 0x02, 0x02, 0x00, 0x01,
            ]]
            .concat(),
            // Not a SEQUENCE; a long-form length where short form fits.
            [vec![0x31], good[1..].to_vec()].concat(),
            [vec![0x30, 0x81, 0x44], good[2..].to_vec()].concat(),
            // A third INTEGER.
            {
                let mut v = good.clone();
                v[1] += 3;
                v.extend([0x02, 0x01, 0x01]);
                v
            },
        ];
        cases.push(vec![0x30; 200]);
        for (i, sig) in cases.iter().enumerate() {
            assert_eq!(
                to_jws(Algorithm::ES256, sig),
                Err(SignatureError),
                "case {i}"
            );
        }
    }
}
