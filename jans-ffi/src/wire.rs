//! The JSON that `jans_handle` takes and gives: an HTTP request in, an HTTP response out.
//! The request becomes an engine request through the translation the HTTP host uses too
//! ([`jans_core::Request::from_http`]), so a request means the same here as on the wire;
//! it is read from this document directly, with no HTTP library's types in between.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jans_core::error::oauth::{ErrorCode, OAuthError};
use jans_core::{Endpoint, Request, Response};
use serde::{Deserialize, Serialize};

use crate::status::{Failure, JansStatus};

/// Largest request body, as `jans serve` allows by default.
pub(crate) const MAX_BODY: usize = 64 * 1024;
/// Largest client certificate (DER).
pub(crate) const MAX_CERT: usize = 16 * 1024;
/// Most header lines.
const MAX_HEADERS: usize = 100;

/// Headers as an object (`{"name": "v"}` or `{"name": ["v1", "v2"]}`, as Go's
/// `http.Header`) or a list of `[name, value]` pairs, flattened to pairs in order. Read
/// with a visitor, so no intermediate JSON tree is built.
struct Headers(Vec<(String, String)>);

/// One header's value: a string or an array of strings.
struct Values(Vec<String>);

impl<'de> Deserialize<'de> for Values {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Values;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Values, E> {
                Ok(Values(vec![v.to_owned()]))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Values, E> {
                Ok(Values(vec![v]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Values, A::Error> {
                let mut out = Vec::new();
                while let Some(v) = seq.next_element::<String>()? {
                    if out.len() == MAX_HEADERS {
                        return Err(serde::de::Error::custom(TOO_MANY_HEADERS));
                    }
                    out.push(v);
                }
                Ok(Values(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Headers {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Headers;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of header values or a list of [name, value] pairs")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Headers, A::Error> {
                let mut out = Vec::new();
                while let Some((name, Values(values))) = map.next_entry::<String, Values>()? {
                    out.extend(values.into_iter().map(|v| (name.clone(), v)));
                    if out.len() > MAX_HEADERS {
                        return Err(serde::de::Error::custom(TOO_MANY_HEADERS));
                    }
                }
                Ok(Headers(out))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Headers, A::Error> {
                let mut out = Vec::new();
                while let Some(pair) = seq.next_element::<(String, String)>()? {
                    out.push(pair);
                    if out.len() > MAX_HEADERS {
                        return Err(serde::de::Error::custom(TOO_MANY_HEADERS));
                    }
                }
                Ok(Headers(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// The message of a header list over [`MAX_HEADERS`] (reported as too large).
const TOO_MANY_HEADERS: &str = "more than 100 header lines";

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
    /// The intermediate certificates the client sent after it, each DER in standard base64.
    #[serde(default)]
    client_cert_chain_der: Vec<String>,
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

/// RFC 9110 §5.6.2 `tchar`: what header names and methods are made of.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_tchar)
}

/// RFC 9110 §5.5: no control characters in a field value but HTAB (so no CR, LF or NUL).
fn is_field_value(s: &str) -> bool {
    s.bytes().all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// The document's headers as (name, value) pairs, each checked as HTTP would.
fn header_pairs(headers: Option<Headers>) -> Result<Vec<(String, String)>, Failure> {
    let pairs = headers.map(|h| h.0).unwrap_or_default();
    for (name, value) in &pairs {
        if !is_token(name) {
            return Err(invalid(format!("invalid header name {name:?}")));
        }
        if !is_field_value(value) {
            return Err(invalid(format!("invalid value of header {name:?}")));
        }
    }
    Ok(pairs)
}

/// Parse the request document.
pub(crate) fn parse(json: &str) -> Result<Parsed, Failure> {
    let w: WireRequest = serde_json::from_str(json).map_err(|e| {
        let status = if e.to_string().starts_with(TOO_MANY_HEADERS) {
            JansStatus::TooLarge
        } else {
            JansStatus::InvalidJson
        };
        Failure::new(status, format!("request: {e}"))
    })?;
    if !is_token(&w.method) {
        return Err(invalid(format!("invalid HTTP method {:?}", w.method)));
    }
    let (path, query) = match (w.path.split_once('?'), w.query) {
        (Some(_), Some(_)) => return Err(invalid("a query in both `path` and `query`")),
        (Some((p, q)), None) => (p.to_owned(), Some(q.to_owned())),
        (None, q) => (w.path, q),
    };
    if !path.starts_with('/') {
        return Err(invalid("`path` must start with /"));
    }
    // RFC 9112 §3.2: a request target is visible ASCII, without spaces or a fragment.
    let target_ok = |s: &str| s.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'#');
    if !target_ok(&path) || !query.as_deref().is_none_or(target_ok) {
        return Err(invalid(
            "`path` and `query` do not form a valid request target",
        ));
    }
    let headers = header_pairs(w.headers)?;
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
    let certificate = |c: String, member: &str| {
        if c.len() > MAX_CERT * 4 / 3 + 4 {
            return Err(Failure::new(
                JansStatus::TooLarge,
                format!("client certificate longer than {MAX_CERT} bytes"),
            ));
        }
        STANDARD
            .decode(c.as_bytes())
            .map_err(|_| invalid(format!("`{member}` is not standard base64")))
    };
    let client_certificate = w
        .client_cert_der
        .map(|c| certificate(c, "client_cert_der"))
        .transpose()?;
    if w.client_cert_chain_der.len() > jans_core::x509::MAX_CHAIN {
        return Err(invalid(format!(
            "`client_cert_chain_der` holds more than {} certificates",
            jans_core::x509::MAX_CHAIN
        )));
    }
    let client_certificate_chain = w
        .client_cert_chain_der
        .into_iter()
        .map(|c| certificate(c, "client_cert_chain_der"))
        .collect::<Result<Vec<_>, _>>()?;
    let pairs: Vec<(&str, &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_bytes()))
        .collect();
    let request_id = jans_core::request::caller_request_id(
        pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("x-request-id"))
            .map(|(_, v)| *v),
    );
    let request = match Endpoint::from_path(&path) {
        None => Err(OAuthError::new(ErrorCode::NotFound, "no such endpoint")),
        Some(endpoint) => Request::from_http(endpoint, &w.method, query.as_deref(), &pairs, body)
            .map(|mut r| {
                r.peer_addr = peer_addr;
                r.client_certificate = client_certificate;
                r.client_certificate_chain = client_certificate_chain;
                r
            }),
    };
    Ok(Parsed {
        request,
        request_id,
        head: w.method == "HEAD",
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
    /// A page to render (`template`, `context`) in place of a body: the HTTP host renders
    /// the same one from its templates, with the same status and headers.
    #[serde(skip_serializing_if = "Option::is_none")]
    page: Option<&'a jans_core::response::Page>,
}

/// Serialize an engine response: status, headers (the engine's, the page CSP the HTTP host
/// adds, `x-request-id`), and the body as text (or base64 when it is not UTF-8).
pub(crate) fn render(resp: &Response, request_id: &str, head: bool) -> Result<Vec<u8>, Failure> {
    let mut headers = resp.all_headers();
    headers.push(("x-request-id", request_id.to_owned()));
    let page = match &resp.body {
        jans_core::Body::Page(p) => Some(p),
        _ => None,
    };
    let (body, body_base64) = if head || page.is_some() {
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
        page,
    })
    .map_err(|e| Failure::new(JansStatus::Internal, format!("response: {e}")))
}
