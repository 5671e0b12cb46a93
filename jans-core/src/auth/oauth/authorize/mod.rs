//! The authorization endpoint (RFC 6749 §3.1, §4.1; OIDC Core §3.1.2) for the code flow,
//! in three steps a reader can hold one at a time:
//!
//! 1. [`handle`] and `validate`: the request is parsed and checked. Until the client and
//!    its redirect URI are known to be valid, errors are shown to the user (an error page,
//!    never a redirect, RFC 6749 §4.1.2.1); afterwards they go back to the client's
//!    redirect URI with `state` and `iss` (RFC 9207).
//! 2. `continuation`: given the browser's session, a code is issued, the request fails
//!    (`prompt=none`), or an interaction is stored and the browser is sent to the
//!    interaction URI (DESIGN.md §3); the host's pages, or an embedder's own UI, complete it
//!    through the interaction API.
//! 3. `issue`: the code, bound to the request and the session.

mod continuation;
mod issue;
pub(crate) mod validate;

pub(crate) use continuation::{continue_request, interaction_url};
pub(crate) use issue::{CodeGrant, issue_code};

use serde::{Deserialize, Serialize};

use crate::auth::AuthServer;
use crate::auth::authn::session::SESSION_COOKIE;
use crate::auth::oauth::pkce;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::OAuthError;
use crate::repo::user::UserStatus;
use crate::request::Request;
use crate::response::{Body, Response};

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
    /// Offer account creation first (OpenID Connect Prompt Create 1.0).
    Create,
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
    /// JARM §2.3.1 `query.jwt`: one `response` JWT in the query.
    QueryJwt,
    /// JARM §2.3.2 `fragment.jwt`.
    FragmentJwt,
    /// JARM §2.3.3 `form_post.jwt`.
    FormPostJwt,
}

impl ResponseMode {
    /// The mode `name` names for a response type that does (`front`) or does not carry
    /// tokens: the default when absent; JARM's `jwt` is `query.jwt` or `fragment.jwt`
    /// likewise (JARM §2.3.4). `None` for a name we do not serve, or `query` with tokens
    /// (Multiple Response Type Encoding Practices §2.1).
    pub fn parse(name: Option<&str>, front: bool) -> Option<ResponseMode> {
        Some(match name {
            None if front => ResponseMode::Fragment,
            None => ResponseMode::Query,
            Some("query") if !front => ResponseMode::Query,
            Some("fragment") => ResponseMode::Fragment,
            Some("form_post") => ResponseMode::FormPost,
            Some("query.jwt") => ResponseMode::QueryJwt,
            Some("fragment.jwt") => ResponseMode::FragmentJwt,
            Some("form_post.jwt") => ResponseMode::FormPostJwt,
            Some("jwt") if front => ResponseMode::FragmentJwt,
            Some("jwt") => ResponseMode::QueryJwt,
            _ => return None,
        })
    }

    /// Whether the response is a JARM `response` JWT.
    pub fn is_jwt(self) -> bool {
        matches!(
            self,
            ResponseMode::QueryJwt | ResponseMode::FragmentJwt | ResponseMode::FormPostJwt
        )
    }

    /// Where the parameters (or the `response` JWT) travel.
    pub fn carrier(self) -> ResponseMode {
        match self {
            ResponseMode::QueryJwt => ResponseMode::Query,
            ResponseMode::FragmentJwt => ResponseMode::Fragment,
            ResponseMode::FormPostJwt => ResponseMode::FormPost,
            other => other,
        }
    }
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
    /// `acr_values`, in order of preference (OIDC Core §3.1.2.1).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acr_values: Vec<String>,
    /// The DPoP key the code is bound to (RFC 9449 §10): `dpop_jkt`, or the key of the
    /// proof the request was pushed with (§10.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// The device request (RFC 8628; its key) the user is approving: the request ends in
    /// the device's tokens and a page, not in a code and a redirect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// `authorization_details` (RFC 9396), checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<serde_json::Value>,
    /// The browser that sent it, for the sign-in's policy (trusted devices, known
    /// locations): never a parameter, taken from the request that reached us.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<crate::request::Browser>,
}

