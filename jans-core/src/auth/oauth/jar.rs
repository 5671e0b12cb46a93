//! JWT-Secured Authorization Requests (RFC 9101) and OIDC Core §6 request objects: the
//! `request` parameter (by value) and `request_uri` (by reference, fetched through the
//! host's HTTP client under the outbound address policy), signed by the client and
//! optionally encrypted to one of our `use: enc` keys or to its secret.
//!
//! The request object's claims supersede the query's parameters of the same name (OIDC Core
//! §6.3.3); `request` and `request_uri` never stay among the parameters. Janssen's switches:
//! `requestParameterSupported`, `requestUriParameterSupported`, `requestUriBlockList`,
//! `requireRequestUriRegistration`, `forceSignedRequestObject` (every request must come in
//! one). A request object is always signed: `alg: none` is refused like every unsigned JWT.

use crate::auth::AuthServer;
use crate::auth::clients::secret_aad;
use crate::config::Config;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::jose::jwe::{self, Decrypter, Policy};
use crate::jose::jws::MAX_TOKEN_LEN;
use crate::jose::{Algorithm, JoseError, jws, jwt};
use crate::params::Params;
use crate::repo::client::{Client, ClientMetadata};

/// RFC 9101 §10.8: the media type and `typ` of a request object.
pub const TYP: &str = "oauth-authz-req+jwt";

/// Claims of the JWT itself, not authorization request parameters.
const JWT_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "nbf", "iat", "jti"];

/// Longest `request_uri` taken (RFC 9101 §5.2 leaves it open; RFC 9126 §2.2 keeps its own
/// short).
const MAX_REQUEST_URI_LEN: usize = 2048;

fn object_err(d: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    OAuthError::new(ErrorCode::InvalidRequestObject, d).into()
}

fn uri_err(d: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    OAuthError::new(ErrorCode::InvalidRequestUri, d).into()
}

/// Whether `params` carry a request object: `request`, or a `request_uri` that is not one
/// of our pushed requests (RFC 9126).
pub(crate) fn present(params: &Params) -> bool {
    params.get("request").ok().flatten().is_some()
        || params
            .get("request_uri")
            .ok()
            .flatten()
            .is_some_and(|u| !u.starts_with(super::par::REQUEST_URI_PREFIX))
}

/// The authorization request `params` of `client` with its request object read: `None`
/// when there is none. Errors are `invalid_request_object`, `invalid_request_uri`,
/// `request_not_supported` or `request_uri_not_supported` (OIDC Core §3.1.2.6).
pub(crate) async fn resolve(
    auth: &AuthServer,
    client: &Client,
    params: &Params,
    ctx: &Ctx,
) -> Result<Option<Params>, Error> {
    if !present(params) {
        return Ok(None);
    }
    let config = auth.config();
    let token = match (params.get("request")?, params.get("request_uri")?) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request("request and request_uri together").into());
        }
        (Some(request), None) => {
            if !config.request_parameter_supported {
                return Err(OAuthError::new(
                    ErrorCode::RequestNotSupported,
                    "the request parameter is not supported",
                )
                .into());
            }
            request.to_owned()
        }
        (None, Some(uri)) => {
            if !config.request_uri_parameter_supported {
                return Err(OAuthError::new(
                    ErrorCode::RequestUriNotSupported,
                    "the request_uri parameter is not supported",
                )
                .into());
            }
            fetch(auth, &config, client, uri).await?
        }
        (None, None) => return Ok(None),
    };
    let claims = read(auth, &config, client, token.trim(), ctx).await?;
    // RFC 9101 §5: the request object's client_id is the request's.
    match (claims.get("client_id"), params.get("client_id")?) {
        (Some(serde_json::Value::String(inner)), Some(outer)) if inner != outer => {
            return Err(object_err("client_id differs from the request's"));
        }
        (Some(v), _) if !v.is_string() => return Err(object_err("client_id is not a string")),
        _ => {}
    }
    let mut merged = Params::new();
    for (k, v) in params.iter() {
        if k != "request" && k != "request_uri" && !claims.contains_key(k) {
            merged.push(k, v);
        }
    }
    for (k, v) in &claims {
        if JWT_CLAIMS.contains(&k.as_str()) {
            continue;
        }
        // OIDC Core §6.1: no request object inside a request object.
        if k == "request" || k == "request_uri" {
            return Err(object_err(format!("a request object cannot carry {k}")));
        }
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => continue,
            // `claims`, `authorization_details`, `max_age`: as their JSON text.
            other => other.to_string(),
        };
        merged.push(k.clone(), text);
    }
    Ok(Some(merged))
}

