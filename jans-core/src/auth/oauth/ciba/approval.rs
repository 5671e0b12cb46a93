//! The person's side of a backchannel request: the approval page, the device API, and the
//! answer that tells (ping) or pays (push) the client.

use serde::Serialize;

use super::{
    APPROVAL_PATH, CSRF_COOKIE, CibaDecision, CibaRequest, Decision, ID_AAD, MAX_LISTED, TOKEN_AAD,
    decisions, family, granted, not_enabled, requests, spend,
};
use crate::auth::AuthServer;
use crate::auth::authn::session::Session;
use crate::auth::oauth::client_auth;
use crate::auth::oauth::token::require_form;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::repo::user::UserStatus;
use crate::request::{Method, Request};
use crate::response::{Body, Page, Response};
use crate::services::SignIn as _;
use crate::store::{GrantKind, GrantRecord, StoreError};

/// A backchannel request waiting for its person, as the approval page and the device API
/// show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pending {
    /// The reference to answer it by (not the client's `auth_req_id`).
    pub reference: String,
    /// The client asking.
    pub client_id: String,
    /// Its name, when registered.
    pub client_name: Option<String>,
    /// The scopes asked for.
    pub scopes: Vec<String>,
    /// The binding message, to compare with the one on the client's device.
    pub binding_message: Option<String>,
    /// When the request expires.
    pub expires_at: u64,
}

/// The pending requests of the person `inum`, newest first.
pub(crate) async fn pending(
    auth: &AuthServer,
    inum: &str,
    ctx: &Ctx,
) -> Result<Vec<Pending>, Error> {
    let mut out = Vec::new();
    for (kind, key, rec) in auth
        .stores()
        .grants
        .family(&family(inum), ctx.now, 4 * MAX_LISTED)
        .await?
    {
        if kind != GrantKind::CibaRequest {
            continue;
        }
        let Ok(request) = rec.read::<CibaRequest>() else {
            continue;
        };
        if ctx.now >= request.expires_at || decisions(auth).read(&key, ctx.now).await?.is_some() {
            continue;
        }
        let client_name = auth
            .client(&rec.client_id)
            .await?
            .and_then(|c| c.metadata.client_name);
        out.push(Pending {
            reference: key,
            client_id: rec.client_id.clone(),
            client_name,
            scopes: request.scopes,
            binding_message: request.binding_message,
            expires_at: request.expires_at,
        });
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.expires_at));
    out.truncate(MAX_LISTED);
    Ok(out)
}

/// The person `inum`, authenticated as `session`, answers the request `reference`: recorded
/// once (of racing answers the first stands), then the client is told (ping) or sent its
/// tokens (push). `false` when there is no such pending request of theirs.
pub(crate) async fn decide(
    auth: &AuthServer,
    reference: &str,
    inum: &str,
    approve: bool,
    session: Session,
    ctx: &Ctx,
) -> Result<bool, Error> {
    let Some((rec, request)) = requests(auth).get(reference, ctx.now).await? else {
        return Ok(false);
    };
    if rec.subject.as_deref() != Some(inum) || ctx.now >= request.expires_at {
        return Ok(false);
    }
    let decision = CibaDecision {
        approved: approve,
        session: approve.then_some(session),
    };
    let stamp = GrantRecord {
        client_id: rec.client_id.clone(),
        subject: Some(inum.to_owned()),
        ..GrantRecord::bare(ctx.now, rec.expires_at)
    };
    match decisions(auth)
        .insert(reference, stamp, &decision, ctx.now)
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    notify(auth, reference, &rec, &request, decision, ctx).await?;
    Ok(true)
}

/// Tell a ping client `{auth_req_id}` (§10.2), or push the tokens (or the error) to a push
/// client (§10.3), through the delivery queue with its `client_notification_token`.
async fn notify(
    auth: &AuthServer,
    key: &str,
    rec: &GrantRecord,
    request: &CibaRequest,
    decision: CibaDecision,
    ctx: &Ctx,
) -> Result<(), Error> {
    let (Some(sealed), Some(client)) = (
        request.notification_token.as_deref(),
        auth.client(&rec.client_id).await?,
    ) else {
        return Ok(());
    };
    let Some(endpoint) = client
        .metadata
        .backchannel_client_notification_endpoint
        .clone()
    else {
        return Ok(());
    };
    let bearer = String::from_utf8(auth.secret_box().open(sealed, TOKEN_AAD)?)
        .map_err(|e| Error::Internal(e.to_string()))?;
    let Some(sealed_id) = request.auth_req_id.as_deref() else {
        return Err(Error::Internal(
            "a notifying CIBA request lost its id".into(),
        ));
    };
    let auth_req_id = open_id(auth, sealed_id)?;
    let body = if request.mode == "push" {
        // §10.3: the tokens themselves (or the error), the request spent by this push.
        spend(auth, key, ctx).await?;
        match granted(auth, &client, rec, request, decision, ctx).await {
            Ok(Decision::Granted(g)) => {
                let caller = client_auth::Authenticated {
                    method: client.metadata.token_endpoint_auth_method,
                    client: client.clone(),
                };
                let issued = crate::auth::oauth::token::issue(
                    auth,
                    &caller,
                    &g,
                    &crate::auth::oauth::access_token::Binding::NONE,
                    Some(&auth_req_id),
                    ctx,
                )
                .await?;
                let mut body = match issued.body {
                    Body::Json(serde_json::Value::Object(m)) => m,
                    _ => serde_json::Map::new(),
                };
                body.insert("auth_req_id".into(), auth_req_id.clone().into());
                serde_json::Value::Object(body)
            }
            Ok(Decision::Answer(_)) => serde_json::json!({"auth_req_id": auth_req_id}),
            Err(Error::OAuth(e)) => serde_json::json!({
                "auth_req_id": auth_req_id,
                "error": e.code.as_str(),
                "error_description": e.description.as_deref().unwrap_or_default(),
            }),
            Err(e) => return Err(e),
        }
    } else {
        serde_json::json!({"auth_req_id": auth_req_id})
    };
    crate::auth::oidc::backchannel::enqueue_notification(
        auth,
        &client.client_id,
        &endpoint,
        &bearer,
        &body,
        ctx,
    )
    .await
}

