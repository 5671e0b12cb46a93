//! Mutual TLS (RFC 8705; issue 16 item 6) through the engine: `tls_client_auth` by a
//! trusted CA and the registered subject DN or alternative name, `self_signed_tls_client_auth`
//! by a registered certificate (inline and by `jwks_uri`, rolled over), every refusal (and
//! that it stores nothing), certificate-bound access tokens (`cnf.x5t#S256`) where they are
//! presented — userinfo, introspection, local verification — bound refresh tokens of public
//! clients, the registration rules, discovery and the endpoint aliases.

use jans_core::auth::oauth::verify::VerifyError;
use jans_core::jose::{Algorithm, jws};
use jans_core::params::Params;
use jans_core::testing::block_on;
use jans_core::testing::pki::{self, Issued, Spec, seq, tlv};
use jans_core::{AuthEndpoint, Config, Method, RegisteredClient, Request, Response};
use serde_json::{Value, json};

use super::authorize::{
    CB, VERIFIER, authorize, login_and_consent, login_and_consent_scopes, q, rp, std_params,
};
use super::harness::*;

const SUBJECT: &str = "CN=client one,O=Example\\, Inc.,C=US";

/// A root CA, an intermediate under it, and what they issue.
struct Pki {
    root: Issued,
    inter: Issued,
}

fn subject(cn: &str) -> Vec<(&'static str, String)> {
    vec![
        ("2.5.4.6", "US".into()),
        ("2.5.4.10", "Example, Inc.".into()),
        ("2.5.4.3", cn.into()),
    ]
}

/// The subjectAltName extension: dNSName, URI, iPAddress and rfc822Name entries.
fn san() -> (&'static str, bool, Vec<u8>) {
    let names = seq(&[
        tlv(0x82, b"client.example.com"),
        tlv(0x86, b"https://client.example.com/id"),
        tlv(0x87, &[192, 0, 2, 7]),
        tlv(0x81, b"Ops@Client.Example.com"),
    ]);
    ("2.5.29.17", false, names)
}

impl Pki {
    fn new(h: &Harness) -> Pki {
        let p = h.provider();
        let mut root = Spec::new("Test Root", 1, T0 - 86_400, true);
        root.subject = vec![("2.5.4.3", "Test Root".into())];
        let root = pki::issue(&root, None, p.as_ref(), h.rng.as_ref()).unwrap();
        let inter = Spec::new("Test Intermediate", 2, T0 - 86_400, true);
        let inter = pki::issue(&inter, Some(&root), p.as_ref(), h.rng.as_ref()).unwrap();
        Pki { root, inter }
    }

    /// A client certificate named `cn` (and the alternative names) from the intermediate.
    fn leaf(&self, h: &Harness, cn: &str) -> Issued {
        self.leaf_with(h, cn, |_| {})
    }

    fn leaf_with(&self, h: &Harness, cn: &str, f: impl FnOnce(&mut Spec)) -> Issued {
        let mut spec = Spec::new(cn, 10, T0 - 3600, false);
        spec.subject = subject(cn);
        spec.extensions.push(san());
        f(&mut spec);
        pki::issue(
            &spec,
            Some(&self.inter),
            h.provider().as_ref(),
            h.rng.as_ref(),
        )
        .unwrap()
    }
}

/// A self-signed client certificate named `cn`.
fn self_signed(h: &Harness, cn: &str) -> Issued {
    let mut spec = Spec::new(cn, 20, T0 - 3600, false);
    spec.subject = subject(cn);
    pki::issue(&spec, None, h.provider().as_ref(), h.rng.as_ref()).unwrap()
}

fn mtls_config(p: &Pki) -> Config {
    Config {
        mtls_trusted_ca_certificates: vec![pki::pem(&p.root.der)],
        mtls_token_endpoint: Some("https://mtls.id.example.com/jans-auth/restv1/token".into()),
        mtls_user_info_endpoint: Some(
            "https://mtls.id.example.com/jans-auth/restv1/userinfo".into(),
        ),
        ..config()
    }
}

/// A harness trusting `Pki`'s root, with alice; and the PKI.
fn mtls_harness() -> (Harness, Pki) {
    // The PKI's keys come from a harness of their own, so both stay deterministic.
    let pki = Pki::new(&Harness::new());
    let h = Harness::with(
        mtls_config(&pki),
        jans_core::repo::Stores::memory(),
        [7; 32],
    );
    h.add_user("alice");
    (h, pki)
}

