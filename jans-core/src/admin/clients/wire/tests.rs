//! The config API's client JSON, read and shown.

use super::*;
use crate::jose::Algorithm;
use crate::jose::jwe::{Enc, KeyAlg};
use crate::repo::client::AuthMethod;
use serde_json::json;

fn scopes() -> Vec<Scope> {
    crate::repo::scope::defaults()
}

/// Every metadata member set: what `show` writes, `read` gives back unchanged.
#[test]
fn a_shown_client_reads_back_the_same() {
    let metadata = ClientMetadata {
        redirect_uris: vec!["https://rp.example/cb".into()],
        token_endpoint_auth_method: AuthMethod::PrivateKeyJwt,
        token_endpoint_auth_signing_alg: Some(Algorithm::ES256),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        response_types: vec!["code".into()],
        client_name: Some("RP".into()),
        client_uri: Some("https://rp.example".into()),
        logo_uri: Some("https://rp.example/logo.png".into()),
        scope: Some("openid profile custom-scope".into()),
        contacts: vec!["ops@rp.example".into()],
        tos_uri: Some("https://rp.example/tos".into()),
        policy_uri: Some("https://rp.example/policy".into()),
        jwks_uri: None,
        jwks: Some(
            serde_json::from_value(json!({"keys": [{"kty": "EC", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}))
            .unwrap(),
        ),
        software_id: Some("sw".into()),
        software_version: Some("1".into()),
        application_type: Some("web".into()),
        access_token_as_jwt: true,
        rpt_as_jwt: true,
        require_pushed_authorization_requests: true,
        dpop_bound_access_tokens: true,
        authorization_details_types: vec!["payment_initiation".into()],
        claims_redirect_uri: vec!["https://rp.example/claims".into()],
        access_token_signing_alg: Some(Algorithm::RS256),
        access_token_lifetime: Some(600),
        introspection_signed_response_alg: Some(Algorithm::RS256),
        id_token_signed_response_alg: Some(Algorithm::ES256),
        frontchannel_logout_uri: Some("https://rp.example/fc".into()),
        frontchannel_logout_session_required: true,
        backchannel_logout_uri: Some("https://rp.example/bc".into()),
        backchannel_logout_session_required: true,
        post_logout_redirect_uris: vec!["https://rp.example/bye".into()],
        subject_type: Some("pairwise".into()),
        sector_identifier_uri: Some("https://rp.example/sector.json".into()),
        userinfo_signed_response_alg: Some(Algorithm::RS256),
        id_token_encrypted_response_alg: Some(KeyAlg::EcdhEs),
        id_token_encrypted_response_enc: Some(Enc::A256Gcm),
        userinfo_encrypted_response_alg: Some(KeyAlg::EcdhEsA128Kw),
        userinfo_encrypted_response_enc: Some(Enc::A128CbcHs256),
        introspection_encrypted_response_alg: Some(KeyAlg::EcdhEsA256Kw),
        introspection_encrypted_response_enc: Some(Enc::A128Gcm),
        authorization_signed_response_alg: Some(Algorithm::PS256),
        authorization_encrypted_response_alg: Some(KeyAlg::EcdhEs),
        authorization_encrypted_response_enc: Some(Enc::A256CbcHs512),
        request_object_signing_alg: Some(Algorithm::PS256),
        request_uris: vec!["https://rp.example/request.jwt".into()],
        request_object_encryption_alg: Some(KeyAlg::RsaOaep256),
        request_object_encryption_enc: Some(Enc::A128CbcHs256),
        backchannel_token_delivery_mode: Some("ping".into()),
        backchannel_client_notification_endpoint: Some("https://rp.example/ciba".into()),
        backchannel_user_code_parameter: false,
        backchannel_authentication_request_signing_alg: Some(Algorithm::PS256),
        require_pkce: true,
        trusted_client: true,
        tls_client_auth_subject_dn: Some("CN=rp,O=Example".into()),
        tls_client_auth_san_dns: Some("rp.example".into()),
        tls_client_auth_san_uri: Some("https://rp.example/id".into()),
        tls_client_auth_san_ip: Some("192.0.2.7".into()),
        tls_client_auth_san_email: Some("ops@rp.example".into()),
        tls_client_certificate_bound_access_tokens: true,
    };
    let client = Client {
        client_id: "c-1".into(),
        client_secret_sealed: None,
        client_id_issued_at: 1_700_000_000,
        client_secret_expires_at: 0,
        disabled: true,
        registration_access_token_hash: None,
        description: Some("the RP".into()),
        metadata: metadata.clone(),
    };
    let scopes = scopes();
    let shown = show(&client, &inums(&scopes));
    assert_eq!(shown["inum"], "c-1");
    assert_eq!(shown["displayName"], "RP");
    assert_eq!(shown["clientIdIssuedAt"], "2023-11-14T22:13:20Z");
    assert_eq!(
        shown["attributes"]["backchannelLogoutUri"],
        json!(["https://rp.example/bc"])
    );
    assert!(
        shown["jwks"].is_string(),
        "Janssen keeps the key set as text"
    );
    // Registered scopes by DN, others by id.
    let openid = scopes.iter().find(|s| s.id == "openid").unwrap();
    assert_eq!(
        shown["scopes"][0],
        format!("inum={},ou=scopes,o=jans", openid.inum)
    );
    assert_eq!(shown["scopes"][2], "custom-scope");
    assert!(shown.get("clientSecret").is_none());
    assert_eq!(
        shown["attributes"]["tlsClientAuthSubjectDn"],
        "CN=rp,O=Example"
    );
    let back = read(shown, &scopes, Some("RP")).unwrap();
    assert_eq!(back.metadata, metadata);
    assert_eq!(back.inum.as_deref(), Some("c-1"));
    assert_eq!(back.description.as_deref(), Some("the RP"));
    assert!(back.disabled);
    assert_eq!(back.secret, None);
}

#[test]
fn the_name_that_changed_is_the_one_kept() {
    let s = scopes();
    let both = |c: &str, d: &str, previous| {
        read(json!({"clientName": c, "displayName": d}), &s, previous)
            .unwrap()
            .metadata
            .client_name
    };
    assert_eq!(both("old", "new", Some("old")).as_deref(), Some("new"));
    assert_eq!(both("new", "old", Some("old")).as_deref(), Some("new"));
    assert_eq!(both("a", "b", None).as_deref(), Some("a"));
    let one = read(json!({"displayName": "d"}), &s, None).unwrap();
    assert_eq!(one.metadata.client_name.as_deref(), Some("d"));
}

#[test]
fn unimplemented_settings_are_refused_unless_empty() {
    let s = scopes();
    // Janssen's defaults and computed members pass.
    read(
        json!({"idTokenEncryptedResponseAlg": null, "requestUris": [], "rptAsJwt": false,
            "customAttributes": [], "dn": "x", "persistClientAuthorizations": true,
            "attributes": {"requirePar": false, "parLifetime": 0}}),
        &s,
        None,
    )
    .unwrap();
    for (v, named) in [
        (
            json!({"initiateLoginUri": "https://rp.example/login"}),
            "initiateLoginUri",
        ),
        (json!({"defaultAcrValues": ["u2f"]}), "defaultAcrValues"),
        (
            json!({"attributes": {"parLifetime": 30}}),
            "attributes.parLifetime",
        ),
        (json!({"madeUp": 1}), "madeUp"),
        (json!({"grantTypes": "code"}), "grantTypes"),
        (
            json!({"attributes": {"requirePkce": "yes"}}),
            "attributes.requirePkce",
        ),
        (json!({"scopes": ["inum=NOPE,ou=scopes,o=jans"]}), "NOPE"),
        (json!({"inum": "a/b"}), "inum"),
        (json!({"clientSecret": "short"}), "clientSecret"),
        (json!({"jwks": "{not json"}), "jwks"),
        (json!([]), "object"),
    ] {
        let e = read(v.clone(), &s, None).unwrap_err();
        assert_eq!(e.status, 400, "{v}");
        assert!(e.description.contains(named), "{v}: {}", e.description);
    }
}

#[test]
fn scopes_are_read_by_dn_or_id_once_each() {
    let s = scopes();
    let openid = s.iter().find(|x| x.id == "openid").unwrap();
    let w = read(
        json!({"scopes": [format!("inum={},ou=scopes,o=jans", openid.inum), "openid", "email"]}),
        &s,
        None,
    )
    .unwrap();
    assert_eq!(w.metadata.scope.as_deref(), Some("openid email"));
}
