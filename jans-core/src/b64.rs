//! base64url without padding (RFC 7515 §2 "Base64url Encoding"), the encoding of every
//! JOSE part and of our random tokens; and standard base64, the encoding of XML and SAML.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encode bytes as base64url without padding.
pub fn encode(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Decode base64url without padding; padding or other alphabets are rejected.
pub fn decode(data: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(data)
}

/// Encode bytes as standard base64 with padding (RFC 4648 §4), as XML (`xs:base64Binary`)
/// and the SAML bindings carry them.
pub fn encode_std(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Decode standard base64 with padding, ignoring the whitespace XML documents and SAML
/// bindings wrap it in (XML Schema `base64Binary` allows it).
pub fn decode_std_wrapped(data: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(compact)
}
