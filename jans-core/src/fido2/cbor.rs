//! A bounded CBOR reader (RFC 8949) for what WebAuthn carries: attestation objects,
//! authenticator data's credential public key and extensions, COSE keys.
//!
//! CTAP2's canonical encoding uses definite lengths only, so indefinite-length items
//! (RFC 8949 §3.2.2) are refused, as are reserved additional-information values (28–30),
//! truncated input and, from [`decode`], trailing bytes. Every size is checked against the
//! bytes that remain before anything is allocated, nesting is limited to [`MAX_DEPTH`] and
//! the items of one container to [`MAX_ITEMS`], so no input makes the reader allocate or
//! recurse beyond those bounds.

/// Deepest nesting of arrays, maps and tags.
pub const MAX_DEPTH: usize = 16;
/// Most items (or map entries) in one array or map.
pub const MAX_ITEMS: usize = 1024;

/// A decoded item.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Major type 0.
    Uint(u64),
    /// Major type 1: the value is `-1 - n`.
    Nint(u64),
    /// Major type 2.
    Bytes(Vec<u8>),
    /// Major type 3.
    Text(String),
    /// Major type 4.
    Array(Vec<Value>),
    /// Major type 5, entries in encoded order.
    Map(Vec<(Value, Value)>),
    /// Major type 6.
    Tag(u64, Box<Value>),
    /// `false` / `true`.
    Bool(bool),
    /// `null`.
    Null,
    /// `undefined`.
    Undefined,
    /// Half, single or double precision.
    Float(f64),
}

impl Value {
    /// The integer, when this is one that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Uint(n) => i64::try_from(*n).ok(),
            Value::Nint(n) => i64::try_from(*n).ok().map(|n| -1 - n),
            _ => None,
        }
    }

    /// The byte string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The text string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Value::Text(t) => Some(t),
            _ => None,
        }
    }

    /// The value under the text key `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_text() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value under the integer key `key` of a map (COSE labels).
    pub fn get_int(&self, key: i64) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_i64() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// Why input is not acceptable CBOR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CborError {
    /// The input ends inside an item.
    #[error("CBOR is truncated")]
    Truncated,
    /// Bytes follow the item.
    #[error("CBOR has trailing bytes")]
    TrailingBytes,
    /// Nested deeper than [`MAX_DEPTH`].
    #[error("CBOR is nested too deep")]
    TooDeep,
    /// An array or map with more than [`MAX_ITEMS`] items.
    #[error("CBOR container is too large")]
    TooLarge,
    /// Indefinite lengths, reserved values, a break outside a container.
    #[error("CBOR uses an encoding WebAuthn does not allow")]
    Unsupported,
    /// A text string that is not UTF-8.
    #[error("CBOR text is not UTF-8")]
    BadText,
}

/// Decode exactly one item: trailing bytes are an error.
pub fn decode(input: &[u8]) -> Result<Value, CborError> {
    let (value, used) = decode_prefix(input)?;
    if used != input.len() {
        return Err(CborError::TrailingBytes);
    }
    Ok(value)
}

/// Decode the item at the start of `input`; returns it and how many bytes it took (the
/// credential public key in authenticator data is followed by other fields).
pub fn decode_prefix(input: &[u8]) -> Result<(Value, usize), CborError> {
    let mut r = Reader { input, at: 0 };
    let value = r.item(0)?;
    Ok((value, r.at))
}

