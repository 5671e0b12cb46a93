//! Janssen's client JSON (jans-config-api's `Client` schema: camelCase members, `inum` for
//! the id, `scopes` as scope DNs, `attributes` for the newer settings) to and from the
//! stored client ([`Client`], RFC 7591 names).
//!
//! Reading is strict where it must be and lenient where Janssen's own tools need it: a
//! member this server implements is read and checked; a member Janssen computes (`dn`,
//! `clientIdIssuedAt`, ...) is ignored, so what a GET shows can be sent back; any other
//! member of Janssen's schema is accepted only empty (`null`, `false`, `0`, `""`, `[]`,
//! `{}`), and set to something it is a 400 naming it, never a setting silently dropped.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::ctx::format_datetime;
use crate::error::admin::AdminError;
use crate::repo::client::{Client, ClientMetadata};
use crate::repo::scope::Scope;

/// A member's JSON type, for the API's schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::admin) enum Kind {
    /// A string.
    Text,
    /// A list of strings.
    List,
    /// `true` or `false`.
    Bool,
    /// A whole number.
    Integer,
}

/// Janssen's top-level members read one to one into RFC 7591 metadata: (Janssen, ours,
/// type).
pub(in crate::admin) const MEMBERS: [(&str, &str, Kind); 39] = [
    ("redirectUris", "redirect_uris", Kind::List),
    ("responseTypes", "response_types", Kind::List),
    ("grantTypes", "grant_types", Kind::List),
    ("applicationType", "application_type", Kind::Text),
    ("contacts", "contacts", Kind::List),
    ("logoUri", "logo_uri", Kind::Text),
    ("clientUri", "client_uri", Kind::Text),
    ("policyUri", "policy_uri", Kind::Text),
    ("tosUri", "tos_uri", Kind::Text),
    ("jwksUri", "jwks_uri", Kind::Text),
    ("sectorIdentifierUri", "sector_identifier_uri", Kind::Text),
    ("subjectType", "subject_type", Kind::Text),
    (
        "idTokenSignedResponseAlg",
        "id_token_signed_response_alg",
        Kind::Text,
    ),
    (
        "userInfoSignedResponseAlg",
        "userinfo_signed_response_alg",
        Kind::Text,
    ),
    (
        "tokenEndpointAuthMethod",
        "token_endpoint_auth_method",
        Kind::Text,
    ),
    (
        "tokenEndpointAuthSigningAlg",
        "token_endpoint_auth_signing_alg",
        Kind::Text,
    ),
    (
        "postLogoutRedirectUris",
        "post_logout_redirect_uris",
        Kind::List,
    ),
    (
        "frontChannelLogoutUri",
        "frontchannel_logout_uri",
        Kind::Text,
    ),
    (
        "frontChannelLogoutSessionRequired",
        "frontchannel_logout_session_required",
        Kind::Bool,
    ),
    ("trustedClient", "trusted_client", Kind::Bool),
    ("accessTokenAsJwt", "access_token_as_jwt", Kind::Bool),
    ("rptAsJwt", "rpt_as_jwt", Kind::Bool),
    ("claimRedirectUris", "claims_redirect_uri", Kind::List),
    (
        "accessTokenSigningAlg",
        "access_token_signing_alg",
        Kind::Text,
    ),
    (
        "accessTokenLifetime",
        "access_token_lifetime",
        Kind::Integer,
    ),
    (
        "idTokenEncryptedResponseAlg",
        "id_token_encrypted_response_alg",
        Kind::Text,
    ),
    (
        "idTokenEncryptedResponseEnc",
        "id_token_encrypted_response_enc",
        Kind::Text,
    ),
    (
        "userInfoEncryptedResponseAlg",
        "userinfo_encrypted_response_alg",
        Kind::Text,
    ),
    (
        "userInfoEncryptedResponseEnc",
        "userinfo_encrypted_response_enc",
        Kind::Text,
    ),
    (
        "requestObjectSigningAlg",
        "request_object_signing_alg",
        Kind::Text,
    ),
    ("requestUris", "request_uris", Kind::List),
    (
        "requestObjectEncryptionAlg",
        "request_object_encryption_alg",
        Kind::Text,
    ),
    (
        "requestObjectEncryptionEnc",
        "request_object_encryption_enc",
        Kind::Text,
    ),
    (
        "backchannelTokenDeliveryMode",
        "backchannel_token_delivery_mode",
        Kind::Text,
    ),
    (
        "backchannelClientNotificationEndpoint",
        "backchannel_client_notification_endpoint",
        Kind::Text,
    ),
    (
        "backchannelUserCodeParameter",
        "backchannel_user_code_parameter",
        Kind::Bool,
    ),
    (
        "backchannelAuthenticationRequestSigningAlg",
        "backchannel_authentication_request_signing_alg",
        Kind::Text,
    ),
    ("softwareId", "software_id", Kind::Text),
    ("softwareVersion", "software_version", Kind::Text),
];

