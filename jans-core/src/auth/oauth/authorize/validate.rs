//! Checking an authorization request once its client and redirect URI are trusted: every
//! parameter (RFC 6749 §4.1.1, OIDC Core §3.1.2.1), with errors that go back to the client.

use crate::auth::AuthServer;
use crate::auth::oauth::client::is_scope_token;
use crate::auth::oauth::pkce;
use crate::auth::oidc::claims::ClaimsRequest;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::client::{AuthMethod, Client};

use super::{AuthorizationRequest, MAX_OPAQUE_LEN, Prompt, ResponseMode, ResponseType};

pub(super) fn opaque(v: Option<&str>, name: &'static str) -> Result<Option<String>, OAuthError> {
    match v {
        Some(s) if s.len() > MAX_OPAQUE_LEN => {
            Err(OAuthError::invalid_request(format!("{name} is too long")))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// Everything after the redirect URI is trusted; errors here go back to the client.
pub(crate) fn validate(
    auth: &AuthServer,
    client: &Client,
    redirect_uri: &str,
    params: &crate::params::Params,
) -> Result<AuthorizationRequest, OAuthError> {
    let config = auth.config();
    if params.get("request")?.is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestNotSupported,
            "request objects are not supported yet",
        ));
    }
    if params.get("request_uri")?.is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported yet",
        ));
    }
    let response_type = match params.get("response_type")? {
        None => return Err(OAuthError::invalid_request("response_type is missing")),
        Some(rt) => ResponseType::parse(rt).ok_or_else(|| {
            OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                "unsupported response_type",
            )
        })?,
    };
    // OIDC Core §3.1.2.1 / §3.2.2.1: the client must have registered this response type.
    if !client
        .metadata
        .response_types
        .iter()
        .any(|r| ResponseType::parse(r) == Some(response_type))
    {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!(
                "the client did not register response_type {}",
                response_type.as_string()
            ),
        ));
    }
    let front = response_type.front_channel_tokens();
    let response_mode =
        ResponseMode::parse(params.get("response_mode")?, front).ok_or_else(|| {
            OAuthError::invalid_request("unsupported response_mode for this response_type")
        })?;
    // JARM §2.3.1: tokens in a query only inside an encrypted response JWT.
    if front
        && response_mode == ResponseMode::QueryJwt
        && client
            .metadata
            .authorization_encrypted_response_alg
            .is_none()
    {
        return Err(OAuthError::invalid_request(
            "query.jwt carries tokens only when the client registered response encryption",
        ));
    }
    let grant = if response_type.code {
        "authorization_code"
    } else {
        "implicit"
    };
    if !client.metadata.grant_types.iter().any(|g| g == grant)
        || !config.grant_types_supported.iter().any(|g| g == grant)
    {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("the client may not use the {grant} grant"),
        ));
    }
    // RFC 6749 §3.3; `openid` is always allowed to a code client (OIDC Core §3.1.2.1).
    let scopes = requested_scopes(client, params.get("scope")?.unwrap_or(""))?;
    // RFC 7636 §4.4.1; PKCE is required for public clients (DESIGN.md §6).
    let challenge = params.get("code_challenge")?;
    let method = params.get("code_challenge_method")?;
    let code_challenge = match (challenge, method) {
        (None, None) => None,
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method without code_challenge",
            ));
        }
        (Some(c), m) => {
            let method = match m {
                None => pkce::Method::Plain,
                Some(m) => pkce::Method::parse(m).ok_or_else(|| {
                    OAuthError::invalid_request("code_challenge_method must be S256")
                })?,
            };
            if method == pkce::Method::Plain && !config.allow_pkce_plain {
                return Err(OAuthError::invalid_request(
                    "code_challenge_method must be S256",
                ));
            }
            if !pkce::well_formed(c) {
                return Err(OAuthError::invalid_request("malformed code_challenge"));
            }
            Some((c.to_owned(), method))
        }
    };
    let pkce_required = config.require_pkce
        || client.metadata.require_pkce
        || client.metadata.token_endpoint_auth_method == AuthMethod::None;
    if pkce_required && code_challenge.is_none() {
        return Err(OAuthError::invalid_request(
            "PKCE (code_challenge with S256) is required",
        ));
    }
    crate::auth::oauth::fapi2::check_request(
        &config,
        response_type.code && !response_type.front_channel_tokens(),
        matches!(code_challenge, Some((_, pkce::Method::S256))),
    )?;
    let mut prompt = Vec::new();
    for p in params
        .get("prompt")?
        .unwrap_or("")
        .split(' ')
        .filter(|p| !p.is_empty())
    {
        let v = match p {
            "none" => Prompt::None,
            "login" => Prompt::Login,
            "consent" => Prompt::Consent,
            "select_account" => Prompt::SelectAccount,
            // Prompt Create 1.0 §4; Janssen's disablePromptCreate turns it off.
            "create" if !config.disable_prompt_create => Prompt::Create,
            "create" => {
                return Err(OAuthError::invalid_request(
                    "prompt=create is not enabled (disablePromptCreate)",
                ));
            }
            _ => return Err(OAuthError::invalid_request("unknown prompt value")),
        };
        if !prompt.contains(&v) {
            prompt.push(v);
        }
    }
    if prompt.contains(&Prompt::None) && prompt.len() > 1 {
        // OIDC Core §3.1.2.1: none with any other value is an error.
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined",
        ));
    }
    let max_age = match params.get("max_age")? {
        None => None,
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| OAuthError::invalid_request("max_age must be a number of seconds"))?,
        ),
    };
    let nonce = opaque(params.get("nonce")?, "nonce")?;
    if response_type.id_token && nonce.is_none() {
        // OIDC Core §3.2.2.1, §3.3.2.11: nonce is required when an ID token comes back here.
        return Err(OAuthError::invalid_request(
            "nonce is required with id_token",
        ));
    }
    // OIDC Core §3.1.2.1: id_token_hint names the expected user; it must be one of ours,
    // issued to this client (expired is fine).
    let hint_subject = match params.get("id_token_hint")? {
        None => None,
        Some(h) => match crate::auth::oidc::logout::verify_id_token_hint(auth, h) {
            Some((aud, sub)) if aud == client.client_id => Some(sub),
            _ => return Err(OAuthError::invalid_request("invalid id_token_hint")),
        },
    };
    let acr_values: Vec<String> = opaque(params.get("acr_values")?, "acr_values")?
        .map(|v| {
            v.split(' ')
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if acr_values.len() > crate::auth::authn::methods::MAX_ACR_VALUES {
        return Err(OAuthError::invalid_request("too many acr_values"));
    }
    let claims = params.get("claims")?;
    if let Some(c) = claims {
        ClaimsRequest::parse(c).map_err(|e| OAuthError::invalid_request(e.to_string()))?;
    }
    // RFC 9449 §10: the thumbprint of the key the code will be bound to (a SHA-256 JWK
    // thumbprint, RFC 7638: 43 base64url characters).
    let dpop_jkt = match params.get("dpop_jkt")? {
        None => None,
        Some(j) if j.len() == 43 && crate::b64::decode(j).is_ok_and(|d| d.len() == 32) => {
            Some(j.to_owned())
        }
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "dpop_jkt is not a JWK SHA-256 thumbprint",
            ));
        }
    };
    let authorization_details = crate::auth::oauth::rar::parse(
        &auth.config(),
        client,
        params.get("authorization_details")?,
    )?;
    Ok(AuthorizationRequest {
        client_id: client.client_id.clone(),
        response_type,
        response_mode,
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: opaque(params.get("state")?, "state")?,
        nonce,
        code_challenge,
        prompt,
        max_age,
        login_hint: opaque(params.get("login_hint")?, "login_hint")?,
        claims: claims.map(str::to_owned),
        hint_subject,
        acr_values,
        dpop_jkt,
        device: None,
        authorization_details,
        browser: None,
    })
}

/// The scopes of `asked` (space-separated), in order, without duplicates: each registered for
/// `client`, or `openid` (always allowed to a client of a person, OIDC Core §3.1.2.1); else
/// `invalid_scope` (RFC 6749 §3.3).
pub(crate) fn requested_scopes(client: &Client, asked: &str) -> Result<Vec<String>, OAuthError> {
    let registered: Vec<&str> = client.metadata.scopes().collect();
    let mut scopes: Vec<String> = Vec::new();
    for s in asked.split(' ').filter(|s| !s.is_empty()) {
        if !is_scope_token(s) || (s != "openid" && !registered.contains(&s)) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("scope {s:?} is not allowed for this client"),
            ));
        }
        if !scopes.iter().any(|x| x == s) {
            scopes.push(s.to_owned());
        }
    }
    Ok(scopes)
}