/// RFC 9101 §5.2.3: the request object at `uri`, after the block list and the registration
/// rule; fetched through the outbound client (address policy, size bound).
async fn fetch(
    auth: &AuthServer,
    config: &Config,
    client: &Client,
    uri: &str,
) -> Result<String, Error> {
    if uri.len() > MAX_REQUEST_URI_LEN {
        return Err(uri_err("request_uri is too long"));
    }
    let url = url::Url::parse(uri).map_err(|_| uri_err("request_uri is not a URL"))?;
    let host = url.host_str().unwrap_or_default();
    if config
        .request_uri_block_list
        .iter()
        .any(|b| b.eq_ignore_ascii_case(host) || uri.starts_with(b.as_str()))
    {
        return Err(uri_err("request_uri is on the block list"));
    }
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    if url.scheme() != "https" && !(url.scheme() == "http" && local) {
        return Err(uri_err("request_uri must be https"));
    }
    if config.require_request_uri_registration
        && !client
            .metadata
            .request_uris
            .iter()
            .any(|r| without_fragment(r) == without_fragment(uri))
    {
        return Err(uri_err("request_uri is not registered for this client"));
    }
    let policy = crate::outbound::AddressPolicy::of(config);
    let resp = match auth.http().get_large(uri, &policy, MAX_TOKEN_LEN).await {
        Ok(r) if r.status == 200 => r,
        Ok(r) => {
            tracing::info!(%uri, status = r.status, "request_uri fetch refused");
            return Err(uri_err("request_uri could not be fetched"));
        }
        Err(e) => {
            tracing::info!(%uri, error = %e, "request_uri fetch failed");
            return Err(uri_err("request_uri could not be fetched"));
        }
    };
    if resp.body.len() > MAX_TOKEN_LEN {
        return Err(uri_err("the request object at request_uri is too large"));
    }
    String::from_utf8(resp.body).map_err(|_| uri_err("request_uri did not hold a request object"))
}

fn without_fragment(u: &str) -> &str {
    u.split('#').next().unwrap_or(u)
}

/// Decrypt (if a JWE) and verify a request object; its claims, checked (RFC 9101 §6).
async fn read(
    auth: &AuthServer,
    config: &Config,
    client: &Client,
    token: &str,
    ctx: &Ctx,
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let signed = if jwe::is_jwe(token) {
        decrypt(auth, config, client, token, ctx)?
    } else {
        token.to_owned()
    };
    let unverified = jws::decode(&signed).map_err(|e| object_err(describe(&e)))?;
    let alg = unverified.algorithm();
    if client
        .metadata
        .request_object_signing_alg
        .is_some_and(|registered| registered != alg)
        || !config
            .request_object_signing_alg_values_supported
            .contains(&alg)
        || !super::fapi2::alg_allowed(config, alg)
    {
        return Err(object_err(format!(
            "request objects may not be signed with {alg}"
        )));
    }
    if let Some(typ) = unverified.header().typ.as_deref()
        && !typ.eq_ignore_ascii_case(TYP)
        && !typ.eq_ignore_ascii_case("JWT")
    {
        return Err(object_err("typ is not oauth-authz-req+jwt"));
    }
    let payload = if alg.is_symmetric() {
        let secret = client_secret(auth, client)?;
        unverified
            .verify_hmac(
                &[Algorithm::HS256, Algorithm::HS384, Algorithm::HS512],
                &secret,
            )
            .map_err(|e| object_err(describe(&e)))?
    } else {
        crate::auth::oauth::client_auth::verify_with_client_keys(
            auth,
            client,
            unverified,
            &[alg],
            ctx,
        )
        .await?
        .map_err(|e| object_err(describe(&e)))?
    };
    let claims =
        jwt::parse_claims(&payload).map_err(|_| object_err("claims are not a JSON object"))?;
    check_claims(config, client, &claims, ctx.now)?;
    Ok(claims)
}

fn describe(e: &JoseError) -> String {
    format!("request object: {e}")
}

fn client_secret(auth: &AuthServer, client: &Client) -> Result<Vec<u8>, Error> {
    let sealed = client
        .client_secret_sealed
        .as_deref()
        .ok_or_else(|| object_err("the client has no secret for a symmetric algorithm"))?;
    Ok(auth
        .secret_box()
        .open(sealed, &secret_aad(&client.client_id))?)
}

