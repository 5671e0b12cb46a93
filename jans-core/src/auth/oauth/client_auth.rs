//! Client authentication at the token, introspection and revocation endpoints:
//! RFC 6749 §2.3.1 (`client_secret_basic`, `client_secret_post`), RFC 7523 §2.2 / §3 and
//! OIDC Core §9 (`client_secret_jwt`, `private_key_jwt`), RFC 8705 §2 (`tls_client_auth`,
//! `self_signed_tls_client_auth`: [`crate::auth::oauth::mtls`]), and `none` for public
//! clients.

use std::sync::Arc;

use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::AuthServer;
use crate::auth::clients::secret_aad;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::OAuthError;
use crate::jose::{Algorithm, JoseError, Jwks, jws, jwt};
use crate::params::Params;
use crate::repo::client::{AuthMethod, Client};
use crate::request::{AuthEndpoint, Request};
use crate::store::{GrantKind, GrantRecord, StoreError};

/// RFC 7523 §2.2 `client_assertion_type`.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Longest client id or secret accepted.
const MAX_CREDENTIAL_LEN: usize = 512;

/// A client that proved who it is.
#[derive(Clone, Debug)]
pub struct Authenticated {
    /// The client record.
    pub client: Client,
    /// How it authenticated.
    pub method: AuthMethod,
}

/// The credentials a request carries, before checking them.
#[derive(Debug, PartialEq, Eq)]
enum Presented {
    Basic {
        id: String,
        secret: String,
    },
    Post {
        id: String,
        secret: String,
    },
    Assertion {
        id: Option<String>,
        assertion: String,
    },
    PublicId(String),
    Nothing,
}

fn failed() -> OAuthError {
    // One message for every failure, so callers learn nothing about which part was wrong.
    OAuthError::invalid_client("client authentication failed")
}

/// RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64.
fn parse_basic(value: &str) -> Result<(String, String), OAuthError> {
    let b64 = value.trim();
    if b64.len() > 4 * MAX_CREDENTIAL_LEN {
        return Err(failed());
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| OAuthError::invalid_client("malformed Basic credentials"))?;
    let text = String::from_utf8(raw)
        .map_err(|_| OAuthError::invalid_client("malformed Basic credentials"))?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
    let decode = |s: &str| -> Result<String, OAuthError> {
        if !s.contains(['%', '+']) {
            return Ok(s.to_owned());
        }
        let p = Params::parse(format!("v={s}").as_bytes())
            .map_err(|_| OAuthError::invalid_client("malformed Basic credentials"))?;
        Ok(p.get("v").ok().flatten().unwrap_or("").to_owned())
    };
    Ok((decode(id)?, decode(secret)?))
}

/// Split `Authorization` into (scheme lowercased, credentials).
pub fn auth_scheme(header: &str) -> Option<(String, &str)> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    Some((scheme.to_ascii_lowercase(), rest.trim()))
}

fn presented(req: &Request, params: &Params) -> Result<Presented, OAuthError> {
    let form_id = params.get("client_id")?;
    let form_secret = params.get("client_secret")?;
    let assertion_type = params.get("client_assertion_type")?;
    let assertion = params.get("client_assertion")?;
    let basic = match req.authorization.as_deref().and_then(auth_scheme) {
        Some((s, creds)) if s == "basic" => Some(parse_basic(creds)?),
        _ => None,
    };
    let methods = usize::from(basic.is_some())
        + usize::from(form_secret.is_some())
        + usize::from(assertion.is_some() || assertion_type.is_some());
    if methods > 1 {
        // RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request".
        return Err(OAuthError::invalid_request(
            "more than one client authentication method used",
        ));
    }
    for v in [form_id, form_secret].into_iter().flatten() {
        if v.len() > MAX_CREDENTIAL_LEN {
            return Err(failed());
        }
    }
    if let Some((id, secret)) = basic {
        if id.is_empty() || id.len() > MAX_CREDENTIAL_LEN || secret.len() > MAX_CREDENTIAL_LEN {
            return Err(failed());
        }
        if form_id.is_some_and(|f| f != id) {
            return Err(OAuthError::invalid_request(
                "client_id does not match the credentials",
            ));
        }
        return Ok(Presented::Basic { id, secret });
    }
    if let Some(secret) = form_secret {
        let id = form_id.ok_or_else(|| OAuthError::invalid_request("client_id is missing"))?;
        return Ok(Presented::Post {
            id: id.to_owned(),
            secret: secret.to_owned(),
        });
    }
    if assertion.is_some() || assertion_type.is_some() {
        if assertion_type != Some(JWT_BEARER_ASSERTION) {
            return Err(OAuthError::invalid_request(
                "unsupported client_assertion_type",
            ));
        }
        let assertion =
            assertion.ok_or_else(|| OAuthError::invalid_request("client_assertion is missing"))?;
        return Ok(Presented::Assertion {
            id: form_id.map(str::to_owned),
            assertion: assertion.to_owned(),
        });
    }
    Ok(match form_id {
        Some(id) => Presented::PublicId(id.to_owned()),
        None => Presented::Nothing,
    })
}

