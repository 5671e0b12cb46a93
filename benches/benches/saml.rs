//! Issuing a signed SAML response (issue 18), beside its baselines in the same run (the
//! target: a response costs at most 1.5× one RS256 signature plus one canonicalization):
//!
//! - `saml/response/{RS256,ES256}`: `saml::response::success` of an assertion carrying three
//!   attributes, the assertion signed (enveloped XML signature, exclusive c14n, SHA-256,
//!   the certificate in `KeyInfo`) and the response written out;
//! - `saml/rs256_sign`: one RS256 signature (`SigningKey::sign`) over a message the size of
//!   that assertion, without any XML;
//! - `saml/c14n_assertion`: `xml::c14n::canonicalize` of the same assertion, unsigned, alone.
//!
//! All with the aws_lc provider, keys and certificates as the engine's key ring makes them,
//! and the operating system's randomness (ids and ECDSA nonces).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jans_benches::{Fixture, OsRandom, now, providers};
use jans_core::jose::Algorithm;
use jans_core::saml::response::{Assertion, Released, Signing, success};
use jans_core::saml::{ASSERTION_NS, name_id};
use jans_core::xml::{self, Limits, c14n::canonicalize};

/// The signing key for `alg` of an engine's ring over aws_lc, and its certificate (DER).
fn key_ring(alg: Algorithm) -> Fixture {
    let (_, aws_lc) = providers()[0].clone();
    Fixture::new(aws_lc, alg, false)
}

fn certificate(fx: &Fixture, alg: Algorithm) -> Option<Vec<u8>> {
    let ring = fx.engine.keys().ring();
    let kid = ring.signer(alg).expect("active signer").kid.clone();
    ring.certificates()
        .into_iter()
        .find(|(k, _)| *k == kid)
        .map(|(_, der)| der.to_vec())
}

fn attributes() -> Vec<Released> {
    [
        (
            "urn:oid:0.9.2342.19200300.100.1.3",
            "mail",
            "jane@example.com",
        ),
        ("urn:oid:2.5.4.42", "givenName", "Jane"),
        ("urn:oid:2.5.4.4", "sn", "Doe"),
    ]
    .into_iter()
    .map(|(name, friendly, value)| Released {
        name: name.to_owned(),
        friendly_name: friendly.to_owned(),
        values: vec![value.to_owned()],
    })
    .collect()
}

fn assertion(attributes: &[Released]) -> Assertion<'_> {
    Assertion {
        issuer: "https://id.example.com/jans-saml/idp/metadata",
        audience: "https://sp.example.org/shibboleth",
        recipient: "https://sp.example.org/Shibboleth.sso/SAML2/POST",
        in_response_to: Some("_5f0c3a7e9d2b4c1a8e6f0b3d7c9a2e4f"),
        name_id: ("7b1e9c2d4f6a8b0c", name_id::PERSISTENT),
        authn_instant: now(),
        session_index: "_a1b2c3d4e5f60718293a4b5c6d7e8f90",
        authn_context: "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        attributes,
    }
}

fn bench(c: &mut Criterion) {
    let attributes = attributes();
    let a = assertion(&attributes);
    let rs = key_ring(Algorithm::RS256);
    let es = key_ring(Algorithm::ES256);
    let rs_key = rs.signing_key(Algorithm::RS256);
    let es_key = es.signing_key(Algorithm::ES256);
    let rs_cert = certificate(&rs, Algorithm::RS256);
    let es_cert = certificate(&es, Algorithm::ES256);

    // The assertion as the signer canonicalizes it, taken from an unsigned response.
    let unsigned = Signing {
        key: rs_key.as_ref(),
        certificate: None,
        assertion: false,
        response: false,
    };
    let response = success(&a, &unsigned, None, now(), &OsRandom).expect("unsigned response");
    let root = xml::parse(&response, &Limits::default()).expect("our response reads");
    let element = root.first(ASSERTION_NS, "Assertion").expect("an assertion");
    let message = canonicalize(element, None, &[]);

    let mut g = c.benchmark_group("saml");
    g.throughput(Throughput::Elements(1));
    for (alg, key, cert) in [
        ("RS256", rs_key.as_ref(), rs_cert.as_deref()),
        ("ES256", es_key.as_ref(), es_cert.as_deref()),
    ] {
        let signing = Signing {
            key,
            certificate: cert,
            assertion: true,
            response: false,
        };
        g.bench_function(format!("response/{alg}"), |b| {
            b.iter(|| success(black_box(&a), &signing, None, now(), &OsRandom).expect("response"))
        });
    }
    g.bench_function("rs256_sign", |b| {
        b.iter(|| {
            rs_key
                .sign(black_box(message.as_bytes()), &OsRandom)
                .expect("signature")
        })
    });
    g.bench_function("c14n_assertion", |b| {
        b.iter(|| canonicalize(black_box(element), None, &[]))
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = jans_benches::criterion();
    targets = bench
}
criterion_main!(benches);
