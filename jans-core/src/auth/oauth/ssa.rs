//! Janssen's SSA endpoint, behind its `ssa` flag: software statement assertions (RFC 7591
//! §2.3) this server issues to organizations, signed with its own keys
//! (`ssaConfiguration.ssaSigningAlg`), and honoured at dynamic registration.
//!
//! - `POST /jans-auth/restv1/ssa` (scope `https://jans.io/auth/ssa.admin`): `{org_id,
//!   software_id, software_roles, grant_types, one_time_use, rotate_ssa, description,
//!   expiration | lifetime}` → 201 `{"ssa": JWT}`;
//! - `GET /jans-auth/restv1/ssa?jti=&org_id=` (`ssa.admin` or `ssa.portal`: every SSA;
//!   `ssa.developer`: those its client created) → the SSAs with `status`;
//! - `DELETE /jans-auth/restv1/ssa?jti=|org_id=` (`ssa.admin`): revoked (406 without either,
//!   422 when none matched);
//! - `POST /jans-auth/restv1/ssa/validation` with a `jti` header (open): 200 while usable,
//!   else 400 `invalid_jti`;
//! - `GET /jans-auth/restv1/ssa/jwt?jti=` (`ssa.admin`): the SSA's JWT again.
//!
//! A registration carrying one of our SSAs (its `iss` is this server) is checked against
//! its record: usable, and a `one_time_use` SSA registers one client only — of racing
//! registrations one wins.

use serde::Deserialize;

use crate::auth::AuthServer;
use crate::auth::oauth::introspect::lookup;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::scope::SSA_SCOPES;
use crate::repo::ssa::{Ssa, SsaStatus, Ssas};
use crate::request::{Method, Request};
use crate::response::{Body, Response};
use crate::store::{GrantKind, StoreError};

/// `ssa.admin`: create, list, read, revoke.
const ADMIN: &str = SSA_SCOPES[0].0;
/// `ssa.portal`: list every SSA.
const PORTAL: &str = SSA_SCOPES[1].0;
/// `ssa.developer`: list the SSAs its client created.
const DEVELOPER: &str = SSA_SCOPES[2].0;
/// Most SSAs one list answers.
const MAX_LISTED: usize = 1000;
/// Longest member value taken.
const MAX_TEXT: usize = 1024;
/// The longest an SSA lives, seconds (50 years, as Janssen's "never expires").
const MAX_LIFETIME: u64 = 50 * 366 * 86_400;

fn ssas(auth: &AuthServer) -> Ssas {
    Ssas::new(auth.stores().documents.clone())
}

fn refuse(code: ErrorCode, d: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    OAuthError::new(code, d).into()
}

/// The scopes of the bearer token: 401 without a live one.
async fn token_scopes(
    auth: &AuthServer,
    req: &Request,
    ctx: &Ctx,
) -> Result<(String, Vec<String>), Error> {
    let Some(token) = req.bearer() else {
        return Err(refuse(
            ErrorCode::InvalidToken,
            "a bearer access token is required",
        ));
    };
    match lookup(auth, token, None, ctx).await? {
        Some((GrantKind::AccessToken, rec)) => Ok((
            rec.client_id.clone(),
            rec.scope.split(' ').map(str::to_owned).collect(),
        )),
        _ => Err(refuse(
            ErrorCode::InvalidToken,
            "the access token is not active",
        )),
    }
}

fn require(scopes: &[String], any_of: &[&str]) -> Result<(), Error> {
    if scopes.iter().any(|s| any_of.contains(&s.as_str())) {
        Ok(())
    } else {
        Err(refuse(
            ErrorCode::InsufficientScope,
            format!("the access token needs {}", any_of.join(" or ")),
        ))
    }
}

/// The request to create an SSA (Janssen's `post-register-ssa`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateSsa {
    org_id: serde_json::Value,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    expiration: Option<u64>,
    software_id: String,
    software_roles: Vec<String>,
    grant_types: Vec<String>,
    one_time_use: bool,
    rotate_ssa: bool,
    #[serde(default)]
    lifetime: Option<u64>,
}

/// `/jans-auth/restv1/ssa`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    if !auth.config().feature_enabled("ssa") {
        return Err(refuse(
            ErrorCode::NotFound,
            "the SSA endpoint is not enabled (featureFlags)",
        ));
    }
    let (client_id, scopes) = token_scopes(auth, req, ctx).await?;
    match req.method {
        Method::Post => {
            require(&scopes, &[ADMIN])?;
            create(auth, req, &client_id, ctx).await
        }
        Method::Get => {
            require(&scopes, &[ADMIN, PORTAL, DEVELOPER])?;
            let only_own = !scopes.iter().any(|s| s == ADMIN || s == PORTAL);
            list(auth, req, only_own.then_some(client_id.as_str()), ctx).await
        }
        Method::Delete => {
            require(&scopes, &[ADMIN])?;
            revoke(auth, req).await
        }
        _ => Err(refuse(
            ErrorCode::MethodNotAllowed,
            "use GET, POST or DELETE",
        )),
    }
}

