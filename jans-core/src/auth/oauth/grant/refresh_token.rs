//! Refresh tokens (RFC 6749 §6): issued beside a code's access token, rotated on every use,
//! and a reused (already rotated) refresh token revokes its whole family (RFC 9700 §4.14.2).

use super::invalid_grant;
use crate::auth::AuthServer;
use crate::auth::oauth::access_token::TokenData;
use crate::auth::oauth::grant::{Decision, Granted};
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::params::Params;
use crate::repo::client::Client;
use crate::repo::user::UserStatus;
use crate::store::{GrantKind, GrantRecord, Taken};

/// Whether a code redeemed by `client` for `scopes` also gets a refresh token: the client
/// registered the grant, and (Janssen's `forceOfflineAccessScopeToEnableRefreshToken`)
/// `offline_access` was granted.
pub fn wanted(auth: &AuthServer, client: &Client, scopes: &[String]) -> bool {
    let config = auth.config();
    client
        .metadata
        .grant_types
        .iter()
        .any(|g| g == "refresh_token")
        && config
            .grant_types_supported
            .iter()
            .any(|g| g == "refresh_token")
        && (!config.force_offline_access_scope_to_enable_refresh_token
            || scopes.iter().any(|s| s == "offline_access"))
}

/// Store a new refresh token in `family`; returns it.
pub async fn issue(
    auth: &AuthServer,
    client: &Client,
    subject: &str,
    scope: &str,
    family: &str,
    data: &TokenData,
    ctx: &Ctx,
) -> Result<String, Error> {
    let token = ctx.random_token(32);
    let record = GrantRecord {
        family: family.to_owned(),
        client_id: client.client_id.clone(),
        subject: Some(subject.to_owned()),
        scope: scope.to_owned(),
        issued_at: ctx.now,
        expires_at: ctx.now.saturating_add(auth.config().refresh_token_lifetime),
        data: serde_json::Map::new(),
    }
    .with(data)?;
    auth.stores()
        .grants
        .insert(
            GrantKind::RefreshToken,
            &token_key(&token),
            &record,
            ctx.now,
        )
        .await?;
    Ok(token)
}

