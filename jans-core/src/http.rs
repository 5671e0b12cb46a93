//! Outbound HTTP as an injected seam (DESIGN.md §3): the core never opens a socket. Hosts
//! implement [`HttpClient`] (the `jans` binary over reqwest with timeouts and size limits);
//! tests use a canned one.

use async_trait::async_trait;

/// Largest response body the core accepts from a fetch (a JWKS, a sector document).
pub const MAX_FETCH_BYTES: usize = 256 * 1024;

/// A fetched response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Body, at most [`MAX_FETCH_BYTES`].
    pub body: Vec<u8>,
}

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The host has no outbound HTTP (embedders that did not provide one).
    #[error("outbound HTTP is not available")]
    Disabled,
    /// Connection, TLS or timeout failure.
    #[error("fetch failed: {0}")]
    Failed(String),
    /// The body exceeded [`MAX_FETCH_BYTES`].
    #[error("response too large")]
    TooLarge,
}

/// Outbound HTTP.
#[async_trait]
pub trait HttpClient: Send + Sync + std::fmt::Debug {
    /// GET `url` with `Accept: application/json`.
    async fn get(&self, url: &str) -> Result<HttpResponse, HttpError>;
    /// POST an `application/x-www-form-urlencoded` body to `url` (back-channel logout).
    async fn post_form(&self, url: &str, body: &str) -> Result<HttpResponse, HttpError>;
}

/// Refuses every fetch; the default when the host gives none.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHttpClient;

#[async_trait]
impl HttpClient for NoHttpClient {
    async fn get(&self, _url: &str) -> Result<HttpResponse, HttpError> {
        Err(HttpError::Disabled)
    }

    async fn post_form(&self, _url: &str, _body: &str) -> Result<HttpResponse, HttpError> {
        Err(HttpError::Disabled)
    }
}