struct Reader<'a> {
    input: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], CborError> {
        let end = self.at.checked_add(n).ok_or(CborError::Truncated)?;
        let bytes = self.input.get(self.at..end).ok_or(CborError::Truncated)?;
        self.at = end;
        Ok(bytes)
    }

    /// The next `N` bytes as an array.
    fn array<const N: usize>(&mut self) -> Result<[u8; N], CborError> {
        self.take(N)?.try_into().map_err(|_| CborError::Truncated)
    }

    fn byte(&mut self) -> Result<u8, CborError> {
        Ok(u8::from_be_bytes(self.array::<1>()?))
    }

    /// The argument of an item whose initial byte had additional information `info`.
    fn argument(&mut self, info: u8) -> Result<u64, CborError> {
        let width = match info {
            0..=23 => return Ok(u64::from(info)),
            24 => 1,
            25 => 2,
            26 => 4,
            27 => 8,
            // 28–30 reserved; 31 indefinite length (not in CTAP2 canonical CBOR).
            _ => return Err(CborError::Unsupported),
        };
        let mut n = 0u64;
        for b in self.take(width)? {
            n = (n << 8) | u64::from(*b);
        }
        Ok(n)
    }

    /// A length that the remaining input can hold (each counted unit takes at least one
    /// byte), so nothing is allocated for a length the input cannot back.
    fn length(&mut self, info: u8) -> Result<usize, CborError> {
        let n = self.argument(info)?;
        let remaining = self.input.len() - self.at;
        match usize::try_from(n) {
            Ok(n) if n <= remaining => Ok(n),
            _ => Err(CborError::Truncated),
        }
    }

    fn item(&mut self, depth: usize) -> Result<Value, CborError> {
        let initial = self.byte()?;
        let (major, info) = (initial >> 5, initial & 0x1f);
        match major {
            0 => Ok(Value::Uint(self.argument(info)?)),
            1 => Ok(Value::Nint(self.argument(info)?)),
            2 => {
                let n = self.length(info)?;
                Ok(Value::Bytes(self.take(n)?.to_vec()))
            }
            3 => {
                let n = self.length(info)?;
                let bytes = self.take(n)?;
                let text = std::str::from_utf8(bytes).map_err(|_| CborError::BadText)?;
                Ok(Value::Text(text.to_owned()))
            }
            4 | 5 => {
                if depth >= MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                let n = self.length(info)?;
                if n > MAX_ITEMS {
                    return Err(CborError::TooLarge);
                }
                if major == 4 {
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.item(depth + 1)?);
                    }
                    Ok(Value::Array(items))
                } else {
                    let mut entries = Vec::with_capacity(n);
                    for _ in 0..n {
                        let key = self.item(depth + 1)?;
                        let value = self.item(depth + 1)?;
                        entries.push((key, value));
                    }
                    Ok(Value::Map(entries))
                }
            }
            6 => {
                if depth >= MAX_DEPTH {
                    return Err(CborError::TooDeep);
                }
                let tag = self.argument(info)?;
                Ok(Value::Tag(tag, Box::new(self.item(depth + 1)?)))
            }
            _ => self.simple(info),
        }
    }

    /// Major type 7: simple values and floats (RFC 8949 §3.3).
    fn simple(&mut self, info: u8) -> Result<Value, CborError> {
        match info {
            20 => Ok(Value::Bool(false)),
            21 => Ok(Value::Bool(true)),
            22 => Ok(Value::Null),
            23 => Ok(Value::Undefined),
            25 => Ok(Value::Float(half(u16::from_be_bytes(self.array()?)))),
            26 => Ok(Value::Float(f64::from(f32::from_be_bytes(self.array()?)))),
            27 => Ok(Value::Float(f64::from_be_bytes(self.array()?))),
            // Other simple values are unassigned; 31 is a break outside a container.
            _ => Err(CborError::Unsupported),
        }
    }
}

