//! Token exchange (RFC 8693), with Janssen's transaction tokens.
//!
//! A client registered for the grant presents a `subject_token` — an access token or ID
//! token of this server, or a JWT of this server or of a trusted issuer
//! (`jwtBearerTrustedIssuers`) — and, to act on the subject's behalf, an `actor_token`
//! (§1.1 delegation: the new token's `act`). It gets an access token for the subject,
//! narrowed to the subject token's scope and its own registered scopes, for an `audience`
//! (a client of this server) or a `resource` (§2.1), or, with
//! `requested_token_type=urn:ietf:params:oauth:token-type:txn_token`, a transaction token:
//! a signed JWT (`typ: txntoken+jwt`) living `txTokenLifetime` seconds with a transaction
//! id, the subject, the client, the purpose and the request's context, for the services
//! behind an API to pass along (it is not stored, and never an access token here).

use serde_json::{Map, Value, json};

use super::{Decision, Granted, invalid_grant};
use crate::auth::AuthServer;
use crate::auth::oauth::access_token::{Extras, TokenData};
use crate::auth::oauth::introspect::lookup;
use crate::auth::oauth::verify::TokenKind;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::repo::client::Client;
use crate::repo::user::{User, UserStatus};
use crate::response::Response;
use crate::store::GrantKind;

/// The grant type (RFC 8693 §2.1).
pub const GRANT_TYPE: &str = crate::config::TOKEN_EXCHANGE_GRANT;
/// RFC 8693 §3 token type identifiers.
pub const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
/// An OIDC ID token.
pub const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
/// A JWT.
pub const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
/// A transaction token (Janssen; draft-ietf-oauth-transaction-tokens).
pub const TXN_TOKEN: &str = "urn:ietf:params:oauth:token-type:txn_token";
/// `typ` of a transaction token.
pub const TXN_TOKEN_TYP: &str = "txntoken+jwt";

/// Who a presented token stands for.
struct Party {
    /// The person, if the token is a person's.
    user: Option<User>,
    /// Its `sub`: the person's inum, or the client of a client's own token.
    sub: String,
    /// The client it was issued to.
    client_id: String,
    /// The scope it was granted, for an access token.
    scope: Option<String>,
}

fn bad_request(d: &'static str) -> Error {
    OAuthError::invalid_request(d).into()
}

/// The party `token` of type `token_type` stands for, as `client` presents it.
async fn party(
    auth: &AuthServer,
    client: &Client,
    token: &str,
    token_type: &str,
    ctx: &Ctx,
) -> Result<Party, Error> {
    let config = auth.config();
    match token_type {
        ACCESS_TOKEN => access_token_party(auth, token, ctx).await,
        ID_TOKEN => {
            let verified = auth
                .verify_token(token, None, ctx.now)
                .map_err(|_| invalid_grant("the ID token is not valid"))?;
            if verified.kind != TokenKind::IdToken {
                return Err(invalid_grant("the token is not an ID token"));
            }
            let sub = verified.claims.get("sub").and_then(Value::as_str);
            // Public subjects are the person's inum; a pairwise one names nobody here.
            let user = match sub {
                Some(s) => auth.stores().users.get(s).await?,
                None => None,
            };
            let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
                return Err(invalid_grant(
                    "the ID token's subject is not an active person here",
                ));
            };
            let aud = match verified.claims.get("aud") {
                Some(Value::String(a)) => a.clone(),
                Some(Value::Array(a)) => a
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                _ => String::new(),
            };
            Ok(Party {
                sub: user.inum.clone(),
                user: Some(user),
                client_id: aud,
                scope: None,
            })
        }
        JWT => {
            let issuer = crate::jose::jws::decode(token)
                .ok()
                .and_then(|u| serde_json::from_slice::<Value>(u.payload_unverified()).ok())
                .and_then(|c| c.get("iss").and_then(Value::as_str).map(str::to_owned));
            if issuer.as_deref() == Some(config.issuer.as_str()) {
                // A JWT access token of ours, still live.
                access_token_party(auth, token, ctx).await
            } else {
                let user = super::jwt_bearer::verify_assertion(auth, client, token, ctx).await?;
                Ok(Party {
                    sub: user.inum.clone(),
                    user: Some(user),
                    client_id: client.client_id.clone(),
                    scope: None,
                })
            }
        }
        _ => Err(bad_request("the token type is not supported")),
    }
}

/// The party of a live access token of ours. A DPoP-bound token is refused: its holder has
/// to prove the key wherever it presents it, and this endpoint cannot see that proof.
async fn access_token_party(auth: &AuthServer, token: &str, ctx: &Ctx) -> Result<Party, Error> {
    let Some((GrantKind::AccessToken, rec)) = lookup(auth, token, None, ctx).await? else {
        return Err(invalid_grant("the access token is not active"));
    };
    let data: TokenData = rec.read().unwrap_or_default();
    if data.jkt.is_some() {
        return Err(invalid_grant(
            "a DPoP-bound access token cannot be exchanged",
        ));
    }
    let user = match &rec.subject {
        Some(inum) => auth.stores().users.get(inum).await?,
        None => None,
    };
    Ok(Party {
        sub: rec.subject.clone().unwrap_or_else(|| rec.client_id.clone()),
        user,
        client_id: rec.client_id.clone(),
        scope: Some(rec.scope.clone()),
    })
}