async fn create(
    auth: &AuthServer,
    req: &Request,
    creator: &str,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let bad = |d: String| refuse(ErrorCode::InvalidSsaMetadata, d);
    let body: CreateSsa = serde_json::from_slice(&req.body).map_err(|e| bad(format!("{e}")))?;
    let org_id = match body.org_id {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        _ => return Err(bad("org_id must be a string".into())),
    };
    let texts = [
        Some(&org_id),
        Some(&body.software_id),
        body.description.as_ref(),
    ];
    if org_id.is_empty()
        || body.software_id.is_empty()
        || texts.into_iter().flatten().any(|t| t.len() > MAX_TEXT)
        || body.software_roles.len() > 32
        || body.grant_types.is_empty()
        || body.grant_types.len() > 16
    {
        return Err(bad(
            "org_id, software_id, grant_types or another member is empty or too long".into(),
        ));
    }
    let config = auth.config();
    if let Some(g) = body
        .grant_types
        .iter()
        .find(|g| !config.grant_types_supported.contains(g))
    {
        return Err(bad(format!("grant type {g:?} is not supported")));
    }
    let expiration = match (body.expiration, body.lifetime) {
        (Some(e), _) => e,
        (None, Some(l)) => ctx.now.saturating_add(l),
        (None, None) => ctx.now.saturating_add(
            config
                .ssa_configuration
                .ssa_expiration_in_days
                .saturating_mul(86_400),
        ),
    };
    if expiration <= ctx.now || expiration > ctx.now.saturating_add(MAX_LIFETIME) {
        return Err(bad(
            "expiration must be in the future (at most 50 years)".into()
        ));
    }
    let ssa = Ssa {
        jti: crate::ctx::uuid_from(&ctx.random_bytes(16)),
        org_id,
        description: body.description,
        software_id: body.software_id,
        software_roles: body.software_roles,
        grant_types: body.grant_types,
        one_time_use: body.one_time_use,
        rotate_ssa: body.rotate_ssa,
        lifetime: body.lifetime,
        created_at: ctx.now,
        expiration,
        creator: creator.to_owned(),
        status: SsaStatus::Active,
    };
    ssas(auth).insert(&ssa).await?;
    let jwt = sign(auth, &ssa, ctx)?;
    Ok(Response::with_body(Body::Created(
        serde_json::json!({"ssa": jwt}),
    )))
}

/// The SSA's claims, as its JWT carries them.
fn claims(auth: &AuthServer, ssa: &Ssa) -> serde_json::Value {
    serde_json::json!({
        "iss": auth.config().issuer,
        "iat": ssa.created_at,
        "jti": ssa.jti,
        "software_id": ssa.software_id,
        "org_id": ssa.org_id,
        "software_roles": ssa.software_roles,
        "grant_types": ssa.grant_types,
        "exp": ssa.expiration,
    })
}

fn sign(auth: &AuthServer, ssa: &Ssa, ctx: &Ctx) -> Result<String, Error> {
    let config = auth.config();
    let alg = config
        .ssa_configuration
        .ssa_signing_alg
        .unwrap_or(config.default_signature_algorithm);
    let ring = auth.keys().ring();
    let signer = ring
        .signer(alg)
        .ok_or_else(|| Error::Internal(format!("no active signing key for {alg}")))?;
    let payload =
        serde_json::to_vec(&claims(auth, ssa)).map_err(|e| Error::Internal(e.to_string()))?;
    signer.sign("JWT", &payload, ctx.rng.as_ref())
}

/// Where `ssa` stands at `now` (an expired SSA is `EXPIRED`).
fn status(ssa: &Ssa, now: u64) -> &'static str {
    match ssa.status {
        SsaStatus::Revoked => "REVOKED",
        SsaStatus::Used => "USED",
        SsaStatus::Active if now >= ssa.expiration => "EXPIRED",
        SsaStatus::Active => "ACTIVE",
    }
}