fn form(pairs: &[(&str, &str)]) -> Params {
    Params::from_pairs(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())))
}

/// `req` over a mutual-TLS connection with `cert` (and the intermediates `chain`).
fn over(mut req: Request, cert: Option<&Issued>, chain: &[&Issued]) -> Request {
    req.client_certificate = cert.map(|c| c.der.clone());
    req.client_certificate_chain = chain.iter().map(|c| c.der.clone()).collect();
    req
}

fn token(
    h: &Harness,
    pairs: &[(&str, &str)],
    auth: Option<String>,
    cert: Option<&Issued>,
    chain: &[&Issued],
) -> Response {
    let mut req = Request::new(AuthEndpoint::Token, Method::Post).with_form(form(pairs));
    req.authorization = auth;
    h.call(over(req, cert, chain))
}

/// client_credentials for `c` authenticating with `client_id` and the certificate.
fn cc(h: &Harness, c: &RegisteredClient, cert: Option<&Issued>, chain: &[&Issued]) -> Response {
    token(
        h,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &c.client.client_id),
        ],
        None,
        cert,
        chain,
    )
}

fn access_token(r: &Response) -> String {
    assert_eq!(r.status(), 200, "{:?}", r.body);
    json(r)["access_token"].as_str().unwrap().to_owned()
}

fn tls_client(h: &Harness, name: (&str, &str), extra: Value) -> RegisteredClient {
    let mut m = json!({"token_endpoint_auth_method": "tls_client_auth",
                       "grant_types": ["client_credentials"], "scope": "read"});
    m[name.0] = name.1.into();
    for (k, v) in extra.as_object().unwrap() {
        m[k] = v.clone();
    }
    h.register(m)
}

fn x5t(cert: &Issued) -> String {
    jans_core::x509::thumbprint_s256(&cert.der)
}

#[test]
fn tls_client_auth_takes_a_chain_to_a_trusted_ca_with_the_registered_subject() {
    let (h, pki) = mtls_harness();
    let c = tls_client(&h, ("tls_client_auth_subject_dn", SUBJECT), json!({}));
    assert!(c.client_secret.is_none(), "no secret for mutual TLS");
    let other = tls_client(
        &h,
        (
            "tls_client_auth_subject_dn",
            "CN=client two,O=Example\\, Inc.,C=US",
        ),
        json!({}),
    );
    let leaf = pki.leaf(&h, "client one");
    let stranger_ca = Pki::new(&Harness::with_seed(
        config(),
        jans_core::repo::Stores::memory(),
        [7; 32],
        9,
    ));
    let expired = pki.leaf_with(&h, "client one", |s| {
        s.not_before = T0 - 7200;
        s.not_after = T0 - 60;
    });
    let not_ca = pki.leaf(&h, "not a CA");
    let under_leaf = {
        let mut spec = Spec::new("client one", 11, T0 - 3600, false);
        spec.subject = subject("client one");
        pki::issue(&spec, Some(&not_ca), h.provider().as_ref(), h.rng.as_ref()).unwrap()
    };

    // Every refusal: invalid_client, 401, and nothing stored.
    let refused: Vec<(&str, Response)> = vec![
        ("no certificate", cc(&h, &c, None, &[])),
        ("without its intermediate", cc(&h, &c, Some(&leaf), &[])),
        (
            "from another CA",
            cc(
                &h,
                &c,
                Some(&stranger_ca.leaf(&h, "client one")),
                &[&stranger_ca.inter],
            ),
        ),
        (
            "another subject",
            cc(&h, &c, Some(&pki.leaf(&h, "client two")), &[&pki.inter]),
        ),
        ("expired", cc(&h, &c, Some(&expired), &[&pki.inter])),
        (
            "issued by a certificate that is not a CA",
            cc(&h, &c, Some(&under_leaf), &[&not_ca, &pki.inter]),
        ),
        (
            "another client's id",
            cc(&h, &other, Some(&leaf), &[&pki.inter]),
        ),
        (
            "a secret instead",
            token(
                &h,
                &[("grant_type", "client_credentials")],
                Some(basic_raw(&c.client.client_id, "guess")),
                Some(&leaf),
                &[&pki.inter],
            ),
        ),
        (
            "a certificate that does not parse",
            h.call({
                let mut req = Request::new(AuthEndpoint::Token, Method::Post).with_form(form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", &c.client.client_id),
                ]));
                req.client_certificate = Some(b"\x30\x03\x02\x01\x01".to_vec());
                req
            }),
        ),
    ];
    for (why, r) in refused {
        assert_eq!(r.status(), 401, "{why}: {:?}", r.body);
        assert_eq!(json(&r)["error"], "invalid_client", "{why}");
    }
    assert_eq!(h.count_grants(), 0, "a refusal stores nothing");

    // The chain through the intermediate, and the subject written in another case and
    // spacing: accepted. The token is a bearer token (the client did not ask for binding).
    let r = cc(&h, &c, Some(&leaf), &[&pki.inter]);
    assert_eq!(json(&r)["token_type"], "Bearer");
    let i = h.introspect(&c_basic(&h), &access_token(&r));
    assert_eq!(i["active"], true);
    assert!(i.get("cnf").is_none());
    let spaced = tls_client(
        &h,
        (
            "tls_client_auth_subject_dn",
            "cn=Client One, o=EXAMPLE\\2C INC., c=us",
        ),
        json!({}),
    );
    assert_eq!(
        cc(&h, &spaced, Some(&leaf), &[&pki.inter]).status(),
        200,
        "DN values compare without regard to case and spacing"
    );
    // A chain that includes the root is fine too.
    assert_eq!(
        cc(&h, &c, Some(&leaf), &[&pki.inter, &pki.root]).status(),
        200
    );
}

