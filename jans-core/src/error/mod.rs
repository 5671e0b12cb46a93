//! The crate error: what typed operations return. Endpoints answer protocol errors
//! ([`crate::error::oauth::OAuthError`]); everything else maps to `server_error`.

pub mod oauth;

use crate::config::ConfigError;
use crate::crypto::CryptoError;
use crate::error::oauth::OAuthError;
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
