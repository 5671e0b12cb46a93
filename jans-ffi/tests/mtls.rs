//! Mutual TLS (RFC 8705) through the C ABI: a C host that terminated TLS passes the
//! client's certificate and intermediates in `jans_handle`'s request document
//! (`client_cert_der`, `client_cert_chain_der`); `tls_client_auth` and certificate-bound
//! JWT access tokens follow, and `jans_token_verify_mtls` is the only local verification
//! such a token passes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, unsafe_code)]

use std::ffi::CString;
use std::ptr::{null, null_mut};

use base64::Engine as _;
use jans::*;
use jans_core::testing::pki::{self, Issued, Spec};
use serde_json::{Value, json};

mod common;
use common::*;

fn b64(der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(der)
}

/// A root, an intermediate under it, a client certificate under that, and a stranger's
/// self-signed one with the same subject.
fn pki() -> (Issued, Issued, Issued, Issued) {
    let p = jans_core::crypto::aws_lc::AwsLcProvider;
    let rng = jans_core::testing::SeededRandom::new(5);
    let now = jans_http::now();
    let root = pki::issue(&Spec::new("Root", 1, now - 3600, true), None, &p, &rng).unwrap();
    let inter = pki::issue(
        &Spec::new("Intermediate", 2, now - 3600, true),
        Some(&root),
        &p,
        &rng,
    )
    .unwrap();
    let leaf = pki::issue(
        &Spec::new("device 7", 3, now - 3600, false),
        Some(&inter),
        &p,
        &rng,
    )
    .unwrap();
    let stranger =
        pki::issue(&Spec::new("device 7", 4, now - 3600, false), None, &p, &rng).unwrap();
    (root, inter, leaf, stranger)
}

fn engine(root: &Issued) -> u64 {
    let config = json!({"issuer": "https://id.example.com", "defaultSignatureAlgorithm": "ES256",
                        "keyAlgsAllowedForGeneration": ["ES256"],
                        "mtlsTrustedCaCertificates": [pki::pem(&root.der)]});
    new_engine(&config.to_string(), None)
}

/// `client_credentials` for `client_id` over a connection with `cert` and `chain`: the
/// response's status and body.
fn token(id: u64, client_id: &str, cert: Option<&Issued>, chain: &[&Issued]) -> (u16, Value) {
    let mut req = json!({
        "method": "POST",
        "path": "/jans-auth/restv1/token",
        "headers": {"content-type": "application/x-www-form-urlencoded"},
        "body": format!("grant_type=client_credentials&client_id={client_id}"),
        "client_cert_chain_der": chain.iter().map(|c| b64(&c.der)).collect::<Vec<_>>(),
    });
    if let Some(c) = cert {
        req["client_cert_der"] = b64(&c.der).into();
    }
    let (s, resp) = handle(id, &req);
    assert_eq!(s, JansStatus::Ok, "{}", last_error());
    let resp = resp.unwrap();
    (resp["status"].as_u64().unwrap() as u16, body_json(&resp))
}

fn verify_mtls(id: u64, token: &str, cert: Option<&[u8]>) -> JansStatus {
    let t = CString::new(token).unwrap();
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let (ptr, len) = cert.map_or((null(), 0), |c| (c.as_ptr(), c.len()));
    let s = unsafe { jans_token_verify_mtls(id, t.as_ptr(), ptr, len, null(), &mut out) };
    if s == JansStatus::Ok {
        let claims = take(&mut out);
        assert!(claims["cnf"]["x5t#S256"].is_string());
    }
    s
}

#[test]
fn a_certificate_passed_by_a_c_host_authenticates_and_binds() {
    let (root, inter, leaf, stranger) = pki();
    let id = engine(&root);
    let client = register(
        id,
        &json!({"token_endpoint_auth_method": "tls_client_auth",
                "tls_client_auth_subject_dn": "CN=device 7",
                "tls_client_certificate_bound_access_tokens": true,
                "access_token_as_jwt": true, "access_token_signing_alg": "ES256",
                "grant_types": ["client_credentials"]}),
    );
    let client_id = client["client_id"].as_str().unwrap();

    // Refused: no certificate, no intermediate, a stranger's.
    for (why, cert, chain) in [
        ("no certificate", None, vec![]),
        ("no intermediate", Some(&leaf), vec![]),
        ("a stranger's", Some(&stranger), vec![]),
    ] {
        let (status, body) = token(id, client_id, cert, &chain);
        assert_eq!(status, 401, "{why}: {body}");
        assert_eq!(body["error"], "invalid_client");
    }
    let (status, body) = token(id, client_id, Some(&leaf), &[&inter]);
    assert_eq!(status, 200, "{body}");
    let at = body["access_token"].as_str().unwrap();

    // jans_token_verify refuses it; jans_token_verify_mtls takes it with its certificate.
    let t = CString::new(at).unwrap();
    let mut out = JansBuf {
        data: null_mut(),
        len: 0,
    };
    let s = unsafe { jans_token_verify(id, t.as_ptr(), null(), &mut out) };
    assert_eq!(s, JansStatus::TokenInvalid);
    assert!(
        last_error().contains("certificate-bound"),
        "{}",
        last_error()
    );
    assert_eq!(
        verify_mtls(id, at, Some(&leaf.der)),
        JansStatus::Ok,
        "{}",
        last_error()
    );
    assert_eq!(
        verify_mtls(id, at, Some(&stranger.der)),
        JansStatus::TokenInvalid
    );
    assert!(
        last_error().contains("another certificate"),
        "{}",
        last_error()
    );
    assert_eq!(verify_mtls(id, at, None), JansStatus::InvalidArgument);
    let huge = vec![0u8; jans_core::x509::MAX_CERT_LEN + 1];
    assert_eq!(verify_mtls(id, at, Some(&huge)), JansStatus::TooLarge);

    // A chain that is not base64, or too long, is refused before the engine sees it.
    let bad = json!({"method": "POST", "path": "/jans-auth/restv1/token",
                     "client_cert_chain_der": ["%%%"]});
    let many = json!({"method": "POST", "path": "/jans-auth/restv1/token",
                      "client_cert_chain_der": vec![b64(&inter.der); 9]});
    for req in [bad, many] {
        assert_eq!(handle(id, &req).0, JansStatus::InvalidArgument, "{req}");
    }
    jans_engine_free(id);
}
