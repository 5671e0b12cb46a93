//! RFC 6749 §4.3: the resource owner password credentials grant. Off unless
//! `grantTypesSupported` lists `password` and the client registered it (Janssen's rule);
//! failed attempts count toward the same per-user brute-force protection as the login page.

use crate::auth::AuthServer;
use crate::auth::authn::interaction::{PASSWORD_ACR, PasswordCheck};
use crate::auth::authn::session::Session;
use crate::auth::oauth::authorize::AuthorizationRequest;
use crate::auth::oauth::grant::{Decision, Granted, IdTokenBasis, refresh_token};
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
) -> Result<Decision, Error> {
    let username = super::required(params, "username")?;
    let password = super::required(params, "password")?;
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
            return Ok(Decision::Answer(
                Response::error(OAuthError::new(
                    ErrorCode::InvalidGrant,
                    format!("too many failed attempts for this user: try again in {seconds} s"),
                ))
                .header("retry-after", seconds.to_string()),
            ));
        }
    };
    let scopes: Vec<String> = scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let id_token = scopes.iter().any(|s| s == "openid").then(|| IdTokenBasis {
        // The password itself is the authentication: a session of this request only.
        session: Session {
            sid: crate::ctx::uuid_from(&ctx.random_bytes(16)),
            user_inum: user.inum.clone(),
            auth_time: ctx.now,
            acr: PASSWORD_ACR.to_owned(),
            amr: vec!["pwd".to_owned()],
            opbs: String::new(),
            clients: Vec::new(),
        },
        request: AuthorizationRequest::new(&client.client_id, "", scopes.clone()),
    });
    let refresh = refresh_token::wanted(auth, client, &scopes).then(|| scope.clone());
    Ok(Granted {
        grant_type: "password",
        subject: Some(user),
        scope,
        family: ctx.random_token(16),
        claims: None,
        id_token,
        refresh,
        settle: false,
        extras: Default::default(),
    }
    .into())
}