/// An IEEE 754 half-precision value (RFC 8949 Appendix D).
fn half(h: u16) -> f64 {
    let exp = (h >> 10) & 0x1f;
    let mant = f64::from(h & 0x3ff);
    let val = match exp {
        0 => mant * 2f64.powi(-24),
        31 if mant == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        e => (mant + 1024.0) * 2f64.powi(i32::from(e) - 25),
    };
    if h & 0x8000 != 0 { -val } else { val }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap(), 16).unwrap())
            .collect()
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_owned())
    }

    /// RFC 8949 Appendix A: the examples of encoded items.
    #[test]
    fn rfc_8949_appendix_a() {
        use Value::*;
        let cases: Vec<(&str, Value)> = vec![
            ("00", Uint(0)),
            ("17", Uint(23)),
            ("1818", Uint(24)),
            ("1864", Uint(100)),
            ("1903e8", Uint(1000)),
            ("1a000f4240", Uint(1_000_000)),
            ("1b000000e8d4a51000", Uint(1_000_000_000_000)),
            ("1bffffffffffffffff", Uint(u64::MAX)),
            ("20", Nint(0)),
            ("29", Nint(9)),
            ("3863", Nint(99)),
            ("3903e7", Nint(999)),
            ("40", Bytes(vec![])),
            ("4401020304", Bytes(vec![1, 2, 3, 4])),
            ("60", text("")),
            ("6161", text("a")),
            ("6449455446", text("IETF")),
            ("62c3bc", text("\u{fc}")),
            ("80", Array(vec![])),
            ("83010203", Array(vec![Uint(1), Uint(2), Uint(3)])),
            (
                "8301820203820405",
                Array(vec![
                    Uint(1),
                    Array(vec![Uint(2), Uint(3)]),
                    Array(vec![Uint(4), Uint(5)]),
                ]),
            ),
            ("a0", Map(vec![])),
            (
                "a201020304",
                Map(vec![(Uint(1), Uint(2)), (Uint(3), Uint(4))]),
            ),
            (
                "a26161016162820203",
                Map(vec![
                    (text("a"), Uint(1)),
                    (text("b"), Array(vec![Uint(2), Uint(3)])),
                ]),
            ),
            ("f4", Bool(false)),
            ("f5", Bool(true)),
            ("f6", Null),
            ("f7", Undefined),
            ("c11a514b67b0", Tag(1, Box::new(Uint(1_363_896_240)))),
            ("f93e00", Float(1.5)),
            ("f93c00", Float(1.0)),
            ("f90001", Float(5.960464477539063e-8)),
            ("f9c400", Float(-4.0)),
            ("fa47c35000", Float(100_000.0)),
            ("fb3ff199999999999a", Float(1.1)),
        ];
        for (encoded, want) in cases {
            assert_eq!(decode(&hex(encoded)), Ok(want), "{encoded}");
        }
        assert_eq!(decode(&hex("f97c00")), Ok(Float(f64::INFINITY)));
        assert_eq!(Nint(999).as_i64(), Some(-1000));
    }

    #[test]
    fn bad_input_is_refused_without_panicking() {
        let cases: [(&str, CborError); 12] = [
            ("", CborError::Truncated),
            ("18", CborError::Truncated),
            ("1903", CborError::Truncated),
            ("4401", CborError::Truncated),
            ("83 0102".replace(' ', "").leak(), CborError::Truncated),
            ("0000", CborError::TrailingBytes),
            ("5f", CborError::Unsupported),
            ("9f01ff", CborError::Unsupported),
            ("1c", CborError::Unsupported),
            ("ff", CborError::Unsupported),
            ("62c328", CborError::BadText),
            // A byte string claiming 2^64-1 bytes: refused before any allocation.
            ("5bffffffffffffffff", CborError::Truncated),
        ];
        for (encoded, want) in cases {
            assert_eq!(decode(&hex(encoded)), Err(want), "{encoded}");
        }
        // An array claiming more items than the input has bytes.
        assert_eq!(decode(&hex("9a00100000")), Err(CborError::Truncated));
    }

    #[test]
    fn nesting_and_container_sizes_are_bounded() {
        let mut deep = vec![0x81u8; MAX_DEPTH];
        deep.push(0x00);
        assert!(decode(&deep).is_ok(), "{MAX_DEPTH} levels are fine");
        let mut deeper = vec![0x81u8; MAX_DEPTH + 1];
        deeper.push(0x00);
        assert_eq!(decode(&deeper), Err(CborError::TooDeep));
        let mut tags = vec![0xc1u8; MAX_DEPTH + 1];
        tags.push(0x00);
        assert_eq!(decode(&tags), Err(CborError::TooDeep));
        // 1025 zeros in an array: too many items even though the bytes are there.
        let mut big = vec![0x99, 0x04, 0x01];
        big.extend(std::iter::repeat_n(0u8, MAX_ITEMS + 1));
        assert_eq!(decode(&big), Err(CborError::TooLarge));
        let mut ok = vec![0x99, 0x04, 0x00];
        ok.extend(std::iter::repeat_n(0u8, MAX_ITEMS));
        assert!(decode(&ok).is_ok());
    }

    #[test]
    fn a_prefix_reports_what_it_used_and_maps_are_read_by_key() {
        let bytes = hex("a3616101200304f5ff");
        let (v, used) = decode_prefix(&bytes).unwrap();
        assert_eq!(used, 8);
        assert_eq!(v.get("a"), Some(&Value::Uint(1)));
        assert_eq!(v.get_int(-1), Some(&Value::Uint(3)));
        assert_eq!(v.get_int(4), Some(&Value::Bool(true)));
        assert_eq!(v.get("b"), None);
    }

    /// Arbitrary bytes never panic, and whatever decodes used no more than the input.
    #[test]
    fn random_input_never_panics() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for len in 0..2000 {
            let bytes: Vec<u8> = (0..len % 64)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            if let Ok((_, used)) = decode_prefix(&bytes) {
                assert!(used <= bytes.len());
            }
        }
    }
}
