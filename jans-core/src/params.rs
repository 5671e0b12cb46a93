//! Duplicate-aware request parameters.
//!
//! RFC 6749 §3.1 and §3.2: "Request and response parameters MUST NOT be included more than
//! once" and "Parameters sent without a value MUST be treated as if they were omitted from the
//! request." [`Params`] keeps every pair so a repeated parameter can be refused with
//! `invalid_request` instead of silently picking one.

use std::borrow::Cow;

/// Bounds on what one request may carry (DESIGN.md §6: every input bounded).
pub const MAX_PARAMS: usize = 64;
/// Longest accepted parameter name.
pub const MAX_NAME_LEN: usize = 128;
/// Longest accepted parameter value (client assertions and request objects are the largest).
pub const MAX_VALUE_LEN: usize = 32 * 1024;

/// Why a parameter set was refused. Every variant becomes `invalid_request`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParamsError {
    /// RFC 6749 §3.1: the parameter appears more than once.
    #[error("parameter '{0}' is repeated")]
    Repeated(String),
    /// More than [`MAX_PARAMS`] parameters, or a name/value over its bound.
    #[error("too many or too large parameters")]
    TooLarge,
    /// The body is not `application/x-www-form-urlencoded` text (invalid UTF-8).
    #[error("malformed form encoding")]
    Malformed,
}

/// An ordered multimap of decoded parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Params::default()
    }

    /// Parse `application/x-www-form-urlencoded` bytes (a form body or a URL query), enforcing
    /// the bounds. Decoding follows the WHATWG urlencoded parser (`+` is a space).
    pub fn parse(input: &[u8]) -> Result<Params, ParamsError> {
        if std::str::from_utf8(input).is_err() {
            return Err(ParamsError::Malformed);
        }
        let mut pairs = Vec::new();
        for (name, value) in form_urlencoded::parse(input) {
            if pairs.len() >= MAX_PARAMS {
                return Err(ParamsError::TooLarge);
            }
            if name.len() > MAX_NAME_LEN || value.len() > MAX_VALUE_LEN {
                return Err(ParamsError::TooLarge);
            }
            // Percent-decoding may yield invalid UTF-8, which form_urlencoded replaces with
            // U+FFFD; refuse instead of passing a changed value on.
            if matches!(name, Cow::Owned(ref s) if s.contains('\u{FFFD}'))
                || matches!(value, Cow::Owned(ref s) if s.contains('\u{FFFD}'))
            {
                return Err(ParamsError::Malformed);
            }
            pairs.push((name.into_owned(), value.into_owned()));
        }
        Ok(Params { pairs })
    }

    /// Build from pairs (tests, typed callers). Bounds are not checked.
    pub fn from_pairs<I, K, V>(pairs: I) -> Params
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Params {
            pairs: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Add a pair.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.pairs.push((name.into(), value.into()));
    }

    /// The single non-empty value of `name`: `Ok(None)` when absent or empty (RFC 6749 §3.1),
    /// `Err(Repeated)` when it appears more than once.
    pub fn get(&self, name: &str) -> Result<Option<&str>, ParamsError> {
        let mut found: Option<&str> = None;
        for (k, v) in &self.pairs {
            if k == name {
                if found.is_some() {
                    return Err(ParamsError::Repeated(name.to_owned()));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found.filter(|v| !v.is_empty()))
    }

    /// Refuse the whole set if any parameter name appears twice (RFC 6749 §3.1).
    pub fn check_no_repeats(&self) -> Result<(), ParamsError> {
        for (i, (k, _)) in self.pairs.iter().enumerate() {
            if self.pairs.iter().skip(i + 1).any(|(k2, _)| k2 == k) {
                return Err(ParamsError::Repeated(k.clone()));
            }
        }
        Ok(())
    }

    /// Whether any parameter is present.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// All pairs in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Re-encode as `application/x-www-form-urlencoded`.
    pub fn encode(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_decodes() {
        let p = Params::parse(b"grant_type=client_credentials&scope=read+write&x=%41").unwrap();
        assert_eq!(p.get("grant_type").unwrap(), Some("client_credentials"));
        assert_eq!(p.get("scope").unwrap(), Some("read write"));
        assert_eq!(p.get("x").unwrap(), Some("A"));
        assert_eq!(p.get("missing").unwrap(), None);
    }

    #[test]
    fn empty_value_is_absent() {
        let p = Params::parse(b"scope=&a").unwrap();
        assert_eq!(p.get("scope").unwrap(), None);
        assert_eq!(p.get("a").unwrap(), None);
    }

    #[test]
    fn repeated_parameter_is_an_error() {
        let p = Params::parse(b"scope=a&scope=b").unwrap();
        assert_eq!(
            p.get("scope"),
            Err(ParamsError::Repeated("scope".to_owned()))
        );
        assert!(p.check_no_repeats().is_err());
        let ok = Params::parse(b"a=1&b=2").unwrap();
        assert!(ok.check_no_repeats().is_ok());
    }

    #[test]
    fn bounds_and_bad_encoding() {
        let many = (0..=MAX_PARAMS)
            .map(|i| format!("p{i}=v"))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(Params::parse(many.as_bytes()), Err(ParamsError::TooLarge));
        let long = format!("a={}", "x".repeat(MAX_VALUE_LEN + 1));
        assert_eq!(Params::parse(long.as_bytes()), Err(ParamsError::TooLarge));
        assert_eq!(Params::parse(b"a=\xff"), Err(ParamsError::Malformed));
        assert_eq!(Params::parse(b"a=%ff"), Err(ParamsError::Malformed));
    }

    #[test]
    fn encode_round_trips() {
        let p = Params::from_pairs([("a", "x y"), ("b", "&=")]);
        assert_eq!(Params::parse(p.encode().as_bytes()).unwrap(), p);
    }
}
