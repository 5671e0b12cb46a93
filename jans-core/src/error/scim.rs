//! The SCIM component's errors as its wire carries them (RFC 7644 §3.12): a JSON body with
//! the `urn:ietf:params:scim:api:messages:2.0:Error` schema, the HTTP status repeated as a
//! string, a `scimType` for the 400 and 409 refusals the RFC names, and a `detail` a person
//! reads.

/// The message schema of an error response (RFC 7644 §3.12).
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A refusal of the SCIM API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {}: {detail}", scim_type.map(ScimType::as_str).unwrap_or("-"))]
pub struct ScimError {
    /// The HTTP status.
    pub status: u16,
    /// The RFC 7644 §3.12 error type, for the refusals that have one.
    pub scim_type: Option<ScimType>,
    /// What a person reads.
    pub detail: String,
    /// The `WWW-Authenticate` challenge of a refused bearer token (RFC 6750 §3).
    pub challenge: Option<String>,
}

/// `scimType` values (RFC 7644 §3.12, Table 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScimType {
    /// The filter is malformed, too long or too deep, or compares what cannot be compared.
    InvalidFilter,
    /// The query would return more results than the server answers with (§3.4.2.4).
    TooMany,
    /// A value that must be unique is taken (409).
    Uniqueness,
    /// An attempt to change an immutable or read-only attribute.
    Mutability,
    /// The request body's structure is wrong or does not follow the schema.
    InvalidSyntax,
    /// A PATCH path is malformed or names no attribute.
    InvalidPath,
    /// A PATCH path with a value filter matched nothing.
    NoTarget,
    /// A required value is missing or a value is of the wrong type.
    InvalidValue,
    /// The protocol version is not supported (unknown endpoint version).
    InvalidVers,
    /// Sensitive information (a password, a token) was sent where it may not be: in a URI.
    Sensitive,
}

impl ScimType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        use ScimType::*;
        match self {
            InvalidFilter => "invalidFilter",
            TooMany => "tooMany",
            Uniqueness => "uniqueness",
            Mutability => "mutability",
            InvalidSyntax => "invalidSyntax",
            InvalidPath => "invalidPath",
            NoTarget => "noTarget",
            InvalidValue => "invalidValue",
            InvalidVers => "invalidVers",
            Sensitive => "sensitive",
        }
    }

    /// The status the RFC gives this type: 409 for `uniqueness`, 400 for the others.
    pub fn status(self) -> u16 {
        match self {
            ScimType::Uniqueness => 409,
            _ => 400,
        }
    }
}

impl std::fmt::Display for ScimType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ScimError {
    /// A refusal of `scim_type`, with the status the RFC gives it.
    pub fn new(scim_type: ScimType, detail: impl Into<String>) -> ScimError {
        ScimError {
            status: scim_type.status(),
            scim_type: Some(scim_type),
            detail: detail.into(),
            challenge: None,
        }
    }

    /// A refusal with a status and no `scimType` (404, 412, 413, 501, ...).
    pub fn status(status: u16, detail: impl Into<String>) -> ScimError {
        ScimError {
            status,
            scim_type: None,
            detail: detail.into(),
            challenge: None,
        }
    }

    /// A refused bearer token (RFC 6750 §3): 401 or 403 with its `WWW-Authenticate`
    /// challenge.
    pub fn bearer(status: u16, challenge: String, detail: impl Into<String>) -> ScimError {
        ScimError {
            challenge: Some(challenge),
            ..ScimError::status(status, detail)
        }
    }

    /// `invalidFilter` (400).
    pub fn invalid_filter(detail: impl Into<String>) -> ScimError {
        ScimError::new(ScimType::InvalidFilter, detail)
    }

    /// The server failed (500); no internals are told.
    pub fn server_error() -> ScimError {
        ScimError::status(500, "the server could not complete the request")
    }

    /// The wire body (RFC 7644 §3.12: `status` is a string).
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = serde_json::json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(t), Some(m)) = (self.scim_type, body.as_object_mut()) {
            m.insert("scimType".into(), t.as_str().into());
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form() {
        let e = ScimError::new(ScimType::Uniqueness, "userName is taken");
        assert_eq!(e.status, 409);
        assert_eq!(
            e.to_json(),
            serde_json::json!({
                "schemas": [ERROR_SCHEMA],
                "status": "409",
                "scimType": "uniqueness",
                "detail": "userName is taken",
            })
        );
        let e = ScimError::status(412, "version mismatch");
        assert_eq!(
            e.to_json(),
            serde_json::json!({"schemas": [ERROR_SCHEMA], "status": "412", "detail": "version mismatch"})
        );
        assert_eq!(ScimError::invalid_filter("x").status, 400);
    }
}
