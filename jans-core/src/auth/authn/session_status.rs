//! Janssen's session status endpoint (`/jans-auth/restv1/session_status`, behind its
//! `status_session` flag): what a relying party's page learns of the browser's session at
//! this server, with the browser's own cookie — `{"state": "authenticated", "auth_time"}`
//! for a live session of an active person, else `{"state": "unknown"}`. Reading it does not
//! extend the session.

use crate::auth::AuthServer;
use crate::auth::authn::session::SESSION_COOKIE;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::user::UserStatus;
use crate::request::Request;
use crate::response::Response;

/// `GET /jans-auth/restv1/session_status`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    if !auth.config().feature_enabled("status_session") {
        return Err(OAuthError::new(
            ErrorCode::NotFound,
            "the session status endpoint is not enabled (featureFlags)",
        )
        .into());
    }
    let unknown = || Ok(Response::json(serde_json::json!({"state": "unknown"})));
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return unknown();
    };
    let Some((_, session)) = auth.session_by_cookie_peek(cookie, ctx).await? else {
        return unknown();
    };
    let active = auth
        .stores()
        .users
        .get(&session.user_inum)
        .await?
        .is_some_and(|u| u.status == UserStatus::Active);
    if !active {
        return unknown();
    }
    Ok(Response::json(serde_json::json!({
        "state": "authenticated",
        "auth_time": session.auth_time,
    })))
}