/// A client_secret_basic client allowed to introspect.
fn c_basic(h: &Harness) -> RegisteredClient {
    h.register(json!({"grant_types": ["client_credentials"], "scope": "read"}))
}

#[test]
fn each_alternative_name_matches_only_its_own_value() {
    let (h, pki) = mtls_harness();
    let leaf = pki.leaf(&h, "client one");
    let cases = [
        ("tls_client_auth_san_dns", "CLIENT.example.com", true),
        ("tls_client_auth_san_dns", "other.example.com", false),
        (
            "tls_client_auth_san_uri",
            "https://client.example.com/id",
            true,
        ),
        (
            "tls_client_auth_san_uri",
            "https://client.example.com/other",
            false,
        ),
        ("tls_client_auth_san_ip", "192.0.2.7", true),
        ("tls_client_auth_san_ip", "192.0.2.8", false),
        ("tls_client_auth_san_email", "Ops@client.example.COM", true),
        ("tls_client_auth_san_email", "ops@client.example.com", false),
        ("tls_client_auth_subject_dn", "CN=client one,C=US", false),
    ];
    for (member, value, accepted) in cases {
        let c = tls_client(&h, (member, value), json!({}));
        let r = cc(&h, &c, Some(&leaf), &[&pki.inter]);
        let want = if accepted { 200 } else { 401 };
        assert_eq!(r.status(), want, "{member}={value}: {:?}", r.body);
    }
}

/// A `jwks` whose one key is `cert`'s, with the certificate in `x5c`.
fn jwks_with(cert: &Issued) -> Value {
    use base64::Engine as _;
    let mut jwk = serde_json::to_value(cert.key.public_jwk()).unwrap();
    jwk["x5c"] = json!([base64::engine::general_purpose::STANDARD.encode(&cert.der)]);
    json!({"keys": [jwk]})
}

