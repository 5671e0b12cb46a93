//! JWT access-token verification, beside bare signature verification in the same run:
//!
//! - `jwt_verify/{alg}/{provider}`: `jose::jws::decode` + `Unverified::verify` of an RFC 9068
//!   access token the engine issued, with a verifying key parsed once (what a resource server
//!   caching the issuer's JWKS does);
//! - `verify/{alg}/{provider}`: the same key verifying the same signature over the same
//!   signing input, without any JOSE parsing.

use std::cell::OnceCell;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jans_benches::{ALGS, Fixture, providers, split_jws};
use jans_core::b64;
use jans_core::crypto::{CryptoProvider, VerifyingKey};
use jans_core::jose::{Algorithm, jws};

/// An issued JWT access token and the issuer's public key for it, parsed by one provider.
struct VerifyCase {
    token: String,
    signing_input: String,
    signature: Vec<u8>,
    key: Arc<dyn VerifyingKey>,
}

impl VerifyCase {
    fn new(provider: Arc<dyn CryptoProvider>, alg: Algorithm) -> VerifyCase {
        let fx = Fixture::new(provider.clone(), alg, true);
        let token = fx.issue();
        let kid = jws::decode(&token)
            .expect("decode")
            .header()
            .kid
            .clone()
            .expect("kid");
        let ring = fx.engine.keys().ring();
        let jwk = ring.jwks().find(&kid).expect("published key");
        let key = provider.verifying_key(alg, jwk).expect("verifying key");
        let (input, sig) = split_jws(&token);
        VerifyCase {
            signing_input: input.to_owned(),
            signature: b64::decode(sig).expect("signature base64url"),
            key,
            token,
        }
    }
}

fn verify(c: &mut Criterion) {
    for alg in ALGS {
        for (name, provider) in providers() {
            // Built on first use, so a filtered run skips other cases' key generation.
            let cell = OnceCell::new();
            let case = || cell.get_or_init(|| VerifyCase::new(provider.clone(), alg));

            let mut g = c.benchmark_group("jwt_verify");
            g.throughput(Throughput::Elements(1));
            g.bench_function(format!("{alg}/{name}"), |b| {
                let case = case();
                b.iter(|| {
                    jws::decode(black_box(&case.token))
                        .and_then(|u| u.verify(case.key.as_ref()))
                        .expect("valid token")
                })
            });
            g.finish();

            let mut g = c.benchmark_group("verify");
            g.throughput(Throughput::Elements(1));
            g.bench_function(format!("{alg}/{name}"), |b| {
                let case = case();
                b.iter(|| {
                    case.key
                        .verify(
                            black_box(case.signing_input.as_bytes()),
                            black_box(&case.signature),
                        )
                        .expect("valid signature")
                })
            });
            g.finish();
        }
    }
}

criterion_group! {
    name = benches;
    config = jans_benches::criterion();
    targets = verify
}
criterion_main!(benches);
