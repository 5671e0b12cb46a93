//! OpenID Client-Initiated Backchannel Authentication (CIBA Core 1.0), behind Janssen's `ciba`
//! flag.
//!
//! A client names a person (`login_hint`: their username or email; `id_token_hint`: an ID
//! token we issued; or `login_hint_token`: a JWT the client signed naming them) at
//! `/jans-auth/restv1/bc-authorize` (§7) and gets an `auth_req_id`. The person answers on
//! their own device: the Rust API ([`crate::Engine::ciba_pending`], [`crate::Engine::ciba_decide`],
//! and the C ABI over them) for real authentication devices, or the page at
//! [`APPROVAL_PATH`], where the signed-in person sees their pending requests with each
//! binding message and approves or denies. Then, by the client's registered mode (§5):
//! `poll` — it polls the token endpoint with `urn:openid:params:grant-type:ciba`
//! (`authorization_pending`, `slow_down`, `access_denied`, `expired_token`); `ping` — it is
//! told at its `backchannel_client_notification_endpoint` (§10.2) and then polls; `push` —
//! the tokens themselves are POSTed there (§10.3). Notifications go through the durable
//! delivery queue of back-channel logout (sealed at rest, retried with backoff), never
//! inside the person's request. A request may come signed by the client (`request`, §7.1.1:
//! `signed`).

mod approval;
mod hints;
mod signed;

pub use approval::Pending;
pub(crate) use approval::approval;

use serde::{Deserialize, Serialize};

use crate::auth::AuthServer;
use crate::auth::authn::session::Session;
use crate::auth::oauth::authorize::AuthorizationRequest;
use crate::auth::oauth::client_auth;
use crate::auth::oauth::grant::{Decision, Granted, IdTokenBasis, refresh_token};
use crate::auth::oauth::token::require_form;
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::repo::client::{Client, ClientMetadata};
use crate::repo::grant::GrantRecords;
use crate::repo::user::UserStatus;
use crate::request::{AuthEndpoint, Request};
use crate::response::Response;
use crate::store::{GrantData, GrantKind, GrantRecord, Taken};

/// The grant poll and ping clients redeem an `auth_req_id` with (§10.1).
pub const GRANT_TYPE: &str = crate::config::CIBA_GRANT;
/// The approval page.
pub const APPROVAL_PATH: &str = "/jans-auth/ciba";
/// Longest `binding_message` (§7.1: "relatively small"), characters.
pub const MAX_BINDING_MESSAGE: usize = 128;
/// Longest `client_notification_token` (§7.1.1 asks for at least 128 bits; bounded input).
const MAX_NOTIFICATION_TOKEN: usize = 1024;
/// The page form's CSRF cookie (double submit).
const CSRF_COOKIE: &str = "jans_ciba_csrf";
/// How long a spent or expired request still answers `expired_token`.
const EXPIRED_GRACE: u64 = 3600;
/// Most pending requests shown to one person.
const MAX_LISTED: usize = 50;

/// A backchannel authentication request, by its `auth_req_id`'s hash (family
/// `ciba:{inum}`, so a person's pending requests can be listed).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CibaRequest {
    /// The scopes asked for.
    scopes: Vec<String>,
    /// Shown to the person on both devices (§7.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    binding_message: Option<String>,
    /// `poll`, `ping` or `push`.
    mode: String,
    /// The client's `client_notification_token`, sealed (ping and push).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    notification_token: Option<String>,
    /// The `auth_req_id` itself, sealed (ping and push name it back, §10.2, §10.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    auth_req_id: Option<String>,
    /// When the `auth_req_id` stops being usable.
    expires_at: u64,
}

impl GrantData for CibaRequest {
    const MEMBER: Option<&'static str> = Some("ciba");
}

/// The person's answer (by the request's key, once).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct CibaDecision {
    approved: bool,
    /// The authentication the answer came with (for the ID token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<Session>,
}

impl GrantData for CibaDecision {
    const MEMBER: Option<&'static str> = Some("decision");
}

fn requests(auth: &AuthServer) -> GrantRecords<CibaRequest> {
    GrantRecords::new(auth.stores().grants.clone(), GrantKind::CibaRequest)
}

fn decisions(auth: &AuthServer) -> GrantRecords<CibaDecision> {
    GrantRecords::new(auth.stores().grants.clone(), GrantKind::CibaDecision)
}

fn family(inum: &str) -> String {
    format!("ciba:{inum}")
}

const TOKEN_AAD: &[u8] = b"jans-ciba-client-notification-token";
const ID_AAD: &[u8] = b"jans-ciba-auth-req-id";

fn refuse(code: ErrorCode, d: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    OAuthError::new(code, d).into()
}

fn not_enabled() -> Error {
    refuse(ErrorCode::NotFound, "CIBA is not enabled (featureFlags)")
}

