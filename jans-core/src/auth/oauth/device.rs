//! The device authorization grant (RFC 8628), behind Janssen's `device_authz` flag.
//!
//! A device with no browser asks `/jans-auth/restv1/device_authorization` (§3.1) and shows
//! its user a code; the user enters it at `/jans-auth/device-code` (§3.3; or follows
//! `verification_uri_complete`, which fills it in), then signs in and approves on the usual
//! pages — the interaction machinery, with consent always asked, so a code someone else sent
//! cannot bind a person's account to their device unseen (§5.4). Meanwhile the device polls
//! the token endpoint with `urn:ietf:params:oauth:grant-type:device_code` (§3.4) and gets
//! `authorization_pending`, `slow_down` when it polls faster than the interval (which then
//! grows by 5 s, §3.5), `access_denied`, `expired_token`, or, once, the tokens.
//!
//! User codes are eight characters of 20 consonants (§6.1: 20⁸ ≈ 2.6·10¹⁰ codes, shown as
//! `XXXX-XXXX`), and wrong codes are counted per address: a guesser gets
//! [`MAX_GUESSES`] tries in [`GUESS_WINDOW`] seconds (§5.1).

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::auth::AuthServer;
use crate::auth::authn::session::Session;
use crate::auth::oauth::authorize::{AuthorizationRequest, Prompt, continue_request};
use crate::auth::oauth::client_auth;
use crate::auth::oauth::grant::{Decision, Granted, IdTokenBasis, refresh_token};
use crate::auth::oauth::token::require_form;
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::repo::client::Client;
use crate::repo::grant::GrantRecords;
use crate::repo::user::UserStatus;
use crate::request::{AuthEndpoint, Method, Request};
use crate::response::{Body, Page, Response};
use crate::store::{GrantData, GrantKind, GrantRecord, StoreError, Taken};

/// The grant type the device polls with (§3.4).
pub const GRANT_TYPE: &str = crate::config::DEVICE_CODE_GRANT;
/// Where the user enters the code (the verification page; §3.2 `verification_uri`).
pub const VERIFICATION_PATH: &str = "/jans-auth/device-code";
/// §6.1: consonants only (no words can be spelled), none easily confused.
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Characters of a user code (without its dash).
const USER_CODE_LEN: usize = 8;
/// Wrong codes one address may enter within [`GUESS_WINDOW`] (§5.1).
pub const MAX_GUESSES: u64 = 10;
/// Seconds wrong codes are counted over.
pub const GUESS_WINDOW: u64 = 600;
/// §3.5: each `slow_down` adds this many seconds to the interval.
const SLOW_DOWN_STEP: u64 = 5;
/// The cookie of the verification form's CSRF token (double submit).
const CSRF_COOKIE: &str = "jans_device_csrf";
/// How long a used-up device code still answers `expired_token` rather than
/// `invalid_grant` after it expires.
const EXPIRED_GRACE: u64 = 3600;

/// A device authorization waiting for its user (kept by the device code's hash).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct DeviceRequest {
    /// The user code, without its dash.
    user_code: String,
    /// The scopes asked for.
    scopes: Vec<String>,
    /// When the codes stop being usable (the record lives [`EXPIRED_GRACE`] longer, to
    /// answer `expired_token`).
    expires_at: u64,
}

impl GrantData for DeviceRequest {
    const MEMBER: Option<&'static str> = Some("device");
}

/// The user's decision on a device request (kept by the device code's hash, once).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct UserDecision {
    /// Approved (else denied).
    approved: bool,
    /// The scopes approved.
    #[serde(default)]
    scopes: Vec<String>,
    /// The session that approved (for the ID token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session: Option<Session>,
}

impl GrantData for UserDecision {
    const MEMBER: Option<&'static str> = Some("decision");
}

/// The device code a user code stands for (kept by the user code's hash).
#[derive(Clone, Debug, Serialize, Deserialize)]
struct UserCodeIndex {
    /// The device request's key.
    device: String,
}

