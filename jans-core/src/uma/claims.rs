//! Claims a client pushes for its requesting party with the UMA grant (UMA 2.0 Grant
//! §3.3.1 `claim_token`, `claim_token_format`): an ID token this server issued to that
//! client, or a JWT signed by this server or by the client's own registered keys. The
//! signature, issuer, audience and expiry are checked before any claim is believed.

use serde_json::{Map, Value};

use crate::ctx::UnixTime;
use crate::error::Error;
use crate::error::uma::{UmaError, UmaErrorCode};
use crate::jose::{Algorithm, jws, jwt};
use crate::repo::client::Client;
use crate::services::Services;

/// `claim_token_format` of an OpenID Connect ID token.
pub const ID_TOKEN_FORMAT: &str = "http://openid.net/specs/openid-connect-core-1_0.html#IDToken";

/// `claim_token_format` of a JWT (RFC 8693 §3).
pub const JWT_FORMAT: &str = "urn:ietf:params:oauth:token-type:jwt";

/// The formats taken.
pub const FORMATS: [&str; 2] = [ID_TOKEN_FORMAT, JWT_FORMAT];

/// Longest claim token read.
const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Claims never taken from a token as claims of the party (they are the token's own).
const TOKEN_MEMBERS: [&str; 10] = [
    "iss", "aud", "exp", "iat", "nbf", "jti", "azp", "nonce", "at_hash", "c_hash",
];

fn refused(code: UmaErrorCode, why: &str) -> Error {
    UmaError::new(code, why).into()
}

fn bad_token(why: &str) -> Error {
    refused(UmaErrorCode::InvalidClaimToken, why)
}

fn audience_has(claims: &Map<String, Value>, client_id: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(client_id)),
        _ => false,
    }
}

/// The party's claims in `token` of `format`, pushed by `client` at `now`.
pub fn verify(
    services: &Services,
    client: &Client,
    token: &str,
    format: &str,
    now: UnixTime,
) -> Result<Map<String, Value>, Error> {
    if !FORMATS.contains(&format) {
        return Err(refused(
            UmaErrorCode::InvalidClaimTokenFormat,
            "claim_token_format is the ID token or the JWT format",
        ));
    }
    if token.len() > MAX_TOKEN_BYTES {
        return Err(bad_token("the claim token is too long"));
    }
    let config = services.config();
    let unverified = jws::decode(token).map_err(|_| bad_token("the claim token is not a JWS"))?;
    let ring = services.keys().ring();
    let ours = unverified
        .header()
        .kid
        .as_deref()
        .and_then(|kid| ring.verifier(kid))
        .cloned();
    let (payload, issuer) = match (ours, format) {
        (Some(key), _) => (unverified.verify(key.as_ref()), config.issuer.as_str()),
        (None, JWT_FORMAT) => {
            let Some(jwks) = client.metadata.jwks.as_ref() else {
                return Err(bad_token(
                    "the claim token is signed by no key of this server or of the client",
                ));
            };
            let allowed: Vec<Algorithm> = Algorithm::ALL
                .into_iter()
                .filter(|a| !a.is_symmetric())
                .collect();
            (
                unverified.verify_with_jwks(jwks, &allowed, services.provider().as_ref()),
                client.client_id.as_str(),
            )
        }
        (None, _) => {
            return Err(bad_token("the ID token is signed by no key of this server"));
        }
    };
    let payload = payload.map_err(|_| bad_token("the claim token's signature does not verify"))?;
    let claims = jwt::parse_claims(&payload)
        .map_err(|_| bad_token("the claim token's claims are not JSON"))?;
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        return Err(bad_token("the claim token's iss is not its signer"));
    }
    // An ID token is for the client it was issued to (OIDC Core §2 `aud`); a JWT signed by
    // this server likewise. One the client signed itself names whom it likes.
    if issuer == config.issuer && !audience_has(&claims, &client.client_id) {
        return Err(bad_token("the claim token was not issued to this client"));
    }
    let skew = config.clock_skew_seconds;
    match claims.get("exp").and_then(Value::as_u64) {
        Some(exp) if exp.saturating_add(skew) > now => {}
        Some(_) => return Err(bad_token("the claim token has expired")),
        None => return Err(bad_token("the claim token has no exp")),
    }
    if claims
        .get("nbf")
        .and_then(Value::as_u64)
        .is_some_and(|nbf| nbf > now.saturating_add(skew))
    {
        return Err(bad_token("the claim token is not valid yet"));
    }
    Ok(claims
        .into_iter()
        .filter(|(k, _)| !TOKEN_MEMBERS.contains(&k.as_str()))
        .collect())
}