/// `POST /jans-auth/restv1/bc-authorize` (§7.1, §7.3).
pub async fn authorize(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let config = auth.config();
    if !config.feature_enabled("ciba") {
        return Err(not_enabled());
    }
    require_form(req)?;
    let params = &req.form;
    params.check_no_repeats()?;
    let caller = client_auth::authenticate(
        auth,
        req,
        params,
        &AuthEndpoint::BackchannelAuthentication,
        ctx,
    )
    .await?;
    let client = &caller.client;
    let mode = client
        .metadata
        .backchannel_token_delivery_mode
        .clone()
        .filter(|_| client.metadata.grant_types.iter().any(|g| g == GRANT_TYPE))
        .ok_or_else(|| {
            refuse(
                ErrorCode::UnauthorizedClient,
                "the client is not registered for CIBA",
            )
        })?;
    // §7.1.1: a signed request carries the parameters itself.
    let signed = match params.get("request")? {
        Some(request) => Some(signed::resolve(auth, client, params, request, ctx).await?),
        None => None,
    };
    let params = signed.as_ref().map_or(params, |s| &s.params);
    // §7.1: scope with openid.
    let asked = params.get("scope")?.unwrap_or_default();
    let scopes = crate::auth::oauth::authorize::validate::requested_scopes(client, asked)?;
    if !scopes.iter().any(|s| s == "openid") {
        return Err(refuse(ErrorCode::InvalidScope, "scope must include openid"));
    }
    let notification_token = match (mode.as_str(), params.get("client_notification_token")?) {
        ("ping" | "push", None) => {
            return Err(refuse(
                ErrorCode::InvalidRequest,
                "client_notification_token is required",
            ));
        }
        (_, Some(t)) if t.is_empty() || t.len() > MAX_NOTIFICATION_TOKEN => {
            return Err(refuse(
                ErrorCode::InvalidRequest,
                "client_notification_token is empty or too long",
            ));
        }
        ("ping" | "push", Some(t)) => Some(auth.secret_box().seal(
            t.as_bytes(),
            TOKEN_AAD,
            ctx.rng.as_ref(),
        )?),
        _ => None,
    };
    let binding_message = params.get("binding_message")?.map(str::to_owned);
    if binding_message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MAX_BINDING_MESSAGE || m.chars().any(char::is_control))
    {
        return Err(refuse(
            ErrorCode::InvalidBindingMessage,
            "binding_message is too long or not printable",
        ));
    }
    let user = hints::hinted_user(auth, client, params, ctx).await?;
    hints::check_user_code(auth, client, params, &user, ctx).await?;
    let lifetime = match params.get("requested_expiry")? {
        None => config.backchannel_authentication_response_expires_in,
        Some(e) => match e.parse::<u64>() {
            Ok(n) if n > 0 && n <= config.ciba_max_expiration_time_allowed_sec => n,
            _ => {
                return Err(refuse(
                    ErrorCode::InvalidRequest,
                    "requested_expiry is not a positive number of seconds within the limit",
                ));
            }
        },
    };
    if let Some(signed) = &signed {
        signed::spend(auth, client, signed, ctx).await?;
    }
    let auth_req_id = ctx.random_token(32);
    let expires_at = ctx.now.saturating_add(lifetime);
    let sealed_id = match notification_token {
        Some(_) => Some(auth.secret_box().seal(
            auth_req_id.as_bytes(),
            ID_AAD,
            ctx.rng.as_ref(),
        )?),
        None => None,
    };
    let stamp = GrantRecord {
        client_id: client.client_id.clone(),
        subject: Some(user.inum.clone()),
        scope: scopes.join(" "),
        family: family(&user.inum),
        ..GrantRecord::bare(ctx.now, expires_at.saturating_add(EXPIRED_GRACE))
    };
    let request = CibaRequest {
        scopes,
        binding_message,
        mode: mode.clone(),
        notification_token,
        auth_req_id: sealed_id,
        expires_at,
    };
    requests(auth)
        .insert(&token_key(&auth_req_id), stamp, &request, ctx.now)
        .await?;
    let mut body = serde_json::Map::new();
    body.insert("auth_req_id".into(), auth_req_id.into());
    body.insert("expires_in".into(), lifetime.into());
    if mode != "push" {
        body.insert(
            "interval".into(),
            config.backchannel_authentication_response_interval.into(),
        );
    }
    Ok(Response::json(serde_json::Value::Object(body)))
}

