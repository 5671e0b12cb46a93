//! Token introspection (RFC 7662), with signed JWT responses (RFC 9701).

use crate::auth::AuthServer;
use crate::auth::oauth::access_token::TokenData;
use crate::auth::oauth::client_auth::{self, auth_scheme};
use crate::auth::oauth::dpop;
use crate::auth::oauth::token::require_form;
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::client::{AuthMethod, Client};
use crate::request::{AuthEndpoint, Method, Request};
use crate::response::{Body, Response};
use crate::store::{GrantKind, GrantRecord};

/// RFC 9701 §4: the media type a caller asks for to get a signed response.
pub const INTROSPECTION_JWT: &str = "application/token-introspection+jwt";

/// Look a token up: a live access token, else a live refresh token, whose client still
/// exists and is enabled, and whose user (when it has one) still exists and is active: a
/// user deleted or disabled (through SCIM, the CLI) takes its tokens with it.
pub(crate) async fn lookup(
    auth: &AuthServer,
    token: &str,
    hint: Option<&str>,
    ctx: &Ctx,
) -> Result<Option<(GrantKind, GrantRecord)>, Error> {
    let key = token_key(token);
    let order = if hint == Some("refresh_token") {
        [GrantKind::RefreshToken, GrantKind::AccessToken]
    } else {
        [GrantKind::AccessToken, GrantKind::RefreshToken]
    };
    for kind in order {
        if let Some(rec) = auth.stores().grants.get(kind, &key, ctx.now).await? {
            if !matches!(auth.stores().clients.get(&rec.client_id).await?, Some(c) if !c.disabled) {
                return Ok(None);
            }
            if let Some(inum) = &rec.subject
                && !matches!(
                    auth.stores().users.get(inum).await?,
                    Some(u) if u.status == crate::repo::user::UserStatus::Active
                )
            {
                return Ok(None);
            }
            return Ok(Some((kind, rec)));
        }
    }
    Ok(None)
}

/// The caller: an authenticated client, or the client of a presented access token (a
/// bearer token, or a DPoP-bound one with its proof, RFC 9449 §7); `Err` holds the answer
/// to a token presented other than its binding requires.
async fn caller(
    auth: &AuthServer,
    req: &Request,
    ctx: &Ctx,
) -> Result<Result<Client, Response>, Error> {
    let params = req.params();
    if let Some((scheme, token)) = req.authorization.as_deref().and_then(auth_scheme)
        && (scheme == "bearer" || scheme == "dpop")
    {
        let invalid = || OAuthError::new(ErrorCode::InvalidToken, "the access token is not active");
        let (kind, rec) = lookup(auth, token, None, ctx).await?.ok_or_else(invalid)?;
        if kind != GrantKind::AccessToken {
            return Err(invalid().into());
        }
        let scheme = if scheme == "dpop" {
            dpop::Scheme::Dpop
        } else {
            dpop::Scheme::Bearer
        };
        if let Err(refusal) = dpop::check_presentation(
            auth,
            req,
            &AuthEndpoint::Introspection,
            token,
            scheme,
            &rec,
            ctx,
        )
        .await
        {
            return refusal.at_resource(auth, ctx).map(Err);
        }
        if auth
            .config()
            .introspection_access_token_must_have_uma_protection_scope
            && !rec.scope.split(' ').any(|s| s == "uma_protection")
        {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                "the access token needs the uma_protection scope",
            )
            .into());
        }
        return Ok(Ok(auth
            .stores()
            .clients
            .get(&rec.client_id)
            .await?
            .ok_or_else(invalid)?));
    }
    let caller =
        client_auth::authenticate(auth, req, params, &AuthEndpoint::Introspection, ctx).await?;
    if caller.method == AuthMethod::None {
        // RFC 7662 §2.1 / §4: the caller must be authorized; a client id alone proves
        // nothing, or anyone could probe tokens.
        return Err(OAuthError::invalid_client(
            "public clients cannot use the introspection endpoint",
        )
        .into());
    }
    Ok(Ok(caller.client))
}

