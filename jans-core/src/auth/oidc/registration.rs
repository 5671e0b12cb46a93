//! Dynamic client registration (RFC 7591, OIDC Dynamic Client Registration 1.0) and its
//! management protocol (RFC 7592) at `/jans-auth/restv1/register`.
//!
//! Registration is open unless `dynamicRegistrationRequiresInitialAccessToken`; what a client
//! may ask for is bounded by `dynamicRegistrationAllowedGrantTypes` and
//! `dynamicRegistrationAllowedScopes`. The response carries a `registration_access_token`
//! (stored hashed) and the `registration_client_uri` for GET / PUT / DELETE.

use subtle::ConstantTimeEq;

use crate::auth::AuthServer;
use crate::auth::clients::{RegisteredClient, secret_aad};
use crate::auth::oauth::introspect::lookup;
use crate::auth::oauth::token_key;
use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::oauth::{ErrorCode, OAuthError};
use crate::jose::{Algorithm, jws, jwt};
use crate::repo::client::{Client, ClientMetadata};
use crate::request::{AuthEndpoint, Method, Request};
use crate::response::{Body, Response};
use crate::store::GrantKind;

fn meta_err(d: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    OAuthError::new(ErrorCode::InvalidClientMetadata, d).into()
}

fn body_json(req: &Request) -> Result<serde_json::Value, Error> {
    let json = req.content_type.as_deref().is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json {
        return Err(OAuthError::invalid_request("the body must be application/json").into());
    }
    let v: serde_json::Value =
        serde_json::from_slice(&req.body).map_err(|_| meta_err("the body is not a JSON object"))?;
    if !v.is_object() {
        return Err(meta_err("the body is not a JSON object"));
    }
    Ok(v)
}

/// OIDC DCR §2 `application_type` rules on redirect URIs, and the registration policy.
async fn check_policy(auth: &AuthServer, m: &ClientMetadata) -> Result<(), Error> {
    let config = auth.config();
    for g in &m.grant_types {
        if !config.dynamic_registration_allowed_grant_types.contains(g) {
            return Err(meta_err(format!(
                "grant type {g:?} may not be registered dynamically"
            )));
        }
    }
    for s in m.scopes() {
        if !config
            .dynamic_registration_allowed_scopes
            .iter()
            .any(|a| a == s)
        {
            return Err(meta_err(format!(
                "scope {s:?} may not be registered dynamically"
            )));
        }
    }
    let native = match m.application_type.as_deref() {
        None | Some("web") => false,
        Some("native") => true,
        Some(_) => return Err(meta_err("application_type must be web or native")),
    };
    for r in &m.redirect_uris {
        let url = url::Url::parse(r).map_err(|_| {
            OAuthError::new(ErrorCode::InvalidRedirectUri, "redirect_uri is not a URL")
        })?;
        let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
        let ok = if native {
            // Custom schemes, claimed https URLs, or http on the loopback interface
            // (RFC 8252 §7).
            url.scheme() != "http" || loopback
        } else {
            url.scheme() == "https" || (url.scheme() == "http" && loopback)
        };
        if !ok {
            return Err(OAuthError::new(
                ErrorCode::InvalidRedirectUri,
                format!("redirect_uri {r:?} is not allowed for this application_type"),
            )
            .into());
        }
    }
    if let Some(uri) = &m.sector_identifier_uri {
        // OIDC DCR §5: the document must list every redirect URI of the client.
        let policy = crate::outbound::AddressPolicy::of(&auth.config());
        let resp = auth
            .http()
            .get(uri, &policy)
            .await
            .map_err(|_| meta_err("sector_identifier_uri could not be fetched"))?;
        let listed: Vec<String> = serde_json::from_slice(&resp.body)
            .ok()
            .filter(|_| resp.status == 200)
            .ok_or_else(|| meta_err("sector_identifier_uri is not a JSON array of URIs"))?;
        if !m.redirect_uris.iter().all(|r| listed.contains(r)) {
            return Err(meta_err(
                "a redirect_uri is missing from the sector_identifier_uri document",
            ));
        }
    }
    Ok(())
}

fn ssa_error(d: &'static str) -> Error {
    OAuthError::new(ErrorCode::InvalidSoftwareStatement, d).into()
}

