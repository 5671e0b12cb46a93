//! A bounded DER reader (ITU-T X.690 §8, definite lengths) for what `x509-cert` does not
//! model: the raw `tbsCertificate` of a certificate, and the extensions attestation formats
//! put in theirs (Android's key description, Apple's nonce). Never panics; malformed input
//! is `None`.

/// Tag classes (X.690 §8.1.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// UNIVERSAL
    Universal,
    /// APPLICATION
    Application,
    /// context-specific (`[n]`)
    Context,
    /// PRIVATE
    Private,
}

/// One TLV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag's class.
    pub class: Class,
    /// Whether it is constructed.
    pub constructed: bool,
    /// The tag number.
    pub number: u32,
    /// The whole encoding (tag, length, contents).
    pub raw: &'a [u8],
    /// The contents.
    pub contents: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Whether this is the universal tag `number` (SEQUENCE 16, SET 17, INTEGER 2,
    /// OCTET STRING 4, ENUMERATED 10, BOOLEAN 1, NULL 5, ...).
    pub fn is_universal(&self, number: u32) -> bool {
        self.class == Class::Universal && self.number == number
    }

    /// Whether this is the context-specific `[number]`.
    pub fn is_context(&self, number: u32) -> bool {
        self.class == Class::Context && self.number == number
    }

    /// Its contents as a non-negative INTEGER or ENUMERATED that fits 64 bits.
    pub fn as_u64(&self) -> Option<u64> {
        if !(self.is_universal(2) || self.is_universal(10)) {
            return None;
        }
        let bytes = match self.contents {
            [0, rest @ ..] if !rest.is_empty() => rest,
            [first, ..] if *first >= 0x80 => return None,
            b => b,
        };
        if bytes.is_empty() || bytes.len() > 8 {
            return None;
        }
        Some(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }

    /// The TLVs inside a constructed value.
    pub fn children(&self) -> Reader<'a> {
        Reader(self.contents)
    }
}

/// Reads TLVs one after another.
#[derive(Clone, Copy, Debug)]
pub struct Reader<'a>(pub &'a [u8]);

/// Longest length accepted (the certificates and extensions read here are far smaller).
const MAX_LEN: usize = 1 << 20;

impl<'a> Reader<'a> {
    /// Whether everything was read.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The next TLV; `None` at the end or on malformed input.
    pub fn next_tlv(&mut self) -> Option<Tlv<'a>> {
        let input = self.0;
        let (&first, mut rest) = input.split_first()?;
        let class = match first >> 6 {
            0 => Class::Universal,
            1 => Class::Application,
            2 => Class::Context,
            _ => Class::Private,
        };
        let constructed = first & 0x20 != 0;
        let mut number = u32::from(first & 0x1f);
        if number == 0x1f {
            // High tag number form: base 128, at most 4 bytes.
            number = 0;
            for i in 0.. {
                let (&b, r) = rest.split_first()?;
                rest = r;
                if i >= 4 || (i == 0 && b == 0x80) {
                    return None;
                }
                number = (number << 7) | u32::from(b & 0x7f);
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let (&l, r) = rest.split_first()?;
        rest = r;
        let len = if l < 0x80 {
            usize::from(l)
        } else {
            let n = usize::from(l & 0x7f);
            if n == 0 || n > 3 || rest.len() < n {
                return None;
            }
            let (bytes, r) = rest.split_at(n);
            rest = r;
            bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        };
        if len > MAX_LEN || rest.len() < len {
            return None;
        }
        let (contents, after) = rest.split_at(len);
        let raw = input.get(..input.len() - after.len())?;
        self.0 = after;
        Some(Tlv {
            class,
            constructed,
            number,
            raw,
            contents,
        })
    }
}

/// The one TLV that is all of `der`.
pub fn single(der: &[u8]) -> Option<Tlv<'_>> {
    let mut r = Reader(der);
    let t = r.next_tlv()?;
    r.is_empty().then_some(t)
}

/// The contents of a DER OCTET STRING that is all of `der`.
pub fn octet_string(der: &[u8]) -> Option<&[u8]> {
    single(der)
        .filter(|t| t.is_universal(4))
        .map(|t| t.contents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tags_lengths_and_refuses_garbage() {
        // [600] EXPLICIT NULL: BF 84 58, length 2, NULL.
        let t = single(&[0xbf, 0x84, 0x58, 0x02, 0x05, 0x00]).unwrap();
        assert!(t.is_context(600) && t.constructed);
        assert!(t.children().next_tlv().unwrap().is_universal(5));
        // Long-form length.
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(octet_string(&long).unwrap().len(), 0x80);
        assert_eq!(single(&[0x02, 0x01, 0x05]).unwrap().as_u64(), Some(5));
        assert_eq!(
            single(&[0x02, 0x02, 0x00, 0x80]).unwrap().as_u64(),
            Some(128)
        );
        assert_eq!(
            single(&[0x02, 0x01, 0x80]).unwrap().as_u64(),
            None,
            "negative"
        );
        for bad in [
            &[][..],
            &[0x04],
            &[0x04, 0x05, 0x00],
            &[0x04, 0x80],
            &[0x04, 0x85, 1, 1, 1, 1, 1],
            &[0x1f, 0x80, 0x01, 0x00],
            &[0x1f, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00],
            &[0x04, 0x00, 0x00],
        ] {
            assert!(single(bad).is_none(), "{bad:02x?}");
        }
    }
}
