//! The FIDO2 component's errors as its wire carries them: Janssen's jans-fido2 answers a
//! refused request with the FIDO Alliance conformance envelope
//! `{"status": "failed", "errorMessage": "..."}` (FIDO Server Requirements and Transport
//! Binding Profile §7, "ServerResponse"), with a 4xx. We add `error`, a stable machine code
//! per refusal (Janssen's `AttestationErrorResponseType` / `AssertionErrorResponseType`
//! names where it has one), so every failed step of WebAuthn Level 3 §7.1 and §7.2 is told
//! apart.

/// A refusal of the FIDO2 API.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Fido2Error {
    /// The machine code.
    pub code: Fido2ErrorCode,
    /// What a person reads (`errorMessage`).
    pub message: String,
}

/// The machine codes of [`Fido2Error`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fido2ErrorCode {
    /// The request is malformed (JSON, base64url, a missing member).
    InvalidRequest,
    /// Not served here (404).
    NotFound,
    /// The method is not allowed (405).
    MethodNotAllowed,
    /// The caller may not do this (a registration for someone else): 403.
    Forbidden,
    /// The origin or `documentDomain` is not one of the relying parties'.
    InvalidOrigin,
    /// The challenge is unknown, expired or used.
    InvalidChallenge,
    /// clientDataJSON is malformed or is not this ceremony's.
    InvalidClientData,
    /// Authenticator data is malformed, or its RP ID hash or flags are wrong.
    InvalidAuthenticatorData,
    /// The attestation object or statement is malformed or does not verify.
    InvalidAttestation,
    /// The attestation statement format is not one this server verifies.
    UnsupportedAttestationFormat,
    /// The attestation is refused by policy (metadata, trust roots).
    AttestationNotTrusted,
    /// The credential public key or its algorithm is refused.
    UnsupportedAlgorithm,
    /// The credential id is registered already.
    CredentialExists,
    /// The user has no registered credential (or no such user).
    KeysNotFound,
    /// The credential is not registered, or not for this user, or not allowed.
    UnknownCredential,
    /// The assertion signature does not verify.
    InvalidSignature,
    /// The signature counter went backwards (§6.1.1: possibly a cloned authenticator).
    CounterRegression,
    /// User verification was required and not done.
    UserVerificationRequired,
    /// U2F: the request (its challenge) is unknown, expired or used (Janssen's U2F
    /// `session_expired`, 403).
    SessionExpired,
    /// U2F: the user has no device registered for the application (Janssen's
    /// `no_eligable_devices`, spelled as Janssen spells it).
    NoEligibleDevices,
    /// The server failed (500); no internals are told.
    ServerError,
    /// The store is unavailable (503).
    TemporarilyUnavailable,
}

impl Fido2ErrorCode {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        use Fido2ErrorCode::*;
        match self {
            InvalidRequest => "invalid_request",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            Forbidden => "forbidden",
            InvalidOrigin => "invalid_origin",
            InvalidChallenge => "invalid_challenge",
            InvalidClientData => "invalid_client_data",
            InvalidAuthenticatorData => "invalid_authenticator_data",
            InvalidAttestation => "invalid_attestation",
            UnsupportedAttestationFormat => "unsupported_attestation_format",
            AttestationNotTrusted => "attestation_not_trusted",
            UnsupportedAlgorithm => "unsupported_algorithm",
            CredentialExists => "credential_exists",
            KeysNotFound => "keys_not_found",
            UnknownCredential => "invalid_username_or_key_handle",
            InvalidSignature => "invalid_signature",
            CounterRegression => "counter_regression",
            UserVerificationRequired => "user_verification_required",
            SessionExpired => "session_expired",
            NoEligibleDevices => "no_eligable_devices",
            ServerError => "server_error",
            TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> u16 {
        use Fido2ErrorCode::*;
        match self {
            NotFound => 404,
            MethodNotAllowed => 405,
            Forbidden | SessionExpired => 403,
            ServerError => 500,
            TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl std::fmt::Display for Fido2ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Fido2Error {
    /// A refusal with `code` and the message a person reads.
    pub fn new(code: Fido2ErrorCode, message: impl Into<String>) -> Fido2Error {
        Fido2Error {
            code,
            message: message.into(),
        }
    }

    /// A malformed request.
    pub fn invalid_request(message: impl Into<String>) -> Fido2Error {
        Fido2Error::new(Fido2ErrorCode::InvalidRequest, message)
    }

    /// The wire body.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "status": "failed",
            "errorMessage": self.message,
            "error": self.code.as_str(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope() {
        let e = Fido2Error::new(Fido2ErrorCode::InvalidChallenge, "challenge expired");
        assert_eq!(
            e.to_json(),
            serde_json::json!({"status": "failed", "errorMessage": "challenge expired", "error": "invalid_challenge"})
        );
        assert_eq!(e.code.status(), 400);
        assert_eq!(Fido2ErrorCode::ServerError.status(), 500);
    }
}