#[test]
fn self_signed_tls_client_auth_takes_only_a_registered_certificate() {
    let (h, _) = mtls_harness();
    let mine = self_signed(&h, "client one");
    let twin = self_signed(&h, "client one");
    let c = h.register(
        json!({"token_endpoint_auth_method": "self_signed_tls_client_auth",
                              "grant_types": ["client_credentials"], "scope": "read",
                              "jwks": jwks_with(&mine)}),
    );
    // Same subject, another certificate: refused; no chain is built for these either, so
    // the CA set does not matter.
    assert_error(&cc(&h, &c, Some(&twin), &[]), 401, "invalid_client");
    assert_error(&cc(&h, &c, None, &[]), 401, "invalid_client");
    assert_eq!(h.count_grants(), 0);
    assert_eq!(cc(&h, &c, Some(&mine), &[]).status(), 200);

    // By jwks_uri, and rolled over: the new certificate is fetched once and then known.
    let url = "https://client.example.com/jwks.json";
    let set = |cert: &Issued| {
        h.http
            .docs
            .lock()
            .unwrap()
            .insert(url.into(), jwks_with(cert).to_string().into_bytes())
    };
    set(&mine);
    let by_uri = h.register(
        json!({"token_endpoint_auth_method": "self_signed_tls_client_auth",
                                   "grant_types": ["client_credentials"], "scope": "read",
                                   "jwks_uri": url}),
    );
    assert_eq!(cc(&h, &by_uri, Some(&mine), &[]).status(), 200);
    set(&twin);
    let fetched = *h.http.fetches.lock().unwrap();
    assert_eq!(cc(&h, &by_uri, Some(&twin), &[]).status(), 200);
    assert_eq!(*h.http.fetches.lock().unwrap(), fetched + 1);
    // The old one is no longer published: refused (after one more fetch).
    assert_error(&cc(&h, &by_uri, Some(&mine), &[]), 401, "invalid_client");
}

#[test]
fn registration_rules_are_invalid_client_metadata() {
    let (h, pki) = mtls_harness();
    let no_x5c = json!({"keys": [serde_json::to_value(pki.root.key.public_jwk()).unwrap()]});
    let cases = [
        (
            json!({"token_endpoint_auth_method": "tls_client_auth"}),
            "exactly one",
        ),
        (
            json!({"token_endpoint_auth_method": "tls_client_auth",
                   "tls_client_auth_subject_dn": SUBJECT,
                   "tls_client_auth_san_dns": "client.example.com"}),
            "exactly one",
        ),
        (
            json!({"token_endpoint_auth_method": "tls_client_auth",
                   "tls_client_auth_subject_dn": "not a DN"}),
            "distinguished name",
        ),
        (
            json!({"token_endpoint_auth_method": "tls_client_auth",
                   "tls_client_auth_san_ip": "300.1.1.1"}),
            "IP address",
        ),
        (
            json!({"tls_client_auth_subject_dn": SUBJECT}),
            "only for token_endpoint_auth_method tls_client_auth",
        ),
        (
            json!({"token_endpoint_auth_method": "self_signed_tls_client_auth"}),
            "jwks or jwks_uri",
        ),
        (
            json!({"token_endpoint_auth_method": "self_signed_tls_client_auth",
                   "jwks": no_x5c}),
            "x5c",
        ),
    ];
    for (mut m, why) in cases {
        m["grant_types"] = json!(["client_credentials"]);
        let m = jans_core::repo::client::ClientMetadata::from_json(m).unwrap();
        let e = block_on(h.engine.register_client(m, &h.ctx())).unwrap_err();
        assert!(
            e.to_string().contains("invalid_client_metadata") && e.to_string().contains(why),
            "{e} should say {why}"
        );
    }
    // A server that trusts no CA takes no tls_client_auth client.
    let bare = Harness::new();
    let m = jans_core::repo::client::ClientMetadata::from_json(json!({
        "token_endpoint_auth_method": "tls_client_auth", "grant_types": ["client_credentials"],
        "tls_client_auth_subject_dn": SUBJECT}))
    .unwrap();
    let e = block_on(bare.engine.register_client(m, &bare.ctx())).unwrap_err();
    assert!(e.to_string().contains("mtlsTrustedCaCertificates"), "{e}");
    // Configuration: aliases are https URLs, CA entries are PEM certificates.
    for (bad, key) in [
        (
            Config {
                mtls_token_endpoint: Some("ftp://mtls.example.com/token".into()),
                ..config()
            },
            "mtlsTokenEndpoint",
        ),
        (
            Config {
                mtls_trusted_ca_certificates: vec![
                    "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----".into(),
                ],
                ..config()
            },
            "mtlsTrustedCaCertificates[0]",
        ),
    ] {
        assert_eq!(bad.validate().unwrap_err().key, key);
    }
}

