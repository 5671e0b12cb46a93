//! The whole authorization code flow in-process (issue 3 targets), beside its baselines:
//!
//! - `flow/code/session`: authorize (an existing session, a trusted client so consent is
//!   skipped) → code → token with an ES256 ID token: the flow with the password hash
//!   excluded;
//! - `flow/code/login`: the same with a fresh login through the interaction API, so one
//!   argon2id verification is included;
//! - `flow/par/session`: `flow/code/session` with the request pushed first (RFC 9126): PAR
//!   → authorize by `request_uri` → code → token (issue 16's PAR target);
//! - `raw/argon2id_verify`: one bare verification at the configured (OWASP) parameters.

use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jans_benches::{OsRandom, block_on, now};
use jans_core::auth::authn::interaction::LoginResult;
use jans_core::crypto::aws_lc::AwsLcProvider;
use jans_core::jose::Algorithm;
use jans_core::params::Params;
use jans_core::repo::Stores;
use jans_core::repo::client::ClientMetadata;
use jans_core::repo::user::User;
use jans_core::{AuthEndpoint, Body, Config, Ctx, Engine, Method, Request, Response};

const CB: &str = "https://rp.example.com/cb";
const PASSWORD: &str = "correct horse battery staple";

struct Flow {
    engine: Engine,
    client_id: String,
    secret: String,
}

fn ctx() -> Ctx {
    Ctx::new(now(), Arc::new(OsRandom), "bench")
}

fn location(r: &Response) -> &str {
    match &r.body {
        Body::Redirect(l) => l,
        other => panic!("expected a redirect, got {other:?}"),
    }
}

fn param(url: &str, name: &str) -> String {
    let q = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    Params::parse(q.as_bytes())
        .expect("query")
        .get(name)
        .expect("single")
        .unwrap_or_else(|| panic!("no {name} in {url}"))
        .to_owned()
}

impl Flow {
    fn new() -> Flow {
        let config = Config {
            issuer: "https://id.example.com".into(),
            key_algs_allowed_for_generation: vec![Algorithm::ES256.into()],
            default_signature_algorithm: Algorithm::ES256,
            ..Config::default()
        };
        let engine = Engine::builder(config)
            .stores(Stores::memory())
            .master_key([7; 32])
            .provider(Arc::new(AwsLcProvider))
            .build()
            .expect("engine");
        block_on(engine.start(&ctx())).expect("keys");
        block_on(engine.add_user(
            User {
                uid: "alice".into(),
                ..User::default()
            },
            PASSWORD,
            &ctx(),
        ))
        .expect("user");
        let reg = block_on(
            engine.register_client(
                ClientMetadata::from_json(serde_json::json!({
                    "redirect_uris": [CB], "scope": "profile", "trusted_client": true,
                "token_endpoint_auth_method": "client_secret_post"
                }))
                .expect("metadata"),
                &ctx(),
            ),
        )
        .expect("client");
        Flow {
            secret: reg.client_secret.expect("secret"),
            client_id: reg.client.client_id,
            engine,
        }
    }

    fn authorize(&self, cookie: Option<&str>) -> Response {
        let mut req = Request::new(AuthEndpoint::Authorize, Method::Get);
        req.query = Params::from_pairs([
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", CB),
            ("scope", "openid profile"),
            ("state", "s"),
            ("nonce", "n"),
        ]);
        if let Some(c) = cookie {
            req.cookies = vec![("session_id".into(), c.into())];
        }
        block_on(self.engine.handle(req, &ctx()))
    }

    fn login(&self, start: &Response) -> (String, String) {
        let id = param(location(start), "interaction");
        let view = block_on(self.engine.interaction(&id, &ctx()))
            .expect("read")
            .expect("interaction");
        let LoginResult::Done(r) =
            block_on(
                self.engine
                    .interaction_login(&id, &view.csrf, "alice", PASSWORD, &ctx()),
            )
            .expect("login")
        else {
            panic!("login failed")
        };
        let cookie = r
            .all_headers()
            .into_iter()
            .find(|(n, _)| *n == "set-cookie")
            .map(|(_, v)| {
                v.split(';')
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("session_id=")
                    .to_owned()
            })
            .expect("cookie");
        (param(location(&r), "code"), cookie)
    }