/// The scope of the new token: the one asked for, each value registered for the client
/// and (for an access token) granted to the subject token; none asked, all of those.
fn scope(client: &Client, subject: &Party, asked: Option<&str>) -> Result<String, Error> {
    let within = |s: &str| {
        client.metadata.scopes().any(|r| r == s)
            && subject
                .scope
                .as_deref()
                .is_none_or(|granted| granted.split(' ').any(|g| g == s))
    };
    let Some(asked) = asked else {
        let all: Vec<&str> = client.metadata.scopes().filter(|s| within(s)).collect();
        return Ok(all.join(" "));
    };
    let mut out: Vec<&str> = Vec::new();
    for s in asked.split(' ').filter(|s| !s.is_empty()) {
        if !within(s) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("scope {s:?} exceeds the subject token's or the client's"),
            )
            .into());
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out.join(" "))
}

/// The audience asked for (§2.1 `audience`, `resource`): a client of this server, or an
/// absolute URI without a fragment (RFC 8707 §2); else `invalid_target` (§2.2.2).
async fn audience(auth: &AuthServer, params: &Params) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    if let Some(a) = params.get("audience")? {
        if auth.client(a).await?.is_none_or(|c| c.disabled) {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "the audience is not a client of this server",
            )
            .into());
        }
        out.push(a.to_owned());
    }
    if let Some(r) = params.get("resource")? {
        let ok = url::Url::parse(r).is_ok_and(|u| u.fragment().is_none() && u.has_host());
        if !ok {
            return Err(OAuthError::new(
                ErrorCode::InvalidTarget,
                "the resource is not an absolute URI without a fragment",
            )
            .into());
        }
        out.push(r.to_owned());
    }
    Ok(out)
}

/// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693 §2).
pub async fn grant(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Decision, Error> {
    let subject_token = super::required(params, "subject_token")?;
    let subject_type = super::required(params, "subject_token_type")?;
    let requested = params.get("requested_token_type")?.unwrap_or(ACCESS_TOKEN);
    if requested != ACCESS_TOKEN && requested != TXN_TOKEN {
        return Err(bad_request("the requested token type is not supported"));
    }
    let actor = match (params.get("actor_token")?, params.get("actor_token_type")?) {
        (Some(t), Some(ty)) => Some((t, ty)),
        (None, None) => None,
        // §2.1: actor_token_type is required with actor_token, and only with it.
        _ => return Err(bad_request("actor_token and actor_token_type go together")),
    };
    let audience = audience(auth, params).await?;
    let subject = party(auth, client, subject_token, subject_type, ctx).await?;
    let scope = scope(client, &subject, params.get("scope")?)?;
    let act = match actor {
        Some((token, ty)) => {
            let a = party(auth, client, token, ty, ctx).await?;
            Some(json!({"sub": a.sub, "client_id": a.client_id}))
        }
        None => None,
    };
    if requested == TXN_TOKEN {
        return txn_token(auth, client, &subject, &scope, &audience, params, ctx)
            .map(Decision::Answer);
    }
    Ok(Granted {
        grant_type: GRANT_TYPE,
        subject: subject.user,
        scope,
        family: ctx.random_token(16),
        claims: None,
        id_token: None,
        refresh: None,
        settle: false,
        extras: Extras {
            audience,
            act,
            authorization_details: None,
        },
    }
    .into())
}

/// A JSON object given as itself or base64url-encoded (Janssen's `request_context`,
/// `request_details`); `invalid_request` when it is neither.
fn object_param(params: &Params, name: &'static str) -> Result<Option<Map<String, Value>>, Error> {
    let Some(text) = params.get(name)? else {
        return Ok(None);
    };
    let parsed = serde_json::from_str::<Map<String, Value>>(text)
        .ok()
        .or_else(|| {
            crate::b64::decode(text)
                .ok()
                .and_then(|b| serde_json::from_slice::<Map<String, Value>>(&b).ok())
        });
    parsed
        .map(Some)
        .ok_or_else(|| bad_request("request_context and request_details must be JSON objects"))
}

/// A transaction token for `subject` (Janssen's `TxTokenService`; the claims of
/// draft-ietf-oauth-transaction-tokens): signed with the server's default algorithm.
fn txn_token(
    auth: &AuthServer,
    client: &Client,
    subject: &Party,
    scope: &str,
    audience: &[String],
    params: &Params,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let config = auth.config();
    let lifetime = config.tx_token_lifetime;
    let mut aud = vec![client.client_id.clone()];
    aud.extend(audience.iter().cloned());
    let mut azd = object_param(params, "request_details")?.unwrap_or_default();
    azd.insert("client_id".into(), client.client_id.clone().into());
    let mut claims: Map<String, Value> = Map::new();
    let base = json!({
        "iss": config.issuer,
        "iat": ctx.now,
        "nbf": ctx.now,
        "exp": ctx.now.saturating_add(lifetime),
        "txn": crate::ctx::uuid_from(&ctx.random_bytes(16)),
        "sub": subject.sub,
        "purp": "txn_token",
        "aud": aud,
        "azd": azd,
    });
    if let Value::Object(b) = base {
        claims.extend(b);
    }
    if !scope.is_empty() {
        claims.insert("scope".into(), scope.into());
    }
    if let Some(rctx) = object_param(params, "request_context")? {
        claims.insert("rctx".into(), Value::Object(rctx));
    }
    let ring = auth.keys().ring();
    let signer = ring
        .signer(config.default_signature_algorithm)
        .ok_or_else(|| Error::Internal("no active signing key".into()))?;
    let payload = serde_json::to_vec(&claims).map_err(|e| Error::Internal(e.to_string()))?;
    let token = signer.sign(TXN_TOKEN_TYP, &payload, ctx.rng.as_ref())?;
    let mut r = Response::json(json!({
        "access_token": token,
        "issued_token_type": TXN_TOKEN,
        "token_type": "N_A",
        "expires_in": lifetime,
    }));
    r.issued_grant = Some(GRANT_TYPE);
    Ok(r)
}
