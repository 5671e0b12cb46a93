//! Tokens through the config API (Janssen's `token` resource): the live access and refresh
//! tokens searched (`GET token/search`, with Janssen's paging, `pattern` and
//! `fieldValuePair` such as `clnId=...,tknTyp=access_token`), a client's tokens
//! (`GET token/client/{clientId}`), one token by its code (`GET token/tknCde/{tknCde}`),
//! and revocation (`DELETE token/revoke/{tknCde}`).
//!
//! A token's code (`tknCde`) is what Janssen keeps too: the hash the store keys the token
//! by, never the token itself, so nothing here can be used as a bearer token. Revoking a
//! refresh token revokes its whole grant (its access tokens with it), an access token only
//! itself: RFC 7009 §2.1's rule, as the auth-server's own revocation endpoint applies it.
//!
//! Searches read the token kinds through a bounded scan (at most [`MAX_LISTED`] of each):
//! tokens carry no index by client or person.

use serde_json::{Value, json};

use crate::ctx::{Ctx, UnixTime, format_datetime};
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::request::Request;
use crate::response::{Body, Response};
use crate::services::Services;
use crate::store::{GrantData, GrantKind, GrantRecord};

use super::list::ListParams;
use super::protection::Caller;

/// Most tokens of each kind one search reads.
pub const MAX_LISTED: usize = 10_000;

/// Janssen's `tknTyp` of the kinds shown.
pub(super) const TYPE_NAMES: [&str; 2] = ["access_token", "refresh_token"];

/// The token kinds shown, with their `tknTyp`.
const KINDS: [(GrantKind, &str); 2] = [
    (GrantKind::AccessToken, TYPE_NAMES[0]),
    (GrantKind::RefreshToken, TYPE_NAMES[1]),
];

/// Janssen's stored attribute names (what `fieldValuePair` and `sortBy` use) to the
/// members of its `TokenEntity`; a member name is taken as itself.
const ATTRIBUTES: [(&str, &str); 9] = [
    ("tknCde", "tokenCode"),
    ("tknTyp", "tokenType"),
    ("clnId", "clientId"),
    ("usrId", "userId"),
    ("grtId", "grantId"),
    ("grtTyp", "grantType"),
    ("scp", "scope"),
    ("iat", "creationDate"),
    ("exp", "expirationDate"),
];

/// The members of a token as shown, each one a search may filter and sort by.
pub(super) const MEMBERS: [&str; 10] = [
    "tokenCode",
    "tokenType",
    "clientId",
    "userId",
    "userDn",
    "grantId",
    "grantType",
    "scope",
    "creationDate",
    "expirationDate",
];

/// What of a token's data this resource shows (the grant type it was issued under).
#[derive(serde::Serialize, serde::Deserialize)]
struct Shown {
    #[serde(default)]
    grant_type: Option<String>,
}

impl GrantData for Shown {
    const MEMBER: Option<&'static str> = None;
}

/// A token as Janssen's `TokenEntity` shows it.
fn shown(type_name: &str, code: &str, rec: &GrantRecord, now: UnixTime) -> Value {
    let grant_type = rec.read::<Shown>().ok().and_then(|s| s.grant_type);
    let mut v = json!({
        "dn": format!("tknCde={code},ou=tokens,o=jans"),
        "tokenCode": code,
        "tokenType": type_name,
        "clientId": rec.client_id,
        "scope": rec.scope,
        "creationDate": format_datetime(rec.issued_at),
        "expirationDate": format_datetime(rec.expires_at),
        "deletable": true,
        "ttl": rec.expires_at.saturating_sub(now),
    });
    if let Some(m) = v.as_object_mut() {
        if let Some(user) = &rec.subject {
            m.insert("userId".into(), user.as_str().into());
            m.insert(
                "userDn".into(),
                format!("inum={user},ou=people,o=jans").into(),
            );
        }
        if !rec.family.is_empty() {
            m.insert("grantId".into(), rec.family.as_str().into());
        }
        if let Some(g) = grant_type {
            m.insert("grantType".into(), g.into());
        }
    }
    v
}

/// The member a Janssen attribute name stands for; a 400 for one no token has.
fn member(name: &str) -> Result<&'static str, AdminError> {
    ATTRIBUTES
        .iter()
        .find(|(a, _)| *a == name)
        .map(|(_, m)| *m)
        .or_else(|| MEMBERS.iter().find(|m| **m == name).copied())
        .ok_or_else(|| AdminError::new(400, format!("tokens have no attribute {name:?}")))
}

/// Every live access and refresh token (bounded), shown.
async fn all(services: &Services, now: UnixTime) -> Result<Vec<Value>, Error> {
    let grants = &services.stores().grants;
    let mut out = Vec::new();
    for (kind, name) in KINDS {
        for (code, rec) in grants.scan(kind, now, MAX_LISTED).await? {
            out.push(shown(name, &code, &rec, now));
        }
    }
    Ok(out)
}

/// The search's parameters, Janssen's attribute names read as members.
fn params(req: &Request) -> Result<ListParams, AdminError> {
    let mut params = ListParams::parse(req, "tokenCode")?;
    params.sort_by = member(&params.sort_by)?.to_owned();
    for (name, _) in &mut params.field_value_pairs {
        *name = member(name)?.to_owned();
    }
    Ok(params)
}

/// `GET token/search`.
pub(super) async fn search(
    services: &Services,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let params = params(req)?;
    let entries = all(services, ctx.now).await?;
    Ok(Response::json(params.page(entries, &MEMBERS)))
}

/// `GET token/client/{clientId}`: a 404 for a client that does not exist.
pub(super) async fn of_client(
    services: &Services,
    client_id: &str,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    if services.stores().clients.get(client_id).await?.is_none() {
        return Err(
            AdminError::new(404, format!("Client identified by {client_id} not found.")).into(),
        );
    }
    let mut params = params(req)?;
    params
        .field_value_pairs
        .push(("clientId".into(), client_id.to_owned()));
    let entries = all(services, ctx.now).await?;
    Ok(Response::json(params.page(entries, &MEMBERS)))
}

/// The live token whose code is `code`, with its kind and Janssen type name.
async fn find(
    services: &Services,
    code: &str,
    now: UnixTime,
) -> Result<(GrantKind, &'static str, GrantRecord), Error> {
    let grants = &services.stores().grants;
    for (kind, name) in KINDS {
        if let Some(rec) = grants.get(kind, code, now).await? {
            return Ok((kind, name, rec));
        }
    }
    Err(AdminError::new(404, format!("Token identified by {code} not found.")).into())
}

/// `GET token/tknCde/{tknCde}`.
pub(super) async fn one(services: &Services, code: &str, ctx: &Ctx) -> Result<Response, Error> {
    let (_, name, rec) = find(services, code, ctx.now).await?;
    Ok(Response::json(shown(name, code, &rec, ctx.now)))
}

/// `DELETE token/revoke/{tknCde}`: a refresh token with its grant, an access token alone.
pub(super) async fn revoke(
    services: &Services,
    caller: &Caller,
    code: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let (kind, _, rec) = find(services, code, ctx.now).await?;
    let stores = services.stores();
    if kind == GrantKind::RefreshToken && !rec.family.is_empty() {
        stores.revoke_family(&rec.family, ctx.now).await?;
    } else {
        stores.grants.remove(kind, code).await?;
    }
    super::audit::record(services, caller, ctx, ("token", code, "delete"), None).await;
    Ok(Response::with_body(Body::NoContent))
}
