//! Issuing the authorization code (RFC 6749 §4.1.2): single use, bound to the request, the
//! client and the session.

use serde::{Deserialize, Serialize};

use crate::auth::AuthServer;
use crate::auth::authn::session::Session;
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::repo::stat::TokenType;
use crate::response::Response;
use crate::store::{GrantData, GrantKind, GrantRecord};

use super::{AuthorizationRequest, redirect};

/// What a code remembers for the token endpoint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct CodeGrant {
    pub request: AuthorizationRequest,
    pub session: Session,
}

impl GrantData for CodeGrant {
    const MEMBER: Option<&'static str> = Some("grant");
}

/// Issue an authorization code and redirect to the client (RFC 6749 §4.1.2).
pub(crate) async fn issue_code(
    auth: &AuthServer,
    authz: &AuthorizationRequest,
    session: &Session,
    ctx: &Ctx,
) -> Result<Response, Error> {
    if authz.device.is_some() {
        // RFC 8628: the device's next poll gets the tokens; the browser gets a page.
        return crate::auth::oauth::device::approve(auth, authz, session, ctx).await;
    }
    let config = auth.config();
    // Everything issued from this authorization shares one family (RFC 6749 §4.1.2: a
    // replayed code revokes it all).
    let family = ctx.random_token(16);
    let rt = authz.response_type;
    let mut out: Vec<(&str, String)> = Vec::new();
    let mut code = None;
    if rt.code {
        let c = ctx.random_token(32);
        let grant = CodeGrant {
            // The browser (its device cookie, address) was the sign-in's: not kept.
            request: AuthorizationRequest {
                browser: None,
                ..authz.clone()
            },
            session: session.clone(),
        };
        let record = GrantRecord {
            family: family.clone(),
            client_id: authz.client_id.clone(),
            subject: Some(session.user_inum.clone()),
            scope: authz.scopes.join(" "),
            issued_at: ctx.now,
            expires_at: ctx
                .now
                .saturating_add(crate::auth::oauth::fapi2::code_lifetime(&config)),
            data: serde_json::Map::new(),
        }
        .with(&grant)?;
        auth.stores()
            .grants
            .insert(
                GrantKind::AuthorizationCode,
                &token_key(&c),
                &record,
                ctx.now,
            )
            .await?;
        // The person's families are known from the code on (global token revocation).
        auth.stores()
            .person_grants
            .remember(&session.user_inum, &family, record.expires_at, ctx.now)
            .await?;
        out.push(("code", c.clone()));
        code = Some(c);
    }
    // OIDC Session Management 1.0 §3: the state the RP's iframe will check.
    if authz.scopes.iter().any(|s| s == "openid")
        && !session.opbs.is_empty()
        && let Some(origin) = crate::auth::oidc::session_management::origin_of(&authz.redirect_uri)
    {
        out.push((
            "session_state",
            crate::auth::oidc::session_management::session_state(
                &authz.client_id,
                &origin,
                &session.opbs,
                &ctx.random_token(8),
            ),
        ));
    }
    if !rt.front_channel_tokens() {
        let params: Vec<(&str, &str)> = out.iter().map(|(k, v)| (*k, v.as_str())).collect();
        return Ok(redirect(auth, authz, &params, ctx).await);
    }
    // Implicit and hybrid flows (OIDC Core §3.2, §3.3): tokens from this endpoint.
    let client = auth
        .client(&authz.client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_request("unknown client"))?;
    let user = auth
        .stores()
        .users
        .get(&session.user_inum)
        .await?
        .ok_or_else(|| OAuthError::new(ErrorCode::LoginRequired, "the user is gone"))?;
    let scope = authz.scopes.join(" ");
    // Tokens of a hybrid flow belong to its code's grant (OIDC Core §3.3).
    let grant_type = if rt.code {
        "authorization_code"
    } else {
        "implicit"
    };
    let mut counted = Vec::new();
    let mut access_token = None;
    if rt.token {
        let issued = crate::auth::oauth::access_token::issue(
            auth,
            &crate::auth::oauth::access_token::Issue {
                client: &client,
                subject: Some(&user.inum),
                scope: &scope,
                family: &family,
                claims: authz.claims.as_deref(),
                grant_type,
                binding: &crate::auth::oauth::access_token::Binding::NONE,
                extras: &crate::auth::oauth::access_token::Extras {
                    authorization_details: authz.authorization_details.clone(),
                    ..Default::default()
                },
            },
            ctx,
        )
        .await?;
        counted.push(TokenType::AccessToken);
        out.push(("access_token", issued.token.clone()));
        out.push(("token_type", "Bearer".to_owned()));
        out.push(("expires_in", issued.expires_in.to_string()));
        if !scope.is_empty() {
            out.push(("scope", scope.clone()));
        }
        access_token = Some(issued.token);
    }
    if rt.id_token {
        let scopes: Vec<&str> = authz.scopes.iter().map(String::as_str).collect();
        let groups = auth
            .groups_claim(&user.inum, &scopes, authz.claims.as_deref())
            .await?;
        let id_token = crate::auth::oidc::id_token::issue_for_client(
            auth,
            &crate::auth::oidc::id_token::Issue {
                client: &client,
                user: &user,
                session,
                request: authz,
                access_token: access_token.as_deref(),
                code: code.as_deref(),
                push: None,
                groups: &groups,
            },
            ctx,
        )
        .await?;
        out.push(("id_token", id_token));
        counted.push(TokenType::IdToken);
    }
    auth.stores()
        .stats
        .record(ctx.now, grant_type, Some(&user.inum), &counted);
    let params: Vec<(&str, &str)> = out.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Ok(redirect(auth, authz, &params, ctx).await)
}
