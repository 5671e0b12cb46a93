//! OAuth 2.0 protocol errors, one variant per wire code.

use std::borrow::Cow;

/// Wire error codes. Each maps to exactly one `error` string and one HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// RFC 6749 §5.2: missing/repeated/malformed parameter.
    InvalidRequest,
    /// RFC 6749 §5.2: client authentication failed (401, with `WWW-Authenticate`).
    InvalidClient,
    /// RFC 6749 §5.2: the grant is invalid, expired, revoked or issued to another client.
    InvalidGrant,
    /// RFC 6749 §5.2: the client may not use this grant type.
    UnauthorizedClient,
    /// RFC 6749 §5.2: the grant type is not supported.
    UnsupportedGrantType,
    /// RFC 6749 §5.2: the requested scope is invalid or exceeds what the client may have.
    InvalidScope,
    /// RFC 7009 §2.2.1: revocation of this token type is not supported.
    UnsupportedTokenType,
    /// RFC 6750 §3.1: the access token is missing, expired, revoked or malformed (401).
    InvalidToken,
    /// RFC 6750 §3.1: the token lacks the scope the resource needs (403).
    InsufficientScope,
    /// RFC 6749 §4.1.2.1: the response type is not supported.
    UnsupportedResponseType,
    /// RFC 6749 §4.1.2.1: the user or server denied the request.
    AccessDenied,
    /// OIDC Core §3.1.2.6: prompt=none but the user must log in.
    LoginRequired,
    /// OIDC Core §3.1.2.6: prompt=none but consent is needed.
    ConsentRequired,
    /// OIDC Core §3.1.2.6: the `request` parameter is not supported.
    RequestNotSupported,
    /// OIDC Core §3.1.2.6: the `request_uri` parameter is not supported.
    RequestUriNotSupported,
    /// OIDC Core §3.1.2.6 / RFC 9101 §6.3: the request object is invalid.
    InvalidRequestObject,
    /// OIDC Core §3.1.2.6 / RFC 9101 §6.3: the `request_uri` is refused or fetched nothing.
    InvalidRequestUri,
    /// OpenID CIBA Core §13: the binding message is invalid.
    InvalidBindingMessage,
    /// OpenID CIBA Core §13: the hint names nobody who can be asked.
    UnknownUserId,
    /// OpenID CIBA Core §13: the `login_hint_token` has expired.
    ExpiredLoginHintToken,
    /// OpenID CIBA Core §13: a `user_code` is required.
    MissingUserCode,
    /// OpenID CIBA Core §13: the `user_code` is wrong.
    InvalidUserCode,
    /// Janssen's SSA endpoint: an SSA request member is invalid (400).
    InvalidSsaMetadata,
    /// Janssen's SSA endpoint: no usable SSA has this `jti` (400).
    InvalidJti,
    /// Janssen's SSA endpoint: a revocation names neither `jti` nor `org_id` (406,
    /// `invalid_request`).
    SsaNotAcceptable,
    /// Janssen's SSA endpoint: nothing to revoke (422, `invalid_jti`).
    SsaNotFound,
    /// RFC 7591 §3.2.2: the software statement is invalid.
    InvalidSoftwareStatement,
    /// RFC 7591 §3.2.2: the software statement's issuer is not trusted.
    UnapprovedSoftwareStatement,
    /// RFC 7591 §3.2.2: a client metadata value is invalid.
    InvalidClientMetadata,
    /// RFC 7591 §3.2.2: a redirect URI is invalid.
    InvalidRedirectUri,
    /// RFC 9396 §5: `authorization_details` is malformed or asks for what is not allowed.
    InvalidAuthorizationDetails,
    /// RFC 8693 §2.2.2, RFC 8707 §2: the audience or resource is not acceptable.
    InvalidTarget,
    /// RFC 8628 §3.5: the user has not answered the device request yet.
    AuthorizationPending,
    /// RFC 8628 §3.5: the device polls too fast; the interval grows by 5 seconds.
    SlowDown,
    /// RFC 8628 §3.5: the device code has expired.
    ExpiredToken,
    /// RFC 9449 §5, §7.1: the DPoP proof is missing, invalid, or not of the token's key.
    InvalidDpopProof,
    /// RFC 9449 §8, §9: the DPoP proof must carry the server's nonce (`DPoP-Nonce`).
    UseDpopNonce,
    /// The path names nothing (404).
    NotFound,
    /// The endpoint does not accept this HTTP method (405).
    MethodNotAllowed,
    /// RFC 6749 §5.2 / §4.1.2.1: an internal failure; details are logged, never sent.
    ServerError,
    /// RFC 6749 §4.1.2.1: the server is temporarily unable to handle the request (503).
    TemporarilyUnavailable,
}

