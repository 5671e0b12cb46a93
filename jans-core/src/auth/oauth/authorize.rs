//! The authorization endpoint (RFC 6749 §3.1, §4.1; OIDC Core §3.1.2) for the code flow.
//!
//! Order of checks (RFC 6749 §4.1.2.1): until the client and its redirect URI are known to
//! be valid, errors are shown to the user (here: an error response, never a redirect);
//! afterwards they go back to the client's redirect URI with `state` and `iss` (RFC 9207).
//! When the user must act, an interaction is stored and the browser is sent to the
//! interaction URI (DESIGN.md §3); the host's pages, or an embedder's own UI, complete it
//! through the interaction API.

use serde::{Deserialize, Serialize};

use crate::auth::AuthServer;
use crate::auth::authn::interaction::{Interaction, Stage};
use crate::auth::authn::session::{SESSION_COOKIE, Session};
use crate::auth::oauth::client::is_scope_token;
use crate::auth::oauth::pkce;
use crate::auth::oauth::token_key;
use crate::auth::oidc::claims::ClaimsRequest;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::client::{AuthMethod, Client};
use crate::repo::user::UserStatus;
use crate::request::Request;
use crate::response::{Body, Response};
use crate::store::{GrantData, GrantKind, GrantRecord};

/// OIDC Core §3.1.2.1 `prompt` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    /// No user interaction: fail instead.
    None,
    /// Re-authenticate.
    Login,
    /// Ask consent again.
    Consent,
    /// Let the user choose an account.
    SelectAccount,
}

/// OAuth 2.0 Multiple Response Type Encoding Practices §2: where the response parameters go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// `?` query of the redirect URI (default for `code`).
    #[default]
    Query,
    /// `#` fragment (default whenever a token comes from the authorization endpoint).
    Fragment,
    /// An auto-submitted HTML form POST (OAuth 2.0 Form Post Response Mode).
    FormPost,
}

/// What the authorization endpoint returns (OIDC Core §3: code, implicit, hybrid flows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseType {
    /// `code`
    pub code: bool,
    /// `token`
    pub token: bool,
    /// `id_token`
    pub id_token: bool,
}

impl ResponseType {
    /// Parse a space-separated `response_type` (order-insensitive); `none` is not supported.
    pub fn parse(s: &str) -> Option<ResponseType> {
        let mut rt = ResponseType::default();
        for part in s.split(' ').filter(|p| !p.is_empty()) {
            let slot = match part {
                "code" => &mut rt.code,
                "token" => &mut rt.token,
                "id_token" => &mut rt.id_token,
                _ => return None,
            };
            if *slot {
                return None;
            }
            *slot = true;
        }
        (rt.code || rt.token || rt.id_token).then_some(rt)
    }

    /// The canonical value, as registered (`code id_token`, `code token id_token`, ...).
    pub fn as_string(self) -> String {
        let mut v = Vec::new();
        if self.code {
            v.push("code");
        }
        if self.token {
            v.push("token");
        }
        if self.id_token {
            v.push("id_token");
        }
        v.join(" ")
    }

    /// Whether a token is returned from the authorization endpoint (implicit or hybrid).
    pub fn front_channel_tokens(self) -> bool {
        self.token || self.id_token
    }
}

/// A validated authorization request, as stored in an interaction and a code.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// `client_id`
    pub client_id: String,
    /// `response_type`
    #[serde(default)]
    pub response_type: ResponseType,
    /// `response_mode`
    #[serde(default)]
    pub response_mode: ResponseMode,
    /// `redirect_uri`, exactly as registered.
    pub redirect_uri: String,
    /// Granted-if-approved scopes, in request order, without duplicates.
    pub scopes: Vec<String>,
    /// `state`, returned as is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `nonce`, copied into the ID token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// PKCE challenge and method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<(String, pkce::Method)>,
    /// `prompt` values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompt: Vec<Prompt>,
    /// `max_age` in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u64>,
    /// `login_hint`, offered to the login page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    /// The `claims` parameter's JSON text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<String>,
    /// The `sub` named by a verified `id_token_hint` (OIDC Core §3.1.2.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint_subject: Option<String>,
}

