//! The config API's errors as its wire carries them: Janssen's `ApiError` (jans-config-api
//! `io.jans.configapi.core.model.ApiError`) — `{"code", "message", "description"}`, the
//! code the HTTP status as a string unless Janssen names it (`OCA001` for a missing
//! attribute) — with the status; a refused bearer token also carries RFC 6750 §3's
//! `WWW-Authenticate` challenge (where Janssen answers an empty 401).

/// A refusal of the config API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}: {description}")]
pub struct AdminError {
    /// The HTTP status.
    pub status: u16,
    /// Janssen's error code: the status as a string, or a named one (`OCA001`).
    pub code: String,
    /// What went wrong, briefly.
    pub message: String,
    /// What a person reads to fix it.
    pub description: String,
    /// The `WWW-Authenticate` challenge of a refused bearer token (RFC 6750 §3).
    pub challenge: Option<String>,
}

impl AdminError {
    /// A refusal with `status` (its code the status) and a description.
    pub fn new(status: u16, description: impl Into<String>) -> AdminError {
        AdminError {
            status,
            code: status.to_string(),
            message: reason(status).to_owned(),
            description: description.into(),
            challenge: None,
        }
    }

    /// A refused bearer token (RFC 6750 §3): 401 or 403 with its challenge.
    pub fn bearer(status: u16, challenge: String, description: impl Into<String>) -> AdminError {
        AdminError {
            challenge: Some(challenge),
            ..AdminError::new(status, description)
        }
    }

    /// The server failed (500); no internals are told.
    pub fn server_error() -> AdminError {
        AdminError::new(500, "the server could not complete the request")
    }

    /// The wire body.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "code": self.code,
            "message": self.message,
            "description": self.description,
        })
    }
}

/// The message of a status, as Janssen's `ApiError`s carry one.
fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        503 => "Service Unavailable",
        s if s >= 500 => "Internal Server Error",
        _ => "Request Refused",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_form() {
        let e = AdminError::new(404, "no client 1234");
        assert_eq!(
            e.to_json(),
            serde_json::json!({"code": "404", "message": "Not Found", "description": "no client 1234"})
        );
        let e = AdminError::bearer(401, "Bearer".into(), "a bearer token is required");
        assert_eq!((e.status, e.challenge.as_deref()), (401, Some("Bearer")));
        assert_eq!(AdminError::server_error().to_json()["code"], "500");
    }
}