/// RFC 7591 §2.3 / §3.1.1: a software statement is a JWT signed by a trusted issuer
/// (`trustedSsaIssuers`); its claims become client metadata.
fn verify_software_statement(
    auth: &AuthServer,
    ssa: &str,
    ctx: &Ctx,
) -> Result<serde_json::Map<String, serde_json::Value>, Error> {
    let unverified = jws::decode(ssa).map_err(|_| ssa_error("software_statement is not a JWS"))?;
    let untrusted = jwt::parse_claims(unverified.payload_unverified())
        .map_err(|_| ssa_error("software_statement claims are not a JSON object"))?;
    let iss = untrusted
        .get("iss")
        .and_then(|v| v.as_str())
        .ok_or_else(|| ssa_error("software_statement has no iss"))?;
    let config = auth.config();
    if iss == config.issuer {
        // One of our own SSAs (Janssen's SSA endpoint): our keys signed it.
        let payload = unverified
            .verify_with_jwks(
                auth.keys().ring().jwks(),
                &Algorithm::ASYMMETRIC,
                auth.provider().as_ref(),
            )
            .map_err(|_| ssa_error("software_statement signature does not verify"))?;
        return jwt::parse_claims(&payload)
            .map_err(|_| ssa_error("software_statement claims are not a JSON object"));
    }
    let Some(jwks) = config.trusted_ssa_issuers.get(iss) else {
        return Err(OAuthError::new(
            ErrorCode::UnapprovedSoftwareStatement,
            "the software statement's issuer is not trusted",
        )
        .into());
    };
    let payload = unverified
        .verify_with_jwks(jwks, &Algorithm::ASYMMETRIC, auth.provider().as_ref())
        .map_err(|_| ssa_error("software_statement signature does not verify"))?;
    let claims = jwt::parse_claims(&payload)
        .map_err(|_| ssa_error("software_statement claims are not a JSON object"))?;
    jwt::validate(
        &claims,
        &jwt::Validation {
            require_exp: false,
            leeway: config.clock_skew_seconds,
            ..jwt::Validation::new(ctx.now)
        },
    )
    .map_err(|_| ssa_error("software_statement is expired or not yet valid"))?;
    Ok(claims)
}

fn client_uri(auth: &AuthServer, client_id: &str) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    ser.append_pair("client_id", client_id);
    format!(
        "{}?{}",
        auth.config()
            .endpoint_url(&crate::auth::paths::path(&AuthEndpoint::Register)),
        ser.finish()
    )
}

/// The RFC 7591 §3.2.1 / RFC 7592 §3 client information response.
fn information(
    auth: &AuthServer,
    client: &Client,
    secret: Option<String>,
    rat: Option<&str>,
) -> serde_json::Value {
    let mut v = RegisteredClient {
        client: client.clone(),
        client_secret: secret,
    }
    .to_json();
    if let serde_json::Value::Object(m) = &mut v {
        m.insert(
            "registration_client_uri".into(),
            client_uri(auth, &client.client_id).into(),
        );
        if let Some(t) = rat {
            m.insert("registration_access_token".into(), t.into());
        }
    }
    v
}

/// `/jans-auth/restv1/register`.
pub async fn handle(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    if !auth.config().dynamic_registration_enabled {
        return Ok(Response::error(OAuthError::new(
            ErrorCode::NotFound,
            "dynamic registration is disabled",
        )));
    }
    match (req.method, req.query.get("client_id")?) {
        (Method::Post, None) => register(auth, req, ctx).await,
        (Method::Get | Method::Put | Method::Delete, Some(id)) => manage(auth, req, id, ctx).await,
        _ => Err(OAuthError::invalid_request(
            "POST to register; GET, PUT or DELETE with ?client_id= to manage",
        )
        .into()),
    }
}

