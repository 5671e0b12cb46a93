//! UMA 2.0's errors as its endpoints carry them: `{"error", "error_description"}` with
//! the status each code has (UMA 2.0 Grant §3.3.6 for the token endpoint, with the
//! members `need_info` and `request_submitted` carry; Federated
//! Authorization §3.2 for resource registration, where an unknown resource is
//! `not_found`); a refused protection API token (PAT) also carries RFC 6750 §3's
//! `WWW-Authenticate` challenge.

/// An UMA error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UmaErrorCode {
    /// The request is malformed or misses a required member (400).
    InvalidRequest,
    /// No PAT, or one that is not active (401, RFC 6750 §3.1).
    InvalidToken,
    /// A token without `uma_protection` (403, RFC 6750 §3.1).
    InsufficientScope,
    /// No such resource, or not the caller's (404, Federated Authorization §3.2).
    NotFound,
    /// A permission names a resource the resource owner has not registered (400,
    /// Federated Authorization §4.3).
    InvalidResourceId,
    /// A permission names a scope its resource was not registered with (400, Federated
    /// Authorization §4.3).
    InvalidScope,
    /// A method the endpoint does not answer (405, Federated Authorization §3.2).
    UnsupportedMethodType,
    /// The permission ticket is unknown, used or expired (400, UMA Grant §3.3.6).
    InvalidGrant,
    /// The policies need claims of the requesting party first (403, UMA Grant §3.3.6:
    /// with a new `ticket`, `required_claims` and `redirect_user`).
    NeedInfo,
    /// The request waits for the resource owner (403, UMA Grant §3.3.6: with a new
    /// `ticket` and the `interval` to wait before asking again).
    RequestSubmitted,
    /// The policies refuse the requesting party (403, UMA Grant §3.3.6).
    RequestDenied,
    /// `claim_token_format` is not one this server takes (400, Janssen's code).
    InvalidClaimTokenFormat,
    /// The claim token does not verify (400, Janssen's code).
    InvalidClaimToken,
    /// The persisted claims token is unknown, expired or another client's (400, Janssen's
    /// code).
    InvalidPct,
    /// The RPT to upgrade is unknown, expired or another client's (400, Janssen's code).
    InvalidRpt,
    /// The server failed (500).
    ServerError,
    /// The store does not answer (503).
    TemporarilyUnavailable,
}

impl UmaErrorCode {
    /// The code on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            UmaErrorCode::InvalidRequest => "invalid_request",
            UmaErrorCode::InvalidToken => "invalid_token",
            UmaErrorCode::InsufficientScope => "insufficient_scope",
            UmaErrorCode::NotFound => "not_found",
            UmaErrorCode::InvalidResourceId => "invalid_resource_id",
            UmaErrorCode::InvalidScope => "invalid_scope",
            UmaErrorCode::UnsupportedMethodType => "unsupported_method_type",
            UmaErrorCode::InvalidGrant => "invalid_grant",
            UmaErrorCode::NeedInfo => "need_info",
            UmaErrorCode::RequestSubmitted => "request_submitted",
            UmaErrorCode::RequestDenied => "request_denied",
            UmaErrorCode::InvalidClaimTokenFormat => "invalid_claim_token_format",
            UmaErrorCode::InvalidClaimToken => "invalid_claim_token",
            UmaErrorCode::InvalidPct => "invalid_pct",
            UmaErrorCode::InvalidRpt => "invalid_rpt",
            UmaErrorCode::ServerError => "server_error",
            UmaErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// Its HTTP status.
    pub fn status(self) -> u16 {
        match self {
            UmaErrorCode::InvalidRequest
            | UmaErrorCode::InvalidResourceId
            | UmaErrorCode::InvalidScope
            | UmaErrorCode::InvalidGrant
            | UmaErrorCode::InvalidClaimTokenFormat
            | UmaErrorCode::InvalidClaimToken
            | UmaErrorCode::InvalidPct
            | UmaErrorCode::InvalidRpt => 400,
            UmaErrorCode::InvalidToken => 401,
            UmaErrorCode::InsufficientScope
            | UmaErrorCode::NeedInfo
            | UmaErrorCode::RequestSubmitted
            | UmaErrorCode::RequestDenied => 403,
            UmaErrorCode::NotFound => 404,
            UmaErrorCode::UnsupportedMethodType => 405,
            UmaErrorCode::ServerError => 500,
            UmaErrorCode::TemporarilyUnavailable => 503,
        }
    }
}

