//! The options requests and answers of Janssen's FIDO2 API: what a caller sends to
//! `attestation/options` and `assertion/options` (Janssen's `AttestationOptions` and
//! `AssertionOptions` members; unknown members are ignored, as Janssen does), and the
//! WebAuthn Level 3 JSON forms sent back (`PublicKeyCredentialCreationOptionsJSON` §5.4,
//! `PublicKeyCredentialRequestOptionsJSON` §5.5) with the FIDO envelope members `status`
//! and `errorMessage`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::webauthn::Fido2Error;

/// Longest `username`, `displayName` or `session_id` accepted.
pub const MAX_NAME_LEN: usize = 256;

/// Most members of a request's `extensions`.
const MAX_EXTENSIONS: usize = 16;

/// `authenticatorSelection` (§5.4.4).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticatorSelection {
    /// `platform` or `cross-platform`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticator_attachment: Option<String>,
    /// `discouraged`, `preferred` or `required` (§5.4.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident_key: Option<String>,
    /// The Level 1 form of `residentKey: required`.
    #[serde(default)]
    pub require_resident_key: bool,
    /// `required`, `preferred` or `discouraged` (§5.8.6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_verification: Option<String>,
}

/// The body of `attestation/options`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationOptionsRequest {
    /// Whose credential (their login name).
    pub username: String,
    /// The name to show for the account (the user's display name when absent).
    #[serde(default)]
    pub display_name: Option<String>,
    /// Attestation conveyance (§5.4.7): `none` (default), `indirect`, `direct`,
    /// `enterprise`.
    #[serde(default)]
    pub attestation: Option<String>,
    /// Authenticator requirements.
    #[serde(default)]
    pub authenticator_selection: Option<AuthenticatorSelection>,
    /// The origin the ceremony runs on (Janssen's `documentDomain`; newer Janssen names it
    /// `origin`): must be one of the relying parties' origins.
    #[serde(default, alias = "origin")]
    pub document_domain: Option<String>,
    /// Milliseconds the client may take (capped by `unfinishedRequestExpiration`).
    #[serde(default)]
    pub timeout: Option<u64>,
    /// Client extension inputs to pass on.
    #[serde(default)]
    pub extensions: Option<Map<String, Value>>,
    /// The auth-server session the registration is made in (else the `session_id` cookie).
    #[serde(default, rename = "session_id")]
    pub session_id: Option<String>,
    /// Hints (§5.8.7); else the configured `hints`.
    #[serde(default)]
    pub hints: Option<Vec<String>>,
}

/// The body of `assertion/options`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionOptionsRequest {
    /// Who signs in; absent for a usernameless ceremony (discoverable credentials).
    #[serde(default)]
    pub username: Option<String>,
    /// `required`, `preferred` (default) or `discouraged`.
    #[serde(default)]
    pub user_verification: Option<String>,
    /// The origin the ceremony runs on (`documentDomain`, or `origin`).
    #[serde(default, alias = "origin")]
    pub document_domain: Option<String>,
    /// Milliseconds the client may take.
    #[serde(default)]
    pub timeout: Option<u64>,
    /// Client extension inputs to pass on.
    #[serde(default)]
    pub extensions: Option<Map<String, Value>>,
    /// The auth-server session the sign-in belongs to, if any (Janssen's member; accepted,
    /// bounded, and not kept: a ceremony never stores a session's cookie value).
    #[serde(default, rename = "session_id")]
    pub session_id: Option<String>,
    /// Hints (§5.8.7); else the configured `hints`.
    #[serde(default)]
    pub hints: Option<Vec<String>>,
}

/// Parse a JSON request body of the FIDO2 API, refusing what is not a JSON object of the
/// expected members with the FIDO error.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Fido2Error> {
    if body.is_empty() {
        return Err(Fido2Error::invalid_request("a JSON body is required"));
    }
    serde_json::from_slice(body)
        .map_err(|e| Fido2Error::invalid_request(format!("invalid request: {e}")))
}

/// Check a name-like member's length.
pub fn bounded<'a>(name: &str, v: &'a str) -> Result<&'a str, Fido2Error> {
    if v.len() > MAX_NAME_LEN {
        return Err(Fido2Error::invalid_request(format!(
            "{name} is longer than {MAX_NAME_LEN} bytes"
        )));
    }
    Ok(v)
}

/// The extension inputs passed on to the client: bounded, and only members that are
/// extension identifiers (§9: a registry of short names).
pub fn extensions(input: Option<&Map<String, Value>>) -> Result<Map<String, Value>, Fido2Error> {
    let Some(input) = input else {
        return Ok(Map::new());
    };
    if input.len() > MAX_EXTENSIONS {
        return Err(Fido2Error::invalid_request(format!(
            "more than {MAX_EXTENSIONS} extensions"
        )));
    }
    if let Some(k) = input
        .keys()
        .find(|k| k.is_empty() || k.len() > 64 || !k.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(Fido2Error::invalid_request(format!(
            "{k:?} is not an extension identifier"
        )));
    }
    Ok(input.clone())
}

/// A `PublicKeyCredentialDescriptorJSON` (§5.8.3).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CredentialDescriptor {
    /// Always `public-key`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The credential id (base64url).
    pub id: String,
    /// Where the client may find it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub transports: Vec<String>,
}

impl CredentialDescriptor {
    /// The descriptor of a registered credential.
    pub fn of(reg: &crate::repo::fido2::Fido2Registration) -> CredentialDescriptor {
        CredentialDescriptor {
            kind: "public-key",
            id: reg.credential_id.clone(),
            transports: reg.transports.clone(),
        }
    }
}
