//! The token endpoint (RFC 6749 §3.2): client authentication, then the grant, which
//! decides what is granted ([`Granted`]); the tokens are issued here, for every grant.

use crate::auth::AuthServer;
use crate::auth::oauth::access_token::{self, Binding, Issue, TokenData};
use crate::auth::oauth::client_auth;
use crate::auth::oauth::dpop;
use crate::auth::oauth::grant::{self, Decision, Granted};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::client::AuthMethod;
use crate::repo::stat::TokenType;
use crate::request::{AuthEndpoint, Request};
use crate::response::Response;

/// Whether the request body is a form (RFC 6749 §3.2 requires
/// `application/x-www-form-urlencoded`).
pub(crate) fn require_form(req: &Request) -> Result<(), OAuthError> {
    let ok = req.content_type.as_deref().is_some_and(|ct| {
        ct.split(';').next().is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
    });
    if ok {
        Ok(())
    } else {
        Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ))
    }
}

/// `POST /jans-auth/restv1/token`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    require_form(req)?;
    let params = &req.form;
    // RFC 6749 §3.2: parameters must not repeat.
    params.check_no_repeats()?;
    if !req.query.is_empty() {
        // Credentials in a URL end up in logs; the body is the only place for them.
        return Err(OAuthError::invalid_request("parameters must be sent in the body").into());
    }
    let grant_type = params
        .get("grant_type")?
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?
        .to_owned();
    let caller = client_auth::authenticate(auth, req, params, &AuthEndpoint::Token, ctx).await?;
    let config = auth.config();
    let extension = auth.token_grant(&grant_type);
    if !config.grant_types_supported.contains(&grant_type)
        || extension.as_ref().is_some_and(|g| !g.enabled(&config))
    {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!("grant_type {grant_type:?} is not supported"),
        )
        .into());
    }
    if !caller.client.metadata.grant_types.contains(&grant_type) {
        return Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("the client is not allowed to use {grant_type}"),
        )
        .into());
    }
    let client = &caller.client;
    if let Some(extension) = extension {
        return extension.grant(client, params, ctx).await;
    }
    // RFC 9449 §5: a proof binds what is issued to its key; checked before the grant spends
    // a code or a refresh token.
    let proof = match dpop::at_authorization_server(auth, req, &AuthEndpoint::Token, ctx).await {
        Ok(p) => p,
        Err(refusal) => return refusal.at_authorization_server(auth, ctx),
    };
    if proof.is_none() && client.metadata.dpop_bound_access_tokens {
        // RFC 9449 §5.2.
        return Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "this client's token requests must carry a DPoP proof",
        )
        .into());
    }
    // RFC 8705 §3; FAPI 2.0 §5.3.2.1 item 2: every access token is sender-constrained, by
    // the DPoP proof or else by the mutual-TLS certificate.
    let x5t = crate::auth::oauth::mtls::binding(&config, client, req, proof.is_some())?;
    let binding = Binding {
        jkt: proof.as_ref().map(|p| p.jkt.as_str()),
        x5t: x5t.as_deref(),
    };
    let jkt = binding.jkt;
    let decision = match grant_type.as_str() {
        "authorization_code" => {
            grant::authorization_code::grant(auth, client, params, jkt, ctx).await?
        }
        "password" => grant::password::grant(auth, client, params, ctx).await?,
        "refresh_token" => grant::refresh_token::grant(auth, client, params, &binding, ctx).await?,
        "client_credentials" => grant::client_credentials::grant(&config, client, params)?,
        grant::jwt_bearer::GRANT_TYPE => {
            grant::jwt_bearer::grant(auth, client, params, ctx).await?
        }
        grant::token_exchange::GRANT_TYPE => {
            grant::token_exchange::grant(auth, client, params, ctx).await?
        }
        crate::auth::oauth::device::GRANT_TYPE => {
            crate::auth::oauth::device::grant(auth, client, params, ctx).await?
        }
        crate::auth::oauth::ciba::GRANT_TYPE => {
            crate::auth::oauth::ciba::grant(auth, client, params, ctx).await?
        }
        _ => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant type not implemented",
            )
            .into());
        }
    };
    match decision {
        Decision::Granted(granted) => issue(auth, &caller, &granted, &binding, None, ctx).await,
        Decision::Answer(response) => Ok(response),
    }
}