async fn register(auth: &AuthServer, req: &Request, ctx: &Ctx) -> Result<Response, Error> {
    let config = auth.config();
    if config.dynamic_registration_requires_initial_access_token {
        // RFC 7591 §3: an initial access token authorizes the registration.
        let invalid = || {
            OAuthError::new(
                ErrorCode::InvalidToken,
                "an initial access token is required",
            )
        };
        let token = req.bearer().ok_or_else(invalid)?;
        let (kind, rec) = lookup(auth, token, None, ctx).await?.ok_or_else(invalid)?;
        let scope = &config.dynamic_registration_initial_access_scope;
        if kind != GrantKind::AccessToken || !rec.scope.split(' ').any(|s| s == scope) {
            return Err(OAuthError::new(
                ErrorCode::InsufficientScope,
                format!("the initial access token needs the {scope} scope"),
            )
            .into());
        }
    }
    let mut body = body_json(req)?;
    let mut ours = None;
    if let Some(ssa) = body
        .as_object_mut()
        .and_then(|m| m.remove("software_statement"))
    {
        let ssa = ssa
            .as_str()
            .ok_or_else(|| ssa_error("software_statement must be a JWT"))?
            .to_owned();
        let claims = verify_software_statement(auth, &ssa, ctx)?;
        if claims.get("iss").and_then(|v| v.as_str()) == Some(config.issuer.as_str()) {
            ours = claims
                .get("jti")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| ssa_error("software_statement has no jti"))
                .map(Some)?;
        }
        // RFC 7591 §2.3: values in the statement take precedence over plain metadata.
        if let Some(m) = body.as_object_mut() {
            for (k, v) in claims {
                if !matches!(k.as_str(), "iss" | "iat" | "exp" | "nbf" | "jti" | "aud") {
                    m.insert(k, v);
                }
            }
        }
    }
    let mut metadata = ClientMetadata::from_json(body)?;
    metadata.normalize(&config)?;
    // Only admins set these.
    metadata.trusted_client = false;
    check_policy(auth, &metadata).await?;
    // Our SSA: usable, and spent when single-use — once the rest of the request is good.
    if let Some(jti) = &ours {
        crate::auth::oauth::ssa::redeem(auth, jti, ctx).await?;
    }
    let rat = ctx.random_token(32);
    let reg = auth
        .register_with(metadata, Some(token_key(&rat)), ctx)
        .await?;
    Ok(Response::with_body(Body::Created(information(
        auth,
        &reg.client,
        reg.client_secret,
        Some(&rat),
    ))))
}

async fn manage(auth: &AuthServer, req: &Request, id: &str, ctx: &Ctx) -> Result<Response, Error> {
    // RFC 7592 §2: the registration access token authorizes every call; any failure looks
    // the same (401) so client ids cannot be probed.
    let invalid = || {
        Error::from(OAuthError::new(
            ErrorCode::InvalidToken,
            "invalid registration access token",
        ))
    };
    let token = req.bearer().ok_or_else(invalid)?;
    let client = auth.client(id).await?.ok_or_else(invalid)?;
    let stored = client
        .registration_access_token_hash
        .as_deref()
        .ok_or_else(invalid)?;
    if !bool::from(stored.as_bytes().ct_eq(token_key(token).as_bytes())) {
        return Err(invalid());
    }
    let secret = match &client.client_secret_sealed {
        Some(sealed) => Some(
            String::from_utf8(
                auth.secret_box()
                    .open(sealed, &secret_aad(&client.client_id))?,
            )
            .map_err(|_| Error::Internal("client secret is not UTF-8".to_owned()))?,
        ),
        None => None,
    };
    match req.method {
        Method::Get => Ok(Response::json(information(auth, &client, secret, None))),
        Method::Delete => {
            auth.remove_client(id).await?;
            Ok(Response::with_body(Body::NoContent))
        }
        Method::Put => {
            let body = body_json(req)?;
            // RFC 7592 §2.2: client_id must match; a client_secret, if sent, must match.
            if body.get("client_id").and_then(|v| v.as_str()) != Some(id) {
                return Err(OAuthError::invalid_request("client_id must match the client").into());
            }
            if let Some(s) = body.get("client_secret") {
                let same = s
                    .as_str()
                    .zip(secret.as_deref())
                    .is_some_and(|(a, b)| bool::from(a.as_bytes().ct_eq(b.as_bytes())));
                if !same {
                    return Err(OAuthError::invalid_request("client_secret does not match").into());
                }
            }
            let mut body = body;
            if let serde_json::Value::Object(m) = &mut body {
                for k in [
                    "client_id",
                    "client_secret",
                    "registration_access_token",
                    "registration_client_uri",
                    "client_id_issued_at",
                    "client_secret_expires_at",
                ] {
                    m.remove(k);
                }
            }
            let mut metadata = ClientMetadata::from_json(body)?;
            metadata.normalize(&auth.config())?;
            metadata.trusted_client = client.metadata.trusted_client;
            check_policy(auth, &metadata).await?;
            let updated = auth.update_client_metadata(client, metadata, ctx).await?;
            Ok(Response::json(information(
                auth,
                &updated.client,
                updated.client_secret,
                None,
            )))
        }
        _ => Err(OAuthError::invalid_request("unsupported method").into()),
    }
}
