//! What a component needs to be an OpenID Connect client of this server's own
//! auth-server (Casa, the SAML IdP): its registered client, kept pointing at this issuer,
//! its authorization requests (code flow with PKCE), and the redemption of the codes and
//! check of the ID tokens it gets back (OIDC Core §3.1.3.7), and the cookie that binds a
//! sign-in's `state` to the browser that started it.

use subtle::ConstantTimeEq;

use crate::ctx::Ctx;
use crate::error::Error;
use crate::jose::{Algorithm, jws, jwt};
use crate::params::Params;
use crate::repo::client::{Client, ClientMetadata};
use crate::request::Request;
use crate::services::Services;
use crate::store::StoreError;

/// The client `client_id` as `metadata` describes it: registered now if it is not, or
/// revised if it is registered otherwise (another issuer, other redirect URIs).
pub async fn own_client(
    services: &Services,
    client_id: &str,
    mut metadata: ClientMetadata,
    ctx: &Ctx,
) -> Result<Client, Error> {
    let clients = &services.stores().clients;
    let existing = clients.get(client_id).await?;
    if let Some(c) = &existing
        && c.metadata.redirect_uris == metadata.redirect_uris
        && c.metadata.post_logout_redirect_uris == metadata.post_logout_redirect_uris
    {
        return Ok(c.clone());
    }
    let registry = services.client_registry()?;
    registry.check(&mut metadata)?;
    let client = match existing {
        Some(c) => {
            let (c, _) = registry.revise(c, metadata, None, ctx)?;
            clients.update(&c).await?;
            c
        }
        None => {
            let (c, _) = registry.new_client(Some(client_id), metadata, None, ctx)?;
            match clients.insert(&c).await {
                // Another node made it first.
                Err(StoreError::Conflict) => {}
                other => other?,
            }
            c
        }
    };
    Ok(client)
}

/// The claims of `token` when it is an ID token of this server for `client_id`, with
/// `nonce`, unexpired at `ctx.now` (OIDC Core §3.1.3.7); `None` otherwise.
pub fn check_id_token(
    services: &Services,
    token: &str,
    client_id: &str,
    nonce: &str,
    ctx: &Ctx,
) -> Option<serde_json::Map<String, serde_json::Value>> {
    let ring = services.keys().ring();
    let payload = jws::decode(token)
        .and_then(|u| {
            u.verify_with_jwks(
                ring.jwks(),
                &Algorithm::ASYMMETRIC,
                services.provider().as_ref(),
            )
        })
        .ok()?;
    let claims = jwt::parse_claims(&payload).ok()?;
    let s = |n: &str| claims.get(n).and_then(|v| v.as_str());
    let for_client = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => a == client_id,
        Some(serde_json::Value::Array(a)) => a.iter().any(|v| v == client_id),
        _ => false,
    };
    let fresh = claims
        .get("exp")
        .and_then(serde_json::Value::as_u64)
        .is_some_and(|exp| exp > ctx.now);
    let ok = for_client
        && fresh
        && s("iss") == Some(services.config().issuer.as_str())
        && s("nonce").is_some_and(|n| bool::from(n.as_bytes().ct_eq(nonce.as_bytes())));
    ok.then_some(claims)
}

/// The authorization request (OIDC Core §3.1.2.1) of the public client `client_id`: code
/// flow back to `redirect_uri`, `scope`, `state`, `nonce` and the PKCE S256 challenge of
/// `verifier` (RFC 7636 §4.2), with `extra` parameters (`prompt`, `acr_values`).
pub fn authorize_url(
    issuer: &str,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
    (state, nonce, verifier): (&str, &str, &str),
    extra: &[(&str, &str)],
) -> String {
    let challenge =
        crate::b64::encode(&<sha2::Sha256 as sha2::Digest>::digest(verifier.as_bytes()));
    let mut query = Params::from_pairs([
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("state", state),
        ("nonce", nonce),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    for (k, v) in extra {
        query.push(*k, *v);
    }
    format!("{issuer}/jans-auth/restv1/authorize?{}", query.encode())
}

/// Redeem `code` at the auth-server's token endpoint as the public client `client_id`
/// (with the PKCE `verifier`), then check the ID token ([`check_id_token`]): the token and
/// its claims, or `None` (logged) when either fails.
pub async fn redeem(
    services: &Services,
    client_id: &str,
    redirect_uri: &str,
    code: &str,
    (verifier, nonce): (&str, &str),
    ctx: &Ctx,
) -> Result<Option<(String, serde_json::Map<String, serde_json::Value>)>, Error> {
    let form = Params::from_pairs([
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", client_id),
        ("code_verifier", verifier),
    ]);
    let answer = services.sign_in()?.token_endpoint(form, ctx).await?;
    let checked = (answer.status() == 200)
        .then(|| serde_json::from_slice::<serde_json::Value>(&answer.body_bytes()).ok())
        .flatten()
        .and_then(|v| {
            v.get("id_token")
                .and_then(|t| t.as_str())
                .map(str::to_owned)
        })
        .and_then(|t| check_id_token(services, &t, client_id, nonce, ctx).map(|c| (t, c)));
    if checked.is_none() {
        tracing::info!(
            client_id,
            status = answer.status(),
            "a first-party code was not redeemed"
        );
    }
    Ok(checked)
}

/// A cookie `name` of a first-party component, on its `path`: HttpOnly, `SameSite=Lax`,
/// `Secure` under an https issuer; `max_age` 0 forgets it. A sign-in's `state` is kept in
/// one to bind the callback to the browser that started the sign-in (RFC 6749 §10.12, CSRF
/// against the redirection URI; the callback is a top-level GET redirect from this server,
/// which Lax lets through).
pub fn cookie(issuer: &str, name: &str, path: &str, value: &str, max_age: u64) -> String {
    let secure = if issuer.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// The callback's `state` when it is not empty and is the one this browser's cookie `name`
/// holds (compared in constant time); `None` otherwise: a sign-in started elsewhere, or a
/// forged callback.
pub fn bound_state(req: &Request, name: &str) -> Option<String> {
    let state = req.query.get("state").ok().flatten()?;
    let cookie = req.cookie(name)?;
    (!state.is_empty() && bool::from(cookie.as_bytes().ct_eq(state.as_bytes())))
        .then(|| state.to_owned())
}