    /// Push the authorization request (RFC 9126 §2.1); the authorize request that uses it.
    fn push(&self, cookie: &str) -> Request {
        let req = Request::new(AuthEndpoint::Par, Method::Post).with_form(Params::from_pairs([
            ("response_type", "code"),
            ("redirect_uri", CB),
            ("scope", "openid profile"),
            ("state", "s"),
            ("nonce", "n"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.as_str()),
        ]));
        let r = block_on(self.engine.handle(req, &ctx()));
        assert_eq!(r.status(), 201, "{:?}", r.body);
        let Body::JsonStatus(_, body) = &r.body else {
            panic!("expected the pushed request's reference, got {:?}", r.body)
        };
        let request_uri = body["request_uri"].as_str().expect("request_uri");
        let mut req = Request::new(AuthEndpoint::Authorize, Method::Get);
        req.query = Params::from_pairs([
            ("client_id", self.client_id.as_str()),
            ("request_uri", request_uri),
        ]);
        req.cookies = vec![("session_id".into(), cookie.into())];
        req
    }

    fn redeem(&self, code: &str) -> Response {
        let req = Request::new(AuthEndpoint::Token, Method::Post).with_form(Params::from_pairs([
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CB),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.secret.as_str()),
        ]));
        block_on(self.engine.handle(req, &ctx()))
    }
}

fn flows(c: &mut Criterion) {
    let f = Flow::new();
    let (code, cookie) = f.login(&f.authorize(None));
    let r = f.redeem(&code);
    assert_eq!(r.status(), 200, "{:?}", r.body);

    let mut g = c.benchmark_group("flow");
    g.throughput(Throughput::Elements(1));
    g.bench_function("code/session", |b| {
        b.iter(|| {
            let code = param(location(&f.authorize(Some(&cookie))), "code");
            let r = f.redeem(&code);
            assert_eq!(r.status(), 200);
            r
        })
    });
    g.bench_function("par/session", |b| {
        b.iter(|| {
            let authorize = f.push(&cookie);
            let r = block_on(f.engine.handle(authorize, &ctx()));
            let r = f.redeem(&param(location(&r), "code"));
            assert_eq!(r.status(), 200);
            r
        })
    });
    g.bench_function("code/login", |b| {
        b.iter(|| {
            let (code, _) = f.login(&f.authorize(None));
            let r = f.redeem(&code);
            assert_eq!(r.status(), 200);
            r
        })
    });
    g.finish();

    let hash = block_on(f.engine.user("alice"))
        .expect("read")
        .expect("user")
        .password_hash
        .expect("hash");
    // The bare argon2id rate (one reused block per thread, as the pool's workers hold), on
    // one core and on every core, against logins checked through the engine's pool by as
    // many concurrent callers: the pool should cost nothing measurable over the bare rate.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut g = c.benchmark_group("raw");
    g.throughput(Throughput::Elements(1));
    g.bench_function("argon2id_verify", |b| {
        let mut blocks = jans_core::password::Blocks::for_default();
        b.iter(|| assert!(jans_core::password::verify_in(PASSWORD, &hash, &mut blocks)))
    });
    g.throughput(Throughput::Elements(cores as u64));
    g.bench_function("argon2id_verify_all_cores", |b| {
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for _ in 0..cores {
                    s.spawn(|| {
                        let mut blocks = jans_core::password::Blocks::for_default();
                        for _ in 0..iters {
                            assert!(jans_core::password::verify_in(PASSWORD, &hash, &mut blocks));
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    g.bench_function("pool_verify_all_cores", |b| {
        let pool = f.engine.hasher().clone();
        b.iter_custom(|iters| {
            let start = std::time::Instant::now();
            std::thread::scope(|s| {
                for _ in 0..cores {
                    s.spawn(|| {
                        for _ in 0..iters {
                            assert!(block_on(pool.verify(PASSWORD, &hash)).expect("verify"));
                        }
                    });
                }
            });
            start.elapsed()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = jans_benches::criterion();
    targets = flows
}
criterion_main!(benches);
