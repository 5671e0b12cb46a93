//! RFC 6749 §4.1.3 – §4.1.4: redeeming an authorization code, with PKCE (RFC 7636 §4.6) and
//! an ID token (OIDC Core §3.1.3.3).

use crate::auth::AuthServer;
use crate::auth::oauth::access_token::TokenData;
use crate::auth::oauth::access_token::{self, Issue};
use crate::auth::oauth::authorize::CodeGrant;
use crate::auth::oauth::{pkce, token_key};
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::repo::client::Client;
use crate::repo::user::UserStatus;
use crate::response::Response;
use crate::store::{GrantKind, Taken};

fn invalid_grant(d: &'static str) -> Error {
    OAuthError::new(ErrorCode::InvalidGrant, d).into()
}

/// `grant_type=authorization_code`.
pub async fn grant(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let config = auth.config();
    let code = params
        .get("code")?
        .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let key = token_key(code);
    let grants = &auth.stores().grants;
    // Single use: one atomic take, which leaves a tombstone as long as what the code issues
    // can live, so a second presentation is known as one (DESIGN.md §4).
    let tombstone_until = ctx.now.saturating_add(
        config
            .access_token_lifetime
            .max(client.metadata.access_token_lifetime.unwrap_or(0))
            .max(config.authorization_code_lifetime),
    );
    let rec = match grants
        .take(
            GrantKind::AuthorizationCode,
            &key,
            ctx.now,
            Some(tombstone_until),
        )
        .await?
    {
        Taken::Record(rec) => rec,
        Taken::AlreadyUsed(tomb) => {
            // RFC 6749 §4.1.2: a code used twice revokes what it issued, even while the first
            // use is still issuing (family::settle).
            let n = crate::auth::oauth::family::revoke(auth, &tomb.family, ctx).await?;
            tracing::warn!(client_id = %tomb.client_id, revoked = n, "authorization code replayed; grant revoked");
            return Err(invalid_grant(
                "the code is invalid, expired or already used",
            ));
        }
        Taken::Absent => {
            return Err(invalid_grant(
                "the code is invalid, expired or already used",
            ));
        }
    };
    let grant: CodeGrant = rec.read()?;
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
    let user = match auth.stores().users.get(&grant.session.user_inum).await? {
        Some(u) if u.status == UserStatus::Active => u,
        _ => return Err(invalid_grant("the user is no longer active")),
    };
    let scope = grant.request.scopes.join(" ");
    let issued = access_token::issue(
        auth,
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
        // OIDC Core §3.1.3.3: the ID token beside the access token from the token endpoint.
        let id_token = crate::auth::oidc::id_token::issue(
            auth,
            &crate::auth::oidc::id_token::Issue {
                client,
                user: &user,
                session: &grant.session,
                request: &grant.request,
                access_token: Some(&issued.token),
                code: None,
            },
            ctx,
        )?;
        body.insert("id_token".into(), id_token.into());
    }
    if crate::auth::oauth::refresh::wanted(auth, client, &grant.request.scopes) {
        let data = TokenData {
            jti: None,
            claims: grant.request.claims.clone(),
        };
        let rt = crate::auth::oauth::refresh::issue(
            auth,
            client,
            &user.inum,
            &scope,
            &rec.family,
            &data,
            ctx,
        )
        .await?;
        body.insert("refresh_token".into(), rt.into());
    }
    // A replay that raced this redemption revoked the family: what was just stored goes too
    // (the client is answered, with tokens that are already revoked).
    crate::auth::oauth::family::settle(auth, &rec.family, ctx).await?;
    Ok(issued.response(&scope, body, "authorization_code"))
}