/// A refusal of an UMA endpoint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct UmaError {
    /// The code.
    pub code: UmaErrorCode,
    /// What a developer reads to fix it.
    pub description: String,
    /// A request that sent no token at all: RFC 6750 §3.1's challenge then names no error.
    pub no_token: bool,
    /// The scope a refused bearer token needs, named in the challenge (`uma_protection`
    /// unless [`UmaError::scoped`]).
    pub scope: &'static str,
    /// Members beside `error` (UMA Grant §3.3.6: `ticket`, `required_claims`,
    /// `redirect_user`, `interval`).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl UmaError {
    /// A refusal with `code`.
    pub fn new(code: UmaErrorCode, description: impl Into<String>) -> UmaError {
        UmaError {
            code,
            description: description.into(),
            no_token: false,
            scope: "uma_protection",
            extra: serde_json::Map::new(),
        }
    }

    /// A request that sent no PAT (RFC 6750 §3.1): 401, its challenge without an error.
    pub fn no_token(description: impl Into<String>) -> UmaError {
        UmaError {
            no_token: true,
            ..UmaError::new(UmaErrorCode::InvalidToken, description)
        }
    }

    /// The refusal of a bearer token that needs `scope` (its challenge names it).
    pub fn scoped(mut self, scope: &'static str) -> UmaError {
        self.scope = scope;
        self
    }

    /// The refusal with the member `name` beside the error.
    pub fn with(mut self, name: &str, value: serde_json::Value) -> UmaError {
        self.extra.insert(name.to_owned(), value);
        self
    }

    /// The wire body.
    pub fn to_json(&self) -> serde_json::Value {
        let mut body = self.extra.clone();
        body.insert("error".into(), self.code.as_str().into());
        body.insert("error_description".into(), self.description.clone().into());
        serde_json::Value::Object(body)
    }

    /// The `WWW-Authenticate` challenge of a refused PAT (RFC 6750 §3), naming the scope a
    /// PAT needs; with an error code unless no token was sent.
    pub fn challenge(&self) -> Option<String> {
        match self.code {
            UmaErrorCode::InvalidToken if self.no_token => {
                Some(format!("Bearer scope=\"{}\"", self.scope))
            }
            UmaErrorCode::InvalidToken | UmaErrorCode::InsufficientScope => Some(format!(
                "Bearer error=\"{}\", scope=\"{}\"",
                self.code.as_str(),
                self.scope
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_their_status_and_challenge() {
        let e = UmaError::new(UmaErrorCode::NotFound, "no resource r-1");
        assert_eq!(e.code.status(), 404);
        assert_eq!(
            e.to_json(),
            serde_json::json!({"error": "not_found", "error_description": "no resource r-1"})
        );
        assert_eq!(e.challenge(), None);
        let e = UmaError::new(UmaErrorCode::InsufficientScope, "a PAT is needed");
        assert_eq!(e.code.status(), 403);
        assert_eq!(
            e.challenge().as_deref(),
            Some("Bearer error=\"insufficient_scope\", scope=\"uma_protection\"")
        );
        let e = UmaError::no_token("a PAT is needed");
        assert_eq!(e.code.status(), 401);
        assert_eq!(
            e.challenge().as_deref(),
            Some("Bearer scope=\"uma_protection\"")
        );
    }
}
