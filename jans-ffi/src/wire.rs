//! The JSON that `jans_handle` takes and gives: an HTTP request in, an HTTP response out.
//! The request becomes an engine request through the HTTP host's own translation
//! ([`jans_http::translate::to_core`]), so a request means the same here as on the wire.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jans_core::oauth::error::{ErrorCode, OAuthError};
use jans_core::{Endpoint, Request, Response};
use serde::{Deserialize, Serialize};

use crate::status::{Failure, JansStatus};

/// Largest request body, as `jans serve` allows by default.
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// Largest client certificate (DER).
pub(crate) const MAX_CERT: usize = 16 * 1024;
/// Most header lines.
const MAX_HEADERS: usize = 100;

/// Header values: one string or several (repeated header lines, as Go's `http.Header`).
#[derive(Deserialize)]
#[serde(untagged)]
enum HeaderValues {
    One(String),
    Many(Vec<String>),
}

/// Headers as an object (`{"name": "v"}` or `{"name": ["v1", "v2"]}`) or a list of pairs.
#[derive(Deserialize)]
#[serde(untagged)]
enum Headers {
    Map(serde_json::Map<String, serde_json::Value>),
    Pairs(Vec<(String, String)>),
}

/// The request document of `jans_handle`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireRequest {
    method: String,
    /// Path, optionally with `?query`.
    path: String,
    /// The query string without `?` (instead of one in `path`).
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    headers: Option<Headers>,
    /// The body as text ...
    #[serde(default)]
    body: Option<String>,
    /// ... or as standard base64 for bytes that are not UTF-8.
    #[serde(default)]
    body_base64: Option<String>,
    /// The peer's `ip:port`.
    #[serde(default)]
    peer_addr: Option<String>,
    /// The client's TLS certificate, DER in standard base64.
    #[serde(default)]
    client_cert_der: Option<String>,
}

fn invalid(message: impl Into<String>) -> Failure {
    Failure::new(JansStatus::InvalidArgument, message)
}

/// A parsed request: the engine request (or the error the HTTP host would answer), the
/// caller's request id, and whether the body must be dropped (HEAD).
pub(crate) struct Parsed {
    pub(crate) request: Result<Request, OAuthError>,
    pub(crate) request_id: Option<String>,
    pub(crate) head: bool,
}

fn header_map(headers: Option<Headers>) -> Result<HeaderMap, Failure> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    match headers {
        None => {}
        Some(Headers::Pairs(p)) => pairs = p,
        Some(Headers::Map(m)) => {
            for (name, value) in m {
                match serde_json::from_value::<HeaderValues>(value) {
                    Ok(HeaderValues::One(v)) => pairs.push((name, v)),
                    Ok(HeaderValues::Many(vs)) => {
                        pairs.extend(vs.into_iter().map(|v| (name.clone(), v)));
                    }
                    Err(_) => {
                        return Err(Failure::new(
                            JansStatus::InvalidJson,
                            format!("header {name:?}: a string or an array of strings"),
                        ));
                    }
                }
            }
        }
    }
    if pairs.len() > MAX_HEADERS {
        return Err(Failure::new(
            JansStatus::TooLarge,
            format!("more than {MAX_HEADERS} headers"),
        ));
    }
    let mut map = HeaderMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("invalid header name {name:?}")))?;
        let v = HeaderValue::from_str(&value)
            .map_err(|_| invalid(format!("invalid value of header {name:?}")))?;
        map.append(n, v);
    }
    Ok(map)
}

/// Parse the request document.
pub(crate) fn parse(json: &str) -> Result<Parsed, Failure> {
    let w: WireRequest = serde_json::from_str(json)
        .map_err(|e| Failure::new(JansStatus::InvalidJson, format!("request: {e}")))?;
    let method = Method::from_bytes(w.method.as_bytes())
        .map_err(|_| invalid(format!("invalid HTTP method {:?}", w.method)))?;
    let (path, query) = match (w.path.split_once('?'), w.query) {
        (Some(_), Some(_)) => return Err(invalid("a query in both `path` and `query`")),
        (Some((p, q)), None) => (p.to_owned(), Some(q.to_owned())),
        (None, q) => (w.path, q),
    };
    if !path.starts_with('/') {
        return Err(invalid("`path` must start with /"));
    }
    let target = match &query {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    let uri: Uri = target
        .parse()
        .map_err(|_| invalid("`path` and `query` do not form a valid request target"))?;
    let headers = header_map(w.headers)?;
    let body = match (w.body, w.body_base64) {
        (Some(_), Some(_)) => return Err(invalid("both `body` and `body_base64`")),
        (Some(text), None) => text.into_bytes(),
        (None, Some(b64)) => STANDARD
            .decode(b64.as_bytes())
            .map_err(|_| invalid("`body_base64` is not standard base64"))?,
        (None, None) => Vec::new(),
    };
    if body.len() > MAX_BODY {
        return Err(Failure::new(
            JansStatus::TooLarge,
            format!("body longer than {MAX_BODY} bytes"),
        ));
    }
    let peer_addr = w
        .peer_addr
        .map(|p| {
            p.parse::<std::net::SocketAddr>()
                .map_err(|_| invalid("`peer_addr` is not ip:port"))
        })
        .transpose()?;
    let client_certificate = w
        .client_cert_der
        .map(|c| {
            if c.len() > MAX_CERT * 4 / 3 + 4 {
                return Err(Failure::new(
                    JansStatus::TooLarge,
                    format!("client certificate longer than {MAX_CERT} bytes"),
                ));
            }
            STANDARD
                .decode(c.as_bytes())
                .map_err(|_| invalid("`client_cert_der` is not standard base64"))
        })
        .transpose()?;
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_owned);
    let request = match Endpoint::from_path(&path) {
        None => Err(OAuthError::new(ErrorCode::NotFound, "no such endpoint")),
        Some(endpoint) => {
            jans_http::translate::to_core(endpoint, &method, &uri, &headers, Bytes::from(body)).map(
                |mut r| {
                    r.peer_addr = peer_addr;
                    r.client_certificate = client_certificate;
                    r
                },
            )
        }
    };
    Ok(Parsed {
        request,
        request_id,
        head: method == Method::HEAD,
    })
}

/// The response document of `jans_handle`.
#[derive(Serialize)]
struct WireResponse<'a> {
    status: u16,
    headers: Vec<(&'a str, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body_base64: Option<String>,
}

/// Serialize an engine response: status, headers (the engine's, the page CSP the HTTP host
/// adds, `x-request-id`), and the body as text (or base64 when it is not UTF-8).
pub(crate) fn render(resp: &Response, request_id: &str, head: bool) -> Result<Vec<u8>, Failure> {
    let mut headers = resp.all_headers();
    if let Some(csp) = jans_http::translate::page_csp(resp) {
        headers.push(("content-security-policy", csp));
    }
    headers.push(("x-request-id", request_id.to_owned()));
    let (body, body_base64) = if head {
        (None, None)
    } else {
        match String::from_utf8(resp.body_bytes()) {
            Ok(text) => (Some(text), None),
            Err(e) => (None, Some(STANDARD.encode(e.as_bytes()))),
        }
    };
    serde_json::to_vec(&WireResponse {
        status: resp.status(),
        headers,
        body,
        body_base64,
    })
    .map_err(|e| Failure::new(JansStatus::Internal, format!("response: {e}")))
}
