//! JWT claim checks (RFC 7519 §4.1, §7.2 step 10): `exp`, `nbf`, `iat`, `iss`, `aud`.
//! Signature verification is [`super::jws`]'s job; this module only looks at claims that
//! have already been verified.

use serde_json::{Map, Value};

use super::JoseError;
use crate::ctx::UnixTime;

/// What [`validate`] checks. Times are seconds since the epoch (RFC 7519 §2 NumericDate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Validation<'a> {
    /// The required `iss` (RFC 7519 §4.1.1), compared exactly.
    pub issuer: Option<&'a str>,
    /// An audience that must appear in `aud` (RFC 7519 §4.1.3: a string or an array of strings).
    pub audience: Option<&'a str>,
    /// The current time.
    pub now: UnixTime,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds.
    pub leeway: u64,
    /// Refuse tokens without `exp`.
    pub require_exp: bool,
    /// Refuse tokens whose lifetime (`exp` minus `iat`, or minus `now` without `iat`) exceeds this.
    pub max_lifetime: Option<u64>,
}

impl<'a> Validation<'a> {
    /// Check at `now` with no leeway, `exp` required, no issuer or audience check.
    pub fn new(now: UnixTime) -> Self {
        Validation {
            issuer: None,
            audience: None,
            now,
            leeway: 0,
            require_exp: true,
            max_lifetime: None,
        }
    }
}

/// Which way to round a fractional NumericDate: always toward refusing the token.
#[derive(Clone, Copy)]
enum Round {
    Down,
    Up,
}

/// A NumericDate claim (RFC 7519 §2): a non-negative JSON number; fractions are allowed.
fn numeric_date(
    claims: &Map<String, Value>,
    name: &'static str,
    round: Round,
) -> Result<Option<u64>, JoseError> {
    let Some(v) = claims.get(name) else {
        return Ok(None);
    };
    let n = v.as_number().ok_or(JoseError::InvalidClaim(name))?;
    if let Some(u) = n.as_u64() {
        return Ok(Some(u));
    }
    match n.as_f64() {
        Some(f) if f.is_finite() && f >= 0.0 && f < u64::MAX as f64 => {
            let r = match round {
                Round::Down => f.floor(),
                Round::Up => f.ceil(),
            };
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(Some(r as u64))
        }
        _ => Err(JoseError::InvalidClaim(name)),
    }
}

/// Check the registered time and identity claims (RFC 7519 §4.1.1–§4.1.6).
///
/// - `exp` (§4.1.4): `now` must be before `exp + leeway`; required when `require_exp`.
/// - `nbf` (§4.1.5): `now + leeway` must not be before `nbf`.
/// - `iat` (§4.1.6): must not lie in the future beyond the leeway.
/// - `iss` (§4.1.1): equal to [`Validation::issuer`] when set.
/// - `aud` (§4.1.3): contains [`Validation::audience`] when set.
///
/// Errors name the claim: `InvalidClaim("exp")` etc. Non-numeric dates are invalid.
pub fn validate(claims: &Map<String, Value>, v: &Validation<'_>) -> Result<(), JoseError> {
    let exp = numeric_date(claims, "exp", Round::Down)?;
    let nbf = numeric_date(claims, "nbf", Round::Up)?;
    let iat = numeric_date(claims, "iat", Round::Up)?;

    match exp {
        Some(exp) if v.now >= exp.saturating_add(v.leeway) => {
            return Err(JoseError::InvalidClaim("exp"));
        }
        None if v.require_exp => return Err(JoseError::InvalidClaim("exp")),
        _ => {}
    }
    if let Some(nbf) = nbf
        && v.now.saturating_add(v.leeway) < nbf
    {
        return Err(JoseError::InvalidClaim("nbf"));
    }
    if let Some(iat) = iat
        && iat > v.now.saturating_add(v.leeway)
    {
        return Err(JoseError::InvalidClaim("iat"));
    }
    if let (Some(max), Some(exp)) = (v.max_lifetime, exp) {
        let start = iat.unwrap_or(v.now);
        if exp.saturating_sub(start) > max {
            return Err(JoseError::InvalidClaim("exp"));
        }
    }
    if let Some(issuer) = v.issuer
        && claims.get("iss").and_then(Value::as_str) != Some(issuer)
    {
        return Err(JoseError::InvalidClaim("iss"));
    }
    if let Some(audience) = v.audience {
        let ok = match claims.get("aud") {
            Some(Value::String(s)) => s == audience,
            Some(Value::Array(items)) => items.iter().any(|a| a.as_str() == Some(audience)),
            _ => false,
        };
        if !ok {
            return Err(JoseError::InvalidClaim("aud"));
        }
    }
    Ok(())
}

