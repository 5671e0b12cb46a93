//! Signed authentication requests (OpenID CIBA Core §7.1.1): the request's parameters in a
//! JWT the client signed, passed as `request`. Signed with an asymmetric algorithm of
//! `backchannelAuthenticationRequestSigningAlgValuesSupported` (the client's registered
//! `backchannel_authentication_request_signing_alg` when it has one) by a key of its `jwks`
//! or `jwks_uri`; `aud` names this server, `iss` is the client, `exp`, `iat`, `nbf` and
//! `jti` are there, the request lives at most `clientAssertionMaxLifetime` seconds, and its
//! `jti` is accepted once. No parameter of the request may also be sent outside it.

use crate::auth::AuthServer;
use crate::auth::oauth::client_auth;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::OAuthError;
use crate::jose::{JoseError, jws, jwt};
use crate::params::Params;
use crate::repo::client::Client;

/// The parameters a CIBA request carries (§7.1): none of them may sit beside `request`.
const REQUEST_PARAMETERS: [&str; 9] = [
    "scope",
    "client_notification_token",
    "acr_values",
    "login_hint_token",
    "id_token_hint",
    "login_hint",
    "binding_message",
    "user_code",
    "requested_expiry",
];

/// Claims of the JWT itself, not request parameters.
const JWT_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "iat", "nbf", "jti"];

fn refused(why: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    OAuthError::invalid_request(why).into()
}

/// A signed request, read.
#[derive(Debug)]
pub(crate) struct Signed {
    /// The client-authentication parameters as sent, the request's from the JWT.
    pub params: Params,
    /// Its `jti`, spent by [`spend`] once everything else passed.
    jti: String,
    /// Its `exp`: the `jti` is remembered until then.
    exp: u64,
}

/// The request `params` of `client` with its signed `request` read into them.
pub(crate) async fn resolve(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    request: &str,
    ctx: &Ctx,
) -> Result<Signed, Error> {
    if let Some(p) = REQUEST_PARAMETERS
        .iter()
        .find(|p| params.get(p).ok().flatten().is_some())
    {
        return Err(refused(format!(
            "{p} must be inside the signed request, not beside it"
        )));
    }
    let config = auth.config();
    let unverified = jws::decode(request.trim()).map_err(|e| describe(&e))?;
    let alg = unverified.algorithm();
    if alg.is_symmetric()
        || !config
            .backchannel_authentication_request_signing_alg_values_supported
            .contains(&alg)
        || client
            .metadata
            .backchannel_authentication_request_signing_alg
            .is_some_and(|registered| registered != alg)
        || !crate::auth::oauth::fapi2::alg_allowed(&config, alg)
    {
        return Err(refused(format!(
            "signed authentication requests may not be signed with {alg}"
        )));
    }
    let payload = client_auth::verify_with_client_keys(auth, client, unverified, &[alg], ctx)
        .await?
        .map_err(|e| describe(&e))?;
    let claims = jwt::parse_claims(&payload)
        .map_err(|_| refused("the signed request is not a JSON object"))?;
    if claims.get("iss").and_then(|v| v.as_str()) != Some(client.client_id.as_str()) {
        return Err(refused("the signed request's iss is not the client"));
    }
    for required in JWT_CLAIMS {
        if !claims.contains_key(required) {
            return Err(refused(format!("the signed request has no {required}")));
        }
    }
    // §7.1.1: `aud` is the issuer; the endpoint's URL is taken too, as for assertions.
    let audiences = [
        config.issuer.clone(),
        config.endpoint_url(&crate::auth::paths::path(
            &crate::request::AuthEndpoint::BackchannelAuthentication,
        )),
    ];
    let exp = client_auth::assertion_window(&config, &claims, &audiences, ctx.now)
        .map_err(|c| refused(format!("the signed request's {c} is not acceptable")))?;
    let jti = client_auth::assertion_jti(&claims)
        .ok_or_else(|| refused("the signed request's jti is not acceptable"))?
        .to_owned();
    let mut merged = Params::new();
    for (k, v) in params.iter() {
        if k != "request" {
            merged.push(k, v);
        }
    }
    for (k, v) in &claims {
        if JWT_CLAIMS.contains(&k.as_str()) {
            continue;
        }
        if !REQUEST_PARAMETERS.contains(&k.as_str()) {
            // §7.1.1: other claims are ignored (client_id, or extensions we do not know).
            continue;
        }
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return Err(refused(format!("the signed request's {k} is not a string"))),
        };
        merged.push(k.clone(), text);
    }
    Ok(Signed {
        params: merged,
        jti,
        exp,
    })
}

/// Accept the signed request `signed` of `client` once (its `jti`, on every node): the
/// last check before the request is stored, so a refused request spends nothing.
pub(crate) async fn spend(
    auth: &AuthServer,
    client: &Client,
    signed: &Signed,
    ctx: &Ctx,
) -> Result<(), Error> {
    let issuer = format!("ciba:{}", client.client_id);
    if client_auth::spend_assertion(auth, &issuer, &signed.jti, signed.exp, ctx).await? {
        Ok(())
    } else {
        Err(refused("the signed request was used already"))
    }
}

fn describe(e: &JoseError) -> Error {
    refused(format!("signed authentication request: {e}"))
}
