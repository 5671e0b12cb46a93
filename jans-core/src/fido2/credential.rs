//! The credentials a browser returns, as its `PublicKeyCredential.toJSON()` serializes
//! them (WebAuthn Level 3 §5.1.8): `RegistrationResponseJSON` for `attestation/result`,
//! `AuthenticationResponseJSON` for `assertion/result`. Binary members are base64url
//! (padding tolerated, as some libraries add it).

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::webauthn::Fido2Error;

/// Longest base64url member accepted: more than any member may decode to (the attestation
/// object, bounded by its own limit, is the largest).
const MAX_B64_LEN: usize = 96 * 1024;

/// `AuthenticatorAttestationResponseJSON` (§5.2.1).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationResponseJson {
    /// base64url clientDataJSON.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    /// base64url attestation object (§6.5).
    pub attestation_object: String,
    /// Transports the client reported (`getTransports()`).
    #[serde(default)]
    pub transports: Vec<String>,
}

/// `RegistrationResponseJSON`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResponse {
    /// The credential id (base64url).
    pub id: String,
    /// The same id; must agree with `id`.
    #[serde(default)]
    pub raw_id: Option<String>,
    /// `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The authenticator's response.
    pub response: AttestationResponseJson,
    /// `platform` or `cross-platform` (Janssen once spelled it `authentictatorAttachment`).
    #[serde(default, alias = "authentictatorAttachment")]
    pub authenticator_attachment: Option<String>,
    /// `getClientExtensionResults()`.
    #[serde(default)]
    pub client_extension_results: Map<String, Value>,
}

/// `AuthenticatorAssertionResponseJSON` (§5.2.2).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponseJson {
    /// base64url clientDataJSON.
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    /// base64url authenticator data.
    pub authenticator_data: String,
    /// base64url signature.
    pub signature: String,
    /// base64url user handle (the `user.id` given at registration), for discoverable
    /// credentials.
    #[serde(default)]
    pub user_handle: Option<String>,
}

/// `AuthenticationResponseJSON`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationResponse {
    /// The credential id (base64url).
    pub id: String,
    /// The same id; must agree with `id`.
    #[serde(default)]
    pub raw_id: Option<String>,
    /// `public-key`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The authenticator's response.
    pub response: AssertionResponseJson,
    /// `platform` or `cross-platform`.
    #[serde(default)]
    pub authenticator_attachment: Option<String>,
    /// `getClientExtensionResults()`.
    #[serde(default)]
    pub client_extension_results: Map<String, Value>,
}

/// Decode the base64url member `name` (unpadded; trailing `=` tolerated).
pub fn b64(name: &str, v: &str) -> Result<Vec<u8>, Fido2Error> {
    if v.len() > MAX_B64_LEN {
        return Err(Fido2Error::invalid_request(format!("{name} is too long")));
    }
    crate::b64::decode(v.trim_end_matches('='))
        .map_err(|_| Fido2Error::invalid_request(format!("{name} is not base64url")))
}

/// The credential id of a response: `id`, which `rawId` (when sent) must equal, and
/// `type` must be `public-key` (§7.1 step 3 of the client's part; §5.1).
pub fn credential_id(id: &str, raw_id: Option<&str>, kind: &str) -> Result<Vec<u8>, Fido2Error> {
    if kind != "public-key" {
        return Err(Fido2Error::invalid_request(format!(
            "credential type {kind:?} is not public-key"
        )));
    }
    let bytes = b64("id", id)?;
    if let Some(raw) = raw_id
        && b64("rawId", raw)? != bytes
    {
        return Err(Fido2Error::invalid_request("id and rawId differ"));
    }
    if bytes.is_empty() {
        return Err(Fido2Error::invalid_request("the credential id is empty"));
    }
    Ok(bytes)
}