/// Parse a JWS payload as a JWT Claims Set, which must be a JSON object (RFC 7519 §7.2
/// step 10). serde_json bounds nesting depth, so this never overflows the stack.
pub fn parse_claims(payload: &[u8]) -> Result<Map<String, Value>, JoseError> {
    match serde_json::from_slice::<Value>(payload) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(JoseError::Malformed("claims")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claims(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    const NOW: u64 = 1_700_000_000;

    #[test]
    fn accepts_a_good_token() {
        let c = claims(json!({
            "iss": "https://op.example", "aud": ["a", "client"], "exp": NOW + 60,
            "nbf": NOW, "iat": NOW
        }));
        let v = Validation {
            issuer: Some("https://op.example"),
            audience: Some("client"),
            max_lifetime: Some(60),
            ..Validation::new(NOW)
        };
        validate(&c, &v).unwrap();
        let c = claims(json!({"aud": "client", "exp": (NOW + 1) as f64 + 0.5}));
        validate(
            &c,
            &Validation {
                audience: Some("client"),
                ..Validation::new(NOW)
            },
        )
        .unwrap();
    }

    #[test]
    fn exp_checks() {
        let v = Validation::new(NOW);
        assert_eq!(
            validate(&claims(json!({})), &v),
            Err(JoseError::InvalidClaim("exp"))
        );
        validate(
            &claims(json!({})),
            &Validation {
                require_exp: false,
                ..v
            },
        )
        .unwrap();
        assert_eq!(
            validate(&claims(json!({"exp": NOW})), &v),
            Err(JoseError::InvalidClaim("exp"))
        );
        assert_eq!(
            validate(&claims(json!({"exp": NOW - 10})), &v),
            Err(JoseError::InvalidClaim("exp"))
        );
        validate(
            &claims(json!({"exp": NOW - 10})),
            &Validation { leeway: 30, ..v },
        )
        .unwrap();
        for bad in [
            json!("soon"),
            json!(-1),
            json!(null),
            json!(true),
            json!([1]),
        ] {
            assert_eq!(
                validate(&claims(json!({ "exp": bad })), &v),
                Err(JoseError::InvalidClaim("exp"))
            );
        }
        let lifetime = Validation {
            max_lifetime: Some(300),
            ..v
        };
        assert_eq!(
            validate(&claims(json!({"exp": NOW + 301, "iat": NOW})), &lifetime),
            Err(JoseError::InvalidClaim("exp"))
        );
        assert_eq!(
            validate(&claims(json!({"exp": NOW + 301})), &lifetime),
            Err(JoseError::InvalidClaim("exp"))
        );
    }

    #[test]
    fn nbf_and_iat_checks() {
        let v = Validation::new(NOW);
        let exp = NOW + 100;
        assert_eq!(
            validate(&claims(json!({"exp": exp, "nbf": NOW + 5})), &v),
            Err(JoseError::InvalidClaim("nbf"))
        );
        validate(
            &claims(json!({"exp": exp, "nbf": NOW + 5})),
            &Validation { leeway: 5, ..v },
        )
        .unwrap();
        assert_eq!(
            validate(&claims(json!({"exp": exp, "iat": NOW + 5})), &v),
            Err(JoseError::InvalidClaim("iat"))
        );
        assert_eq!(
            validate(&claims(json!({"exp": exp, "nbf": "x"})), &v),
            Err(JoseError::InvalidClaim("nbf"))
        );
    }

    #[test]
    fn iss_and_aud_checks() {
        let v = Validation {
            issuer: Some("https://op.example"),
            audience: Some("client"),
            ..Validation::new(NOW)
        };
        let exp = NOW + 100;
        for (c, claim) in [
            (json!({"exp": exp, "aud": "client"}), "iss"),
            (
                json!({"exp": exp, "iss": "https://evil.example", "aud": "client"}),
                "iss",
            ),
            (json!({"exp": exp, "iss": 5, "aud": "client"}), "iss"),
            (json!({"exp": exp, "iss": "https://op.example"}), "aud"),
            (
                json!({"exp": exp, "iss": "https://op.example", "aud": "other"}),
                "aud",
            ),
            (
                json!({"exp": exp, "iss": "https://op.example", "aud": ["a", "b"]}),
                "aud",
            ),
            (
                json!({"exp": exp, "iss": "https://op.example", "aud": [["client"]]}),
                "aud",
            ),
        ] {
            assert_eq!(
                validate(&claims(c), &v),
                Err(JoseError::InvalidClaim(claim))
            );
        }
    }

    #[test]
    fn parse_claims_needs_an_object() {
        assert!(parse_claims(br#"{"a":1}"#).is_ok());
        for bad in [&b"[1]"[..], b"\"s\"", b"", b"{", b"null", &[0xff, 0xfe]] {
            assert_eq!(parse_claims(bad), Err(JoseError::Malformed("claims")));
        }
        let deep = "[".repeat(10_000);
        assert_eq!(
            parse_claims(deep.as_bytes()),
            Err(JoseError::Malformed("claims"))
        );
    }
}