async fn list(
    auth: &AuthServer,
    req: &Request,
    only_of: Option<&str>,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let repo = ssas(auth);
    let jti = req.query.get("jti")?;
    let org = req.query.get("org_id")?;
    let mut found = match (jti, org) {
        (Some(j), _) => repo.get(j).await?.map(|(_, s)| vec![s]).unwrap_or_default(),
        (None, Some(o)) => repo.of_org(o, MAX_LISTED).await?,
        (None, None) => repo.all(MAX_LISTED).await?,
    };
    found.retain(|s| org.is_none_or(|o| s.org_id == o) && only_of.is_none_or(|c| s.creator == c));
    let issuer = auth.config().issuer.clone();
    let items: Vec<serde_json::Value> = found
        .iter()
        .map(|s| {
            let mut c = claims(auth, s);
            if let (Some(l), Some(m)) = (s.lifetime, c.as_object_mut()) {
                m.insert("lifetime".into(), l.into());
            }
            serde_json::json!({
                "created_at": s.created_at,
                "expiration": s.expiration,
                "issuer": s.creator,
                "jti": s.jti,
                "status": status(s, ctx.now),
                "description": s.description,
                "one_time_use": s.one_time_use,
                "rotate_ssa": s.rotate_ssa,
                "ssa": c,
                "iss": issuer,
            })
        })
        .collect();
    Ok(Response::json(serde_json::Value::Array(items)))
}

async fn revoke(auth: &AuthServer, req: &Request) -> Result<Response, Error> {
    let repo = ssas(auth);
    let targets = match (req.query.get("jti")?, req.query.get("org_id")?) {
        (Some(j), _) => repo.get(j).await?.map(|(_, s)| vec![s]).unwrap_or_default(),
        (None, Some(o)) => repo.of_org(o, MAX_LISTED).await?,
        (None, None) => {
            return Err(refuse(
                ErrorCode::SsaNotAcceptable,
                "jti or org_id is required",
            ));
        }
    };
    let mut revoked = 0;
    for s in targets
        .into_iter()
        .filter(|s| s.status != SsaStatus::Revoked)
    {
        // Compare-and-set: a registration using it at the same moment either came first
        // (it stays USED... then revoked) or finds it revoked.
        loop {
            let Some((revision, mut current)) = repo.get(&s.jti).await? else {
                break;
            };
            current.status = SsaStatus::Revoked;
            match repo.update_at(&current, revision).await {
                Ok(()) => {
                    revoked += 1;
                    break;
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }
    if revoked == 0 {
        return Err(refuse(ErrorCode::SsaNotFound, "no active SSA matched"));
    }
    Ok(Response::with_body(Body::Empty))
}

/// `POST /jans-auth/restv1/ssa/validation` with a `jti` header.
pub async fn validation(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    if !auth.config().feature_enabled("ssa") {
        return Err(refuse(
            ErrorCode::NotFound,
            "the SSA endpoint is not enabled (featureFlags)",
        ));
    }
    let jti = req
        .jti
        .as_deref()
        .ok_or_else(|| refuse(ErrorCode::InvalidJti, "the jti header is missing"))?;
    match ssas(auth).get(jti).await? {
        Some((_, s)) if status(&s, ctx.now) == "ACTIVE" => Ok(Response::with_body(Body::Empty)),
        _ => Err(refuse(ErrorCode::InvalidJti, "Invalid JTI or not exists.")),
    }
}

/// `GET /jans-auth/restv1/ssa/jwt?jti=`.
pub async fn jwt(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    if !auth.config().feature_enabled("ssa") {
        return Err(refuse(
            ErrorCode::NotFound,
            "the SSA endpoint is not enabled (featureFlags)",
        ));
    }
    let (_, scopes) = token_scopes(auth, req, ctx).await?;
    require(&scopes, &[ADMIN])?;
    let jti = req.query.get("jti")?.unwrap_or_default();
    match ssas(auth).get(jti).await? {
        Some((_, s)) if status(&s, ctx.now) == "ACTIVE" => Ok(Response::json(
            serde_json::json!({"ssa": sign(auth, &s, ctx)?}),
        )),
        _ => Err(refuse(ErrorCode::InvalidJti, "Invalid JTI or not exists.")),
    }
}

/// A registration is presenting our SSA `jti` (its signature already verified): refused
/// unless it is usable; a `one_time_use` SSA is spent here, once — of racing registrations
/// one gets through.
pub(crate) async fn redeem(auth: &AuthServer, jti: &str, ctx: &Ctx) -> Result<(), Error> {
    let unusable = || {
        refuse(
            ErrorCode::InvalidSoftwareStatement,
            "the software statement is revoked, used or expired",
        )
    };
    let repo = ssas(auth);
    let Some((revision, mut ssa)) = repo.get(jti).await? else {
        return Err(unusable());
    };
    if status(&ssa, ctx.now) != "ACTIVE" {
        return Err(unusable());
    }
    if ssa.one_time_use {
        ssa.status = SsaStatus::Used;
        match repo.update_at(&ssa, revision).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(unusable()),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