/// `grant_type=refresh_token` (RFC 6749 §6); `binding` is what the request shows: the key
/// of its DPoP proof, the certificate of its mutual-TLS connection.
pub async fn grant(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    binding: &crate::auth::oauth::access_token::Binding<'_>,
    ctx: &Ctx,
) -> Result<Decision, Error> {
    let jkt = binding.jkt;
    let presented = super::required(params, "refresh_token")?;
    let key = token_key(presented);
    let grants = &auth.stores().grants;
    let Some(peek) = grants.get(GrantKind::RefreshToken, &key, ctx.now).await? else {
        // Not live: used already (a tombstone), or unknown. Taking it tells which, without
        // changing anything.
        if let Taken::AlreadyUsed(tomb) = grants
            .take(GrantKind::RefreshToken, &key, ctx.now, None)
            .await?
        {
            reused(auth, &tomb, ctx).await?;
        }
        return Err(invalid_grant(
            "the refresh token is invalid, expired or already used",
        ));
    };
    if peek.client_id != client.client_id {
        // RFC 6749 §6: bound to the client it was issued to; another client holding it
        // means it leaked.
        crate::auth::oauth::family::revoke(auth, &peek.family, ctx).await?;
        return Err(invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    // RFC 9449 §5: a refresh token bound to a DPoP key (a public client's) is used only with
    // a proof of that key; refused before the token is spent.
    if let Some(bound) = crate::auth::oauth::dpop::bound_key(&peek)
        && jkt != Some(bound.as_str())
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidDpopProof,
            "the refresh token is bound to another DPoP key",
        )
        .into());
    }
    // RFC 8705 §4: likewise a public client's refresh token bound to its certificate.
    let shown = crate::auth::oauth::mtls::check_presentation(
        peek.read::<crate::auth::oauth::access_token::TokenData>()
            .ok()
            .and_then(|d| d.x5t)
            .as_deref(),
        binding.x5t,
    );
    if let Err(why) = shown {
        return Err(invalid_grant(why));
    }
    // RFC 6749 §6: a narrower scope may be asked for, never a wider one. Checked before the
    // token is spent, so a refused request leaves it usable.
    let scope = narrow_scope(&peek.scope, params.get("scope")?)?;
    // Single use: one atomic take; of two racing refreshes only one continues, and the
    // other learns the token was used (RFC 9700 §4.14.2). The tombstone lives as long as
    // the token would have.
    let rec = match grants
        .take(
            GrantKind::RefreshToken,
            &key,
            ctx.now,
            Some(peek.expires_at),
        )
        .await?
    {
        Taken::Record(rec) => rec,
        Taken::AlreadyUsed(tomb) => {
            reused(auth, &tomb, ctx).await?;
            return Err(invalid_grant(
                "the refresh token is invalid, expired or already used",
            ));
        }
        Taken::Absent => {
            return Err(invalid_grant(
                "the refresh token is invalid, expired or already used",
            ));
        }
    };
    let subject = rec.subject.clone().unwrap_or_default();
    let user = match auth.stores().users.get(&subject).await? {
        Some(u) if u.status == UserStatus::Active => u,
        _ => {
            crate::auth::oauth::family::revoke(auth, &rec.family, ctx).await?;
            return Err(invalid_grant("the user is no longer active"));
        }
    };
    let data: TokenData = rec.read()?;
    Ok(Granted {
        grant_type: "refresh_token",
        subject: Some(user),
        scope,
        family: rec.family,
        claims: data.claims,
        id_token: None,
        // The new refresh token keeps the original grant's scope, so a narrowed access
        // token does not narrow later refreshes.
        refresh: Some(rec.scope),
        // A reuse racing this rotation may revoke the family while tokens are stored.
        settle: true,
        // What the original grant carried (authorization details) goes on.
        extras: data.extras,
    }
    .into())
}

/// RFC 6749 §6: the scope of a refresh: the original grant's, or a narrower one asked for
/// (each scope asked for was granted originally), never a wider one.
pub fn narrow_scope(original: &str, asked: Option<&str>) -> Result<String, OAuthError> {
    let Some(asked) = asked else {
        return Ok(original.to_owned());
    };
    let original: Vec<&str> = original.split(' ').filter(|s| !s.is_empty()).collect();
    let mut granted: Vec<&str> = Vec::new();
    for s in asked.split(' ').filter(|s| !s.is_empty()) {
        if !original.contains(&s) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("scope {s:?} was not granted originally"),
            ));
        }
        if !granted.contains(&s) {
            granted.push(s);
        }
    }
    Ok(granted.join(" "))
}

/// A rotated refresh token came back: someone holds a copy. End the whole grant.
async fn reused(auth: &AuthServer, tomb: &GrantRecord, ctx: &Ctx) -> Result<(), Error> {
    let n = crate::auth::oauth::family::revoke(auth, &tomb.family, ctx).await?;
    tracing::warn!(client_id = %tomb.client_id, revoked = n, "refresh token reused; grant revoked");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_narrows_the_scope_never_widens_it() {
        assert_eq!(
            narrow_scope("openid profile", None).unwrap(),
            "openid profile"
        );
        assert_eq!(
            narrow_scope("openid profile", Some("profile")).unwrap(),
            "profile"
        );
        assert_eq!(
            narrow_scope("openid profile", Some("profile  profile openid")).unwrap(),
            "profile openid"
        );
        assert_eq!(narrow_scope("a b", Some("")).unwrap(), "");
        let wider = narrow_scope("openid", Some("openid email")).unwrap_err();
        assert_eq!(wider.code, ErrorCode::InvalidScope);
    }
}