/// `grant_type=urn:openid:params:grant-type:ciba` (§10.1, §11).
pub async fn grant(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Decision, Error> {
    let config = auth.config();
    if !config.feature_enabled("ciba") {
        return Err(refuse(
            ErrorCode::UnsupportedGrantType,
            "CIBA is not enabled",
        ));
    }
    let id = super::grant::required(params, "auth_req_id")?;
    let key = token_key(id);
    let Some((rec, request)) = requests(auth).get(&key, ctx.now).await? else {
        return Err(super::grant::invalid_grant(
            "auth_req_id is unknown or was used",
        ));
    };
    if rec.client_id != client.client_id {
        return Err(super::grant::invalid_grant(
            "auth_req_id was issued to another client",
        ));
    }
    if request.mode == "push" {
        // §10.3: a push client is sent its tokens; it never polls.
        return Err(refuse(
            ErrorCode::UnauthorizedClient,
            "a push client does not poll for its tokens",
        ));
    }
    if ctx.now >= request.expires_at {
        return Err(refuse(ErrorCode::ExpiredToken, "auth_req_id has expired"));
    }
    if request.mode == "poll" {
        // §7.3: one poll per interval; polling sooner is `slow_down`.
        super::device::throttle_polls(
            auth,
            &key,
            config.backchannel_authentication_response_interval,
            rec.expires_at,
            ctx,
        )
        .await?;
    }
    let Some(decision) = decisions(auth).read(&key, ctx.now).await? else {
        return Err(refuse(
            ErrorCode::AuthorizationPending,
            "the person has not answered yet",
        ));
    };
    spend(auth, &key, ctx).await?;
    granted(auth, client, &rec, &request, decision, ctx).await
}

/// Take the request once: of racing polls (or a poll racing a push), one goes on.
async fn spend(auth: &AuthServer, key: &str, ctx: &Ctx) -> Result<(), Error> {
    match auth
        .stores()
        .grants
        .take(GrantKind::CibaRequest, key, ctx.now, None)
        .await?
    {
        Taken::Record(_) => Ok(()),
        _ => Err(super::grant::invalid_grant(
            "auth_req_id is unknown or was used",
        )),
    }
}

/// What an answered request grants: `access_denied`, or the person's tokens.
async fn granted(
    auth: &AuthServer,
    client: &Client,
    rec: &GrantRecord,
    request: &CibaRequest,
    decision: CibaDecision,
    ctx: &Ctx,
) -> Result<Decision, Error> {
    let session = match decision {
        CibaDecision {
            approved: true,
            session: Some(s),
        } => s,
        _ => {
            return Err(refuse(
                ErrorCode::AccessDenied,
                "the person denied the request",
            ));
        }
    };
    let user = match auth.stores().users.get(&session.user_inum).await? {
        Some(u) if u.status == UserStatus::Active && Some(&u.inum) == rec.subject.as_ref() => u,
        _ => {
            return Err(super::grant::invalid_grant(
                "the person is no longer active",
            ));
        }
    };
    let scopes = request.scopes.clone();
    let refresh = refresh_token::wanted(auth, client, &scopes).then(|| scopes.join(" "));
    Ok(Granted {
        grant_type: GRANT_TYPE,
        subject: Some(user),
        scope: scopes.join(" "),
        family: ctx.random_token(16),
        claims: None,
        id_token: Some(IdTokenBasis {
            request: AuthorizationRequest::new(&client.client_id, "", scopes.clone()),
            session,
        }),
        refresh,
        settle: false,
        extras: Default::default(),
    }
    .into())
}

/// Registration rules (§4): a mode among the server's, with the grant type for it, and an
/// https notification endpoint for ping and push; a user code only if the server takes them.
pub(crate) fn normalize(
    m: &ClientMetadata,
    config: &crate::config::Config,
) -> Result<(), OAuthError> {
    let err = |d: &'static str| OAuthError::new(ErrorCode::InvalidClientMetadata, d);
    let registered = m.grant_types.iter().any(|g| g == GRANT_TYPE);
    let Some(mode) = m.backchannel_token_delivery_mode.as_deref() else {
        if registered {
            return Err(err("the CIBA grant needs backchannel_token_delivery_mode"));
        }
        return Ok(());
    };
    if !config
        .backchannel_token_delivery_modes_supported
        .iter()
        .any(|s| s == mode)
    {
        return Err(err("backchannel_token_delivery_mode is not supported"));
    }
    if !registered {
        return Err(err(
            "backchannel_token_delivery_mode needs the urn:openid:params:grant-type:ciba grant",
        ));
    }
    match (mode, m.backchannel_client_notification_endpoint.as_deref()) {
        ("ping" | "push", None) => {
            return Err(err(
                "ping and push need backchannel_client_notification_endpoint",
            ));
        }
        (_, Some(u)) => {
            let url = url::Url::parse(u)
                .map_err(|_| err("backchannel_client_notification_endpoint is not a URL"))?;
            let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if !(url.scheme() == "https" || (url.scheme() == "http" && local)) {
                return Err(err(
                    "backchannel_client_notification_endpoint must be https",
                ));
            }
        }
        _ => {}
    }
    if m.backchannel_user_code_parameter && !config.backchannel_user_code_parameter_supported {
        return Err(err(
            "user codes are not supported (backchannelUserCodeParameterSupported)",
        ));
    }
    if let Some(alg) = m.backchannel_authentication_request_signing_alg
        && (alg.is_symmetric()
            || !config
                .backchannel_authentication_request_signing_alg_values_supported
                .contains(&alg))
    {
        return Err(err(
            "backchannel_authentication_request_signing_alg is not supported",
        ));
    }
    Ok(())
}