/// OIDC Core §6.1, RFC 9101 §6.3: `iss` is the client, `aud` names us, and the time claims,
/// when present, hold (with `clockSkewSeconds`).
fn check_claims(
    config: &Config,
    client: &Client,
    claims: &serde_json::Map<String, serde_json::Value>,
    now: u64,
) -> Result<(), Error> {
    if let Some(iss) = claims.get("iss")
        && iss.as_str() != Some(client.client_id.as_str())
    {
        return Err(object_err("iss is not the client"));
    }
    if let Some(aud) = claims.get("aud") {
        let names_us = match aud {
            serde_json::Value::String(a) => *a == config.issuer,
            serde_json::Value::Array(v) => v.iter().any(|a| a.as_str() == Some(&config.issuer)),
            _ => false,
        };
        if !names_us {
            return Err(object_err("aud does not name this server"));
        }
    }
    let skew = config.clock_skew_seconds;
    let time = |name: &str| match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| object_err(format!("{name} is not a number"))),
    };
    if let Some(exp) = time("exp")?
        && now > exp.saturating_add(skew)
    {
        return Err(object_err("the request object has expired"));
    }
    if let Some(nbf) = time("nbf")?
        && nbf > now.saturating_add(skew)
    {
        return Err(object_err("the request object is not valid yet"));
    }
    time("iat")?;
    Ok(())
}

/// The signed request object inside a JWE encrypted to one of our keys (RFC 9101 §6.1), or
/// to the client's secret for `A*KW` and `dir`: its `alg`/`enc` among the server's and the
/// client's registered ones.
fn decrypt(
    auth: &AuthServer,
    config: &Config,
    client: &Client,
    token: &str,
    ctx: &Ctx,
) -> Result<String, Error> {
    let parsed = jwe::parse(token).map_err(|e| object_err(describe(&e)))?;
    let (Some(alg), Some(enc)) = (parsed.header.key_alg(), parsed.header.content_enc()) else {
        return Err(object_err("unsupported JWE alg or enc"));
    };
    let m = &client.metadata;
    if !config
        .request_object_encryption_alg_values_supported
        .contains(&alg)
        || !config
            .request_object_encryption_enc_values_supported
            .contains(&enc)
        || m.request_object_encryption_alg.is_some_and(|a| a != alg)
        || m.request_object_encryption_enc.is_some_and(|e| e != enc)
    {
        return Err(object_err(format!(
            "request objects may not be encrypted with {alg}/{enc}"
        )));
    }
    let policy = Policy {
        algs: &[alg],
        encs: &[enc],
    };
    let plain = if alg.is_symmetric() {
        let secret = String::from_utf8(client_secret(auth, client)?)
            .map_err(|_| object_err("the client's secret cannot key a JWE"))?;
        let key = jwe::secret_key(&secret, alg, enc);
        parsed.decrypt(Decrypter::Secret(&key), policy, ctx.rng.as_ref())
    } else {
        let ring = auth.keys().ring();
        let decrypter = match parsed.header.kid.as_deref() {
            Some(kid) => ring.decrypter(kid).filter(|d| d.alg == alg),
            None => ring.decrypters_for(alg).first().copied(),
        }
        .ok_or_else(|| object_err(format!("no key of ours for {alg}")))?;
        parsed.decrypt(
            Decrypter::Private(decrypter.key.as_ref()),
            policy,
            ctx.rng.as_ref(),
        )
    }
    .map_err(|e| object_err(describe(&e)))?;
    String::from_utf8(plain).map_err(|_| object_err("the decrypted request object is not text"))
}

/// Registration rules (OIDC DCR §2): `request_object_signing_alg` is one the server takes
/// and the client can sign with; `request_uris` are URLs (https unless on this machine).
pub(crate) fn normalize(m: &ClientMetadata, config: &Config) -> Result<(), OAuthError> {
    let err = |d: String| OAuthError::new(ErrorCode::InvalidClientMetadata, d);
    if let Some(alg) = m.request_object_signing_alg {
        if !config
            .request_object_signing_alg_values_supported
            .contains(&alg)
        {
            return Err(err(format!(
                "request_object_signing_alg {alg} is not supported"
            )));
        }
        if alg.is_symmetric() && !m.token_endpoint_auth_method.uses_secret() {
            return Err(err(format!(
                "request_object_signing_alg {alg} needs a client secret"
            )));
        }
        if !alg.is_symmetric() && m.jwks.is_none() && m.jwks_uri.is_none() {
            return Err(err(format!(
                "request_object_signing_alg {alg} needs jwks or jwks_uri"
            )));
        }
    }
    if m.request_uris.len() > 32 {
        return Err(err("too many request_uris".to_owned()));
    }
    for u in &m.request_uris {
        let url = url::Url::parse(u).map_err(|_| err("a request_uri is not a URL".to_owned()))?;
        let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        if u.len() > MAX_REQUEST_URI_LEN
            || !(url.scheme() == "https" || (url.scheme() == "http" && local))
        {
            return Err(err("request_uris must be https URLs".to_owned()));
        }
    }
    Ok(())
}