async fn load(auth: &AuthServer, id: &str) -> Result<Client, Error> {
    match auth.stores().clients.get(id).await? {
        Some(c) if !c.disabled => Ok(c),
        _ => Err(failed().into()),
    }
}

fn check_secret(auth: &AuthServer, client: &Client, presented: &str) -> Result<(), Error> {
    let sealed = client.client_secret_sealed.as_deref().ok_or_else(failed)?;
    let secret = auth
        .secret_box()
        .open(sealed, &secret_aad(&client.client_id))?;
    // DESIGN.md §6: constant-time comparison.
    if bool::from(secret.as_slice().ct_eq(presented.as_bytes())) {
        Ok(())
    } else {
        Err(failed().into())
    }
}

/// Values a client assertion's `aud` may carry when calling `endpoint` (RFC 7523 §3 item 3):
/// the issuer, the token endpoint, and the endpoint being called.
pub fn assertion_audiences(auth: &AuthServer, endpoint: &AuthEndpoint) -> Vec<String> {
    let config = auth.config();
    let mut v = vec![
        config.issuer.clone(),
        config.endpoint_url(&crate::auth::paths::path(&AuthEndpoint::Token)),
    ];
    if *endpoint != AuthEndpoint::Token {
        v.push(config.endpoint_url(&crate::auth::paths::path(endpoint)));
    }
    // RFC 8705 §5: the mutual-TLS aliases of both, when configured.
    for e in [&AuthEndpoint::Token, endpoint] {
        if let Some(a) = crate::auth::oauth::mtls::alias(&config, e)
            && !v.iter().any(|x| x == a)
        {
            v.push(a.to_owned());
        }
    }
    v
}

/// Authenticate the client calling `endpoint` (under FAPI 2.0, with `private_key_jwt` or
/// mutual TLS only).
pub async fn authenticate(
    auth: &AuthServer,
    req: &Request,
    params: &Params,
    endpoint: &AuthEndpoint,
    ctx: &Ctx,
) -> Result<Authenticated, Error> {
    let authenticated = by_presented(auth, req, params, endpoint, ctx).await?;
    crate::auth::oauth::fapi2::check_client_auth(&auth.config(), authenticated.method)?;
    Ok(authenticated)
}

async fn by_presented(
    auth: &AuthServer,
    req: &Request,
    params: &Params,
    endpoint: &AuthEndpoint,
    ctx: &Ctx,
) -> Result<Authenticated, Error> {
    match presented(req, params)? {
        Presented::Nothing => {
            Err(OAuthError::invalid_client("client authentication is required").into())
        }
        Presented::Basic { id, secret } => {
            let client = load(auth, &id).await?;
            require_method(&client, AuthMethod::ClientSecretBasic)?;
            check_secret(auth, &client, &secret)?;
            Ok(Authenticated {
                client,
                method: AuthMethod::ClientSecretBasic,
            })
        }
        Presented::Post { id, secret } => {
            let client = load(auth, &id).await?;
            require_method(&client, AuthMethod::ClientSecretPost)?;
            check_secret(auth, &client, &secret)?;
            Ok(Authenticated {
                client,
                method: AuthMethod::ClientSecretPost,
            })
        }
        Presented::PublicId(id) => {
            let client = load(auth, &id).await?;
            let method = client.metadata.token_endpoint_auth_method;
            if method.is_mtls() {
                // RFC 8705 §2: the client_id names the client, the certificate proves it.
                crate::auth::oauth::mtls::authenticate(auth, &client, req, ctx).await?;
            } else {
                require_method(&client, AuthMethod::None)?;
            }
            Ok(Authenticated { client, method })
        }
        Presented::Assertion { id, assertion } => {
            let audiences = assertion_audiences(auth, endpoint);
            assertion_auth(auth, id.as_deref(), &assertion, &audiences, ctx).await
        }
    }
}

fn require_method(client: &Client, used: AuthMethod) -> Result<(), Error> {
    if client.metadata.token_endpoint_auth_method == used {
        Ok(())
    } else {
        // A client may only authenticate the way it registered (RFC 7591 §2).
        Err(failed().into())
    }
}

fn jose_fail(e: JoseError) -> Error {
    tracing::debug!(error = %e, "client assertion rejected");
    OAuthError::invalid_client(format!("invalid client assertion: {e}")).into()
}