/// Members of Janssen's `attributes` (`ClientAttributes`) read one to one.
pub(in crate::admin) const ATTRIBUTES: [(&str, &str, Kind); 17] = [
    (
        "backchannelLogoutSessionRequired",
        "backchannel_logout_session_required",
        Kind::Bool,
    ),
    ("requirePkce", "require_pkce", Kind::Bool),
    (
        "requirePar",
        "require_pushed_authorization_requests",
        Kind::Bool,
    ),
    (
        "dpopBoundAccessToken",
        "dpop_bound_access_tokens",
        Kind::Bool,
    ),
    // RFC 9396 §10 (jans-rs's name for it in `attributes`).
    (
        "authorizationDetailsTypes",
        "authorization_details_types",
        Kind::List,
    ),
    (
        "introspectionSignedResponseAlg",
        "introspection_signed_response_alg",
        Kind::Text,
    ),
    (
        "introspectionEncryptedResponseAlg",
        "introspection_encrypted_response_alg",
        Kind::Text,
    ),
    (
        "introspectionEncryptedResponseEnc",
        "introspection_encrypted_response_enc",
        Kind::Text,
    ),
    (
        "authorizationSignedResponseAlg",
        "authorization_signed_response_alg",
        Kind::Text,
    ),
    (
        "authorizationEncryptedResponseAlg",
        "authorization_encrypted_response_alg",
        Kind::Text,
    ),
    (
        "authorizationEncryptedResponseEnc",
        "authorization_encrypted_response_enc",
        Kind::Text,
    ),
    // RFC 8705 §2.1.2: Janssen's `tlsClientAuthSubjectDn`, and the alternative names by
    // the same pattern (jans-rs's).
    (
        "tlsClientAuthSubjectDn",
        "tls_client_auth_subject_dn",
        Kind::Text,
    ),
    ("tlsClientAuthSanDns", "tls_client_auth_san_dns", Kind::Text),
    ("tlsClientAuthSanUri", "tls_client_auth_san_uri", Kind::Text),
    ("tlsClientAuthSanIp", "tls_client_auth_san_ip", Kind::Text),
    (
        "tlsClientAuthSanEmail",
        "tls_client_auth_san_email",
        Kind::Text,
    ),
    // RFC 8705 §3.4.
    (
        "tlsClientCertificateBoundAccessTokens",
        "tls_client_certificate_bound_access_tokens",
        Kind::Bool,
    ),
];

/// Members Janssen computes or keeps for its directory: shown or not, never written.
const IGNORED: [&str; 14] = [
    "dn",
    "baseDn",
    "deletable",
    "clientIdIssuedAt",
    "clientSecretExpiresAt",
    "lastAccessTime",
    "lastLogonTime",
    "registrationAccessToken",
    "customObjectClasses",
    // Consents are always kept here, as Janssen's default (true) has it.
    "persistClientAuthorizations",
    // In Janssen's examples, not its schema.
    "allAuthenticationMethods",
    "authenticationMethod",
    "tokenBindingSupported",
    "ttl",
];

/// The longest `description` or secret accepted, in bytes.
const MAX_TEXT: usize = 4096;
/// The shortest client secret an administrator may set (128 bits as hex).
pub(super) const MIN_SECRET: usize = 32;
/// The longest one.
const MAX_SECRET: usize = 512;