impl AuthorizationRequest {
    /// A request of `client_id` for `scopes` back to `redirect_uri`, with nothing else asked
    /// (no state, nonce, PKCE, prompt or claims).
    pub fn new(client_id: &str, redirect_uri: &str, scopes: Vec<String>) -> AuthorizationRequest {
        AuthorizationRequest {
            client_id: client_id.to_owned(),
            response_type: ResponseType::default(),
            response_mode: ResponseMode::default(),
            redirect_uri: redirect_uri.to_owned(),
            scopes,
            state: None,
            nonce: None,
            code_challenge: None,
            prompt: Vec::new(),
            max_age: None,
            login_hint: None,
            claims: None,
            hint_subject: None,
            acr_values: Vec::new(),
            dpop_jkt: None,
            device: None,
            authorization_details: None,
            browser: None,
        }
    }
}

/// Longest accepted `state` / `nonce` / hint.
const MAX_OPAQUE_LEN: usize = 2048;

/// The error page shown to the user when the client or its redirect URI cannot be
/// trusted (RFC 6749 §4.1.2.1: never redirect then).
fn error_page(description: &'static str) -> Response {
    Response::error(OAuthError::invalid_request(description)).error_as_page()
}

/// The client's redirect with `params` in the query (RFC 6749 §4.1.2, §4.1.2.1), plus
/// `state` and `iss` (RFC 9207 §2). In a JARM response mode they travel instead as the
/// claims of one signed (and perhaps encrypted) `response` JWT (JARM §2.1).
pub(crate) async fn redirect(
    auth: &AuthServer,
    req: &AuthorizationRequest,
    params: &[(&str, &str)],
    ctx: &Ctx,
) -> Response {
    let mut all: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    if let Some(s) = &req.state {
        all.push(("state".to_owned(), s.clone()));
    }
    if req.response_mode.is_jwt() {
        all = match super::jarm::response(auth, &req.client_id, &all, ctx).await {
            Ok(jwt) => vec![("response".to_owned(), jwt)],
            Err(e) => {
                tracing::warn!(client_id = %req.client_id, error = %e, "JARM response not made");
                // Its keys cannot be had (a jwks_uri down, no key for its alg): shown to
                // the person, as nothing can go back to the client.
                return Response::error(OAuthError::invalid_request(
                    "the authorization response could not be made for this client",
                ))
                .error_as_page();
            }
        };
    } else {
        all.push(("iss".to_owned(), auth.config().issuer.clone()));
    }
    if req.response_mode.carrier() == ResponseMode::FormPost {
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
    match req.response_mode.carrier() {
        ResponseMode::Fragment => url.push('#'),
        _ => url.push(if url.contains('?') { '&' } else { '?' }),
    }
    url.push_str(&ser.finish());
    Response::with_body(Body::Redirect(url))
}

pub(crate) async fn error_redirect(
    auth: &AuthServer,
    req: &AuthorizationRequest,
    err: &OAuthError,
    ctx: &Ctx,
) -> Response {
    // A device request, or a sign-in another page started (CIBA's approval page: no client
    // redirect URI), ends on a page.
    if req.device.is_some() || req.redirect_uri.is_empty() {
        return crate::auth::oauth::device::error_page(err);
    }
    let mut params = vec![("error", err.code.as_str())];
    if let Some(d) = &err.description {
        params.push(("error_description", d.as_ref()));
    }
    redirect(auth, req, &params, ctx).await
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
    // RFC 9101: a request object's claims become the request's parameters.
    let from_object;
    let params = match super::jar::resolve(auth, &client, params, ctx).await {
        Ok(Some(p)) => {
            from_object = p;
            &from_object
        }
        Ok(None) => params,
        Err(Error::OAuth(e)) => return Ok(refuse_early(auth, &client, params, &e, ctx).await),
        Err(e) => return Err(e),
    };
    // RFC 9126 §4: a pushed request, by its request_uri; the other parameters are not
    // read.
    if let Some(request_uri) = params.get("request_uri")? {
        if !auth.config().feature_enabled("par") {
            return Ok(error_page("pushed authorization requests are not enabled"));
        }
        let Some(mut authz) = super::par::take(auth, &client.client_id, request_uri, ctx).await?
        else {
            return Ok(error_page("request_uri is unknown, used or expired"));
        };
        authz.browser = Some(req.browser());
        let session = live_session(auth, req, ctx).await?;
        return continue_request(auth, &client, authz, session, ctx).await;
    }
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
        response_type: rt.unwrap_or_default(),
        response_mode: {
            let front = rt.is_some_and(ResponseType::front_channel_tokens);
            ResponseMode::parse(params.get("response_mode").ok().flatten(), front)
                .filter(|m| !front || m.carrier() != ResponseMode::Query)
                .unwrap_or(if front {
                    ResponseMode::Fragment
                } else {
                    ResponseMode::Query
                })
        },
        state: validate::opaque(params.get("state")?, "state")
            .ok()
            .flatten(),
        ..AuthorizationRequest::new(&client.client_id, redirect_uri, Vec::new())
    };
    // RFC 9101 §10.5 (`forceSignedRequestObject`): nothing but a request object.
    if auth.config().force_signed_request_object && from_object_absent(req) {
        return Ok(error_redirect(
            auth,
            &provisional,
            &OAuthError::invalid_request(
                "authorization requests must come in a signed request object",
            ),
            ctx,
        )
        .await);
    }
    // RFC 9126 §5: a client (or a server) that requires PAR takes no other request.
    if super::par::required(auth, &client) {
        return Ok(error_redirect(
            auth,
            &provisional,
            &OAuthError::invalid_request(
                "authorization requests must be pushed first (PAR, RFC 9126)",
            ),
            ctx,
        )
        .await);
    }
    let mut authz = match validate::validate(auth, &client, redirect_uri, params) {
        Ok(a) => a,
        Err(e) => return Ok(error_redirect(auth, &provisional, &e, ctx).await),
    };
    authz.browser = Some(req.browser());
    let session = live_session(auth, req, ctx).await?;
    continue_request(auth, &client, authz, session, ctx).await
}