/// Longest accepted `state` / `nonce` / hint.
const MAX_OPAQUE_LEN: usize = 2048;

fn error_page(description: &'static str) -> Response {
    Response::error(OAuthError::invalid_request(description))
}

/// The client's redirect with `params` in the query (RFC 6749 §4.1.2, §4.1.2.1), plus
/// `state` and `iss` (RFC 9207 §2).
pub(crate) fn redirect(
    auth: &AuthServer,
    req: &AuthorizationRequest,
    params: &[(&str, &str)],
) -> Response {
    let mut all: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    if let Some(s) = &req.state {
        all.push(("state".to_owned(), s.clone()));
    }
    all.push(("iss".to_owned(), auth.config().issuer.clone()));
    if req.response_mode == ResponseMode::FormPost {
        return Response::with_body(Body::FormPost {
            action: req.redirect_uri.clone(),
            params: all,
        });
    }
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &all {
        ser.append_pair(k, v);
    }
    let mut url = req.redirect_uri.clone();
    match req.response_mode {
        ResponseMode::Fragment => url.push('#'),
        _ => url.push(if url.contains('?') { '&' } else { '?' }),
    }
    url.push_str(&ser.finish());
    Response::with_body(Body::Redirect(url))
}

pub(crate) fn error_redirect(
    auth: &AuthServer,
    req: &AuthorizationRequest,
    err: &OAuthError,
) -> Response {
    let mut params = vec![("error", err.code.as_str())];
    if let Some(d) = &err.description {
        params.push(("error_description", d.as_ref()));
    }
    redirect(auth, req, &params)
}