impl GrantData for UserCodeIndex {
    const MEMBER: Option<&'static str> = Some("device");
}

fn requests(auth: &AuthServer) -> GrantRecords<DeviceRequest> {
    GrantRecords::new(auth.stores().grants.clone(), GrantKind::DeviceCode)
}

fn decisions(auth: &AuthServer) -> GrantRecords<UserDecision> {
    GrantRecords::new(auth.stores().grants.clone(), GrantKind::DeviceDecision)
}

fn user_codes(auth: &AuthServer) -> GrantRecords<UserCodeIndex> {
    GrantRecords::new(auth.stores().grants.clone(), GrantKind::DeviceUserCode)
}

fn not_enabled() -> Error {
    OAuthError::new(
        ErrorCode::NotFound,
        "the device authorization grant is not enabled (featureFlags)",
    )
    .into()
}

/// A fresh user code, uniform over [`ALPHABET`] (rejection sampling: no letter is likelier).
fn new_user_code(ctx: &Ctx) -> String {
    let mut code = String::with_capacity(USER_CODE_LEN);
    while code.len() < USER_CODE_LEN {
        for b in ctx.random_bytes(16) {
            // 240 = 12 × 20: bytes above it would favour the first letters.
            if b < 240
                && code.len() < USER_CODE_LEN
                && let Some(c) = ALPHABET.get(usize::from(b % 20))
            {
                code.push(char::from(*c));
            }
        }
    }
    code
}

/// `XXXX-XXXX` (§6.1).
fn display(code: &str) -> String {
    match code.split_at_checked(4) {
        Some((a, b)) => format!("{a}-{b}"),
        None => code.to_owned(),
    }
}

