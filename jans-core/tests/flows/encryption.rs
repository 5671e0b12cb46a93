//! Responses encrypted to the client (OIDC Core §10.2, RFC 9701 §5): ID tokens from the token
//! and authorization endpoints, userinfo (encrypted alone, or signed then encrypted) and JWT
//! introspection responses, with RSA, EC and client-secret keys; and the registration rules.

use std::sync::Arc;

use jans_core::crypto::{Curve, DecryptionKey, DecryptionKeyType};
use jans_core::jose::jwe::{self, Decrypter, ENCS, KEY_ALGS, Policy};
use jans_core::jose::{Algorithm, jws, jwt};
use jans_core::params::Params;
use jans_core::{AuthEndpoint, Method, RegisteredClient, Request};

use super::authorize::*;
use super::harness::*;
use serde_json::json;

const ALL: Policy<'static> = Policy {
    algs: &KEY_ALGS,
    encs: &ENCS,
};

/// The RFC 7516 A.1 RSA key, as the client's private key.
fn rsa_key(h: &Harness) -> Arc<dyn DecryptionKey> {
    let path = format!(
        "{}/tests/data/jose/rfc7516_a1.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    h.provider().decryption_key_from_jwk(&v["jwk"]).unwrap()
}

fn ec_key(h: &Harness) -> Arc<dyn DecryptionKey> {
    h.provider()
        .generate_decryption_key(DecryptionKeyType::Ec(Curve::P256), h.ctx().rng.as_ref())
        .unwrap()
}

/// The client's JWK Set: its encryption key, published with `use: enc` and a `kid`.
fn jwks_of(key: &dyn DecryptionKey) -> serde_json::Value {
    let mut jwk = serde_json::to_value(key.public_jwk()).unwrap();
    jwk["use"] = "enc".into();
    jwk["kid"] = "client-enc-1".into();
    serde_json::json!({"keys": [jwk]})
}

/// Decrypt `token`, check the nesting and verify the inner JWS: its claims.
fn open_nested(h: &Harness, token: &str, key: Decrypter<'_>) -> serde_json::Value {
    assert!(jwe::is_jwe(token), "not a JWE: {token}");
    let (header, inner) = jwe::decrypt(token, key, ALL, h.ctx().rng.as_ref()).unwrap();
    assert_eq!(header.cty.as_deref(), Some("JWT"));
    let inner = String::from_utf8(inner).unwrap();
    let payload = jws::decode(&inner)
        .unwrap()
        .verify_with_jwks(&h.jwks(), &Algorithm::ASYMMETRIC, h.provider().as_ref())
        .unwrap();
    serde_json::Value::Object(jwt::parse_claims(&payload).unwrap())
}

fn code_flow(h: &Harness, c: &RegisteredClient) -> serde_json::Value {
    let (cb, _) = login_and_consent(h, &authorize(h, &std_params(c), None));
    json(&redeem(h, c, &q(&cb, "code").unwrap(), VERIFIER))
}

#[test]
fn id_tokens_are_signed_then_encrypted_to_the_client_key() {
    let h = harness();
    for (alg, enc, key) in [
        ("RSA-OAEP", None, rsa_key(&h)),
        ("RSA-OAEP-256", Some("A256GCM"), rsa_key(&h)),
        ("ECDH-ES", Some("A256CBC-HS512"), ec_key(&h)),
        ("ECDH-ES+A128KW", Some("A128GCM"), ec_key(&h)),
        ("ECDH-ES+A256KW", None, ec_key(&h)),
    ] {
        let mut meta = serde_json::json!({
            "jwks": jwks_of(&*key),
            "id_token_encrypted_response_alg": alg,
        });
        if let Some(e) = enc {
            meta["id_token_encrypted_response_enc"] = e.into();
        }
        let c = rp(&h, meta);
        // OIDC DCR §2: A128CBC-HS256 when only the alg is registered.
        assert_eq!(
            c.client
                .metadata
                .id_token_encrypted_response_enc
                .map(|e| e.as_str()),
            Some(enc.unwrap_or("A128CBC-HS256"))
        );
        let tok = code_flow(&h, &c);
        let id_token = tok["id_token"].as_str().unwrap();
        let header = jwe::parse(id_token).unwrap().header;
        assert_eq!(header.alg, alg);
        assert_eq!(header.kid.as_deref(), Some("client-enc-1"));
        let claims = open_nested(&h, id_token, Decrypter::Private(&*key));
        assert_eq!(claims["nonce"], "n-1", "{alg}");
        assert_eq!(claims["aud"], c.client.client_id.as_str());
        // The access token beside it is unchanged.
        assert_eq!(
            json(&userinfo(
                &h,
                Some(format!("Bearer {}", tok["access_token"].as_str().unwrap())),
                None
            ))["given_name"],
            "Alice"
        );
    }
}

#[test]
fn symmetric_encryption_uses_a_key_derived_from_the_client_secret() {
    let h = harness();
    for (alg, enc) in [
        ("A128KW", "A128GCM"),
        ("A256KW", "A256CBC-HS512"),
        ("dir", "A128CBC-HS256"),
    ] {
        let c = rp(
            &h,
            serde_json::json!({"id_token_encrypted_response_alg": alg, "id_token_encrypted_response_enc": enc}),
        );
        let tok = code_flow(&h, &c);
        let secret = c.client_secret.as_deref().unwrap();
        let key = jwe::secret_key(secret, alg.parse().unwrap(), enc.parse().unwrap());
        let claims = open_nested(
            &h,
            tok["id_token"].as_str().unwrap(),
            Decrypter::Secret(&key),
        );
        assert_eq!(claims["nonce"], "n-1", "{alg} {enc}");
        // Another secret's key does not open it.
        let wrong = jwe::secret_key("not the secret", alg.parse().unwrap(), enc.parse().unwrap());
        assert!(
            jwe::decrypt(
                tok["id_token"].as_str().unwrap(),
                Decrypter::Secret(&wrong),
                ALL,
                h.ctx().rng.as_ref()
            )
            .is_err()
        );
    }
}

#[test]
fn id_tokens_from_the_authorization_endpoint_are_encrypted_too() {
    let h = harness();
    let key = ec_key(&h);
    let c = rp(
        &h,
        serde_json::json!({
            "grant_types": ["authorization_code", "implicit"],
            "response_types": ["code", "code id_token", "id_token"],
            "jwks": jwks_of(&*key),
            "id_token_encrypted_response_alg": "ECDH-ES",
        }),
    );
    let (_, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    for rt in ["code id_token", "id_token"] {
        let to = location(&authorize(&h, &with_type(&c, rt, &[]), Some(&cookie)));
        let id_token = fragment(&to, "id_token").unwrap();
        let claims = open_nested(&h, &id_token, Decrypter::Private(&*key));
        assert_eq!(claims["nonce"], "n-1", "{rt}");
        if rt == "code id_token" {
            let code = fragment(&to, "code").unwrap();
            assert_eq!(
                claims["c_hash"],
                jans_core::auth::oidc::id_token::half_hash(Algorithm::ES256, &code).as_str()
            );
        }
    }
}

#[test]
fn userinfo_encrypted_alone_or_signed_then_encrypted() {
    let h = harness();
    let key = rsa_key(&h);
    // Encrypted only: the JSON claims are the JWE's plaintext.
    let c = rp(
        &h,
        serde_json::json!({"jwks": jwks_of(&*key), "userinfo_encrypted_response_alg": "RSA-OAEP-256"}),
    );
    let at = code_flow(&h, &c)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = userinfo(&h, Some(format!("Bearer {at}")), None);
    assert_eq!(r.content_type(), Some("application/jwt"));
    let body = String::from_utf8(r.body_bytes()).unwrap();
    let (header, plain) =
        jwe::decrypt(&body, Decrypter::Private(&*key), ALL, h.ctx().rng.as_ref()).unwrap();
    assert_eq!(header.cty, None);
    let claims: serde_json::Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(claims["given_name"], "Alice");
    assert!(claims["sub"].is_string());
    // Signed, then encrypted: a nested JWT with iss and aud (OIDC Core §5.3.2).
    let c = rp(
        &h,
        serde_json::json!({"jwks": jwks_of(&*key), "userinfo_signed_response_alg": "ES256",
                           "userinfo_encrypted_response_alg": "RSA-OAEP", "userinfo_encrypted_response_enc": "A256GCM"}),
    );
    let at = code_flow(&h, &c)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = userinfo(&h, Some(format!("Bearer {at}")), None);
    let claims = open_nested(
        &h,
        &String::from_utf8(r.body_bytes()).unwrap(),
        Decrypter::Private(&*key),
    );
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], c.client.client_id.as_str());
    assert_eq!(claims["given_name"], "Alice");
}

