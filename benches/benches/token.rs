//! Token endpoint and introspection, each beside its raw baseline in the same run:
//!
//! - `token/client_credentials/reference`: one reference-token issuance through
//!   `Engine::handle` (client_secret_basic, memory store);
//! - `raw/*`: the primitives that issuance and introspection are built from (OS randomness,
//!   the SHA-256 storage key, opening the sealed client secret, a client read);
//! - `introspection/reference`: an active reference token, caller on client_secret_basic;
//! - `token/client_credentials/jwt/{alg}/{provider}` next to `sign/{alg}/{provider}`: an RFC
//!   9068 JWT issuance and one bare signature by the same key over a signing input of the
//!   same size, and `jws_sign/{alg}/{provider}`, the JOSE layer alone (header JSON, base64url,
//!   signature) over the same header and claims.
//!
//! The `Request` and `Ctx` (real time, OS randomness) are built in the batch setup, as the
//! host builds them before calling the engine; only `Engine::handle` is timed.

use std::cell::OnceCell;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jans_benches::{ALGS, Fixture, OsRandom, block_on, expect_json, providers, split_jws};
use jans_core::auth::oauth::token_key;
use jans_core::crypto::{CryptoProvider, SigningKey};
use jans_core::jose::{Algorithm, jws};
use jans_core::keys::SecretBox;
use jans_core::repo::stat::TokenType;
use jans_core::{Config, Random};

/// Tokens live one second in the issuance benches, and each sample starts by sweeping the
/// expired ones (`Fixture::time_requests`): the store stays the same size through the run.
fn short_lived() -> Config {
    Config {
        access_token_lifetime: 1,
        ..Config::default()
    }
}

fn reference(c: &mut Criterion) {
    let (_, aws_lc) = providers()[0].clone();
    let fx = Fixture::with(short_lived(), aws_lc.clone(), Algorithm::ES256, false);
    assert_eq!(
        expect_json(&fx.handle(fx.token_request()))["token_type"],
        "Bearer"
    );

    let mut g = c.benchmark_group("token");
    g.throughput(Throughput::Elements(1));
    g.bench_function("client_credentials/reference", |b| {
        b.iter_custom(|iters| fx.time_requests(iters, Fixture::token_request))
    });
    g.finish();

    // What one issuance and one introspection are made of (a token that outlives the run).
    let fx = Fixture::new(aws_lc, Algorithm::ES256, false);
    let token = fx.issue();
    let client = block_on(fx.engine.client(&fx.client_id))
        .expect("client read")
        .expect("client exists");
    let sealed = client.client_secret_sealed.expect("sealed secret");
    let aad = format!("jans-client-secret:{}", fx.client_id).into_bytes();
    let secret_box = SecretBox::new(&[7; 32]);
    secret_box
        .open(&sealed, &aad)
        .expect("the bench's master key");

    let mut g = c.benchmark_group("raw");
    g.throughput(Throughput::Elements(1));
    g.bench_function("os_random_32", |b| {
        let mut buf = [0u8; 32];
        b.iter(|| {
            OsRandom.fill(&mut buf);
            black_box(buf)
        })
    });
    g.bench_function("token_key_sha256", |b| {
        b.iter(|| token_key(black_box(&token)))
    });
    g.bench_function("client_secret_open_aes_gcm", |b| {
        b.iter(|| secret_box.open(black_box(&sealed), &aad))
    });
    g.bench_function("client_get_memory", |b| {
        b.iter(|| block_on(fx.engine.client(black_box(&fx.client_id))))
    });
    // What counting one issuance for the statistics costs the token path (in memory; the
    // tick stores it).
    let stats = &fx.engine.stores().stats;
    let now = fx.ctx().now;
    g.bench_function("stats_record", |b| {
        b.iter(|| {
            stats.record(
                black_box(now),
                "authorization_code",
                Some("a-person"),
                &[TokenType::AccessToken, TokenType::IdToken],
            )
        })
    });
    g.finish();

    let response = fx.handle(fx.introspection_request(&token));
    let active = expect_json(&response);
    assert_eq!(active["active"], true, "{active}");
    let mut g = c.benchmark_group("introspection");
    g.throughput(Throughput::Elements(1));
    g.bench_function("reference", |b| {
        b.iter_batched(
            || (fx.introspection_request(&token), fx.ctx()),
            |(req, ctx)| block_on(fx.engine.handle(req, &ctx)),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

/// A JWT-issuing engine and, from one issued token, its header, its payload and the signing
/// input its key signed.
struct JwtCase {
    fx: Fixture,
    key: Arc<dyn SigningKey>,
    header: jws::Header,
    payload: Vec<u8>,
    signing_input: String,
}

impl JwtCase {
    fn new(provider: Arc<dyn CryptoProvider>, alg: Algorithm) -> JwtCase {
        let fx = Fixture::with(short_lived(), provider, alg, true);
        let token = fx.issue();
        let (input, _) = split_jws(&token);
        let decoded = jws::decode(&token).expect("issued JWT decodes");
        JwtCase {
            key: fx.signing_key(alg),
            header: decoded.header().clone(),
            payload: decoded.payload_unverified().to_vec(),
            signing_input: input.to_owned(),
            fx,
        }
    }
}

fn jwt(c: &mut Criterion) {
    for alg in ALGS {
        for (name, provider) in providers() {
            // Built on first use, so a filtered run skips other cases' key generation.
            let cell = OnceCell::new();
            let case = || cell.get_or_init(|| JwtCase::new(provider.clone(), alg));

            let mut g = c.benchmark_group("token");
            g.throughput(Throughput::Elements(1));
            g.bench_function(format!("client_credentials/jwt/{alg}/{name}"), |b| {
                let fx = &case().fx;
                b.iter_custom(|iters| fx.time_requests(iters, Fixture::token_request))
            });
            g.finish();

            let mut g = c.benchmark_group("sign");
            g.throughput(Throughput::Elements(1));
            g.bench_function(format!("{alg}/{name}"), |b| {
                let case = case();
                let rng = case.fx.rng();
                b.iter(|| {
                    case.key
                        .sign(black_box(case.signing_input.as_bytes()), rng)
                        .expect("sign")
                })
            });
            g.finish();

            // The JOSE layer alone: header JSON, base64url and the signature, no endpoint.
            let mut g = c.benchmark_group("jws_sign");
            g.throughput(Throughput::Elements(1));
            g.bench_function(format!("{alg}/{name}"), |b| {
                let case = case();
                let rng = case.fx.rng();
                b.iter(|| {
                    jws::sign(
                        &case.header,
                        black_box(&case.payload),
                        case.key.as_ref(),
                        rng,
                    )
                    .expect("sign")
                })
            });
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = jans_benches::criterion();
    targets = reference, jwt
}
criterion_main!(benches);