/// Issue what a grant granted (RFC 6749 §5.1): the access token, then the ID token and the
/// refresh token it names; then, for a grant that took a code or a refresh token, revoke
/// what was just stored if a racing replay revoked the family meanwhile (the client is
/// answered, with tokens that are already revoked). The access token is bound as `binding`
/// says, and so is a public client's refresh token (RFC 9449 §5, RFC 8705 §4). Tokens a
/// CIBA push delivers name the request `push_auth_req_id` in the ID token (CIBA Core
/// §10.3.1).
pub(crate) async fn issue(
    auth: &AuthServer,
    caller: &client_auth::Authenticated,
    granted: &Granted,
    binding: &Binding<'_>,
    push_auth_req_id: Option<&str>,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let client = &caller.client;
    let subject = granted.subject.as_ref();
    let issued = access_token::issue(
        auth,
        &Issue {
            client,
            subject: subject.map(|u| u.inum.as_str()),
            scope: &granted.scope,
            family: &granted.family,
            claims: granted.claims.as_deref(),
            grant_type: granted.grant_type,
            binding,
            extras: &granted.extras,
        },
        ctx,
    )
    .await?;
    let mut counted = vec![TokenType::AccessToken];
    let mut extra = serde_json::Map::new();
    if granted.grant_type == grant::token_exchange::GRANT_TYPE {
        // RFC 8693 §2.2.1.
        extra.insert(
            "issued_token_type".into(),
            grant::token_exchange::ACCESS_TOKEN.into(),
        );
    }
    if let Some(details) = &granted.extras.authorization_details {
        // RFC 9396 §7.
        extra.insert("authorization_details".into(), details.clone());
    }
    // The refresh token first: a CIBA push's ID token carries its hash.
    let refresh_token = if let (Some(scope), Some(user)) = (&granted.refresh, subject) {
        let data = TokenData {
            jti: None,
            claims: granted.claims.clone(),
            grant_type: Some(granted.grant_type.to_owned()),
            jkt: binding
                .jkt
                .filter(|_| caller.method == AuthMethod::None)
                .map(str::to_owned),
            x5t: binding
                .x5t
                .filter(|_| caller.method == AuthMethod::None)
                .map(str::to_owned),
            extras: granted.extras.clone(),
        };
        let rt = grant::refresh_token::issue(
            auth,
            client,
            &user.inum,
            scope,
            &granted.family,
            &data,
            ctx,
        )
        .await?;
        counted.push(TokenType::RefreshToken);
        Some(rt)
    } else {
        None
    };
    if let (Some(basis), Some(user)) = (&granted.id_token, subject) {
        let scopes: Vec<&str> = basis.request.scopes.iter().map(String::as_str).collect();
        let groups = auth
            .groups_claim(&user.inum, &scopes, basis.request.claims.as_deref())
            .await?;
        let id_token = crate::auth::oidc::id_token::issue_for_client(
            auth,
            &crate::auth::oidc::id_token::Issue {
                client,
                user,
                session: &basis.session,
                request: &basis.request,
                access_token: Some(&issued.token),
                code: None,
                push: push_auth_req_id.map(|id| crate::auth::oidc::id_token::Push {
                    auth_req_id: id,
                    refresh_token: refresh_token.as_deref(),
                }),
                groups: &groups,
            },
            ctx,
        )
        .await?;
        extra.insert("id_token".into(), id_token.into());
        counted.push(TokenType::IdToken);
    }
    if let Some(rt) = refresh_token {
        extra.insert("refresh_token".into(), rt.into());
    }
    if granted.settle {
        crate::auth::oauth::family::settle(auth, &granted.family, ctx).await?;
    }
    auth.stores().stats.record(
        ctx.now,
        granted.grant_type,
        subject.map(|u| u.inum.as_str()),
        &counted,
    );
    Ok(issued.response(&granted.scope, extra, granted.grant_type))
}
