//! Sessions through the config API (Janssen's `jans-auth-server/session`): every live
//! browser session listed (`GET session`, and `GET session/search` with Janssen's paging,
//! `pattern` and `fieldValuePair`, e.g. `userDn=...`), one read by its `sid`, and revoked —
//! one by its `sid`, or every session of a person (`DELETE session/user/{userDn}`): they
//! sign in again at their next request. A session is shown as Janssen's `SessionId`, by
//! its public `sid` (`outsideSid`) and its store key (`id`, a hash: never the cookie).

use serde_json::{Value, json};

use crate::ctx::{Ctx, format_datetime};
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::session::StoredSession;
use crate::request::Request;
use crate::response::{Body, Response};
use crate::services::Services;

use super::list::ListParams;
use super::protection::Caller;

/// Most sessions one listing reads.
const MAX_LISTED: usize = 10_000;

/// A session as Janssen's `SessionId` shows it.
fn shown(key: &str, s: &StoredSession) -> Value {
    json!({
        "dn": format!("jansId={key},ou=sessions,o=jans"),
        "id": key,
        "outsideSid": s.session.sid,
        "userDn": format!("inum={},ou=people,o=jans", s.session.user_inum),
        "authenticationTime": format_datetime(s.session.auth_time),
        "creationDate": format_datetime(s.created_at),
        "expirationDate": format_datetime(s.expires_at),
        "state": "authenticated",
        "sessionAttributes": {
            "acr": s.session.acr,
            "sid": s.session.sid,
            "auth_user": s.session.user_inum,
        },
    })
}

/// The `inum` of Janssen's `userDn` (`inum=…,ou=people,o=jans`), or the inum itself.
fn inum_of(user_dn: &str) -> &str {
    user_dn
        .strip_prefix("inum=")
        .and_then(|r| r.split(',').next())
        .unwrap_or(user_dn)
}

/// `GET session` and `GET session/search`.
pub(super) async fn list(services: &Services, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let mut params = ListParams::parse(req, "id")?;
    // Janssen's `userDn=<inum>` (or the DN): that person's sessions, read by family.
    let user = params
        .field_value_pairs
        .iter()
        .position(|(k, _)| k == "userDn")
        .map(|i| params.field_value_pairs.remove(i).1);
    let all = services
        .stores()
        .sessions
        .list(user.as_deref().map(inum_of), ctx.now, MAX_LISTED)
        .await?;
    let entries: Vec<Value> = all.iter().map(|(k, s)| shown(k, s)).collect();
    Ok(Response::json(
        params.page(entries, &["id", "outsideSid", "userDn"]),
    ))
}

/// The live session whose public `sid` is `sid`, with its key.
async fn by_sid(
    services: &Services,
    sid: &str,
    ctx: &Ctx,
) -> Result<(String, StoredSession), Error> {
    services
        .stores()
        .sessions
        .list(None, ctx.now, MAX_LISTED)
        .await?
        .into_iter()
        .find(|(_, s)| s.session.sid == sid)
        .ok_or_else(|| AdminError::new(404, format!("no live session has the sid {sid}")).into())
}

/// `GET session/sid/{sid}`.
pub(super) async fn one(services: &Services, sid: &str, ctx: &Ctx) -> Result<Response, Error> {
    let (key, s) = by_sid(services, sid, ctx).await?;
    Ok(Response::json(shown(&key, &s)))
}

/// `DELETE session/sid/{sid}`.
pub(super) async fn revoke(
    services: &Services,
    caller: &Caller,
    sid: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let (key, _) = by_sid(services, sid, ctx).await?;
    services.stores().sessions.remove(&key).await?;
    super::audit::record(
        services,
        caller,
        ctx,
        ("jans-auth-server/session", sid, "delete"),
        None,
    )
    .await;
    Ok(Response::with_body(Body::NoContent))
}

/// `DELETE session/user/{userDn}`: every session of the person; 404 for an unknown one.
pub(super) async fn revoke_user(
    services: &Services,
    caller: &Caller,
    user_dn: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let inum = inum_of(user_dn);
    let stores = services.stores();
    if stores.users.get(inum).await?.is_none() {
        return Err(
            AdminError::new(404, format!("The requested user {inum} doesn't exist")).into(),
        );
    }
    stores.end_sessions(inum).await?;
    super::audit::record(
        services,
        caller,
        ctx,
        ("jans-auth-server/session/user", inum, "delete"),
        None,
    )
    .await;
    Ok(Response::with_body(Body::NoContent))
}
