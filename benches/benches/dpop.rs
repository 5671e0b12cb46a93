//! DPoP (RFC 9449) at the token endpoint, beside its baselines in the same run (issue 16's
//! target: a DPoP-bound issuance costs at most 1.5× an issuance plus one proof check):
//!
//! - `dpop/client_credentials/bearer`: a reference-token issuance without a proof;
//! - `dpop/client_credentials/bound`: the same request with an ES256 proof, whose token is
//!   bound to the proof's key (the proof checked, its `jti` stored once, `cnf.jkt` kept);
//! - `dpop/proof_check`: one proof checked alone (`dpop::check`: decode, key import,
//!   signature, claims, thumbprint), no store.
//!
//! All with the aws_lc provider. The client's proofs are signed in the batch setup, as a
//! client signs them before sending: only `Engine::handle` (or the check) is timed.

use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jans_benches::{Fixture, OsRandom, block_on, expect_json, now, providers};
use jans_core::auth::oauth::dpop;
use jans_core::crypto::SigningKey;
use jans_core::jose::{Algorithm, jws};
use jans_core::{Config, Random, Request};

const TOKEN_URL: &str = "https://id.example.com/jans-auth/restv1/token";

/// A client's ES256 DPoP key and the proofs it signs.
struct Client {
    key: Arc<dyn SigningKey>,
    header: jws::Header,
}

impl Client {
    fn proof(&self) -> String {
        let mut jti = [0u8; 12];
        OsRandom.fill(&mut jti);
        let claims = serde_json::json!({
            "jti": jans_core::b64::encode(&jti),
            "htm": "POST",
            "htu": TOKEN_URL,
            "iat": now(),
        });
        jws::sign(
            &self.header,
            &serde_json::to_vec(&claims).expect("claims"),
            self.key.as_ref(),
            &OsRandom,
        )
        .expect("sign")
    }
}

fn bench(c: &mut Criterion) {
    let (_, aws_lc) = providers()[0].clone();
    // Tokens live one second and each sample sweeps the expired ones first
    // (`Fixture::time_requests`), so the store stays the same size through the run.
    let config = Config {
        issuer: "https://id.example.com".into(),
        access_token_lifetime: 1,
        ..Config::default()
    };
    let fx = Fixture::with(config, aws_lc.clone(), Algorithm::ES256, false);
    let key = aws_lc
        .generate(Algorithm::ES256, &OsRandom)
        .expect("client key");
    let mut header = jws::Header::new(Algorithm::ES256);
    header.typ = Some(dpop::PROOF_TYP.into());
    header.jwk = Some(key.public_jwk());
    let client = Client { key, header };
    let bound = |fx: &Fixture| -> Request { fx.token_request().with_dpop(client.proof()) };
    assert_eq!(
        expect_json(&fx.handle(fx.token_request()))["token_type"],
        "Bearer"
    );
    assert_eq!(expect_json(&fx.handle(bound(&fx)))["token_type"], "DPoP");

    let mut g = c.benchmark_group("dpop");
    g.throughput(Throughput::Elements(1));
    g.bench_function("client_credentials/bearer", |b| {
        b.iter_custom(|iters| fx.time_requests(iters, Fixture::token_request))
    });
    g.bench_function("client_credentials/bound", |b| {
        b.iter_custom(|iters| fx.time_requests(iters, bound))
    });
    let config = fx.engine.config();
    g.bench_function("proof_check", |b| {
        b.iter_batched(
            || client.proof(),
            |proof| {
                let expected = dpop::Expected {
                    method: "POST",
                    url: TOKEN_URL,
                    alias: None,
                    access_token: None,
                };
                dpop::check(
                    &proof,
                    &expected,
                    &dpop::Rules::of(&config, now()),
                    aws_lc.as_ref(),
                )
                .expect("a good proof")
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
    let _ = block_on(fx.engine.sweep(now() + 3600));
}

criterion_group! {
    name = benches;
    config = jans_benches::criterion();
    targets = bench
}
criterion_main!(benches);