impl ErrorCode {
    /// The `error` member.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::InvalidClient => "invalid_client",
            ErrorCode::InvalidGrant => "invalid_grant",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::UnsupportedTokenType => "unsupported_token_type",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::ConsentRequired => "consent_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::RequestUriNotSupported => "request_uri_not_supported",
            ErrorCode::InvalidRequestObject => "invalid_request_object",
            ErrorCode::InvalidRequestUri => "invalid_request_uri",
            ErrorCode::InvalidBindingMessage => "invalid_binding_message",
            ErrorCode::UnknownUserId => "unknown_user_id",
            ErrorCode::ExpiredLoginHintToken => "expired_login_hint_token",
            ErrorCode::MissingUserCode => "missing_user_code",
            ErrorCode::InvalidUserCode => "invalid_user_code",
            ErrorCode::InvalidSsaMetadata => "invalid_ssa_metadata",
            ErrorCode::InvalidJti | ErrorCode::SsaNotFound => "invalid_jti",
            ErrorCode::SsaNotAcceptable => "invalid_request",
            ErrorCode::InvalidSoftwareStatement => "invalid_software_statement",
            ErrorCode::UnapprovedSoftwareStatement => "unapproved_software_statement",
            ErrorCode::InvalidClientMetadata => "invalid_client_metadata",
            ErrorCode::InvalidRedirectUri => "invalid_redirect_uri",
            ErrorCode::InvalidTarget => "invalid_target",
            ErrorCode::InvalidAuthorizationDetails => "invalid_authorization_details",
            ErrorCode::AuthorizationPending => "authorization_pending",
            ErrorCode::SlowDown => "slow_down",
            ErrorCode::ExpiredToken => "expired_token",
            ErrorCode::InvalidDpopProof => "invalid_dpop_proof",
            ErrorCode::UseDpopNonce => "use_dpop_nonce",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }

    /// The HTTP status this error travels with.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidClient | ErrorCode::InvalidToken => 401,
            ErrorCode::InsufficientScope => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::SsaNotAcceptable => 406,
            ErrorCode::SsaNotFound => 422,
            ErrorCode::ServerError => 500,
            ErrorCode::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

/// An OAuth error response body (RFC 6749 §5.2): `error` plus an optional human-readable
/// `error_description` that never contains secrets or internals.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthError {
    /// The wire code.
    pub code: ErrorCode,
    /// `error_description`.
    pub description: Option<Cow<'static, str>>,
}

impl OAuthError {
    /// An error with a description.
    pub fn new(code: ErrorCode, description: impl Into<Cow<'static, str>>) -> Self {
        OAuthError {
            code,
            description: Some(description.into()),
        }
    }

    /// An error without a description.
    pub fn bare(code: ErrorCode) -> Self {
        OAuthError {
            code,
            description: None,
        }
    }

    /// `invalid_request` with a description.
    pub fn invalid_request(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }

    /// `invalid_grant` with a description (RFC 6749 §5.2).
    pub fn invalid_grant(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }

    /// `invalid_client` with a description.
    pub fn invalid_client(d: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }

    /// `server_error` without details (they go to the log, with the request id).
    pub fn server_error() -> Self {
        Self::bare(ErrorCode::ServerError)
    }

    /// The JSON body.
    /// The `WWW-Authenticate` challenge RFC 6749 §5.2 (`invalid_client`) and RFC 6750 §3
    /// (`invalid_token`, `insufficient_scope`) require with this error, if any.
    pub fn challenge(&self) -> Option<String> {
        match self.code {
            ErrorCode::InvalidClient => Some("Basic realm=\"jans-auth\"".to_owned()),
            ErrorCode::InvalidToken | ErrorCode::InsufficientScope => {
                let mut v = format!(
                    "Bearer realm=\"jans-auth\", error=\"{}\"",
                    self.code.as_str()
                );
                if let Some(d) = &self.description {
                    // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E.
                    let clean: String = d
                        .chars()
                        .filter(|c| (' '..='~').contains(c) && *c != '"' && *c != '\\')
                        .collect();
                    v.push_str(&format!(", error_description=\"{clean}\""));
                }
                Some(v)
            }
            _ => None,
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        m.insert("error".into(), self.code.as_str().into());
        if let Some(d) = &self.description {
            m.insert("error_description".into(), d.as_ref().into());
        }
        serde_json::Value::Object(m)
    }
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.description {
            Some(d) => write!(f, "{}: {d}", self.code.as_str()),
            None => f.write_str(self.code.as_str()),
        }
    }
}

impl std::error::Error for OAuthError {}

impl From<crate::params::ParamsError> for OAuthError {
    fn from(e: crate::params::ParamsError) -> Self {
        OAuthError::invalid_request(e.to_string())
    }
}