fn open_id(auth: &AuthServer, sealed: &str) -> Result<String, Error> {
    String::from_utf8(auth.secret_box().open(sealed, ID_AAD)?)
        .map_err(|e| Error::Internal(e.to_string()))
}

/// The approval page, showing `context`.
fn page(status: u16, context: serde_json::Value) -> Response {
    Response::with_body(Body::Page(Page {
        status,
        template: "ciba.html",
        context,
        csp: None,
    }))
}

/// `GET|POST /jans-auth/ciba`: the signed-in person's pending requests, each with its
/// binding message and Approve / Deny (a CSRF token in the form and a `SameSite=Strict`
/// cookie). Without a session, a sign-in that comes back here.
pub async fn approval(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let config = auth.config();
    if !config.feature_enabled("ciba") {
        return Err(not_enabled());
    }
    let session = crate::auth::oauth::authorize::live_session(auth, req, ctx).await?;
    let Some((_, session)) = session else {
        let back = config.endpoint_url(APPROVAL_PATH);
        return auth.sign_in("", "", None, &back, ctx).await;
    };
    let mut answered = None;
    if req.method == Method::Post {
        require_form(req)?;
        let form = &req.form;
        if !crate::auth::oauth::device::csrf_pair_ok(req, CSRF_COOKIE) {
            return listing(auth, &session, 400, Some("expired"), ctx).await;
        }
        let reference = form.get("reference")?.unwrap_or_default();
        let approve = match form.get("action")? {
            Some("approve") => true,
            Some("deny") => false,
            _ => return listing(auth, &session, 400, Some("expired"), ctx).await,
        };
        let inum = session.user_inum.clone();
        answered = Some(
            match decide(auth, reference, &inum, approve, session.clone(), ctx).await? {
                true if approve => "approved",
                true => "denied",
                false => "expired",
            },
        );
    }
    let status = if answered == Some("expired") {
        400
    } else {
        200
    };
    listing(auth, &session, status, answered, ctx).await
}

async fn listing(
    auth: &AuthServer,
    session: &Session,
    status: u16,
    answered: Option<&str>,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let csrf = ctx.random_token(24);
    let secure = if auth.config().issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let items = pending(auth, &session.user_inum, ctx).await?;
    Ok(page(
        status,
        serde_json::json!({"requests": items, "csrf": csrf, "answered": answered}),
    )
    .header(
        "set-cookie",
        format!(
            "{CSRF_COOKIE}={csrf}; Path={APPROVAL_PATH}; HttpOnly; SameSite=Strict; Max-Age=1800{secure}"
        ),
    ))
}

impl AuthServer {
    /// The backchannel requests waiting for the person `uid` (for an authentication device
    /// that signed them in itself), newest first; none for an unknown person.
    pub async fn ciba_pending(&self, uid: &str, ctx: &Ctx) -> Result<Vec<Pending>, Error> {
        match self.stores().users.by_uid(uid).await? {
            Some(u) if u.status == UserStatus::Active => pending(self, &u.inum, ctx).await,
            _ => Ok(Vec::new()),
        }
    }

    /// The person `uid`, authenticated by the caller's device just now, approves or denies
    /// the request `reference` (from [`AuthServer::ciba_pending`]); `false` when it is not a
    /// pending request of theirs (answered already, expired, another person's).
    pub async fn ciba_decide(
        &self,
        reference: &str,
        uid: &str,
        approve: bool,
        ctx: &Ctx,
    ) -> Result<bool, Error> {
        let Some(user) = self
            .stores()
            .users
            .by_uid(uid)
            .await?
            .filter(|u| u.status == UserStatus::Active)
        else {
            return Ok(false);
        };
        let session = device_session(&user.inum, ctx);
        decide(self, reference, &user.inum, approve, session, ctx).await
    }
}

/// A session for an answer given on an authentication device through the API: the device
/// authenticated the person itself, now.
fn device_session(inum: &str, ctx: &Ctx) -> Session {
    Session {
        sid: crate::ctx::uuid_from(&ctx.random_bytes(16)),
        user_inum: inum.to_owned(),
        auth_time: ctx.now,
        acr: "ciba".to_owned(),
        amr: Vec::new(),
        opbs: String::new(),
        clients: Vec::new(),
    }
}
