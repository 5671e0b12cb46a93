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

/// CSP `script-src` source of one inline script, by its hash.
fn script_hash(script: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let hash =
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script.as_bytes()));
    format!("'sha256-{hash}'")
}

/// `scheme://authority` of a registered `frontchannel_logout_uri`, cut with `split_once`
/// (never at a byte index: the URI is client metadata).
fn frame_origin(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    Some(format!("{scheme}://{authority}"))
}

/// The `Content-Security-Policy` of the pages the engine itself answers with: the
/// front-channel logout page may frame exactly the clients' logout origins; the form-post
/// and check-session pages run exactly their one script. Every host sends it (HTTP and the C ABI alike).
pub fn page_csp(resp: &Response) -> Option<String> {
    match &resp.body {
        jans_core::Body::LogoutPage { iframes, .. } => {
            // Only the clients' logout pages may be framed here.
            let origins: Vec<String> = iframes.iter().filter_map(|u| frame_origin(u)).collect();
            Some(format!(
                "default-src 'none'; frame-src {}; frame-ancestors 'none'",
                origins.join(" ")
            ))
        }
        jans_core::Body::FormPost { .. } => Some(format!(
            "default-src 'none'; script-src {}; frame-ancestors 'none'",
            script_hash(jans_core::response::FORM_POST_SCRIPT)
        )),
        // Relying parties on any origin frame the check-session iframe.
        jans_core::Body::CheckSessionPage => Some(format!(
            "default-src 'none'; script-src {}; frame-ancestors *",
            script_hash(jans_core::auth::oidc::session_management::CHECK_SESSION_SCRIPT)
        )),
        _ => None,
    }
}

/// Write a core response as an HTTP response.
pub fn from_core(resp: &Response) -> axum::response::Response {
    let status = StatusCode::from_u16(resp.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut out = axum::response::Response::new(Body::from(resp.body_bytes()));
    *out.status_mut() = status;
    let h = out.headers_mut();
    if let Some(csp) = page_csp(resp)
        && let Ok(v) = HeaderValue::from_str(&csp)
    {
        h.insert("content-security-policy", v);
    }
    for (name, value) in resp.all_headers() {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.append(HeaderName::from_static(name), v);
        }
    }
    out
}