/// What a person typed, as a user code: case, dashes and spaces do not matter (§6.1);
/// `None` unless it is eight characters of the alphabet.
fn normalize(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// `POST /jans-auth/restv1/device_authorization` (§3.1, §3.2).
pub async fn authorize(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let config = auth.config();
    if !config.feature_enabled("device_authz") {
        return Err(not_enabled());
    }
    require_form(req)?;
    let params = &req.form;
    params.check_no_repeats()?;
    let caller =
        client_auth::authenticate(auth, req, params, &AuthEndpoint::DeviceAuthorization, ctx)
            .await?;
    let client = &caller.client;
    if !client.metadata.grant_types.iter().any(|g| g == GRANT_TYPE)
        || !config.grant_types_supported.iter().any(|g| g == GRANT_TYPE)
    {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "the client may not use the device authorization grant",
        )
        .into());
    }
    let scopes = scopes(client, params)?;
    let lifetime = config.device_authz_request_expires_in;
    let expires_at = ctx.now.saturating_add(lifetime);
    let device_code = ctx.random_token(32);
    let key = token_key(&device_code);
    let scope = scopes.join(" ");
    let stamp = || GrantRecord {
        client_id: client.client_id.clone(),
        scope: scope.clone(),
        ..GrantRecord::bare(ctx.now, expires_at)
    };
    // A user code is unique among the live ones: a collision (one in 2.6·10¹⁰ per live
    // code) draws again.
    let mut user_code = new_user_code(ctx);
    let mut tries = 0;
    loop {
        let index = UserCodeIndex {
            device: key.clone(),
        };
        match user_codes(auth)
            .insert(&token_key(&user_code), stamp(), &index, ctx.now)
            .await
        {
            Ok(()) => break,
            Err(StoreError::Conflict) if tries < 3 => {
                tries += 1;
                user_code = new_user_code(ctx);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let request = DeviceRequest {
        user_code: user_code.clone(),
        scopes,
        expires_at,
    };
    let kept = GrantRecord {
        expires_at: expires_at.saturating_add(EXPIRED_GRACE),
        ..stamp()
    };
    requests(auth).insert(&key, kept, &request, ctx.now).await?;
    let uri = config.endpoint_url(VERIFICATION_PATH);
    let shown = display(&user_code);
    Ok(Response::json(serde_json::json!({
        "device_code": device_code,
        "user_code": shown,
        "verification_uri": uri,
        "verification_uri_complete": format!("{uri}?user_code={shown}"),
        "expires_in": lifetime,
        "interval": config.device_authz_token_poll_interval,
    })))
}

/// The scopes asked for: each registered for the client (`openid` always allowed, as at
/// the authorization endpoint); none asked, every registered one.
fn scopes(client: &Client, params: &Params) -> Result<Vec<String>, OAuthError> {
    match params.get("scope")? {
        Some(asked) => crate::auth::oauth::authorize::validate::requested_scopes(client, asked),
        None => Ok(client.metadata.scopes().map(str::to_owned).collect()),
    }
}

fn poll_error(code: ErrorCode, description: &'static str) -> Error {
    OAuthError::new(code, description).into()
}

/// `grant_type=urn:ietf:params:oauth:grant-type:device_code` at the token endpoint (§3.4,
/// §3.5).
pub async fn grant(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Decision, Error> {
    let config = auth.config();
    if !config.feature_enabled("device_authz") {
        return Err(poll_error(
            ErrorCode::UnsupportedGrantType,
            "the device authorization grant is not enabled",
        ));
    }
    let device_code = super::grant::required(params, "device_code")?;
    let key = token_key(device_code);
    let Some((rec, request)) = requests(auth).get(&key, ctx.now).await? else {
        return Err(super::grant::invalid_grant(
            "the device code is unknown or was used",
        ));
    };
    if rec.client_id != client.client_id {
        return Err(super::grant::invalid_grant(
            "the device code was issued to another client",
        ));
    }
    if ctx.now >= request.expires_at {
        return Err(poll_error(
            ErrorCode::ExpiredToken,
            "the device code has expired",
        ));
    }
    // §3.5: one poll per interval; polling sooner is slow_down, and the interval grows.
    throttle_polls(
        auth,
        &key,
        config.device_authz_token_poll_interval,
        rec.expires_at,
        ctx,
    )
    .await?;
    let grants = &auth.stores().grants;
    let Some(decision) = decisions(auth).read(&key, ctx.now).await? else {
        return Err(poll_error(
            ErrorCode::AuthorizationPending,
            "the user has not answered yet",
        ));
    };
    // The device code is used once, whatever the answer: of racing polls one takes it.
    if !matches!(
        grants
            .take(GrantKind::DeviceCode, &key, ctx.now, None)
            .await?,
        Taken::Record(_)
    ) {
        return Err(super::grant::invalid_grant(
            "the device code is unknown or was used",
        ));
    }
    user_codes(auth)
        .remove(&token_key(&request.user_code))
        .await?;
    let session = match decision {
        UserDecision {
            approved: true,
            session: Some(session),
            ..
        } => session,
        _ => {
            return Err(poll_error(
                ErrorCode::AccessDenied,
                "the user denied the request",
            ));
        }
    };
    let user = match auth.stores().users.get(&session.user_inum).await? {
        Some(u) if u.status == UserStatus::Active => u,
        _ => {
            return Err(super::grant::invalid_grant("the user is no longer active"));
        }
    };
    let scopes = decision.scopes;
    let openid = scopes.iter().any(|s| s == "openid");
    let refresh = refresh_token::wanted(auth, client, &scopes).then(|| scopes.join(" "));
    let basis = openid.then(|| IdTokenBasis {
        request: AuthorizationRequest::new(&client.client_id, "", scopes.clone()),
        session,
    });
    Ok(Granted {
        grant_type: GRANT_TYPE,
        subject: Some(user),
        scope: scopes.join(" "),
        family: ctx.random_token(16),
        claims: None,
        id_token: basis,
        refresh,
        settle: false,
        extras: Default::default(),
    }
    .into())
}

/// One poll of the request `key` per interval, `base` seconds at first (RFC 8628 §3.5,
/// OpenID CIBA Core §7.3): polling sooner is `slow_down`, and every `slow_down` adds 5 s to
/// the interval until `until`. The marker is an atomic insert, so racing polls within one
/// interval get one answer.
pub(crate) async fn throttle_polls(
    auth: &AuthServer,
    key: &str,
    base: u64,
    until: u64,
    ctx: &Ctx,
) -> Result<(), Error> {
    let grants = &auth.stores().grants;
    let slow_key = format!("slow:{key}");
    let slowed = grants
        .counter(GrantKind::DeviceThrottle, &slow_key, ctx.now)
        .await?;
    let interval = base.saturating_add(slowed.saturating_mul(SLOW_DOWN_STEP));
    let marker = GrantRecord::bare(ctx.now, ctx.now.saturating_add(interval));
    match grants
        .insert(
            GrantKind::DeviceThrottle,
            &format!("poll:{key}"),
            &marker,
            ctx.now,
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict) => {
            grants
                .increment(GrantKind::DeviceThrottle, &slow_key, until, ctx.now)
                .await?;
            Err(poll_error(
                ErrorCode::SlowDown,
                "polled before the interval passed; poll 5 seconds slower",
            ))
        }
        Err(e) => Err(e.into()),
    }
}

/// The verification page, showing `context` (its `stage`: `enter`, `approved`, `denied`).
fn page(status: u16, context: serde_json::Value) -> Response {
    Response::with_body(Body::Page(Page {
        status,
        template: "device.html",
        context,
        csp: None,
    }))
}

/// The code entry form, with a fresh CSRF token (in the form and in a cookie: double
/// submit), prefilled with `user_code` and showing `error`.
fn entry_form(
    auth: &AuthServer,
    status: u16,
    user_code: Option<&str>,
    error: Option<&str>,
    ctx: &Ctx,
) -> Response {
    let csrf = ctx.random_token(24);
    let secure = if auth.config().issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    page(
        status,
        serde_json::json!({
            "stage": "enter",
            "user_code": user_code,
            "csrf": csrf,
            "error": error,
        }),
    )
    .header(
        "set-cookie",
        format!(
            "{CSRF_COOKIE}={csrf}; Path={VERIFICATION_PATH}; HttpOnly; SameSite=Strict; \
             Max-Age=1800{secure}"
        ),
    )
}

/// `GET|POST /jans-auth/device-code`: the verification page (§3.3).
pub async fn verification(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    if !auth.config().feature_enabled("device_authz") {
        return Err(not_enabled());
    }
    if req.method != Method::Post {
        // §3.3.1: verification_uri_complete fills the code in; the user still confirms.
        let prefill = req
            .query
            .get("user_code")
            .ok()
            .flatten()
            .and_then(normalize)
            .map(|c| display(&c));
        return Ok(entry_form(auth, 200, prefill.as_deref(), None, ctx));
    }
    require_form(req)?;
    let form = &req.form;
    if !csrf_pair_ok(req, CSRF_COOKIE) {
        return Ok(entry_form(
            auth,
            400,
            None,
            Some("The form expired. Enter the code again."),
            ctx,
        ));
    }
    let guesses = &auth.stores().grants;
    let who = format!(
        "guess:{}",
        req.peer_addr
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    );
    if guesses
        .counter(GrantKind::DeviceThrottle, &who, ctx.now)
        .await?
        >= MAX_GUESSES
    {
        return Ok(entry_form(
            auth,
            429,
            None,
            Some("Too many wrong codes. Wait a few minutes and try again."),
            ctx,
        ));
    }
    let typed = form.get("user_code")?.unwrap_or_default();
    let found = match normalize(typed) {
        Some(code) => pending(auth, &code, ctx).await?,
        None => None,
    };
    let Some((key, client, request)) = found else {
        guesses
            .increment(
                GrantKind::DeviceThrottle,
                &who,
                ctx.now.saturating_add(GUESS_WINDOW),
                ctx.now,
            )
            .await?;
        return Ok(entry_form(
            auth,
            400,
            None,
            Some("That code is not valid or has expired. Check your device and try again."),
            ctx,
        ));
    };
    // Through the authorization machinery: sign-in as needed, then consent — always
    // asked (§5.4) —, ending in `approve` or `deny` instead of a redirect.
    let mut authz = AuthorizationRequest::new(&client.client_id, "", request.scopes);
    authz.prompt = vec![Prompt::Consent];
    authz.device = Some(key);
    let session = crate::auth::oauth::authorize::live_session(auth, req, ctx).await?;
    continue_request(auth, &client, authz, session, ctx).await
}

/// A page form's double-submit CSRF check: the `csrf` field equals the cookie `cookie`
/// (compared in constant time).
pub(crate) fn csrf_pair_ok(req: &Request, cookie: &str) -> bool {
    match (req.cookie(cookie), req.form.get("csrf").ok().flatten()) {
        (Some(cookie), Some(sent)) => bool::from(cookie.as_bytes().ct_eq(sent.as_bytes())),
        _ => false,
    }
}

/// The live, undecided device request of user code `code`: its key, client and request.
async fn pending(
    auth: &AuthServer,
    code: &str,
    ctx: &Ctx,
) -> Result<Option<(String, Client, DeviceRequest)>, Error> {
    let Some(index) = user_codes(auth).read(&token_key(code), ctx.now).await? else {
        return Ok(None);
    };
    let Some((rec, request)) = requests(auth).get(&index.device, ctx.now).await? else {
        return Ok(None);
    };
    if ctx.now >= request.expires_at
        || decisions(auth)
            .read(&index.device, ctx.now)
            .await?
            .is_some()
    {
        return Ok(None);
    }
    let Some(client) = auth.client(&rec.client_id).await?.filter(|c| !c.disabled) else {
        return Ok(None);
    };
    Ok(Some((index.device, client, request)))
}

/// Record the user's answer on the device request `key` once (of racing answers, the
/// first stands); whether this one was recorded.
async fn decide(
    auth: &AuthServer,
    key: &str,
    decision: &UserDecision,
    ctx: &Ctx,
) -> Result<bool, Error> {
    let Some((rec, request)) = requests(auth).get(key, ctx.now).await? else {
        return Ok(false);
    };
    if ctx.now >= request.expires_at {
        return Ok(false);
    }
    let stamp = GrantRecord {
        client_id: rec.client_id.clone(),
        subject: decision.session.as_ref().map(|s| s.user_inum.clone()),
        scope: decision.scopes.join(" "),
        ..GrantRecord::bare(ctx.now, rec.expires_at)
    };
    match decisions(auth).insert(key, stamp, decision, ctx.now).await {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The user approved the device request of `authz` in `session`: the device's next poll
/// gets the tokens. Where the authorization endpoint would issue a code.
pub(crate) async fn approve(
    auth: &AuthServer,
    authz: &AuthorizationRequest,
    session: &Session,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let key = authz.device.as_deref().unwrap_or_default();
    let decision = UserDecision {
        approved: true,
        scopes: authz.scopes.clone(),
        session: Some(session.clone()),
    };
    if decide(auth, key, &decision, ctx).await? {
        Ok(page(200, serde_json::json!({"stage": "approved"})))
    } else {
        Ok(expired_page())
    }
}

/// The user denied the device request `key`: the device's next poll gets `access_denied`
/// (unless an answer was recorded first, which stands).
pub(crate) async fn deny(auth: &AuthServer, key: &str, ctx: &Ctx) -> Result<Response, Error> {
    let decision = UserDecision {
        approved: false,
        scopes: Vec::new(),
        session: None,
    };
    if decide(auth, key, &decision, ctx).await? {
        Ok(page(200, serde_json::json!({"stage": "denied"})))
    } else {
        Ok(expired_page())
    }
}

fn expired_page() -> Response {
    page(400, serde_json::json!({"stage": "expired"}))
}

/// Where a device request the authorization machinery cannot finish ends (a login that
/// failed too often, a session that ended): a page, never a redirect (a device request has
/// no redirect URI).
pub(crate) fn error_page(err: &OAuthError) -> Response {
    Response::error(err.clone()).error_as_page()
}