/// A client as Janssen's JSON describes it, read.
#[derive(Debug)]
pub(super) struct Written {
    /// Its `inum`, when given.
    pub inum: Option<String>,
    /// The metadata, not yet checked by the registration rules.
    pub metadata: ClientMetadata,
    /// `description`.
    pub description: Option<String>,
    /// `disabled`.
    pub disabled: bool,
    /// A `clientSecret` the administrator sets.
    pub secret: Option<String>,
}

fn bad(msg: impl Into<String>) -> AdminError {
    AdminError::new(400, msg.into())
}

/// Whether `v` says nothing: `null`, `false`, `0`, `""`, `[]`, or an object of such.
fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.values().all(empty),
    }
}

/// A scope's DN in Janssen's directory (`inum=…,ou=scopes,o=jans`).
fn scope_dn(inum: &str) -> String {
    format!("inum={inum},ou=scopes,o=jans")
}

/// A client's DN in Janssen's directory.
fn client_dn(inum: &str) -> String {
    format!("inum={inum},ou=clients,o=jans")
}

/// Whether `id` may name a client: 1 to 128 characters a URL path carries as they are.
pub(super) fn valid_inum(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Text member `name` of `m`, when it is a non-empty string; another type is a 400.
fn text(m: &Map<String, Value>, name: &str) -> Result<Option<String>, AdminError> {
    match m.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) if s.len() > MAX_TEXT => Err(bad(format!("{name} is too long"))),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("{name} must be a string"))),
    }
}

/// Read Janssen's client JSON. `previous_name` is the stored client's name on a change:
/// Janssen shows the name twice (`clientName`, `displayName`), and the one that differs
/// from it is the one the writer changed. Scope DNs are read through `scopes`.
pub(super) fn read(
    v: Value,
    scopes: &[Scope],
    previous_name: Option<&str>,
) -> Result<Written, AdminError> {
    let Value::Object(m) = v else {
        return Err(bad("a client is a JSON object"));
    };
    let mut rfc = Map::new();
    for (key, value) in &m {
        if let Some((_, ours, _)) = MEMBERS.iter().find(|(j, _, _)| j == key) {
            // Janssen's tools send "" for a setting left unset.
            if !value.is_null() && value.as_str() != Some("") {
                rfc.insert((*ours).to_owned(), value.clone());
            }
        } else if key == "attributes" {
            read_attributes(value, &mut rfc)?;
        } else if !matches!(
            key.as_str(),
            "inum"
                | "clientName"
                | "displayName"
                | "description"
                | "disabled"
                | "clientSecret"
                | "jwks"
                | "scopes"
        ) && !IGNORED.contains(&key.as_str())
            && !empty(value)
        {
            return Err(bad(format!("{key} is not supported by this server")));
        }
    }
    let client_name = text(&m, "clientName")?;
    let display_name = text(&m, "displayName")?;
    let name = match (client_name, display_name) {
        (Some(c), Some(d)) if c != d && previous_name == Some(c.as_str()) => Some(d),
        (Some(c), _) => Some(c),
        (None, d) => d,
    };
    if let Some(name) = name {
        rfc.insert("client_name".into(), name.into());
    }
    match m.get("jwks") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.is_empty() => {}
        // Janssen keeps the key set as JSON text.
        Some(Value::String(s)) => {
            let set: Value = serde_json::from_str(s)
                .map_err(|e| bad(format!("jwks is not a JSON key set: {e}")))?;
            rfc.insert("jwks".into(), set);
        }
        Some(set @ Value::Object(_)) => {
            rfc.insert("jwks".into(), set.clone());
        }
        Some(_) => return Err(bad("jwks must be a JSON Web Key Set")),
    }
    if let Some(list) = read_scopes(m.get("scopes"), scopes)? {
        rfc.insert("scope".into(), list.into());
    }
    let metadata: ClientMetadata =
        serde_path_to_error::deserialize(Value::Object(rfc)).map_err(|e| {
            let ours = e.path().iter().next().map(|s| s.to_string());
            let member = ours
                .as_deref()
                .and_then(janssen_name)
                .unwrap_or_else(|| ours.unwrap_or_default());
            bad(format!("{member}: {}", e.into_inner()))
        })?;
    let disabled = match m.get("disabled") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("disabled must be true or false")),
    };
    let inum = text(&m, "inum")?;
    if let Some(i) = &inum
        && !valid_inum(i)
    {
        return Err(bad(
            "inum must be 1 to 128 letters, digits, '-', '.', '_' or '~'",
        ));
    }
    let secret = text(&m, "clientSecret")?;
    if let Some(s) = &secret
        && (s.len() < MIN_SECRET
            || s.len() > MAX_SECRET
            || !s.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(bad(format!(
            "clientSecret must be {MIN_SECRET} to {MAX_SECRET} printable ASCII characters"
        )));
    }
    Ok(Written {
        inum,
        metadata,
        description: text(&m, "description")?,
        disabled,
        secret,
    })
}

