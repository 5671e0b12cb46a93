//! Who a backchannel request names (OpenID CIBA Core §7.1): the hints, and the user code.

use super::{ErrorCode, refuse};
use crate::auth::AuthServer;
use crate::auth::authn::interaction::PasswordCheck;
use crate::auth::oauth::client_auth;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::params::Params;
use crate::repo::client::Client;
use crate::repo::user::{User, UserStatus};

/// §7.1: exactly one hint names the person, who must be active (else `unknown_user_id`).
pub(super) async fn hinted_user(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<User, Error> {
    let hints = [
        params.get("login_hint")?,
        params.get("id_token_hint")?,
        params.get("login_hint_token")?,
    ];
    if hints.iter().filter(|h| h.is_some()).count() != 1 {
        return Err(refuse(
            ErrorCode::InvalidRequest,
            "exactly one of login_hint, id_token_hint and login_hint_token is required",
        ));
    }
    let users = &auth.stores().users;
    let user = match hints {
        [Some(hint), _, _] => match users.by_uid(hint).await? {
            Some(u) => Some(u),
            None => by_mail(auth, hint, ctx).await?,
        },
        [_, Some(hint), _] => match crate::auth::oidc::logout::verify_id_token_hint(auth, hint) {
            // A public subject is the person's inum; a pairwise one cannot be read back.
            Some((aud, sub)) if aud == client.client_id => users.get(&sub).await?,
            _ => {
                return Err(refuse(ErrorCode::InvalidRequest, "invalid id_token_hint"));
            }
        },
        [_, _, Some(token)] => login_hint_token(auth, client, token, ctx).await?,
        _ => None,
    };
    match user {
        Some(u) if u.status == UserStatus::Active => Ok(u),
        _ => Err(refuse(
            ErrorCode::UnknownUserId,
            "the hint names nobody who can be asked",
        )),
    }
}

/// The person whose email is `mail`, when exactly one has it.
async fn by_mail(auth: &AuthServer, mail: &str, _ctx: &Ctx) -> Result<Option<User>, Error> {
    use crate::store::document::{Filter, Test};
    if !mail.contains('@') {
        return Ok(None);
    }
    let filter = Filter::Key {
        name: crate::repo::user::Users::EMAIL.to_owned(),
        test: Test::Eq(mail.to_lowercase()),
    };
    let mut found = auth.stores().users.query(&filter, 2).await?;
    Ok(match found.len() {
        1 => found.pop(),
        _ => None,
    })
}

/// A `login_hint_token` (§7.1): a JWT the client signed (its keys, or its secret for
/// `HS*`), naming the person by `sub` (a username) or `subject: {"email"|"uid"}`, not expired
/// (else `expired_login_hint_token`).
async fn login_hint_token(
    auth: &AuthServer,
    client: &Client,
    token: &str,
    ctx: &Ctx,
) -> Result<Option<User>, Error> {
    let bad = || refuse(ErrorCode::InvalidRequest, "invalid login_hint_token");
    let unverified = crate::jose::jws::decode(token).map_err(|_| bad())?;
    let alg = unverified.algorithm();
    let payload = if alg.is_symmetric() {
        let sealed = client.client_secret_sealed.as_deref().ok_or_else(bad)?;
        let secret = auth
            .secret_box()
            .open(sealed, &crate::auth::clients::secret_aad(&client.client_id))?;
        unverified.verify_hmac(&[alg], &secret).map_err(|_| bad())?
    } else {
        let jwks = client_auth::client_jwks(auth, client, ctx, false).await?;
        unverified
            .verify_with_jwks(&jwks, &[alg], auth.provider().as_ref())
            .map_err(|_| bad())?
    };
    let claims = crate::jose::jwt::parse_claims(&payload).map_err(|_| bad())?;
    if let Some(exp) = claims.get("exp").and_then(serde_json::Value::as_u64)
        && ctx.now > exp.saturating_add(auth.config().clock_skew_seconds)
    {
        return Err(refuse(
            ErrorCode::ExpiredLoginHintToken,
            "login_hint_token has expired",
        ));
    }
    let users = &auth.stores().users;
    let subject = claims.get("subject");
    let pick = |name: &str| {
        subject
            .and_then(|s| s.get(name))
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    if let Some(uid) = claims
        .get("sub")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .or_else(|| pick("uid"))
    {
        return Ok(users.by_uid(&uid).await?);
    }
    match pick("email") {
        Some(mail) => by_mail(auth, &mail, ctx).await,
        None => Err(bad()),
    }
}

/// §7.1 `user_code`: required when the client registered `backchannel_user_code_parameter`
/// (and the server supports it), checked as the person's password behind the brute-force
/// protection (`missing_user_code`, `invalid_user_code`).
pub(super) async fn check_user_code(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    user: &User,
    ctx: &Ctx,
) -> Result<(), Error> {
    if !(auth.config().backchannel_user_code_parameter_supported
        && client.metadata.backchannel_user_code_parameter)
    {
        return Ok(());
    }
    let Some(code) = params.get("user_code")? else {
        return Err(refuse(ErrorCode::MissingUserCode, "user_code is required"));
    };
    match auth.check_password_counted(&user.uid, code, ctx).await? {
        PasswordCheck::Valid(_) => Ok(()),
        PasswordCheck::Invalid => Err(refuse(ErrorCode::InvalidUserCode, "wrong user_code")),
        PasswordCheck::Wait(s) => Err(refuse(
            ErrorCode::InvalidUserCode,
            format!("too many wrong user codes; try again in {s} seconds"),
        )),
    }
}
