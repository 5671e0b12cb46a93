//! RP-Initiated Logout (OIDC RP-Initiated Logout 1.0): the end-session endpoint ends the
//! browser's session and sends it to a registered `post_logout_redirect_uri`. Without a
//! valid `id_token_hint` the user is asked first (§2: "the OP SHOULD ask the End-User"),
//! through a logout interaction confirmed on the host's page.

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::auth::AuthServer;
use crate::auth::authn::session::{SESSION_COOKIE, Session};
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::OAuthError;
use crate::jose::{jws, jwt};
use crate::repo::grant::GrantRecords;
use crate::request::Request;
use crate::response::{Body, Response};
use crate::store::{GrantData, GrantKind, GrantRecord};

/// Where the browser goes once logged out, when no client redirect applies.
pub const LOGGED_OUT_PATH: &str = "/jans-auth/logout?done=1";

/// A pending logout waiting for the user's confirmation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogoutRequest {
    /// A registered `post_logout_redirect_uri`, when one was asked for and allowed.
    pub redirect: Option<String>,
    /// `state`, returned with the redirect.
    pub state: Option<String>,
    /// The client asking, when known.
    pub client_id: Option<String>,
    /// Anti-CSRF token of the confirmation form.
    pub csrf: String,
}

impl GrantData for LogoutRequest {
    const MEMBER: Option<&'static str> = Some("logout");
}

/// An `id_token_hint` issued by this server: its single audience and its `sub`. The
/// signature and issuer are checked; expiry is not (OIDC Core §3.1.2.1: a hint may be
/// expired).
pub fn verify_id_token_hint(auth: &AuthServer, hint: &str) -> Option<(String, String)> {
    let u = jws::decode(hint).ok()?;
    let kid = u.header().kid.clone()?;
    let ring = auth.keys().ring();
    let verifier = ring.verifier(&kid)?;
    let payload = u.verify(verifier.as_ref()).ok()?;
    let claims = jwt::parse_claims(&payload).ok()?;
    if claims.get("iss").and_then(|v| v.as_str()) != Some(auth.config().issuer.as_str()) {
        return None;
    }
    let sub = claims.get("sub")?.as_str()?.to_owned();
    let aud = match claims.get("aud")? {
        serde_json::Value::String(a) => a.clone(),
        serde_json::Value::Array(a) if a.len() == 1 => a.first()?.as_str()?.to_owned(),
        _ => return None,
    };
    Some((aud, sub))
}

fn clear_cookie(auth: &AuthServer) -> String {
    let secure = if auth.config().issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// OIDC Front-Channel Logout 1.0 §3: one iframe per client of the session with a
/// `frontchannel_logout_uri`, with `iss` and `sid` appended.
async fn frontchannel_iframes(auth: &AuthServer, session: &Session) -> Vec<String> {
    let issuer = auth.config().issuer.clone();
    let mut out = Vec::new();
    for client_id in &session.clients {
        let Ok(Some(client)) = auth.client(client_id).await else {
            continue;
        };
        let Some(uri) = client.metadata.frontchannel_logout_uri else {
            continue;
        };
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("iss", &issuer)
            .append_pair("sid", &session.sid)
            .finish();
        let sep = if uri.contains('?') { '&' } else { '?' };
        out.push(format!("{uri}{sep}{query}"));
    }
    out
}

/// End the session behind the cookie (if any), tell its clients, send the browser on.
async fn finish(
    auth: &AuthServer,
    cookie: Option<&str>,
    redirect: Option<&str>,
    state: Option<&str>,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let mut frontchannel = Vec::new();
    if let Some(c) = cookie {
        let key = token_key(c);
        let session = auth.session_by_key(&key, ctx).await?;
        auth.stores().sessions.remove(&key).await?;
        if let Some(s) = session {
            // Queued durably and sent in the background: a slow client never holds the
            // user's logout (crate::auth::oidc::backchannel).
            crate::auth::oidc::backchannel::enqueue(auth, &s, ctx).await?;
            frontchannel = frontchannel_iframes(auth, &s).await;
            // Components with sessions joined to this one (the SAML IdP's SPs) end theirs
            // in frames of the same page.
            // Their failure does not stop this logout, which has ended the session already.
            for listener in auth.session_listeners() {
                match listener.session_ended(&s.sid, &s.user_inum, ctx).await {
                    Ok(frames) => frontchannel.extend(frames),
                    Err(e) => {
                        tracing::error!(request_id = %ctx.request_id, error = %e, "a component could not end its sessions");
                    }
                }
            }
        }
    }
    let location = match redirect {
        Some(uri) => {
            let mut url = uri.to_owned();
            if let Some(s) = state {
                let mut ser = form_urlencoded::Serializer::new(String::new());
                ser.append_pair("state", s);
                url.push(if url.contains('?') { '&' } else { '?' });
                url.push_str(&ser.finish());
            }
            url
        }
        None => auth.config().endpoint_url(LOGGED_OUT_PATH),
    };
    let body = if frontchannel.is_empty() {
        Body::Redirect(location)
    } else {
        Body::LogoutPage {
            iframes: frontchannel,
            next: location,
        }
    };
    let secure = auth.config().issuer.starts_with("https://");
    Ok(Response::with_body(body)
        .header("set-cookie", clear_cookie(auth))
        .header(
            "set-cookie",
            crate::auth::oidc::session_management::opbs_cookie(None, secure),
        ))
}

/// `GET|POST /jans-auth/restv1/end_session`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let params = req.params();
    params.check_no_repeats()?;
    let hint = params.get("id_token_hint")?;
    let hinted_token = match hint {
        Some(h) => Some(verify_id_token_hint(auth, h).ok_or_else(|| {
            OAuthError::invalid_request("id_token_hint is not a valid ID token of this server")
        })?),
        None => None,
    };
    let hinted = hinted_token.as_ref().map(|(aud, _)| aud.clone());
    let asked_client = params.get("client_id")?;
    if let (Some(h), Some(c)) = (&hinted, asked_client)
        && h != c
    {
        return Err(OAuthError::invalid_request("client_id does not match id_token_hint").into());
    }
    let client_id = hinted.clone().or(asked_client.map(str::to_owned));
    let redirect = match params.get("post_logout_redirect_uri")? {
        None => None,
        Some(uri) => {
            // §3: it MUST exactly match a value registered by the client.
            let client = match &client_id {
                Some(id) => auth.client(id).await?,
                None => None,
            };
            if !client.is_some_and(|c| {
                c.metadata
                    .post_logout_redirect_uris
                    .iter()
                    .any(|r| r == uri)
            }) {
                return Err(OAuthError::invalid_request(
                    "post_logout_redirect_uri is not registered for this client",
                )
                .into());
            }
            Some(uri.to_owned())
        }
    };
    let state = params
        .get("state")?
        .filter(|s| s.len() <= 2048)
        .map(str::to_owned);
    if let Some((aud, sub)) = &hinted_token
        && hint_names_the_session(auth, req.cookie(SESSION_COOKIE), aud, sub, ctx).await?
    {
        return finish(
            auth,
            req.cookie(SESSION_COOKIE),
            redirect.as_deref(),
            state.as_deref(),
            ctx,
        )
        .await;
    }
    // No proof the request comes from the user's RP (no hint, or the hint of someone
    // else's session): ask first.
    let pending = LogoutRequest {
        redirect,
        state,
        client_id,
        csrf: ctx.random_token(24),
    };
    let id = ctx.random_token(32);
    let mut stamp = GrantRecord::bare(
        ctx.now,
        ctx.now.saturating_add(auth.config().interaction_lifetime),
    );
    stamp.client_id = pending.client_id.clone().unwrap_or_default();
    logout_requests(auth)
        .insert(&token_key(&id), stamp, &pending, ctx.now)
        .await?;
    Ok(Response::with_body(Body::Redirect(
        auth.config()
            .endpoint_url(&format!("/jans-auth/logout?logout={id}")),
    )))
}

