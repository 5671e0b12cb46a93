//! The SAML bindings (OASIS saml-bindings-2.0-os) the IdP speaks: HTTP-Redirect (§3.4:
//! DEFLATE, base64, URL-encoded, signed in the query) and HTTP-POST (§3.5: base64 in a
//! form, signed inside the XML). Decoding is bounded: the inflated document may not grow
//! past the XML reader's limit.

use super::BINDING_REDIRECT;
use crate::crypto::{CryptoProvider, SigningKey};
use crate::ctx::Random;
use crate::jose::{Algorithm, Jwk};
use crate::request::{Method, Request};
use crate::xml::Limits;
use crate::xml::dsig::{method_algorithm, method_uri};

/// Longest `RelayState` accepted (Bindings §3.4.3 says 80 bytes; SPs send more).
pub const MAX_RELAY_STATE: usize = 1024;

/// Which binding a message came over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binding {
    /// HTTP-Redirect.
    Redirect,
    /// HTTP-POST.
    Post,
}

/// The query signature of a message over HTTP-Redirect (§3.4.4.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuerySignature {
    /// `SigAlg`.
    pub alg: Algorithm,
    /// The octets signed: the parameters as they were encoded in the URL.
    pub signed: String,
    /// `Signature`, decoded.
    pub signature: Vec<u8>,
}

/// A message received over a binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// `SAMLRequest` or `SAMLResponse`.
    pub parameter: &'static str,
    /// The document.
    pub xml: String,
    /// `RelayState`, to be returned as it came.
    pub relay_state: Option<String>,
    /// The binding.
    pub binding: Binding,
    /// The query signature (HTTP-Redirect only).
    pub query_signature: Option<QuerySignature>,
}

/// Why a message could not be read off its binding.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BindingError(pub &'static str);

impl Received {
    /// Whether the query signature verifies with one of `keys`.
    pub fn query_signature_verifies(&self, keys: &[Jwk], provider: &dyn CryptoProvider) -> bool {
        self.query_signature.as_ref().is_some_and(|s| {
            keys.iter().any(|jwk| {
                provider
                    .verifying_key(s.alg, jwk)
                    .is_ok_and(|k| k.verify(s.signed.as_bytes(), &s.signature).is_ok())
            })
        })
    }
}

/// Decode a percent-encoded query value (`+` a space).
fn unescape(raw: &str) -> Result<String, BindingError> {
    let decoded: String = form_urlencoded::parse(format!("v={raw}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    if decoded.contains('\u{FFFD}') {
        return Err(BindingError("a parameter is not UTF-8"));
    }
    Ok(decoded)
}

/// The message of `req`, over HTTP-Redirect (GET) or HTTP-POST (POST); `None` when the
/// request carries no SAML message.
pub fn receive(req: &Request) -> Result<Option<Received>, BindingError> {
    match req.method {
        Method::Get => receive_redirect(&req.raw_query),
        Method::Post => receive_post(req),
        _ => Err(BindingError("use GET or POST")),
    }
}

fn receive_redirect(raw_query: &str) -> Result<Option<Received>, BindingError> {
    let mut found: [Option<&str>; 5] = [None; 5];
    const NAMES: [&str; 5] = [
        "SAMLRequest",
        "SAMLResponse",
        "RelayState",
        "SigAlg",
        "Signature",
    ];
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if let Some(slot) = NAMES.iter().position(|n| *n == name) {
            let cell = found.get_mut(slot).ok_or(BindingError("parameter"))?;
            if cell.is_some() {
                return Err(BindingError("a parameter is repeated"));
            }
            *cell = Some(value);
        }
    }
    let [request, response, relay, sig_alg, signature] = found;
    let (parameter, message) = match (request, response) {
        (Some(m), None) => ("SAMLRequest", m),
        (None, Some(m)) => ("SAMLResponse", m),
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => return Err(BindingError("both a request and a response")),
    };
    let relay_state = relay.map(unescape).transpose()?;
    check_relay_state(relay_state.as_deref())?;
    let deflated = crate::b64::decode_std_wrapped(&unescape(message)?)
        .map_err(|_| BindingError("the message is not base64"))?;
    let limit = Limits::default().max_bytes;
    let inflated = miniz_oxide::inflate::decompress_to_vec_with_limit(&deflated, limit)
        .map_err(|_| BindingError("the message is not DEFLATE data within the size limit"))?;
    let xml = String::from_utf8(inflated).map_err(|_| BindingError("the message is not UTF-8"))?;
    let query_signature = match (sig_alg, signature) {
        (None, None) => None,
        (Some(alg), Some(sig)) => {
            let uri = unescape(alg)?;
            let alg = method_algorithm(&uri).ok_or(BindingError("SigAlg not accepted"))?;
            let signature = crate::b64::decode_std_wrapped(&unescape(sig)?)
                .map_err(|_| BindingError("the signature is not base64"))?;
            // §3.4.4.1: the parameters in this order, as they were URL-encoded.
            let mut signed = format!("{parameter}={message}");
            if let Some(r) = relay {
                signed.push_str(&format!("&RelayState={r}"));
            }
            signed.push_str(&format!(
                "&SigAlg={alg_raw}",
                alg_raw = sig_alg.unwrap_or("")
            ));
            Some(QuerySignature {
                alg,
                signed,
                signature,
            })
        }
        _ => return Err(BindingError("SigAlg and Signature go together")),
    };
    Ok(Some(Received {
        parameter,
        xml,
        relay_state,
        binding: Binding::Redirect,
        query_signature,
    }))
}

