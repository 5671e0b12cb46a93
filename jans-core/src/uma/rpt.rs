//! Requesting party tokens (RPTs, UMA 2.0 Grant §3.3.5): issued by the UMA grant as a
//! reference (Janssen's default) or a signed JWT (`umaRptAsJwt`, or the client's
//! `rpt_as_jwt`), each kept by its hash; and the RPT endpoint `rpt/status` (Federated
//! Authorization §5, RFC 7662 with UMA's `permissions`), where a resource server with its
//! PAT learns what an RPT lets it serve.

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::repo::client::Client;
use crate::repo::uma_token::{Rpt, RptPermission};
use crate::request::Request;
use crate::response::Response;
use crate::services::Services;

use super::Protection;

/// An issued RPT.
#[derive(Debug)]
pub struct Issued {
    /// The bearer value.
    pub token: String,
    /// Seconds it lives.
    pub expires_in: u64,
}

/// The permissions as a JWT RPT carries them and `rpt/status` tells them.
fn permissions_json(permissions: &[&RptPermission]) -> Vec<Value> {
    permissions
        .iter()
        .map(|p| {
            json!({
                "resource_id": p.resource_id,
                "resource_scopes": p.resource_scopes,
                "exp": p.exp,
                "iat": p.iat,
                "nbf": p.iat,
            })
        })
        .collect()
}

/// Issue and store an RPT for `rpt` (its client, party, permissions and claims).
pub async fn issue(
    services: &Services,
    client: &Client,
    mut rpt: Rpt,
    ctx: &Ctx,
) -> Result<Issued, Error> {
    let config = services.config();
    let lifetime = config.uma_rpt_lifetime;
    let expires_at = ctx.now.saturating_add(lifetime);
    let token = if client.metadata.rpt_as_jwt || config.uma_rpt_as_jwt {
        let ring = services.keys().ring();
        let alg = config.default_signature_algorithm;
        let signer = ring
            .signer(alg)
            .ok_or_else(|| Error::Internal(format!("no active signing key for {alg}")))?;
        let jti = ctx.random_token(16);
        let mut claims = Map::new();
        claims.insert("iss".into(), config.issuer.clone().into());
        claims.insert("aud".into(), client.client_id.clone().into());
        claims.insert("client_id".into(), client.client_id.clone().into());
        if let Some(sub) = &rpt.subject {
            claims.insert("sub".into(), sub.clone().into());
        }
        claims.insert("exp".into(), expires_at.into());
        claims.insert("iat".into(), ctx.now.into());
        claims.insert("jti".into(), jti.clone().into());
        let perms: Vec<&RptPermission> = rpt.permissions.iter().collect();
        claims.insert("permissions".into(), permissions_json(&perms).into());
        let payload = serde_json::to_vec(&claims).map_err(|e| Error::Internal(e.to_string()))?;
        rpt.jti = Some(jti);
        signer.sign("JWT", &payload, ctx.rng.as_ref())?
    } else {
        ctx.random_token(32)
    };
    services
        .stores()
        .uma_tokens
        .insert_rpt(&token, &rpt, ctx.now, expires_at)
        .await?;
    Ok(Issued {
        token,
        expires_in: lifetime,
    })
}

/// `POST rpt/status` (form `token`): the RPT's state, with only the permissions on the
/// PAT owner's resources; an RPT that carries none of them is not this resource server's
/// to learn about, and reads as inactive.
pub(super) async fn status(
    services: &Services,
    pat: &Protection,
    req: &Request,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let token = req
        .form
        .get("token")?
        .filter(|t| !t.is_empty())
        .ok_or_else(|| UmaError::new(UmaErrorCode::InvalidRequest, "token is missing"))?;
    let inactive = || Response::json(json!({"active": false}));
    let Some((record, rpt)) = services.stores().uma_tokens.rpt(token, ctx.now).await? else {
        return Ok(inactive());
    };
    let mine: Vec<&RptPermission> = rpt
        .permissions
        .iter()
        .filter(|p| p.owner == pat.owner && p.exp > ctx.now)
        .collect();
    if mine.is_empty() {
        return Ok(inactive());
    }
    let config = services.config();
    let mut body = Map::new();
    body.insert("active".into(), true.into());
    body.insert("exp".into(), record.expires_at.into());
    body.insert("iat".into(), record.issued_at.into());
    body.insert("nbf".into(), record.issued_at.into());
    body.insert("client_id".into(), rpt.client_id.clone().into());
    body.insert("iss".into(), config.issuer.clone().into());
    body.insert("token_type".into(), "Bearer".into());
    if let Some(sub) = &rpt.subject {
        body.insert("sub".into(), sub.clone().into());
    }
    body.insert("permissions".into(), permissions_json(&mine).into());
    if !rpt.claims.is_empty() {
        body.insert("pct_claims".into(), Value::Object(rpt.claims.clone()));
    }
    Ok(Response::json(Value::Object(body)))
}