/// A code for `c` through the login and consent (scope `openid profile` and, with
/// `offline`, `offline_access`).
fn code_for(h: &Harness, c: &RegisteredClient, offline: bool) -> String {
    let mut p = std_params(c);
    if offline {
        p.retain(|(k, _)| *k != "scope");
        p.push(("scope", "openid profile offline_access"));
        let (cb, _) = login_and_consent_scopes(h, &authorize(h, &p, None));
        return q(&cb, "code").unwrap();
    }
    let (cb, _) = login_and_consent(h, &authorize(h, &p, None));
    q(&cb, "code").unwrap()
}

fn userinfo(h: &Harness, token: &str, cert: Option<&Issued>) -> Response {
    let mut req = Request::new(AuthEndpoint::Userinfo, Method::Get);
    req.authorization = Some(format!("Bearer {token}"));
    h.call(over(req, cert, &[]))
}

#[test]
fn a_certificate_bound_token_works_only_with_its_certificate() {
    let (h, pki) = mtls_harness();
    // A confidential client with a secret: binding needs no mutual-TLS authentication.
    let c = rp(
        &h,
        json!({"tls_client_certificate_bound_access_tokens": true, "access_token_as_jwt": true}),
    );
    let cert = self_signed(&h, "client one");
    let other = pki.leaf(&h, "client one");
    let code = code_for(&h, &c, false);
    let redeem = |cert: Option<&Issued>| {
        token(
            &h,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CB),
                ("code_verifier", VERIFIER),
            ],
            Some(basic(&c)),
            cert,
            &[],
        )
    };
    // Without a certificate: refused before the code is spent.
    assert_error(&redeem(None), 400, "invalid_request");
    let r = redeem(Some(&cert));
    let body = json(&r);
    assert_eq!(
        body["token_type"], "Bearer",
        "RFC 8705 §3: still a bearer token type"
    );
    let at = access_token(&r);
    let claims: Value =
        serde_json::from_slice(jws::decode(&at).unwrap().payload_unverified()).unwrap();
    assert_eq!(claims["cnf"]["x5t#S256"], x5t(&cert));
    // Introspection says what it is bound to (§3.2).
    let i = h.introspect(&c, &at);
    assert_eq!(i["cnf"]["x5t#S256"], x5t(&cert));
    assert_eq!(i["token_type"], "Bearer");

    // Userinfo: only over a connection with that certificate.
    for (why, presented) in [("no certificate", None), ("another", Some(&other))] {
        let r = userinfo(&h, &at, presented);
        assert_error(&r, 401, "invalid_token");
        let challenge = header(&r, "www-authenticate").unwrap();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{why}: {challenge}"
        );
    }
    let r = userinfo(&h, &at, Some(&cert));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    assert!(json(&r)["sub"].is_string());

    // Local verification: never as a bearer token; with the certificate only.
    let now = h.clock.now();
    assert_eq!(
        h.engine.verify_token(&at, None, now),
        Err(VerifyError::Bound)
    );
    let ok = h
        .engine
        .verify_token_certificate(&at, &cert.der, None, now)
        .unwrap();
    assert_eq!(ok.claims["cnf"]["x5t#S256"], x5t(&cert));
    assert!(matches!(
        h.engine
            .verify_token_certificate(&at, &other.der, None, now),
        Err(VerifyError::Certificate(_))
    ));
    // A bearer token is not a certificate-bound one.
    let plain = rp(&h, json!({"access_token_as_jwt": true}));
    let code = code_for(&h, &plain, false);
    let bearer = access_token(&token(
        &h,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
        ],
        Some(basic(&plain)),
        Some(&cert),
        &[],
    ));
    assert!(h.engine.verify_token(&bearer, None, now).is_ok());
    assert!(
        h.engine
            .verify_token_certificate(&bearer, &cert.der, None, now)
            .is_err()
    );
    // And a bound token with a DPoP proof is still refused without its certificate.
    let key = super::dpop::Key::new(&h, Algorithm::ES256);
    let api = "https://api.example.com/x";
    let proof = key.proof(&h, "GET", api, Some(&at));
    assert!(
        block_on(
            h.engine
                .verify_token_dpop(&at, &proof, "GET", api, None, None, &h.ctx())
        )
        .is_err()
    );
}

