//! RFC 6749 §4.3: the resource owner password credentials grant. Off unless
//! `grantTypesSupported` lists `password` and the client registered it (Janssen's rule);
//! failed attempts count toward the same per-user brute-force protection as the login page.

use crate::auth::AuthServer;
use crate::auth::authn::interaction::{PASSWORD_ACR, PasswordCheck};
use crate::auth::authn::session::Session;
use crate::auth::oauth::access_token::{self, Issue};
use crate::auth::oauth::authorize::AuthorizationRequest;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::repo::client::Client;
use crate::response::Response;

/// `grant_type=password`.
pub async fn grant(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let username = params
        .get("username")?
        .ok_or_else(|| OAuthError::invalid_request("username is missing"))?;
    let password = params
        .get("password")?
        .ok_or_else(|| OAuthError::invalid_request("password is missing"))?;
    // As at the authorization endpoint, `openid` needs no registration (OIDC Core §3.1.2.1).
    let requested = params.get("scope")?;
    let wants_openid = requested.is_some_and(|r| r.split(' ').any(|s| s == "openid"));
    let others: Option<String> = requested.map(|r| {
        r.split(' ')
            .filter(|s| !s.is_empty() && *s != "openid")
            .collect::<Vec<_>>()
            .join(" ")
    });
    let granted = crate::auth::oauth::grant::client_credentials::decide_scope(
        client,
        others
            .as_deref()
            .filter(|o| !o.is_empty())
            .or(requested.map(|_| "")),
    )?;
    let scope = match (wants_openid, granted.is_empty()) {
        (true, true) => "openid".to_owned(),
        (true, false) => format!("openid {granted}"),
        (false, _) => granted,
    };
    let user = match auth.check_password_counted(username, password, ctx).await? {
        PasswordCheck::Valid(user) => *user,
        PasswordCheck::Invalid => {
            return Err(
                OAuthError::new(ErrorCode::InvalidGrant, "invalid username or password").into(),
            );
        }
        // Janssen's authenticationProtectionConfiguration: refused unchecked, with the time
        // to wait (RFC 9110 §10.2.3 Retry-After).
        PasswordCheck::Wait(seconds) => {
            return Ok(Response::error(OAuthError::new(
                ErrorCode::InvalidGrant,
                format!("too many failed attempts for this user: try again in {seconds} s"),
            ))
            .header("retry-after", seconds.to_string()));
        }
    };
    let family = ctx.random_token(16);
    let issued = access_token::issue(
        auth,
        &Issue {
            client,
            subject: Some(&user.inum),
            scope: &scope,
            family: &family,
            claims: None,
        },
        ctx,
    )
    .await?;
    let scopes: Vec<String> = scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let mut extra = serde_json::Map::new();
    if crate::auth::oauth::refresh::wanted(auth, client, &scopes) {
        let rt = crate::auth::oauth::refresh::issue(
            auth,
            client,
            &user.inum,
            &scope,
            &family,
            &crate::auth::oauth::access_token::TokenData::default(),
            ctx,
        )
        .await?;
        extra.insert("refresh_token".into(), rt.into());
    }
    if scopes.iter().any(|s| s == "openid") {
        // No browser session: the authentication is this request.
        let session = Session {
            sid: crate::ctx::uuid_from(&ctx.random_bytes(16)),
            user_inum: user.inum.clone(),
            auth_time: ctx.now,
            acr: PASSWORD_ACR.to_owned(),
            amr: vec!["pwd".to_owned()],
            opbs: String::new(),
            clients: Vec::new(),
        };
        let request = AuthorizationRequest {
            client_id: client.client_id.clone(),
            response_type: Default::default(),
            response_mode: Default::default(),
            redirect_uri: String::new(),
            scopes: scopes.clone(),
            state: None,
            nonce: None,
            code_challenge: None,
            prompt: Vec::new(),
            max_age: None,
            login_hint: None,
            claims: None,
            hint_subject: None,
        };
        let id_token = crate::auth::oidc::id_token::issue(
            auth,
            &crate::auth::oidc::id_token::Issue {
                client,
                user: &user,
                session: &session,
                request: &request,
                access_token: Some(&issued.token),
                code: None,
            },
            ctx,
        )?;
        extra.insert("id_token".into(), id_token.into());
    }
    Ok(issued.response(&scope, extra, "password"))
}