/// Whether an `id_token_hint` for the client `aud` and subject `sub` is one of the person
/// the browser's session `cookie` is of (RP-Initiated Logout 1.0 §2: a hint whose `sub`
/// is not the signed-in person's is no proof the logout is theirs — the browser is asked,
/// so that anyone's ID token cannot sign anyone out). No live session: nothing to end, the
/// hint is enough.
async fn hint_names_the_session(
    auth: &AuthServer,
    cookie: Option<&str>,
    aud: &str,
    sub: &str,
    ctx: &Ctx,
) -> Result<bool, Error> {
    let session = match cookie {
        Some(c) => auth.session_by_key(&token_key(c), ctx).await?,
        None => None,
    };
    let Some(session) = session else {
        return Ok(true);
    };
    Ok(auth
        .client(aud)
        .await?
        .is_some_and(|c| auth.subject_for(&c, &session.user_inum) == sub))
}

/// Pending logouts: interactions of their own shape (an id of a login interaction reads
/// as none).
fn logout_requests(auth: &AuthServer) -> GrantRecords<LogoutRequest> {
    GrantRecords::new(auth.stores().grants.clone(), GrantKind::Interaction)
}

impl AuthServer {
    /// The pending logout `id` (for the confirmation page): its CSRF token.
    pub async fn logout_request(
        &self,
        id: &str,
        ctx: &Ctx,
    ) -> Result<Option<LogoutRequest>, Error> {
        // An interaction id of another kind (a login) is no pending logout.
        Ok(logout_requests(self)
            .read(&token_key(id), ctx.now)
            .await
            .ok()
            .flatten())
    }

    /// The user confirmed (or not) the logout `id`; `cookie` is the browser's session cookie.
    pub async fn confirm_logout(
        &self,
        id: &str,
        csrf: &str,
        confirmed: bool,
        cookie: Option<&str>,
        ctx: &Ctx,
    ) -> Result<Response, Error> {
        let bad = || {
            Error::from(OAuthError::invalid_request(
                "unknown or expired logout request",
            ))
        };
        let pending = self.logout_request(id, ctx).await?.ok_or_else(bad)?;
        if !bool::from(pending.csrf.as_bytes().ct_eq(csrf.as_bytes())) {
            return Err(OAuthError::invalid_request("invalid form submission").into());
        }
        if logout_requests(self)
            .take(&token_key(id), ctx.now)
            .await?
            .is_none()
        {
            return Err(bad());
        }
        if !confirmed {
            // Staying logged in: back where the user came from, session intact.
            let to = pending
                .redirect
                .unwrap_or_else(|| self.config().endpoint_url(LOGGED_OUT_PATH));
            return Ok(Response::with_body(Body::Redirect(to)));
        }
        finish(
            self,
            cookie,
            pending.redirect.as_deref(),
            pending.state.as_deref(),
            ctx,
        )
        .await
    }
}