/// RFC 7523 §3 and OIDC Core §9.
async fn assertion_auth(
    auth: &AuthServer,
    form_id: Option<&str>,
    assertion: &str,
    audiences: &[String],
    ctx: &Ctx,
) -> Result<Authenticated, Error> {
    let unverified = jws::decode(assertion).map_err(jose_fail)?;
    let claims = jwt::parse_claims(unverified.payload_unverified()).map_err(jose_fail)?;
    let sub = claims
        .get("sub")
        .and_then(|v| v.as_str())
        .ok_or_else(|| jose_fail(JoseError::InvalidClaim("sub")))?
        .to_owned();
    if form_id.is_some_and(|f| f != sub) {
        return Err(failed().into());
    }
    let client = load(auth, &sub).await?;
    let alg = unverified.algorithm();
    let method = if alg.is_symmetric() {
        AuthMethod::ClientSecretJwt
    } else {
        AuthMethod::PrivateKeyJwt
    };
    require_method(&client, method)?;
    if let Some(required) = client.metadata.token_endpoint_auth_signing_alg
        && required != alg
    {
        return Err(jose_fail(JoseError::AlgorithmNotAllowed(
            alg.as_str().to_owned(),
        )));
    }
    let payload = match method {
        AuthMethod::ClientSecretJwt => {
            let sealed = client.client_secret_sealed.as_deref().ok_or_else(failed)?;
            let secret = auth
                .secret_box()
                .open(sealed, &secret_aad(&client.client_id))?;
            unverified
                .verify_hmac(
                    &[Algorithm::HS256, Algorithm::HS384, Algorithm::HS512],
                    &secret,
                )
                .map_err(jose_fail)?
        }
        _ => {
            let config = auth.config();
            let allowed: Vec<Algorithm> = Algorithm::ASYMMETRIC
                .into_iter()
                .filter(|a| crate::auth::oauth::fapi2::alg_allowed(&config, *a))
                .collect();
            verify_with_client_keys(auth, &client, unverified, &allowed, ctx)
                .await?
                .map_err(jose_fail)?
        }
    };
    let claims = jwt::parse_claims(&payload).map_err(jose_fail)?;
    let config = auth.config();
    // RFC 7523 §3 item 1 and 2: iss and sub are the client_id.
    if claims.get("iss").and_then(|v| v.as_str()) != Some(client.client_id.as_str()) {
        return Err(jose_fail(JoseError::InvalidClaim("iss")));
    }
    let exp = assertion_window(&config, &claims, audiences, ctx.now)
        .map_err(|c| jose_fail(JoseError::InvalidClaim(c)))?;
    let jti = assertion_jti(&claims).ok_or_else(|| jose_fail(JoseError::InvalidClaim("jti")))?;
    if !spend_assertion(auth, &client.client_id, jti, exp, ctx).await? {
        return Err(OAuthError::invalid_client("client assertion was already used").into());
    }
    Ok(Authenticated { client, method })
}

/// RFC 7523 §3 items 3–6 of an assertion's `claims` (a client's, or a trusted issuer's for
/// the JWT bearer grant): `aud` names one of `audiences`; `exp` is there, not passed, and
/// at most `clientAssertionMaxLifetime` ahead; `nbf` and `iat` are respected, with
/// `clockSkewSeconds`. Its `exp`, or the claim that failed.
pub(crate) fn assertion_window(
    config: &crate::config::Config,
    claims: &serde_json::Map<String, serde_json::Value>,
    audiences: &[String],
    now: crate::ctx::UnixTime,
) -> Result<u64, &'static str> {
    let aud_ok = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => audiences.contains(a),
        Some(serde_json::Value::Array(list)) => list
            .iter()
            .any(|a| a.as_str().is_some_and(|a| audiences.iter().any(|x| x == a))),
        _ => false,
    };
    if !aud_ok {
        return Err("aud");
    }
    jwt::validate(
        claims,
        &jwt::Validation {
            issuer: None,
            audience: None,
            now,
            leeway: config.clock_skew_seconds,
            require_exp: true,
            max_lifetime: None,
        },
    )
    .map_err(|e| match e {
        JoseError::InvalidClaim(c) => c,
        _ => "exp",
    })?;
    let exp = claims.get("exp").and_then(|v| v.as_u64()).ok_or("exp")?;
    if exp > now.saturating_add(config.client_assertion_max_lifetime) {
        return Err("exp");
    }
    Ok(exp)
}

/// An assertion's `jti` (RFC 7523 §3 item 7), when it has a usable one.
pub(crate) fn assertion_jti(claims: &serde_json::Map<String, serde_json::Value>) -> Option<&str> {
    claims
        .get("jti")
        .and_then(|v| v.as_str())
        .filter(|j| !j.is_empty() && j.len() <= 256)
}

