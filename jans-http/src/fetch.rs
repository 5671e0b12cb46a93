//! The host's outbound HTTP for the engine (client `jwks_uri`), over reqwest with rustls:
//! short timeouts, no redirects, bounded bodies.

use std::time::Duration;

use async_trait::async_trait;
use jans_core::http::{HttpClient, HttpError, HttpResponse, MAX_FETCH_BYTES};

/// reqwest-backed [`HttpClient`].
#[derive(Debug, Clone)]
pub struct ReqwestClient {
    client: reqwest::Client,
}

impl ReqwestClient {
    /// A client with 5-second timeouts and redirects disabled.
    pub fn new() -> Result<Self, reqwest::Error> {
        Ok(ReqwestClient {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .connect_timeout(Duration::from_secs(3))
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("jans-rs/", env!("CARGO_PKG_VERSION")))
                .build()?,
        })
    }
}

#[async_trait]
impl HttpClient for ReqwestClient {
    async fn get(&self, url: &str) -> Result<HttpResponse, HttpError> {
        let mut resp = self
            .client
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| HttpError::Failed(e.to_string()))?;
        let status = resp.status().as_u16();
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| HttpError::Failed(e.to_string()))?
        {
            if body.len() + chunk.len() > MAX_FETCH_BYTES {
                return Err(HttpError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(HttpResponse { status, body })
    }

    async fn post_form(&self, url: &str, body: &str) -> Result<HttpResponse, HttpError> {
        let resp = self
            .client
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| HttpError::Failed(e.to_string()))?;
        Ok(HttpResponse {
            status: resp.status().as_u16(),
            body: Vec::new(),
        })
    }
}
