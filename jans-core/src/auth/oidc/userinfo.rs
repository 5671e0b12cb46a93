//! The userinfo endpoint (OIDC Core §5.3) with RFC 6750 bearer tokens: from the
//! `Authorization` header or, on POST, the `access_token` form parameter.

use crate::auth::AuthServer;
use crate::auth::oauth::access_token::TokenData;
use crate::auth::oauth::client_auth::auth_scheme;
use crate::auth::oauth::dpop;
use crate::auth::oauth::introspect::lookup;
use crate::auth::oidc::claims::{self, ClaimsRequest, Target};
use crate::auth::oidc::encryption::{Purpose, for_client};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::request::{AuthEndpoint, Method, Request};
use crate::response::{Body, Response};
use crate::store::GrantKind;

fn invalid_token(d: &'static str) -> Error {
    OAuthError::new(ErrorCode::InvalidToken, d).into()
}

/// `GET|POST /jans-auth/restv1/userinfo`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    // RFC 6750 §2.1 and RFC 9449 §7.1: `Bearer`, or `DPoP` for a DPoP-bound token.
    let header = req
        .authorization
        .as_deref()
        .and_then(auth_scheme)
        .and_then(|(s, t)| match s.as_str() {
            "bearer" => Some((t.to_owned(), dpop::Scheme::Bearer)),
            "dpop" => Some((t.to_owned(), dpop::Scheme::Dpop)),
            _ => None,
        });
    let form = if req.method == Method::Post {
        req.form.check_no_repeats()?;
        req.form.get("access_token")?.map(str::to_owned)
    } else {
        None
    };
    let (token, scheme) = match (header, form) {
        (Some(_), Some(_)) => {
            // RFC 6750 §2: a client MUST NOT use more than one method.
            return Err(OAuthError::invalid_request("the token was sent twice").into());
        }
        (Some(t), None) => t,
        (None, Some(t)) => (t, dpop::Scheme::Bearer),
        (None, None) => {
            // RFC 6750 §3.1: no error code when the request carried no token.
            return Ok(Response::with_body(Body::Error(
                OAuthError::new(ErrorCode::InvalidToken, "a bearer access token is required")
                    .into(),
            ))
            .header("www-authenticate", "Bearer realm=\"jans-auth\"")
            .header("www-authenticate", dpop::challenge(&auth.config(), None)));
        }
    };
    let (kind, rec) = lookup(auth, &token, None, ctx)
        .await?
        .ok_or_else(|| invalid_token("the access token is not active"))?;
    if kind != GrantKind::AccessToken {
        return Err(invalid_token("not an access token"));
    }
    if let Err(refusal) = dpop::check_presentation(
        auth,
        req,
        &AuthEndpoint::Userinfo,
        &token,
        scheme,
        &rec,
        ctx,
    )
    .await
    {
        return refusal.at_resource(auth, ctx);
    }
    let scopes: Vec<&str> = rec.scope.split(' ').filter(|s| !s.is_empty()).collect();
    if !scopes.contains(&"openid") {
        return Err(OAuthError::new(
            ErrorCode::InsufficientScope,
            "the access token lacks the openid scope",
        )
        .into());
    }
    let user = match rec.subject.as_deref() {
        Some(inum) => auth.stores().users.get(inum).await?,
        None => None,
    };
    let Some(user) = user.filter(|u| u.status == crate::repo::user::UserStatus::Active) else {
        return Err(invalid_token("the access token has no active user"));
    };
    let request_text = rec.read::<TokenData>()?.claims;
    let request = request_text
        .as_deref()
        .and_then(|c| ClaimsRequest::parse(c).ok());
    let groups = auth
        .groups_claim(&user.inum, &scopes, request_text.as_deref())
        .await?;
    let mut body = claims::release(
        &user,
        &groups,
        &auth.scopes(),
        &scopes,
        true,
        request.as_ref(),
        Target::Userinfo,
    );
    let client = auth.client(&rec.client_id).await?;
    let sub = match &client {
        Some(c) => auth.subject_for(c, &user.inum),
        None => user.inum.clone(),
    };
    body.insert("sub".into(), sub.into());
    let Some(client) = client else {
        return Ok(Response::json(serde_json::Value::Object(body)));
    };
    let signing = client.metadata.userinfo_signed_response_alg;
    let encrypting = Purpose::Userinfo.of(&client.metadata).is_some();
    if signing.is_none() && !encrypting {
        return Ok(Response::json(serde_json::Value::Object(body)));
    }
    // OIDC Core §5.3.2: a signed and/or encrypted response is a JWT (application/jwt); a
    // signed one carries iss and aud, and is nested inside the encryption.
    let (payload, cty) = match signing {
        Some(alg) => {
            let config = auth.config();
            body.insert("iss".into(), config.issuer.clone().into());
            body.insert("aud".into(), rec.client_id.clone().into());
            let ring = auth.keys().ring();
            let signer = ring
                .signer(alg)
                .ok_or_else(|| Error::Internal(format!("no active signing key for {alg}")))?;
            let payload = serde_json::to_vec(&body).map_err(|e| Error::Internal(e.to_string()))?;
            (
                signer.sign("JWT", &payload, ctx.rng.as_ref())?.into_bytes(),
                Some("JWT"),
            )
        }
        None => (
            serde_json::to_vec(&body).map_err(|e| Error::Internal(e.to_string()))?,
            None,
        ),
    };
    let jwt = match for_client(auth, &client, Purpose::Userinfo, &payload, cty, ctx).await? {
        Some(jwe) => jwe,
        None => String::from_utf8(payload).map_err(|e| Error::Internal(e.to_string()))?,
    };
    Ok(Response::with_body(Body::Jwt {
        content_type: "application/jwt",
        jwt,
    }))
}