fn opaque(v: Option<&str>, name: &'static str) -> Result<Option<String>, OAuthError> {
    match v {
        Some(s) if s.len() > MAX_OPAQUE_LEN => {
            Err(OAuthError::invalid_request(format!("{name} is too long")))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// Everything after the redirect URI is trusted; errors here go back to the client.
fn validate(
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
    let response_mode = match params.get("response_mode")? {
        None if front => ResponseMode::Fragment,
        None => ResponseMode::Query,
        Some("query") if !front => ResponseMode::Query,
        Some("fragment") => ResponseMode::Fragment,
        Some("form_post") => ResponseMode::FormPost,
        // Multiple Response Type Encoding Practices §2.1: tokens never go in a query.
        _ => {
            return Err(OAuthError::invalid_request(
                "unsupported response_mode for this response_type",
            ));
        }
    };
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
    let registered: Vec<&str> = client.metadata.scopes().collect();
    let mut scopes: Vec<String> = Vec::new();
    for s in params
        .get("scope")?
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
    {
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
    let claims = params.get("claims")?;
    if let Some(c) = claims {
        ClaimsRequest::parse(c).map_err(|e| OAuthError::invalid_request(e.to_string()))?;
    }
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
    })
}

/// `GET|POST /jans-auth/restv1/authorize`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let params = req.params();
    if params.check_no_repeats().is_err() {
        return Ok(error_page("a parameter is repeated"));
    }
    let Some(client_id) = params.get("client_id")? else {
        return Ok(error_page("client_id is missing"));
    };
    let client = match auth.client(client_id).await? {
        Some(c) if !c.disabled => c,
        _ => return Ok(error_page("unknown client")),
    };
    let Some(redirect_uri) = params.get("redirect_uri")? else {
        return Ok(error_page("redirect_uri is missing"));
    };
    // RFC 6749 §3.1.2.3 and DESIGN.md §6: exact string match against the registration.
    if !client
        .metadata
        .redirect_uris
        .iter()
        .any(|r| r == redirect_uri)
    {
        return Ok(error_page("redirect_uri is not registered for this client"));
    }
    // Errors before validation completes still follow the requested encoding when it parses.
    let rt = params
        .get("response_type")
        .ok()
        .flatten()
        .and_then(ResponseType::parse);
    let provisional = AuthorizationRequest {
        client_id: client.client_id.clone(),
        response_type: rt.unwrap_or_default(),
        response_mode: match params.get("response_mode").ok().flatten() {
            Some("form_post") => ResponseMode::FormPost,
            Some("fragment") => ResponseMode::Fragment,
            _ if rt.is_some_and(ResponseType::front_channel_tokens) => ResponseMode::Fragment,
            _ => ResponseMode::Query,
        },
        redirect_uri: redirect_uri.to_owned(),
        scopes: Vec::new(),
        state: opaque(params.get("state")?, "state").ok().flatten(),
        nonce: None,
        code_challenge: None,
        prompt: Vec::new(),
        max_age: None,
        login_hint: None,
        claims: None,
        hint_subject: None,
    };
    let authz = match validate(auth, &client, redirect_uri, params) {
        Ok(a) => a,
        Err(e) => return Ok(error_redirect(auth, &provisional, &e)),
    };
    let session = match req.cookie(SESSION_COOKIE) {
        Some(cookie) => auth.session(cookie, ctx).await?,
        None => None,
    };
    // A session whose user is gone or disabled does not count.
    let session = match session {
        Some((key, s)) => match auth.stores().users.get(&s.user_inum).await? {
            Some(u) if u.status == UserStatus::Active => Some((key, s)),
            _ => None,
        },
        None => None,
    };
    continue_request(auth, &client, authz, session, ctx).await
}

/// Decide what happens to a validated request given the browser's session: issue a code,
/// fail (prompt=none), or store an interaction and send the user to it.
pub(crate) async fn continue_request(
    auth: &AuthServer,
    client: &Client,
    authz: AuthorizationRequest,
    session: Option<(String, Session)>,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let none = authz.prompt.contains(&Prompt::None);
    // OIDC Core §3.1.2.1 max_age; max_age=0 always re-authenticates, like prompt=login
    // (otherwise it would depend on whether the clock ticked since the last login).
    let fresh_enough = |s: &Session| {
        authz
            .max_age
            .is_none_or(|max| max > 0 && ctx.now.saturating_sub(s.auth_time) <= max)
    };
    if authz.prompt.contains(&Prompt::SelectAccount) {
        // OIDC Core §3.1.2.1: the user picks among the browser's accounts (or another).
        let mut authz = authz;
        authz.prompt.retain(|p| *p != Prompt::SelectAccount);
        return interact(auth, authz, Stage::SelectAccount, None, ctx).await;
    }
    // A session of another user than the id_token_hint names does not count.
    let hinted = |s: &Session| {
        authz
            .hint_subject
            .as_ref()
            .is_none_or(|sub| *sub == auth.subject_for(client, &s.user_inum))
    };
    let usable = session
        .filter(|(_, s)| !authz.prompt.contains(&Prompt::Login) && fresh_enough(s) && hinted(s));
    let Some((session_key, session)) = usable else {
        if none {
            return Ok(error_redirect(
                auth,
                &authz,
                &OAuthError::new(ErrorCode::LoginRequired, "the user is not logged in"),
            ));
        }
        return interact(auth, authz, Stage::Login, None, ctx).await;
    };
    let consented = client.metadata.trusted_client
        || (!authz.prompt.contains(&Prompt::Consent) && {
            let remembered = auth
                .consent(&session.user_inum, &client.client_id, ctx)
                .await?;
            authz.scopes.iter().all(|s| remembered.contains(s))
        });
    if !consented {
        if none {
            return Ok(error_redirect(
                auth,
                &authz,
                &OAuthError::new(ErrorCode::ConsentRequired, "the user has not consented"),
            ));
        }
        return interact(auth, authz, Stage::Consent, Some(session_key), ctx).await;
    }
    auth.add_session_client(&session_key, &authz.client_id, ctx)
        .await?;
    issue_code(auth, &authz, &session, ctx).await
}

async fn interact(
    auth: &AuthServer,
    request: AuthorizationRequest,
    stage: Stage,
    session_key: Option<String>,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let interaction = Interaction {
        request,
        stage,
        csrf: ctx.random_token(24),
        failures: 0,
        session_key,
    };
    let id = auth.put_interaction(&interaction, None, ctx).await?;
    let config = auth.config();
    let base = if config.interaction_uri.is_empty() {
        config.endpoint_url("/jans-auth/interaction")
    } else {
        config.interaction_uri.clone()
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    Ok(Response::with_body(Body::Redirect(format!(
        "{base}{sep}interaction={id}"
    ))))
}

/// What a code remembers for the token endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct CodeGrant {
    pub request: AuthorizationRequest,
    pub session: Session,
}

impl GrantData for CodeGrant {
    const MEMBER: Option<&'static str> = Some("grant");
}

/// Issue an authorization code and redirect to the client (RFC 6749 §4.1.2).
pub(crate) async fn issue_code(
    auth: &AuthServer,
    authz: &AuthorizationRequest,
    session: &Session,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let config = auth.config();
    // Everything issued from this authorization shares one family (RFC 6749 §4.1.2: a
    // replayed code revokes it all).
    let family = ctx.random_token(16);
    let rt = authz.response_type;
    let mut out: Vec<(&str, String)> = Vec::new();
    let mut code = None;
    if rt.code {
        let c = ctx.random_token(32);
        let grant = CodeGrant {
            request: authz.clone(),
            session: session.clone(),
        };
        let record = GrantRecord {
            family: family.clone(),
            client_id: authz.client_id.clone(),
            subject: Some(session.user_inum.clone()),
            scope: authz.scopes.join(" "),
            issued_at: ctx.now,
            expires_at: ctx.now.saturating_add(config.authorization_code_lifetime),
            data: serde_json::Map::new(),
        }
        .with(&grant)?;
        auth.stores()
            .grants
            .insert(
                GrantKind::AuthorizationCode,
                &token_key(&c),
                &record,
                ctx.now,
            )
            .await?;
        out.push(("code", c.clone()));
        code = Some(c);
    }
    // OIDC Session Management 1.0 §3: the state the RP's iframe will check.
    if authz.scopes.iter().any(|s| s == "openid")
        && !session.opbs.is_empty()
        && let Some(origin) = crate::auth::oidc::session_management::origin_of(&authz.redirect_uri)
    {
        out.push((
            "session_state",
            crate::auth::oidc::session_management::session_state(
                &authz.client_id,
                &origin,
                &session.opbs,
                &ctx.random_token(8),
            ),
        ));
    }
    if !rt.front_channel_tokens() {
        let params: Vec<(&str, &str)> = out.iter().map(|(k, v)| (*k, v.as_str())).collect();
        return Ok(redirect(auth, authz, &params));
    }
    // Implicit and hybrid flows (OIDC Core §3.2, §3.3): tokens from this endpoint.
    let client = auth
        .client(&authz.client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_request("unknown client"))?;
    let user = auth
        .stores()
        .users
        .get(&session.user_inum)
        .await?
        .ok_or_else(|| OAuthError::new(ErrorCode::LoginRequired, "the user is gone"))?;
    let scope = authz.scopes.join(" ");
    let mut access_token = None;
    if rt.token {
        let issued = crate::auth::oauth::access_token::issue(
            auth,
            &crate::auth::oauth::access_token::Issue {
                client: &client,
                subject: Some(&user.inum),
                scope: &scope,
                family: &family,
                claims: authz.claims.as_deref(),
            },
            ctx,
        )
        .await?;
        out.push(("access_token", issued.token.clone()));
        out.push(("token_type", "Bearer".to_owned()));
        out.push(("expires_in", issued.expires_in.to_string()));
        if !scope.is_empty() {
            out.push(("scope", scope.clone()));
        }
        access_token = Some(issued.token);
    }
    if rt.id_token {
        let id_token = crate::auth::oidc::id_token::issue(
            auth,
            &crate::auth::oidc::id_token::Issue {
                client: &client,
                user: &user,
                session,
                request: authz,
                access_token: access_token.as_deref(),
                code: code.as_deref(),
            },
            ctx,
        )?;
        out.push(("id_token", id_token));
    }
    let params: Vec<(&str, &str)> = out.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Ok(redirect(auth, authz, &params))
}
