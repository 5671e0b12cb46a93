//! JWT Secured Authorization Response Mode (JARM, OpenID FAPI): the authorization response's
//! parameters as the claims of one JWT, `response`, signed with the client's
//! `authorization_signed_response_alg` (else the server's default) and encrypted when it
//! registered `authorization_encrypted_response_alg` (a nested JWT). Its `iss`, `aud` and
//! `exp` (JARM §2.1) replace RFC 9207's `iss` parameter.

use crate::auth::AuthServer;
use crate::auth::oidc::encryption::{Purpose, for_client};
use crate::ctx::Ctx;
use crate::error::Error;

/// Seconds a response JWT stays acceptable (JARM §2.1 asks for a short expiry).
pub const LIFETIME: u64 = 600;

/// The `response` JWT of `client_id` carrying `params`.
pub(crate) async fn response(
    auth: &AuthServer,
    client_id: &str,
    params: &[(String, String)],
    ctx: &Ctx,
) -> Result<String, Error> {
    let client = auth
        .client(client_id)
        .await?
        .ok_or_else(|| Error::Internal(format!("client {client_id} is gone")))?;
    let config = auth.config();
    let mut claims = serde_json::Map::new();
    for (k, v) in params {
        claims.insert(k.clone(), v.clone().into());
    }
    claims.insert("iss".into(), config.issuer.clone().into());
    claims.insert("aud".into(), client_id.into());
    claims.insert("exp".into(), ctx.now.saturating_add(LIFETIME).into());
    let alg = client
        .metadata
        .authorization_signed_response_alg
        .unwrap_or(config.default_signature_algorithm);
    let ring = auth.keys().ring();
    let signer = ring
        .signer(alg)
        .ok_or_else(|| Error::Internal(format!("no active signing key for {alg}")))?;
    let payload = serde_json::to_vec(&claims).map_err(|e| Error::Internal(e.to_string()))?;
    let signed = signer.sign("JWT", &payload, ctx.rng.as_ref())?;
    Ok(for_client(
        auth,
        &client,
        Purpose::Authorization,
        signed.as_bytes(),
        Some("JWT"),
        ctx,
    )
    .await?
    .unwrap_or(signed))
}
