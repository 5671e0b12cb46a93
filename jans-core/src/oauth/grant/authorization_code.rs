//! RFC 6749 §4.1.3 – §4.1.4: redeeming an authorization code, with PKCE (RFC 7636 §4.6) and
//! an ID token (OIDC Core §3.1.3.3).

use crate::authn::user::UserStatus;
use crate::ctx::Ctx;
use crate::engine::Engine;
use crate::error::Error;
use crate::oauth::access_token::{self, Issue};
use crate::oauth::authorize::CodeGrant;
use crate::oauth::client::Client;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::{pkce, token_key};
use crate::oidc::claims::{self, ClaimsRequest, Target};
use crate::oidc::id_token::IdToken;
use crate::params::Params;
use crate::response::Response;
use crate::store::{GrantKind, GrantRecord};

fn invalid_grant(d: &'static str) -> Error {
    OAuthError::new(ErrorCode::InvalidGrant, d).into()
}

/// `grant_type=authorization_code`.
pub async fn grant(
    engine: &Engine,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let config = engine.config();
    let code = params
        .get("code")?
        .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let key = token_key(code);
    let grants = &engine.inner.stores.grants;
    // Single use: one atomic take (DESIGN.md §4).
    let Some(rec) = grants
        .take(GrantKind::AuthorizationCode, &key, ctx.now)
        .await?
    else {
        // RFC 6749 §4.1.2: a code used twice revokes what it issued.
        if let Some(tomb) = grants.get(GrantKind::UsedCode, &key, ctx.now).await? {
            let n = grants.remove_family(&tomb.family).await?;
            tracing::warn!(client_id = %tomb.client_id, revoked = n, "authorization code replayed; grant revoked");
        }
        return Err(invalid_grant(
            "the code is invalid, expired or already used",
        ));
    };
    let tomb = GrantRecord {
        data: serde_json::Map::new(),
        expires_at: ctx.now.saturating_add(
            config
                .access_token_lifetime
                .max(client.metadata.access_token_lifetime.unwrap_or(0))
                .max(config.authorization_code_lifetime),
        ),
        ..rec.clone()
    };
    grants
        .insert(GrantKind::UsedCode, &key, &tomb, ctx.now)
        .await?;
    let grant: CodeGrant = rec
        .data
        .get("grant")
        .cloned()
        .and_then(|v| serde_json::from_value(v).ok())
        .ok_or_else(|| Error::Internal("authorization code without its grant".to_owned()))?;
    // RFC 6749 §4.1.3: issued to this client, for this redirect URI.
    if rec.client_id != client.client_id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if params.get("redirect_uri")? != Some(grant.request.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    let verifier = params.get("code_verifier")?;
    match (&grant.request.code_challenge, verifier) {
        (Some((challenge, method)), Some(v)) if pkce::verify(v, challenge, *method) => {}
        (None, None) => {}
        (Some(_), None) => return Err(invalid_grant("code_verifier is missing")),
        (None, Some(_)) => {
            return Err(invalid_grant(
                "code_verifier sent but no code_challenge was",
            ));
        }
        (Some(_), Some(_)) => return Err(invalid_grant("code_verifier does not match")),
    }
    let user = match engine
        .inner
        .stores
        .users
        .get(&grant.session.user_inum)
        .await?
    {
        Some(u) if u.status == UserStatus::Active => u,
        _ => return Err(invalid_grant("the user is no longer active")),
    };
    let scope = grant.request.scopes.join(" ");
    let issued = access_token::issue(
        engine,
        &Issue {
            client,
            subject: Some(&user.inum),
            scope: &scope,
            family: &rec.family,
            claims: grant.request.claims.as_deref(),
        },
        ctx,
    )
    .await?;
    let mut body = serde_json::Map::new();
    if grant.request.scopes.iter().any(|s| s == "openid") {
        let alg = client
            .metadata
            .id_token_signed_response_alg
            .unwrap_or(config.default_signature_algorithm);
        let ring = engine.keys().ring();
        let signer = ring
            .signer(alg)
            .ok_or_else(|| Error::Internal(format!("no active signing key for {alg}")))?;
        let request = grant
            .request
            .claims
            .as_deref()
            .and_then(|c| ClaimsRequest::parse(c).ok());
        let scopes: Vec<&str> = grant.request.scopes.iter().map(String::as_str).collect();
        // OIDC Core §5.4: with an access token issued, scope claims go to userinfo; the ID
        // token carries what the claims parameter asks of it.
        let released = claims::release(&user, &scopes, false, request.as_ref(), Target::IdToken);
        let subject = engine.subject_for(client, &user.inum);
        let id_token = IdToken {
            issuer: &config.issuer,
            subject: &subject,
            client_id: &client.client_id,
            now: ctx.now,
            lifetime: config.id_token_lifetime,
            auth_time: grant.session.auth_time,
            nonce: grant.request.nonce.as_deref(),
            acr: Some(&grant.session.acr),
            amr: &grant.session.amr,
            sid: Some(&grant.session.sid),
            access_token: Some(&issued.token),
            code: None,
            claims: released,
        };
        let payload = serde_json::to_vec(&id_token.claims(alg))
            .map_err(|e| Error::Internal(e.to_string()))?;
        body.insert(
            "id_token".into(),
            signer.sign("JWT", &payload, ctx.rng.as_ref())?.into(),
        );
    }
    if crate::oauth::refresh::wanted(engine, client, &grant.request.scopes) {
        let mut data = serde_json::Map::new();
        if let Some(c) = &grant.request.claims {
            data.insert("claims".into(), c.clone().into());
        }
        let rt = crate::oauth::refresh::issue(
            engine,
            client,
            &user.inum,
            &scope,
            &rec.family,
            data,
            ctx,
        )
        .await?;
        body.insert("refresh_token".into(), rt.into());
    }
    body.insert("access_token".into(), issued.token.into());
    body.insert("token_type".into(), "Bearer".into());
    body.insert("expires_in".into(), issued.expires_in.into());
    if !scope.is_empty() {
        body.insert("scope".into(), scope.into());
    }
    let mut r = Response::json(serde_json::Value::Object(body));
    r.issued_grant = Some("authorization_code");
    Ok(r)
}