fn check_relay_state(relay: Option<&str>) -> Result<(), BindingError> {
    if relay.is_some_and(|r| r.len() > MAX_RELAY_STATE) {
        return Err(BindingError("RelayState is too long"));
    }
    Ok(())
}

fn receive_post(req: &Request) -> Result<Option<Received>, BindingError> {
    let get = |n: &str| {
        req.form
            .get(n)
            .map_err(|_| BindingError("a parameter is repeated"))
    };
    let (parameter, message) = match (get("SAMLRequest")?, get("SAMLResponse")?) {
        (Some(m), None) => ("SAMLRequest", m),
        (None, Some(m)) => ("SAMLResponse", m),
        (None, None) => return Ok(None),
        (Some(_), Some(_)) => return Err(BindingError("both a request and a response")),
    };
    let relay_state = get("RelayState")?.map(str::to_owned);
    check_relay_state(relay_state.as_deref())?;
    let bytes = crate::b64::decode_std_wrapped(message)
        .map_err(|_| BindingError("the message is not base64"))?;
    let xml = String::from_utf8(bytes).map_err(|_| BindingError("the message is not UTF-8"))?;
    Ok(Some(Received {
        parameter,
        xml,
        relay_state,
        binding: Binding::Post,
        query_signature: None,
    }))
}

/// The URL sending `xml` as `parameter` to `location` over HTTP-Redirect, signed by `key`
/// when given (§3.4.4.1).
pub fn redirect_url(
    location: &str,
    parameter: &str,
    xml: &str,
    relay_state: Option<&str>,
    key: Option<&dyn SigningKey>,
    rng: &dyn Random,
) -> Result<String, BindingError> {
    let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let deflated = miniz_oxide::deflate::compress_to_vec(xml.as_bytes(), 6);
    let mut query = format!("{parameter}={}", enc(&crate::b64::encode_std(&deflated)));
    if let Some(r) = relay_state {
        query.push_str(&format!("&RelayState={}", enc(r)));
    }
    if let Some(key) = key {
        let uri = method_uri(key.algorithm()).ok_or(BindingError("no SigAlg for this key"))?;
        query.push_str(&format!("&SigAlg={}", enc(uri)));
        let sig = key
            .sign(query.as_bytes(), rng)
            .map_err(|_| BindingError("signing failed"))?;
        query.push_str(&format!(
            "&Signature={}",
            enc(&crate::b64::encode_std(&sig))
        ));
    }
    let sep = if location.contains('?') { '&' } else { '?' };
    Ok(format!("{location}{sep}{query}"))
}

/// The binding URI of `b`.
pub fn uri(b: Binding) -> &'static str {
    match b {
        Binding::Redirect => BINDING_REDIRECT,
        Binding::Post => super::BINDING_POST,
    }
}
