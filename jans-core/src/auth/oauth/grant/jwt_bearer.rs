//! The JWT bearer grant (RFC 7523 §2.1): a client presents a JWT in which an issuer this
//! server trusts (`jwtBearerTrustedIssuers`) asserts a person; the client gets an access
//! token for that person. Every rule of RFC 7523 §3 is checked, and the assertion is used
//! once (§3 item 7: its `jti` is required here and remembered until it expires).

use std::sync::Arc;

use serde_json::Value;

use super::{Decision, Granted, invalid_grant};
use crate::auth::AuthServer;
use crate::auth::oauth::client_auth::{
    assertion_audiences, assertion_jti, assertion_window, jwks_at, spend_assertion,
};
use crate::auth::oauth::grant::client_credentials::decide_scope;
use crate::config::grants::{SubjectAttribute, TrustedIssuer};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::jose::{Algorithm, JoseError, Jwks, jws, jwt};
use crate::params::Params;
use crate::repo::client::Client;
use crate::repo::user::UserStatus;
use crate::request::AuthEndpoint;

/// The grant type (RFC 7523 §2.1).
pub const GRANT_TYPE: &str = crate::config::JWT_BEARER_GRANT;

/// What is wrong with an assertion, said without echoing it.
fn refused(why: &'static str) -> Error {
    invalid_grant(why)
}

/// The trusted issuer's keys.
async fn keys(
    auth: &AuthServer,
    issuer: &TrustedIssuer,
    ctx: &Ctx,
    refresh: bool,
) -> Result<Arc<Jwks>, Error> {
    if let Some(jwks) = &issuer.jwks {
        return Ok(Arc::new(jwks.clone()));
    }
    let url = issuer.jwks_uri.as_deref().unwrap_or_default();
    jwks_at(auth, url, ctx, refresh)
        .await?
        .ok_or_else(|| refused("the assertion's issuer keys could not be fetched"))
}

/// `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1).
pub async fn grant(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Decision, Error> {
    let assertion = super::required(params, "assertion")?;
    // The scope is decided first: a refused scope leaves the assertion unspent.
    let scope = decide_scope(client, params.get("scope")?)?;
    let user = verify_assertion(auth, client, assertion, ctx).await?;
    Ok(Granted {
        grant_type: GRANT_TYPE,
        subject: Some(user),
        scope,
        family: ctx.random_token(16),
        claims: None,
        id_token: None,
        refresh: None,
        settle: false,
        extras: Default::default(),
    }
    .into())
}

/// The active person a trusted issuer's assertion, presented by `client`, names (RFC 7523
/// §3: issuer trusted for the client, signature, audience, lifetime, subject), after
/// spending it (its `jti`, once). Every refusal is `invalid_grant`.
pub(crate) async fn verify_assertion(
    auth: &AuthServer,
    client: &Client,
    assertion: &str,
    ctx: &Ctx,
) -> Result<crate::repo::user::User, Error> {
    let config = auth.config();
    let unverified = jws::decode(assertion).map_err(|_| refused("the assertion is not a JWT"))?;
    let claimed: Value = serde_json::from_slice(unverified.payload_unverified())
        .map_err(|_| refused("the assertion is not a JWT"))?;
    // §3 item 1: the issuer, one this server trusts (and, where the issuer says so, for
    // this client).
    let iss = claimed.get("iss").and_then(Value::as_str).unwrap_or("");
    let Some(issuer) = config
        .jwt_bearer_trusted_issuers
        .iter()
        .find(|t| t.issuer == iss)
    else {
        return Err(refused("the assertion's issuer is not trusted"));
    };
    if !issuer.clients.is_empty() && !issuer.clients.contains(&client.client_id) {
        return Err(refused(
            "this client may not present the issuer's assertions",
        ));
    }
    // §3 item 9: signed with the issuer's key, an asymmetric algorithm.
    let allowed = Algorithm::ASYMMETRIC;
    let provider = auth.provider();
    let jwks = keys(auth, issuer, ctx, false).await?;
    let payload = match unverified
        .clone()
        .verify_with_jwks(&jwks, &allowed, provider.as_ref())
    {
        Ok(p) => p,
        // The issuer may have rolled its keys: fetch them again, once.
        Err(JoseError::KeyNotFound) if issuer.jwks_uri.is_some() => {
            let jwks = keys(auth, issuer, ctx, true).await?;
            unverified
                .verify_with_jwks(&jwks, &allowed, provider.as_ref())
                .map_err(|_| refused("the assertion's signature does not verify"))?
        }
        Err(_) => return Err(refused("the assertion's signature does not verify")),
    };
    let claims = jwt::parse_claims(&payload).map_err(|_| refused("the assertion is not a JWT"))?;
    // §3 items 3–6: the audience is this server (its issuer or token endpoint); exp
    // required and not too far off; nbf and iat respected.
    let audiences = assertion_audiences(auth, &AuthEndpoint::Token);
    let exp = assertion_window(&config, &claims, &audiences, ctx.now).map_err(|c| match c {
        "aud" => refused("the assertion is not for this server (aud)"),
        _ => refused("the assertion has expired, lives too long or is not valid yet"),
    })?;
    // §3 item 2: the subject, a person here who is active.
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 256)
        .ok_or_else(|| refused("the assertion names no subject"))?;
    let users = &auth.stores().users;
    let user = match issuer.subject_attribute {
        SubjectAttribute::Uid => users.by_uid(sub).await?,
        SubjectAttribute::Inum => users.get(sub).await?,
    };
    let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
        return Err(refused(
            "the assertion's subject is not an active person here",
        ));
    };
    // §3 item 7: used once.
    let jti = assertion_jti(&claims).ok_or_else(|| refused("the assertion has no jti"))?;
    if !spend_assertion(auth, iss, jti, exp, ctx).await? {
        return Err(refused("the assertion was used already"));
    }
    Ok(user)
}