/// RFC 7662 §2.2 response members of an active token.
fn active_json(auth: &AuthServer, kind: GrantKind, rec: &GrantRecord) -> serde_json::Value {
    let config = auth.config();
    let mut m = serde_json::Map::new();
    m.insert("active".into(), true.into());
    if !rec.scope.is_empty() {
        m.insert("scope".into(), rec.scope.clone().into());
    }
    m.insert("client_id".into(), rec.client_id.clone().into());
    let data = rec.read::<TokenData>().unwrap_or_default();
    m.insert(
        "token_type".into(),
        match (kind, &data.jkt) {
            (GrantKind::RefreshToken, _) => "refresh_token",
            // RFC 9449 §6.2.
            (_, Some(_)) => crate::auth::oauth::dpop::TOKEN_TYPE,
            _ => "Bearer",
        }
        .into(),
    );
    m.insert("exp".into(), rec.expires_at.into());
    m.insert("iat".into(), rec.issued_at.into());
    m.insert(
        "sub".into(),
        rec.subject
            .clone()
            .unwrap_or_else(|| rec.client_id.clone())
            .into(),
    );
    m.insert("aud".into(), data.extras.aud(&rec.client_id));
    if let Some(act) = &data.extras.act {
        // RFC 8693 §4.1.
        m.insert("act".into(), act.clone());
    }
    if let Some(details) = &data.extras.authorization_details {
        // RFC 9396 §9.2.
        m.insert("authorization_details".into(), details.clone());
    }
    m.insert("iss".into(), config.issuer.clone().into());
    if let Some(jti) = data.jti {
        m.insert("jti".into(), jti.into());
    }
    // RFC 9449 §6.2, RFC 8705 §3.2: what a bound token is bound to.
    if let Some(cnf) =
        crate::auth::oauth::access_token::confirmation(data.jkt.as_deref(), data.x5t.as_deref())
    {
        m.insert("cnf".into(), cnf);
    }
    serde_json::Value::Object(m)
}

/// The RFC 7662 §2.2 answer for `token`: its members when active, else `{"active": false}`
/// (an unknown, expired or revoked token is just inactive).
async fn state(
    auth: &AuthServer,
    token: &str,
    hint: Option<&str>,
    ctx: &Ctx,
) -> Result<serde_json::Value, Error> {
    Ok(match lookup(auth, token, hint, ctx).await? {
        Some((kind, rec)) => active_json(auth, kind, &rec),
        None => serde_json::json!({"active": false}),
    })
}

impl AuthServer {
    /// Introspect `token` as the server itself, with no calling client (RFC 7662 §2.2
    /// members): for an embedder that is its own resource server, such as a C program
    /// through `jans_introspect`. Over HTTP the caller must authenticate instead.
    pub async fn introspect(&self, token: &str, ctx: &Ctx) -> Result<serde_json::Value, Error> {
        state(self, token, None, ctx).await
    }
}

#[async_trait::async_trait]
impl crate::services::BearerTokens for AuthServer {
    async fn introspect(&self, token: &str, ctx: &Ctx) -> Result<serde_json::Value, Error> {
        AuthServer::introspect(self, token, ctx).await
    }
}

fn wants_jwt(req: &Request) -> bool {
    req.accept.as_deref().is_some_and(|a| {
        a.split(',').any(|part| {
            part.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(INTROSPECTION_JWT))
        })
    })
}

/// `GET|POST /jans-auth/restv1/introspection`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    if req.method == Method::Post {
        require_form(req)?;
    }
    let params = req.params();
    params.check_no_repeats()?;
    let caller = match caller(auth, req, ctx).await? {
        Ok(c) => c,
        Err(answer) => return Ok(answer),
    };
    let token = params
        .get("token")?
        .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
    let hint = params.get("token_type_hint")?;
    let body = state(auth, token, hint, ctx).await?;
    if !wants_jwt(req) {
        return Ok(Response::json(body));
    }
    // RFC 9701 §5: a JWT with iss, aud (the caller), iat and the token_introspection claim.
    let config = auth.config();
    let alg = caller
        .metadata
        .introspection_signed_response_alg
        .unwrap_or(config.default_signature_algorithm);
    let ring = auth.keys().ring();
    let signer = ring
        .signer(alg)
        .ok_or_else(|| Error::Internal(format!("no active signing key for {alg}")))?;
    let claims = serde_json::json!({
        "iss": config.issuer,
        "aud": caller.client_id,
        "iat": ctx.now,
        "token_introspection": body,
    });
    let payload = serde_json::to_vec(&claims).map_err(|e| Error::Internal(e.to_string()))?;
    let jwt = signer.sign("token-introspection+jwt", &payload, ctx.rng.as_ref())?;
    // RFC 9701 §5: signed, then encrypted when the caller registered for it (a nested JWT).
    let jwt = crate::auth::oidc::encryption::for_client(
        auth,
        &caller,
        crate::auth::oidc::encryption::Purpose::Introspection,
        jwt.as_bytes(),
        Some("JWT"),
        ctx,
    )
    .await?
    .unwrap_or(jwt);
    Ok(Response::with_body(Body::Jwt {
        content_type: INTROSPECTION_JWT,
        jwt,
    }))
}
