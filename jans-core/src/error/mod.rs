//! Errors (DESIGN.md §7). [`Error`] is what typed operations return; endpoints answer a
//! [`ProtocolError`], the error of the protocol they speak, with its own status and wire
//! body. An internal failure becomes the protocol's server error, without internals.

pub mod admin;
pub mod oauth;
pub mod scim;
pub mod uma;
pub mod webauthn;

use crate::config::ConfigError;
use crate::crypto::CryptoError;
use crate::error::admin::AdminError;
use crate::error::oauth::OAuthError;
use crate::error::scim::ScimError;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::error::webauthn::Fido2Error;
use crate::jose::JoseError;
use crate::keys::SealError;
use crate::store::StoreError;

/// Errors of typed engine operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A protocol error to show the caller as is.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    /// A FIDO2 refusal to show the caller as is.
    #[error(transparent)]
    Fido2(#[from] Fido2Error),
    /// A SCIM refusal to show the caller as is.
    #[error(transparent)]
    Scim(#[from] ScimError),
    /// A config API refusal to show the caller as is.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// An UMA refusal to show the caller as is.
    #[error(transparent)]
    Uma(#[from] UmaError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// JOSE processing failed.
    #[error(transparent)]
    Jose(#[from] JoseError),
    /// A crypto provider failed.
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// A sealed value could not be opened (wrong master key or tampering).
    #[error(transparent)]
    Seal(#[from] SealError),
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// User attributes were refused.
    #[error(transparent)]
    User(#[from] crate::repo::user::UserError),
    /// A password was refused or could not be hashed.
    #[error(transparent)]
    Password(#[from] crate::password::PasswordError),
    /// The master key is not the one the store was initialized with: what it sealed
    /// (signing keys, client secrets) cannot be opened with it.
    #[error(
        "this master key is not the one the store was initialized with (its check value \
         differs, or the stored signing keys do not open with it): give this node the key used \
         by `jans init` or `jans migrate` (JANS_MASTER_KEY, or master.key in its data directory)"
    )]
    MasterKeyMismatch,
    /// An internal invariant failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// The protocol error to answer with: protocol errors as they are, storage outages as
    /// `temporarily_unavailable`, anything else as a bare `server_error`.
    pub fn to_oauth(&self) -> OAuthError {
        use crate::error::oauth::ErrorCode;
        match self {
            Error::OAuth(e) => e.clone(),
            Error::Store(StoreError::Unavailable(_) | StoreError::Locked(_))
            | Error::Password(crate::password::PasswordError::Busy) => {
                OAuthError::bare(ErrorCode::TemporarilyUnavailable)
            }
            _ => OAuthError::server_error(),
        }
    }

    /// The FIDO2 error to answer with: refusals as they are, storage outages as
    /// `temporarily_unavailable`, anything else as a bare `server_error`.
    pub fn to_fido2(&self) -> Fido2Error {
        use crate::error::webauthn::Fido2ErrorCode;
        match self {
            Error::Fido2(e) => e.clone(),
            Error::Store(StoreError::Unavailable(_) | StoreError::Locked(_)) => Fido2Error::new(
                Fido2ErrorCode::TemporarilyUnavailable,
                "temporarily unavailable",
            ),
            _ => Fido2Error::new(Fido2ErrorCode::ServerError, "Request failed"),
        }
    }

    /// The UMA error to answer with: refusals as they are, storage outages as
    /// `temporarily_unavailable`, anything else as a bare `server_error`.
    pub fn to_uma(&self) -> UmaError {
        match self {
            Error::Uma(e) => e.clone(),
            Error::Store(StoreError::Unavailable(_) | StoreError::Locked(_)) => UmaError::new(
                UmaErrorCode::TemporarilyUnavailable,
                "the service is temporarily unavailable",
            ),
            _ => UmaError::new(UmaErrorCode::ServerError, "the request failed"),
        }
    }

    /// The SCIM error to answer with: refusals as they are, storage outages as a 503,
    /// anything else as a bare 500 (RFC 7644 §3.12).
    pub fn to_scim(&self) -> ScimError {
        match self {
            Error::Scim(e) => e.clone(),
            Error::Store(StoreError::Unavailable(_) | StoreError::Locked(_))
            | Error::Password(crate::password::PasswordError::Busy) => {
                ScimError::status(503, "the service is temporarily unavailable")
            }
            Error::Password(e @ crate::password::PasswordError::Length) => ScimError::new(
                crate::error::scim::ScimType::InvalidValue,
                format!("`password`: {e}"),
            ),
            _ => ScimError::server_error(),
        }
    }
}

impl Error {
    /// The config API error to answer with: refusals as they are, storage outages as a
    /// 503, anything else as a bare 500.
    pub fn to_admin(&self) -> AdminError {
        match self {
            Error::Admin(e) => e.clone(),
            Error::Store(StoreError::Unavailable(_) | StoreError::Locked(_))
            | Error::Password(crate::password::PasswordError::Busy) => {
                AdminError::new(503, "the service is temporarily unavailable")
            }
            _ => AdminError::server_error(),
        }
    }
}

/// A protocol's own error as its wire carries it: one variant per component, each owning
/// its status code and body.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// OAuth 2.0 and OpenID Connect: RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1,
    /// RFC 7591 §3.2.2, OIDC Core §3.1.2.6.
    OAuth(OAuthError),
    /// FIDO2 / WebAuthn: the FIDO conformance envelope `{"status": "failed",
    /// "errorMessage"}` (FIDO Server Requirements and Transport Binding Profile §7).
    WebAuthn(Fido2Error),
    /// SCIM 2.0: the error message schema with `status` and `scimType` (RFC 7644 §3.12).
    Scim(ScimError),
    /// The config API: Janssen's `ApiError` (`code`, `message`, `description`).
    Admin(AdminError),
    /// UMA 2.0: `{"error", "error_description"}` (UMA 2.0 Grant §3.3.6, Federated
    /// Authorization §3.2).
    Uma(UmaError),
}

impl ProtocolError {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            ProtocolError::OAuth(e) => e.code.status(),
            ProtocolError::WebAuthn(e) => e.code.status(),
            ProtocolError::Scim(e) => e.status,
            ProtocolError::Admin(e) => e.status,
            ProtocolError::Uma(e) => e.code.status(),
        }
    }

    /// The JSON body.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ProtocolError::OAuth(e) => e.to_json(),
            ProtocolError::WebAuthn(e) => e.to_json(),
            ProtocolError::Scim(e) => e.to_json(),
            ProtocolError::Admin(e) => e.to_json(),
            ProtocolError::Uma(e) => e.to_json(),
        }
    }

    /// Headers the protocol requires with this error (`WWW-Authenticate`).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            ProtocolError::OAuth(e) => e
                .challenge()
                .map(|c| vec![("www-authenticate", c)])
                .unwrap_or_default(),
            ProtocolError::Scim(e) => e
                .challenge
                .clone()
                .map(|c| vec![("www-authenticate", c)])
                .unwrap_or_default(),
            ProtocolError::Admin(e) => e
                .challenge
                .clone()
                .map(|c| vec![("www-authenticate", c)])
                .unwrap_or_default(),
            ProtocolError::Uma(e) => e
                .challenge()
                .map(|c| vec![("www-authenticate", c)])
                .unwrap_or_default(),
            ProtocolError::WebAuthn(_) => Vec::new(),
        }
    }

    /// The machine code and the description a person is shown (on an error page).
    pub fn code_and_description(&self) -> (&'static str, Option<&str>) {
        match self {
            ProtocolError::OAuth(e) => (e.code.as_str(), e.description.as_deref()),
            ProtocolError::WebAuthn(e) => (e.code.as_str(), Some(e.message.as_str())),
            ProtocolError::Scim(e) => (
                e.scim_type.map_or("scim_error", |t| t.as_str()),
                Some(e.detail.as_str()),
            ),
            ProtocolError::Admin(e) => ("config_api_error", Some(e.description.as_str())),
            ProtocolError::Uma(e) => (e.code.as_str(), Some(e.description.as_str())),
        }
    }

    /// Whether the server, not the request, is at fault (such failures are logged).
    pub fn is_server_fault(&self) -> bool {
        use crate::error::oauth::ErrorCode;
        match self {
            ProtocolError::OAuth(e) => matches!(
                e.code,
                ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable
            ),
            ProtocolError::WebAuthn(e) => e.code.status() >= 500,
            ProtocolError::Scim(e) => e.status >= 500,
            ProtocolError::Admin(e) => e.status >= 500,
            ProtocolError::Uma(e) => e.code.status() >= 500,
        }
    }

    /// The OAuth error, when this is one.
    pub fn as_oauth(&self) -> Option<&OAuthError> {
        match self {
            ProtocolError::OAuth(e) => Some(e),
            ProtocolError::WebAuthn(_)
            | ProtocolError::Scim(_)
            | ProtocolError::Admin(_)
            | ProtocolError::Uma(_) => None,
        }
    }
}

impl From<OAuthError> for ProtocolError {
    fn from(e: OAuthError) -> Self {
        ProtocolError::OAuth(e)
    }
}

impl From<Fido2Error> for ProtocolError {
    fn from(e: Fido2Error) -> Self {
        ProtocolError::WebAuthn(e)
    }
}

impl From<AdminError> for ProtocolError {
    fn from(e: AdminError) -> Self {
        ProtocolError::Admin(e)
    }
}

impl From<UmaError> for ProtocolError {
    fn from(e: UmaError) -> Self {
        ProtocolError::Uma(e)
    }
}

impl From<ScimError> for ProtocolError {
    fn from(e: ScimError) -> Self {
        ProtocolError::Scim(e)
    }
}

impl From<crate::params::ParamsError> for Error {
    fn from(e: crate::params::ParamsError) -> Self {
        Error::OAuth(e.into())
    }
}

/// An error and its sources, each said once ("error performing TLS handshake: invalid peer
/// certificate: UnknownIssuer"): many errors' own message names only the step that failed.
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}