#[test]
fn jwt_introspection_responses_are_encrypted_to_the_caller() {
    let h = harness();
    let key = ec_key(&h);
    let rs = h.register(serde_json::json!({
        "jwks": jwks_of(&*key),
        "introspection_encrypted_response_alg": "ECDH-ES+A128KW",
        "introspection_encrypted_response_enc": "A128GCM",
    }));
    let c = h.register(serde_json::json!({}));
    let at = h.cc_token(&c);
    let req = Request::new(AuthEndpoint::Introspection, Method::Post)
        .with_form(Params::from_pairs([("token", at.as_str())]))
        .with_authorization(basic(&rs))
        .with_accept("application/token-introspection+jwt");
    let r = h.call(req);
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.content_type(),
        Some("application/token-introspection+jwt")
    );
    let claims = open_nested(
        &h,
        &String::from_utf8(r.body_bytes()).unwrap(),
        Decrypter::Private(&*key),
    );
    assert_eq!(claims["aud"], rs.client.client_id.as_str());
    assert_eq!(claims["token_introspection"]["active"], true);
    // A plain JSON answer stays plain JSON.
    let req = Request::new(AuthEndpoint::Introspection, Method::Post)
        .with_form(Params::from_pairs([("token", at.as_str())]))
        .with_authorization(basic(&rs));
    assert_eq!(json(&h.call(req))["active"], true);
}

