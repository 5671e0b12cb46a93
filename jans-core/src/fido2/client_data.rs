//! `clientDataJSON` (WebAuthn Level 3 §5.8.1) and the checks a relying party makes on it:
//! registration §7.1 steps 7–11, authentication §7.2 steps 10–14. The JSON is parsed as
//! JSON (§5.8.1.2 allows that in place of the limited verification algorithm), bounded in
//! size, and every check fails with its own error.

use serde::Deserialize;
use subtle::ConstantTimeEq;

/// Largest `clientDataJSON` accepted, in bytes (browsers send a few hundred).
pub const MAX_CLIENT_DATA_LEN: usize = 8 * 1024;

/// Which ceremony the client data must be for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ceremony {
    /// `navigator.credentials.create()`: `webauthn.create`.
    Create,
    /// `navigator.credentials.get()`: `webauthn.get`.
    Get,
}

impl Ceremony {
    /// The `type` member it requires.
    pub fn type_name(self) -> &'static str {
        match self {
            Ceremony::Create => "webauthn.create",
            Ceremony::Get => "webauthn.get",
        }
    }
}

/// The members of `clientDataJSON` a relying party checks.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ClientData {
    /// `webauthn.create` or `webauthn.get`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The challenge, base64url without padding.
    pub challenge: String,
    /// The origin of the calling page.
    pub origin: String,
    /// Whether the call came from a cross-origin iframe.
    #[serde(rename = "crossOrigin", default)]
    pub cross_origin: Option<bool>,
    /// The top-level origin, for a cross-origin call.
    #[serde(rename = "topOrigin", default)]
    pub top_origin: Option<String>,
}

/// Why client data was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientDataError {
    /// Over [`MAX_CLIENT_DATA_LEN`] bytes.
    #[error("clientDataJSON is too large")]
    TooLarge,
    /// Not JSON, or missing a required member.
    #[error("clientDataJSON is not valid: {0}")]
    Malformed(String),
    /// `type` is not the ceremony's.
    #[error("clientDataJSON type is {found:?}, expected {expected:?}")]
    WrongType {
        /// What it says.
        found: String,
        /// What the ceremony needs.
        expected: &'static str,
    },
    /// `challenge` is not the one this ceremony issued.
    #[error("the challenge does not match")]
    ChallengeMismatch,
    /// `origin` is not one of the relying party's.
    #[error("origin {0:?} is not allowed")]
    OriginNotAllowed(String),
    /// A cross-origin call where none is allowed.
    #[error("cross-origin calls are not allowed")]
    CrossOriginNotAllowed,
}

/// Parse `clientDataJSON` as the client sent it.
pub fn parse(json: &[u8]) -> Result<ClientData, ClientDataError> {
    if json.len() > MAX_CLIENT_DATA_LEN {
        return Err(ClientDataError::TooLarge);
    }
    serde_json::from_slice(json).map_err(|e| ClientDataError::Malformed(e.to_string()))
}

impl ClientData {
    /// The checks of §7.1 steps 7–11 / §7.2 steps 10–14: the type is the ceremony's, the
    /// challenge is the one issued (compared in constant time), the origin is one of
    /// `origins` (exactly), and the call is not cross-origin unless `allow_cross_origin`.
    pub fn check(
        &self,
        ceremony: Ceremony,
        challenge: &[u8],
        origins: &[String],
        allow_cross_origin: bool,
    ) -> Result<(), ClientDataError> {
        if self.kind != ceremony.type_name() {
            return Err(ClientDataError::WrongType {
                found: self.kind.clone(),
                expected: ceremony.type_name(),
            });
        }
        let presented =
            crate::b64::decode(&self.challenge).map_err(|_| ClientDataError::ChallengeMismatch)?;
        if !bool::from(presented.ct_eq(challenge)) {
            return Err(ClientDataError::ChallengeMismatch);
        }
        if !origins.contains(&self.origin) {
            return Err(ClientDataError::OriginNotAllowed(self.origin.clone()));
        }
        if self.cross_origin == Some(true) && !allow_cross_origin {
            return Err(ClientDataError::CrossOriginNotAllowed);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHALLENGE: [u8; 16] = [7; 16];

    fn json(kind: &str, challenge: &[u8], origin: &str, extra: &str) -> Vec<u8> {
        format!(
            r#"{{"type":"{kind}","challenge":"{}","origin":"{origin}"{extra}}}"#,
            crate::b64::encode(challenge)
        )
        .into_bytes()
    }

    fn origins() -> Vec<String> {
        vec!["https://id.example.com".to_owned()]
    }

    fn check(bytes: &[u8], ceremony: Ceremony) -> Result<(), ClientDataError> {
        parse(bytes)?.check(ceremony, &CHALLENGE, &origins(), false)
    }

    #[test]
    fn a_browsers_client_data_passes() {
        let bytes = json(
            "webauthn.get",
            &CHALLENGE,
            "https://id.example.com",
            r#","crossOrigin":false,"other_keys_can_be_added_here":"do not compare clientDataJSON against a template. See https://goo.gl/yabPex""#,
        );
        assert_eq!(check(&bytes, Ceremony::Get), Ok(()));
        let create = json("webauthn.create", &CHALLENGE, "https://id.example.com", "");
        assert_eq!(check(&create, Ceremony::Create), Ok(()));
    }

    #[test]
    fn each_failed_check_has_its_own_error() {
        let origin = "https://id.example.com";
        assert_eq!(
            check(
                &json("webauthn.get", &CHALLENGE, origin, ""),
                Ceremony::Create
            ),
            Err(ClientDataError::WrongType {
                found: "webauthn.get".to_owned(),
                expected: "webauthn.create"
            })
        );
        assert_eq!(
            check(&json("webauthn.get", &[8; 16], origin, ""), Ceremony::Get),
            Err(ClientDataError::ChallengeMismatch)
        );
        assert_eq!(
            check(
                &json("webauthn.get", &CHALLENGE[..15], origin, ""),
                Ceremony::Get
            ),
            Err(ClientDataError::ChallengeMismatch),
            "a prefix of the challenge"
        );
        for other in [
            "https://evil.example.com",
            "https://id.example.com:443",
            "http://id.example.com",
            "https://id.example.com/",
        ] {
            assert_eq!(
                check(&json("webauthn.get", &CHALLENGE, other, ""), Ceremony::Get),
                Err(ClientDataError::OriginNotAllowed(other.to_owned())),
                "{other}"
            );
        }
        assert_eq!(
            check(
                &json("webauthn.get", &CHALLENGE, origin, r#","crossOrigin":true"#),
                Ceremony::Get
            ),
            Err(ClientDataError::CrossOriginNotAllowed)
        );
        let bad = r#"{"type":"webauthn.get","challenge":"!!","origin":"https://id.example.com"}"#;
        assert_eq!(
            check(bad.as_bytes(), Ceremony::Get),
            Err(ClientDataError::ChallengeMismatch)
        );
        assert!(matches!(
            parse(br#"{"type":"webauthn.get"}"#),
            Err(ClientDataError::Malformed(_))
        ));
        assert!(matches!(
            parse(b"not json"),
            Err(ClientDataError::Malformed(_))
        ));
        let big = vec![b' '; MAX_CLIENT_DATA_LEN + 1];
        assert_eq!(parse(&big), Err(ClientDataError::TooLarge));
    }
}