/// Spend the assertion `jti` of `issuer` (a client id, or a trusted issuer) that expires at
/// `exp`: remembered until then (and `clockSkewSeconds`), on every node. `false` when it was
/// used already (RFC 7523 §3 item 7).
pub(crate) async fn spend_assertion(
    auth: &AuthServer,
    issuer: &str,
    jti: &str,
    exp: u64,
    ctx: &Ctx,
) -> Result<bool, Error> {
    let key = crate::b64::encode(&Sha256::digest(format!("{issuer}\u{0}{jti}").as_bytes()));
    let record = GrantRecord {
        family: format!("jti:{issuer}"),
        client_id: issuer.to_owned(),
        ..GrantRecord::bare(
            ctx.now,
            exp.saturating_add(auth.config().clock_skew_seconds)
                .max(ctx.now.saturating_add(1)),
        )
    };
    match auth
        .stores()
        .grants
        .insert(GrantKind::AssertionJti, &key, &record, ctx.now)
        .await
    {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Verify `unverified` (of an `allowed` algorithm) with `client`'s keys: its `jwks`, or its
/// `jwks_uri`, fetched again once when no key fits (the client may have rolled its keys).
/// The outer error is a fetch that failed; the inner one, the verification's.
pub(crate) async fn verify_with_client_keys(
    auth: &AuthServer,
    client: &Client,
    unverified: jws::Unverified,
    allowed: &[Algorithm],
    ctx: &Ctx,
) -> Result<Result<Vec<u8>, JoseError>, Error> {
    let jwks = client_jwks(auth, client, ctx, false).await?;
    match unverified
        .clone()
        .verify_with_jwks(&jwks, allowed, auth.provider().as_ref())
    {
        Err(JoseError::KeyNotFound) if client.metadata.jwks_uri.is_some() => {
            let jwks = client_jwks(auth, client, ctx, true).await?;
            Ok(unverified.verify_with_jwks(&jwks, allowed, auth.provider().as_ref()))
        }
        other => Ok(other),
    }
}

/// The client's keys: inline `jwks`, or its `jwks_uri` through the host's HTTP client,
/// cached for `jwksUriCacheLifetime` seconds.
pub(crate) async fn client_jwks(
    auth: &AuthServer,
    client: &Client,
    ctx: &Ctx,
    refresh: bool,
) -> Result<Arc<Jwks>, Error> {
    if let Some(jwks) = &client.metadata.jwks {
        return Ok(Arc::new(jwks.clone()));
    }
    let url = client.metadata.jwks_uri.as_deref().ok_or_else(failed)?;
    jwks_at(auth, url, ctx, refresh).await?.ok_or_else(|| {
        OAuthError::invalid_client("the client's jwks_uri could not be fetched as a JWK Set").into()
    })
}

/// The JWK Set published at `url` (a client's `jwks_uri`, a trusted issuer's), through the
/// host's HTTP client (DESIGN.md §6 rules), cached for `jwksUriCacheLifetime` seconds;
/// `refresh` fetches it again. `None` (logged) when it cannot be fetched or is not a JWK Set.
pub(crate) async fn jwks_at(
    auth: &AuthServer,
    url: &str,
    ctx: &Ctx,
    refresh: bool,
) -> Result<Option<Arc<Jwks>>, Error> {
    let ttl = auth.config().jwks_uri_cache_lifetime;
    if !refresh
        && let Ok(cache) = auth.jwks_cache.lock()
        && let Some((at, jwks)) = cache.get(url)
        && ctx.now < at.saturating_add(ttl)
    {
        return Ok(Some(jwks.clone()));
    }
    let policy = crate::outbound::AddressPolicy::of(&auth.config());
    let resp = match auth.http().get(url, &policy).await {
        Ok(r) if r.status == 200 => r,
        Ok(r) => {
            tracing::warn!(%url, status = r.status, "JWK Set fetch refused");
            return Ok(None);
        }
        Err(e) => {
            tracing::warn!(%url, error = %e, "JWK Set fetch failed");
            return Ok(None);
        }
    };
    let Ok(jwks) = serde_json::from_slice::<Jwks>(&resp.body) else {
        tracing::warn!(%url, "not a JWK Set");
        return Ok(None);
    };
    let jwks = Arc::new(jwks);
    if let Ok(mut cache) = auth.jwks_cache.lock() {
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(url.to_owned(), (ctx.now, jwks.clone()));
    }
    Ok(Some(jwks))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let v = base64::engine::general_purpose::STANDARD.encode("my%20id:s%3Ac+r");
        assert_eq!(parse_basic(&v).unwrap(), ("my id".into(), "s:c r".into()));
        assert!(parse_basic("!!!").is_err());
        let no_colon = base64::engine::general_purpose::STANDARD.encode("abc");
        assert!(parse_basic(&no_colon).is_err());
    }

    #[test]
    fn auth_scheme_is_case_insensitive() {
        assert_eq!(auth_scheme("bAsIc abc"), Some(("basic".into(), "abc")));
        assert_eq!(auth_scheme("Bearer"), None);
    }
}
