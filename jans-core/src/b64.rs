//! base64url without padding (RFC 7515 §2 "Base64url Encoding"), the encoding of every
//! JOSE part and of our random tokens.

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
