//! `http::Request` → core [`Request`], core [`Response`] → `http::Response`. The status code
//! of every engine answer comes from [`jans_core::Response::status`]; this file only copies.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method as HttpMethod, StatusCode, Uri};
use jans_core::error::oauth::OAuthError;
use jans_core::{Endpoint, Request, Response};

/// Build a core request ([`Request::from_http`], shared with the C ABI). Errors are
/// answered by the caller as `invalid_request`.
pub fn to_core(
    endpoint: Endpoint,
    method: &HttpMethod,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<Request, OAuthError> {
    let pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    Request::from_http(
        endpoint,
        method.as_str(),
        uri.query(),
        &pairs,
        body.to_vec(),
    )
}

/// Write a core response as an HTTP response.
pub fn from_core(resp: &Response) -> axum::response::Response {
    let status = StatusCode::from_u16(resp.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = axum::response::Response::new(Body::from(resp.body_bytes()));
    *out.status_mut() = status;
    let h = out.headers_mut();
    for (name, value) in resp.all_headers() {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.append(HeaderName::from_static(name), v);
        }
    }
    out
}