/// The Janssen name of one of our metadata members.
fn janssen_name(ours: &str) -> Option<String> {
    let plain = MEMBERS
        .iter()
        .find(|(_, o, _)| *o == ours)
        .map(|(j, _, _)| *j);
    let attribute = ATTRIBUTES
        .iter()
        .find(|(_, o, _)| *o == ours)
        .map(|(j, _, _)| format!("attributes.{j}"));
    plain.map(str::to_owned).or(attribute).or(match ours {
        "client_name" => Some("clientName".into()),
        "scope" => Some("scopes".into()),
        "backchannel_logout_uri" => Some("attributes.backchannelLogoutUri".into()),
        "jwks" => Some("jwks".into()),
        _ => None,
    })
}

fn read_attributes(v: &Value, rfc: &mut Map<String, Value>) -> Result<(), AdminError> {
    let m = match v {
        Value::Null => return Ok(()),
        Value::Object(m) => m,
        _ => return Err(bad("attributes must be an object")),
    };
    for (key, value) in m {
        if let Some((_, ours, _)) = ATTRIBUTES.iter().find(|(j, _, _)| j == key) {
            if !value.is_null() && value.as_str() != Some("") {
                rfc.insert((*ours).to_owned(), value.clone());
            }
        } else if key == "backchannelLogoutUri" {
            // Janssen keeps a list; OIDC Back-Channel Logout §2.2 registers one URI.
            match value {
                Value::Null => {}
                Value::Array(a) if a.is_empty() => {}
                Value::Array(a) => match a.as_slice() {
                    [Value::String(u)] => {
                        rfc.insert("backchannel_logout_uri".into(), u.clone().into());
                    }
                    _ => {
                        return Err(bad("attributes.backchannelLogoutUri holds one URI at most"));
                    }
                },
                Value::String(u) => {
                    rfc.insert("backchannel_logout_uri".into(), u.clone().into());
                }
                _ => {
                    return Err(bad(
                        "attributes.backchannelLogoutUri must be a list of URIs",
                    ));
                }
            }
        } else if !empty(value) {
            return Err(bad(format!(
                "attributes.{key} is not supported by this server"
            )));
        }
    }
    Ok(())
}