/// Whether the browser's request carried no request object.
fn from_object_absent(req: &Request) -> bool {
    !super::jar::present(req.params())
}

/// A request object that could not be read: back to the client when the query's
/// `redirect_uri` is registered (OIDC Core §3.1.2.6), else on our error page.
async fn refuse_early(
    auth: &AuthServer,
    client: &crate::repo::client::Client,
    params: &crate::params::Params,
    err: &OAuthError,
    ctx: &Ctx,
) -> Response {
    let redirect_uri = params.get("redirect_uri").ok().flatten();
    match redirect_uri.filter(|r| client.metadata.redirect_uris.iter().any(|x| x == r)) {
        Some(r) => {
            let front = params
                .get("response_type")
                .ok()
                .flatten()
                .and_then(ResponseType::parse)
                .is_some_and(ResponseType::front_channel_tokens);
            let provisional = AuthorizationRequest {
                response_mode: if front {
                    ResponseMode::Fragment
                } else {
                    ResponseMode::Query
                },
                state: validate::opaque(params.get("state").ok().flatten(), "state")
                    .ok()
                    .flatten(),
                ..AuthorizationRequest::new(&client.client_id, r, Vec::new())
            };
            error_redirect(auth, &provisional, err, ctx).await
        }
        None => Response::error(err.clone()).error_as_page(),
    }
}

/// The browser's session, when its person is still active (a session whose user is gone
/// or disabled does not count).
pub(crate) async fn live_session(
    auth: &AuthServer,
    req: &Request,
    ctx: &Ctx,
) -> Result<Option<(String, crate::auth::authn::session::Session)>, Error> {
    let session = match req.cookie(SESSION_COOKIE) {
        Some(cookie) => auth.session(cookie, ctx).await?,
        None => None,
    };
    Ok(match session {
        Some((key, s)) => match auth.stores().users.get(&s.user_inum).await? {
            Some(u) if u.status == UserStatus::Active => Some((key, s)),
            _ => None,
        },
        None => None,
    })
}