#[test]
fn a_public_clients_refresh_token_is_bound_to_its_certificate() {
    let (h, pki) = mtls_harness();
    let c = rp(
        &h,
        json!({"token_endpoint_auth_method": "none",
               "tls_client_certificate_bound_access_tokens": true,
               "scope": "profile offline_access",
               "grant_types": ["authorization_code", "refresh_token"]}),
    );
    let cert = self_signed(&h, "device");
    let other = pki.leaf(&h, "client one");
    let id = c.client.client_id.clone();
    let code = code_for(&h, &c, true);
    let r = token(
        &h,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CB),
            ("code_verifier", VERIFIER),
            ("client_id", &id),
        ],
        None,
        Some(&cert),
        &[],
    );
    let body = json(&r);
    assert_eq!(r.status(), 200, "{body}");
    let rt = body["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |cert: Option<&Issued>| {
        token(
            &h,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("client_id", &id),
            ],
            None,
            cert,
            &[],
        )
    };
    assert_error(&refresh(Some(&other)), 400, "invalid_grant");
    assert_error(&refresh(None), 400, "invalid_request");
    // Both refusals left the refresh token usable.
    let r = refresh(Some(&cert));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    let i = h.introspect(&c_basic(&h), &access_token(&r));
    assert_eq!(i["cnf"]["x5t#S256"], x5t(&cert));
}

#[test]
fn discovery_lists_the_methods_binding_and_aliases_which_proofs_and_assertions_may_name() {
    let (h, pki) = mtls_harness();
    let d = json(&h.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    let methods = d["token_endpoint_auth_methods_supported"]
        .as_array()
        .unwrap();
    for m in ["tls_client_auth", "self_signed_tls_client_auth"] {
        assert!(methods.contains(&json!(m)), "{m}");
    }
    assert_eq!(d["tls_client_certificate_bound_access_tokens"], true);
    assert_eq!(
        d["mtls_endpoint_aliases"],
        json!({"token_endpoint": "https://mtls.id.example.com/jans-auth/restv1/token",
               "userinfo_endpoint": "https://mtls.id.example.com/jans-auth/restv1/userinfo"})
    );
    // Without aliases configured, none are listed.
    let bare = Harness::new();
    let d = json(&bare.call(Request::new(AuthEndpoint::Discovery, Method::Get)));
    assert!(d.get("mtls_endpoint_aliases").is_none());

    // A DPoP proof sent to the token endpoint's alias names it in htu.
    let c = h.register(json!({"grant_types": ["client_credentials"], "scope": "read"}));
    let key = super::dpop::Key::new(&h, Algorithm::ES256);
    let alias = "https://mtls.id.example.com/jans-auth/restv1/token";
    let r = super::dpop::token_with(
        &h,
        &[("grant_type", "client_credentials")],
        Some(basic(&c)),
        Some(&key.proof(&h, "POST", alias, None)),
    );
    assert_eq!(json(&r)["token_type"], "DPoP", "{:?}", r.body);
    let elsewhere = "https://elsewhere.example.com/jans-auth/restv1/token";
    let r = super::dpop::token_with(
        &h,
        &[("grant_type", "client_credentials")],
        Some(basic(&c)),
        Some(&key.proof(&h, "POST", elsewhere, None)),
    );
    assert_error(&r, 400, "invalid_dpop_proof");

    // A client assertion may name the alias as its audience.
    let key = h
        .provider()
        .generate(Algorithm::ES256, h.rng.as_ref())
        .unwrap();
    let jwks = json!({"keys": [key.public_jwk()]});
    let pkj = h.register(json!({"token_endpoint_auth_method": "private_key_jwt",
                                "grant_types": ["client_credentials"], "jwks": jwks}));
    let id = pkj.client.client_id.as_str();
    let assertion = |aud: &str| {
        let claims = json!({"iss": id, "sub": id, "aud": aud, "jti": h.ctx().random_token(12),
                            "exp": h.clock.now() + 60});
        jws::sign(
            &jws::Header::new(Algorithm::ES256),
            &serde_json::to_vec(&claims).unwrap(),
            key.as_ref(),
            h.rng.as_ref(),
        )
        .unwrap()
    };
    let with_aud = |aud: &str| {
        token(
            &h,
            &[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion(aud)),
            ],
            None,
            None,
            &[],
        )
    };
    assert_eq!(with_aud(alias).status(), 200);
    assert_error(&with_aud(elsewhere), 401, "invalid_client");
    drop(pki);
}
