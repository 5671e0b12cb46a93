//! The signing keys through the config API (Janssen's `config/jwks`): `GET config/jwks`
//! lists every key of the key ring as Janssen's `WebKeysConfiguration` (`{keys: [...]}`,
//! each the public JWK), each with its life-cycle beside it (`status` — `next`, `active`
//! or `retired` —, `created_at`, `activated_at`, `retired_at`, `publish_until`: members
//! RFC 7517 §4 lets a JWK carry), `GET config/jwks/{kid}` one of them, and
//! `POST config/jwks/rotate` rotates every algorithm now (the next key, already
//! published, starts signing), under the same lease as the scheduled rotation. Private
//! halves never leave the store, sealed; keys are made by the server, not imported, so
//! Janssen's writes of key material are not served.

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::error::Error;
use crate::error::admin::AdminError;
use crate::repo::key::StoredKey;
use crate::response::Response;
use crate::services::Services;

use super::protection::Caller;

/// One key as the API shows it: the public JWK, its life-cycle beside it.
pub(super) fn shown(k: &StoredKey) -> Value {
    let mut jwk = match serde_json::to_value(&k.public_jwk) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    };
    jwk.insert("kid".into(), k.kid.clone().into());
    jwk.insert("alg".into(), k.alg.as_str().into());
    jwk.insert("status".into(), k.status.as_str().into());
    jwk.insert("created_at".into(), k.created_at.into());
    for (name, at) in [
        ("activated_at", k.activated_at),
        ("retired_at", k.retired_at),
        ("publish_until", k.publish_until),
    ] {
        if let Some(t) = at {
            jwk.insert(name.into(), t.into());
        }
    }
    // Janssen's `exp` (milliseconds): when a retired key leaves the set.
    if let Some(t) = k.publish_until {
        jwk.insert("exp".into(), t.saturating_mul(1000).into());
    }
    Value::Object(jwk)
}

/// `GET config/jwks`.
pub(super) fn list(services: &Services) -> Response {
    let ring = services.keys().ring();
    let keys: Vec<Value> = ring.keys().iter().map(shown).collect();
    Response::json(json!({"keys": keys}))
}

/// `GET config/jwks/{kid}`.
pub(super) fn one(services: &Services, kid: &str) -> Result<Response, Error> {
    let ring = services.keys().ring();
    match ring.keys().iter().find(|k| k.kid == kid) {
        Some(k) => Ok(Response::json(shown(k))),
        None => Err(AdminError::new(404, format!("no key has the kid {kid}")).into()),
    }
}

/// `POST config/jwks/rotate`: the keys after, with how many changes were applied; 409
/// when none could be (another node holds the key lease, or the next keys were published
/// too recently for every node to serve them).
pub(super) async fn rotate(
    services: &Services,
    caller: &Caller,
    ctx: &Ctx,
) -> Result<Response, Error> {
    let changes = services.rotate_keys(ctx, true).await?;
    if changes.is_empty() {
        return Err(AdminError::new(
            409,
            "no rotation: another node holds the key lease, or the next keys were published \
             too recently for every node to serve them; try again shortly",
        )
        .into());
    }
    super::audit::record(services, caller, ctx, ("config/jwks", "*", "rotate"), None).await;
    let ring = services.keys().ring();
    let keys: Vec<Value> = ring.keys().iter().map(shown).collect();
    Ok(Response::json(
        json!({"keys": keys, "changes": changes.len()}),
    ))
}