fn register(h: &Harness, body: serde_json::Value) -> jans_core::Response {
    let mut req = Request::new(AuthEndpoint::Register, Method::Post);
    req.content_type = Some("application/json".into());
    req.body = serde_json::to_vec(&body).unwrap();
    h.call(req)
}

#[test]
fn registration_refuses_encryption_it_cannot_honour() {
    let h = harness();
    let ec = ec_key(&h);
    let rsa = rsa_key(&h);
    let before = block_on_count(&h);
    let cb = serde_json::json!([CB]);
    let mut signing_rsa = serde_json::to_value(rsa.public_jwk()).unwrap();
    signing_rsa["use"] = "sig".into();
    for (body, says) in [
        (
            serde_json::json!({"id_token_encrypted_response_enc": "A128GCM"}),
            "an enc needs id_token_encrypted_response_alg",
        ),
        (
            serde_json::json!({"id_token_encrypted_response_alg": "RSA1_5"}),
            "RSA1_5",
        ),
        (
            serde_json::json!({"userinfo_encrypted_response_alg": "RSA-OAEP", "userinfo_encrypted_response_enc": "A192GCM"}),
            "A192GCM",
        ),
        (
            serde_json::json!({"id_token_encrypted_response_alg": "RSA-OAEP"}),
            "needs jwks or jwks_uri",
        ),
        // The client's keys have no RSA encryption key.
        (
            serde_json::json!({"jwks": jwks_of(&*ec), "id_token_encrypted_response_alg": "RSA-OAEP"}),
            "no encryption key",
        ),
        // A signing key is not an encryption key.
        (
            serde_json::json!({"jwks": {"keys": [signing_rsa]}, "id_token_encrypted_response_alg": "RSA-OAEP"}),
            "no encryption key",
        ),
        // A public client has no secret to derive a key from.
        (
            serde_json::json!({"token_endpoint_auth_method": "none", "id_token_encrypted_response_alg": "dir"}),
            "needs a client secret",
        ),
    ] {
        let mut body = body;
        body["redirect_uris"] = cb.clone();
        let r = register(&h, body.clone());
        assert_error(&r, 400, "invalid_client_metadata");
        let d = json(&r)["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(d.contains(says), "{body}: {d}");
    }
    assert_eq!(block_on_count(&h), before, "nothing was stored");
}

fn block_on_count(h: &Harness) -> usize {
    jans_core::testing::block_on(h.engine.stores().clients.list())
        .unwrap()
        .len()
}

#[test]
fn discovery_lists_the_encryption_algorithms() {
    let h = harness();
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    for member in [
        "id_token_encryption_alg_values_supported",
        "userinfo_encryption_alg_values_supported",
        "introspection_encryption_alg_values_supported",
    ] {
        let listed = d[member].as_array().unwrap();
        for alg in [
            "RSA-OAEP",
            "RSA-OAEP-256",
            "ECDH-ES",
            "ECDH-ES+A128KW",
            "ECDH-ES+A256KW",
            "A128KW",
            "A256KW",
            "dir",
        ] {
            assert!(listed.iter().any(|a| a == alg), "{member} {alg}");
        }
        assert!(!listed.iter().any(|a| a == "RSA1_5"));
    }
    for member in [
        "id_token_encryption_enc_values_supported",
        "userinfo_encryption_enc_values_supported",
        "introspection_encryption_enc_values_supported",
    ] {
        assert_eq!(
            d[member],
            serde_json::json!(["A128CBC-HS256", "A256CBC-HS512", "A128GCM", "A256GCM"]),
            "{member}"
        );
    }
}

/// A client's `jwks_uri` without a key for its alg is fetched again (once per response),
/// so a key it adds later is used; until then the response cannot be made: `invalid_client`
/// and a page, never a 500.
#[test]
fn a_jwks_uri_is_fetched_again_for_a_missing_encryption_key() {
    let h = harness();
    let key = ec_key(&h);
    let uri = "https://rp.example.com/jwks.json";
    let signing_only = json!({"keys": []});
    h.http
        .docs
        .lock()
        .unwrap()
        .insert(uri.into(), serde_json::to_vec(&signing_only).unwrap());
    let c = rp(
        &h,
        json!({"jwks_uri": uri, "id_token_encrypted_response_alg": "ECDH-ES",
               "authorization_encrypted_response_alg": "ECDH-ES"}),
    );
    let (cb, cookie) = login_and_consent(&h, &authorize(&h, &std_params(&c), None));
    let r = redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER);
    assert_error(&r, 401, "invalid_client");
    // A JARM response cannot be made either: the error page, 400.
    let mut p = std_params(&c);
    p.push(("response_mode", "jwt"));
    let r = authorize(&h, &p, Some(&cookie));
    assert_eq!(r.status(), 400);
    assert!(matches!(&r.body, jans_core::Body::Page(page) if page.template == "error.html"));
    // The client publishes its key: the next response fetches the set again and uses it.
    h.http
        .docs
        .lock()
        .unwrap()
        .insert(uri.into(), serde_json::to_vec(&jwks_of(&*key)).unwrap());
    let cb = location(&authorize(&h, &std_params(&c), Some(&cookie)));
    let tok = json(&redeem(&h, &c, &q(&cb, "code").unwrap(), VERIFIER));
    let claims = open_nested(
        &h,
        tok["id_token"].as_str().unwrap(),
        Decrypter::Private(&*key),
    );
    assert_eq!(claims["nonce"], "n-1");
}