/// Janssen's `scopes` (DNs of scopes, or their ids) as an RFC 7591 `scope` string.
fn read_scopes(v: Option<&Value>, scopes: &[Scope]) -> Result<Option<String>, AdminError> {
    let list = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(bad("scopes must be a list")),
    };
    let mut ids: Vec<String> = Vec::with_capacity(list.len());
    for entry in list {
        let Value::String(s) = entry else {
            return Err(bad("scopes holds scope DNs or ids"));
        };
        let id = match s
            .strip_prefix("inum=")
            .and_then(|r| r.strip_suffix(",ou=scopes,o=jans"))
        {
            Some(inum) => scopes
                .iter()
                .find(|sc| sc.inum == inum)
                .map(|sc| sc.id.clone())
                .ok_or_else(|| bad(format!("scopes: no scope has the inum {inum}")))?,
            None => s.clone(),
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok((!ids.is_empty()).then(|| ids.join(" ")))
}

/// The client as Janssen's JSON shows it, without its secret. `inums` maps scope ids to
/// inums (a scope not registered is shown by its id).
pub(super) fn show(client: &Client, inums: &HashMap<&str, &str>) -> Value {
    let mut out = Map::new();
    out.insert("dn".into(), client_dn(&client.client_id).into());
    out.insert("inum".into(), client.client_id.clone().into());
    let rfc = match serde_json::to_value(&client.metadata) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for (janssen, ours, _) in MEMBERS {
        if let Some(v) = rfc.get(ours) {
            out.insert(janssen.into(), v.clone());
        }
    }
    for list in [
        "redirectUris",
        "responseTypes",
        "grantTypes",
        "contacts",
        "postLogoutRedirectUris",
    ] {
        out.entry(list).or_insert_with(|| Value::Array(Vec::new()));
    }
    if let Some(name) = &client.metadata.client_name {
        out.insert("clientName".into(), name.clone().into());
        out.insert("displayName".into(), name.clone().into());
    }
    if let Some(d) = &client.description {
        out.insert("description".into(), d.clone().into());
    }
    if let Some(jwks) = rfc.get("jwks") {
        out.insert("jwks".into(), jwks.to_string().into());
    }
    let scopes: Vec<Value> = client
        .metadata
        .scopes()
        .map(|id| match inums.get(id) {
            Some(inum) => scope_dn(inum).into(),
            None => id.to_owned().into(),
        })
        .collect();
    out.insert("scopes".into(), Value::Array(scopes));
    let mut attributes = Map::new();
    for (janssen, ours, _) in ATTRIBUTES {
        if let Some(v) = rfc.get(ours) {
            attributes.insert(janssen.into(), v.clone());
        }
    }
    let backchannel: Vec<Value> = client
        .metadata
        .backchannel_logout_uri
        .iter()
        .map(|u| u.clone().into())
        .collect();
    attributes.insert("backchannelLogoutUri".into(), Value::Array(backchannel));
    out.insert("attributes".into(), Value::Object(attributes));
    out.insert("disabled".into(), client.disabled.into());
    out.insert(
        "clientIdIssuedAt".into(),
        format_datetime(client.client_id_issued_at).into(),
    );
    if client.client_secret_expires_at > 0 {
        out.insert(
            "clientSecretExpiresAt".into(),
            format_datetime(client.client_secret_expires_at).into(),
        );
    }
    Value::Object(out)
}

/// Janssen's client JSON of a client (its scopes by id), as a program sends it to the API
/// (`jans client add` through a running server): no `dn`, and no `inum` unless it has one.
pub fn to_janssen(client: &Client) -> Value {
    let mut v = show(client, &HashMap::new());
    if let Some(m) = v.as_object_mut() {
        m.remove("dn");
        m.remove("clientIdIssuedAt");
        if client.client_id.is_empty() {
            m.remove("inum");
        }
    }
    v
}

/// A client as the API shows it, read back (its scope DNs through `scopes`); its secret
/// is not in it (the answer's `clientSecret`, when there is one, is beside it).
pub fn from_janssen(v: Value, scopes: &[Scope]) -> Result<Client, AdminError> {
    let issued = v
        .get("clientIdIssuedAt")
        .and_then(Value::as_str)
        .and_then(crate::ctx::parse_datetime)
        .unwrap_or(0);
    let written = read(v, scopes, None)?;
    Ok(Client {
        client_id: written.inum.unwrap_or_default(),
        client_secret_sealed: None,
        client_id_issued_at: issued,
        client_secret_expires_at: 0,
        disabled: written.disabled,
        registration_access_token_hash: None,
        description: written.description,
        metadata: written.metadata,
    })
}

/// Scope ids to inums, for [`show`].
pub(super) fn inums(scopes: &[Scope]) -> HashMap<&str, &str> {
    scopes
        .iter()
        .map(|s| (s.id.as_str(), s.inum.as_str()))
        .collect()
}

#[cfg(test)]
mod tests;
