//! UMA and AuthZEN (issue 15's targets), through `Engine::handle` on the memory store,
//! decided by a Cedar policy set of 100 rules: 90 bound to one scope each (a permit on a
//! claim) and 10 bound to every scope (forbids on claims the party does not have), so
//! that every decision evaluates the 11 rules bound to its scope (`uma::policy::cedar`
//! sorts the rules by action at load):
//!
//! - `uma/grant/reference_rpt`: one UMA grant (`uma-ticket`): client_secret_basic, a
//!   fresh permission ticket for one resource and scope, the party's PCT; the ticket
//!   taken, the resource read, the policies asked, a reference RPT stored. The tickets
//!   are made in the batch setup, through the permission endpoint, untimed; the same
//!   party each time (its verdict remembered after the first), and `/new_party`: a party
//!   not seen before each time (its own PCT), so Cedar evaluates every time;
//! - `authzen/evaluation`: one `POST access/v1/evaluation` with a bearer token, the same
//!   question each time (its verdict remembered after the first);
//! - `authzen/evaluation/new_question`: each request a question not asked before (another
//!   subject id), so Cedar evaluates every time;
//! - `authzen/evaluations/100`: one batch of 100 evaluations (throughput in decisions);
//! - `cedar/decide` and `cedar/decide/new_question`: the policy seam alone, one question
//!   asked again, and a new one each time.

use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jans_benches::{OsRandom, block_on, client_token, expect_json, now};
use jans_core::config::UMA_TICKET_GRANT;
use jans_core::params::Params;
use jans_core::repo::Stores;
use jans_core::repo::client::{AuthMethod, ClientMetadata};
use jans_core::request::UmaEndpoint;
use jans_core::uma::policy::cedar::{CedarPolicies, PolicyFile};
use jans_core::uma::policy::{Policy, Query, Subject, Target};
use jans_core::{AuthEndpoint, Config, Ctx, Engine, Method, Random, Request};
use serde_json::{Map, Value, json};

/// The 100 rules: `permit` on scope `s{i}` for parties of country `C{i}` (90), and
/// `forbid` on every scope for parties with claim `blocked{j}` (10).
fn policies() -> String {
    let mut text = String::new();
    for i in 0..90 {
        text.push_str(&format!(
            "permit(principal, action == Jans::Action::\"s{i}\", resource)\n\
             when {{ principal.claims has country && principal.claims.country == \"C{i}\" }};\n"
        ));
    }
    for j in 0..10 {
        text.push_str(&format!(
            "forbid(principal, action, resource) when {{ principal.claims has blocked{j} }};\n"
        ));
    }
    text
}

struct Bench {
    engine: Engine,
    rng: Arc<dyn Random>,
    pat: String,
    resource: String,
    basic: String,
    pct: String,
    pdp_token: String,
    /// The requesting party's client.
    rqp: String,
}

impl Bench {
    fn ctx(&self) -> Ctx {
        Ctx::new(now(), self.rng.clone(), "bench")
    }

    fn handle(&self, req: Request) -> jans_core::Response {
        block_on(self.engine.handle(req, &self.ctx()))
    }

    fn ticket(&self) -> String {
        let mut req = Request::new(UmaEndpoint::Permission, Method::Post);
        req.authorization = Some(format!("Bearer {}", self.pat));
        req.content_type = Some("application/json".into());
        req.body = json!({"resource_id": self.resource, "resource_scopes": ["s7"]})
            .to_string()
            .into_bytes();
        let r = self.handle(req);
        assert_eq!(r.status(), 201, "{:?}", r.body);
        serde_json::from_slice::<Value>(&r.body_bytes()).expect("json")["ticket"]
            .as_str()
            .expect("ticket")
            .to_owned()
    }

    /// A PCT of a party of country C7 whose `sub` is `sub` (for the client).
    fn pct_for(&self, sub: &str) -> String {
        let mut claims = Map::new();
        claims.insert("country".into(), "C7".into());
        claims.insert("sub".into(), sub.into());
        let value = format!("pct-{sub}");
        block_on(self.engine.stores().uma_tokens.insert_pct(
            &value,
            &jans_core::repo::uma_token::Pct {
                client_id: self.rqp.clone(),
                claims,
            },
            now(),
            now() + 86_400,
        ))
        .expect("pct");
        value
    }

    fn grant(&self, ticket: &str, pct: Option<&str>) -> Request {
        let mut form = vec![
            ("grant_type".to_owned(), UMA_TICKET_GRANT.to_owned()),
            ("ticket".to_owned(), ticket.to_owned()),
        ];
        if let Some(p) = pct {
            form.push(("pct".to_owned(), p.to_owned()));
        }
        Request::new(AuthEndpoint::Token, Method::Post)
            .with_form(Params::from_pairs(form))
            .with_authorization(self.basic.clone())
    }

    fn evaluation(&self, endpoint: UmaEndpoint, body: &Value) -> Request {
        let mut req = Request::new(endpoint, Method::Post);
        req.authorization = Some(format!("Bearer {}", self.pdp_token));
        req.content_type = Some("application/json".into());
        req.body = body.to_string().into_bytes();
        req
    }
}

fn setup() -> Bench {
    let config = Config {
        feature_flags: jans_core::config::FEATURE_FLAGS
            .iter()
            .map(|f| (*f).to_owned())
            .collect(),
        // RPTs live a second, and expired grants are swept before each sample: the store
        // stays the same size through the run.
        uma_rpt_lifetime: 1,
        ..Config::default()
    };
    let engine = Engine::builder(config)
        .master_key([7; 32])
        .stores(Stores::memory())
        .build()
        .expect("engine");
    let rng: Arc<dyn Random> = Arc::new(OsRandom);
    let ctx = Ctx::new(now(), rng.clone(), "bench-setup");
    block_on(engine.start(&ctx)).expect("start");
    let n = engine
        .uma()
        .load_policies(&[PolicyFile {
            name: "bench.cedar".into(),
            text: policies(),
        }])
        .expect("policies");
    assert_eq!(n, 100);
    let secret_client = |grant: &str, scope: &str| ClientMetadata {
        token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
        grant_types: vec![grant.to_owned()],
        scope: (!scope.is_empty()).then(|| scope.to_owned()),
        ..ClientMetadata::default()
    };
    let pat = client_token(
        &engine,
        secret_client("client_credentials", "uma_protection"),
        &ctx,
    );
    let pdp_token = client_token(
        &engine,
        secret_client("client_credentials", "access_evaluation"),
        &ctx,
    );
    let rqp = block_on(engine.register_client(secret_client(UMA_TICKET_GRANT, ""), &ctx))
        .expect("client");
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            rqp.client.client_id,
            rqp.client_secret.expect("secret")
        ))
    };
    let mut b = Bench {
        engine,
        rng,
        pat,
        resource: String::new(),
        basic: format!("Basic {basic}"),
        pct: String::new(),
        pdp_token,
        rqp: rqp.client.client_id.clone(),
    };
    let mut req = Request::new(UmaEndpoint::ResourceSets, Method::Post);
    req.authorization = Some(format!("Bearer {}", b.pat));
    req.content_type = Some("application/json".into());
    req.body = json!({"name": "album", "resource_scopes": ["s7", "s8"]})
        .to_string()
        .into_bytes();
    let r = b.handle(req);
    assert_eq!(r.status(), 201, "{:?}", r.body);
    b.resource = serde_json::from_slice::<Value>(&r.body_bytes()).expect("json")["_id"]
        .as_str()
        .expect("_id")
        .to_owned();
    // The party's PCT: claims pushed once (a JWT the client would sign) stand for it after.
    b.pct = b.pct_for("alice");
    let t = b.ticket();
    let r = b.handle(b.grant(&t, Some(&b.pct)));
    assert_eq!(r.status(), 200, "{:?}", r.body);
    b
}

fn uma(c: &mut Criterion) {
    let b = setup();
    let mut g = c.benchmark_group("uma");
    g.throughput(Throughput::Elements(1));
    g.bench_function("grant/reference_rpt", |bench| {
        bench.iter_custom(|iters| {
            block_on(b.engine.sweep(now() + 2)).expect("sweep");
            let batch: Vec<(Request, Ctx)> = (0..iters)
                .map(|_| (b.grant(&b.ticket(), Some(&b.pct)), b.ctx()))
                .collect();
            let start = Instant::now();
            for (req, ctx) in batch {
                let r = block_on(b.engine.handle(req, &ctx));
                std::hint::black_box(expect_json(&r));
            }
            start.elapsed()
        })
    });
    // Each grant for a party not seen before (its own PCT, another sub): Cedar evaluates.
    let parties = std::cell::Cell::new(0u64);
    g.bench_function("grant/reference_rpt/new_party", |bench| {
        bench.iter_custom(|iters| {
            block_on(b.engine.sweep(now() + 2)).expect("sweep");
            let batch: Vec<(Request, Ctx)> = (0..iters)
                .map(|_| {
                    parties.set(parties.get() + 1);
                    let pct = b.pct_for(&format!("u{}", parties.get()));
                    (b.grant(&b.ticket(), Some(&pct)), b.ctx())
                })
                .collect();
            timed(&b, batch)
        })
    });
    g.finish();

    let subject = json!({"type": "user", "id": "alice", "properties": {"country": "C7"}});
    let one = json!({"subject": subject, "action": {"name": "s7"},
                     "resource": {"type": "album", "id": "a1"}});
    let evaluations: Vec<Value> = (0..100)
        .map(|i| json!({"action": {"name": format!("s{}", i % 90)}}))
        .collect();
    let batch = json!({"subject": subject, "resource": {"type": "album", "id": "a1"},
                       "evaluations": evaluations});
    assert_eq!(
        expect_json(&b.handle(b.evaluation(UmaEndpoint::Evaluation, &one)))["decision"],
        true
    );
    let mut g = c.benchmark_group("authzen");
    g.throughput(Throughput::Elements(1));
    g.bench_function("evaluation", |bench| {
        bench.iter_custom(|iters| time(&b, iters, UmaEndpoint::Evaluation, &one))
    });
    // Each request a question not asked before (another subject id): no verdict remembered.
    let fresh = std::cell::Cell::new(0u64);
    g.bench_function("evaluation/new_question", |bench| {
        bench.iter_custom(|iters| {
            let batch: Vec<(Request, Ctx)> = (0..iters)
                .map(|_| {
                    fresh.set(fresh.get() + 1);
                    let mut q = one.clone();
                    q["subject"]["id"] = format!("u{}", fresh.get()).into();
                    (b.evaluation(UmaEndpoint::Evaluation, &q), b.ctx())
                })
                .collect();
            timed(&b, batch)
        })
    });
    g.throughput(Throughput::Elements(100));
    g.bench_function("evaluations/100", |bench| {
        bench.iter_custom(|iters| time(&b, iters, UmaEndpoint::Evaluations, &batch))
    });
    g.finish();

    let policies = CedarPolicies::load(&[PolicyFile {
        name: "bench.cedar".into(),
        text: policies(),
    }])
    .expect("policies");
    let party = Subject {
        id: "alice".into(),
        kind: "user".into(),
        claims: subject["properties"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
        client_id: String::new(),
    };
    let target = Target {
        id: "a1".into(),
        kind: "album".into(),
        ..Target::default()
    };
    let context = Map::new();
    let mut g = c.benchmark_group("cedar");
    g.throughput(Throughput::Elements(1));
    g.bench_function("decide", |bench| {
        bench.iter(|| {
            policies.decide(&Query {
                subject: &party,
                action: "s7",
                resource: &target,
                context: &context,
            })
        })
    });
    let mut n = 0u64;
    g.bench_function("decide/new_question", |bench| {
        bench.iter_batched(
            || {
                n += 1;
                Subject {
                    id: format!("u{n}"),
                    ..party.clone()
                }
            },
            |subject| {
                policies.decide(&Query {
                    subject: &subject,
                    action: "s7",
                    resource: &target,
                    context: &context,
                })
            },
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn time(b: &Bench, iters: u64, endpoint: UmaEndpoint, body: &Value) -> std::time::Duration {
    let batch: Vec<(Request, Ctx)> = (0..iters)
        .map(|_| (b.evaluation(endpoint.clone(), body), b.ctx()))
        .collect();
    timed(b, batch)
}

/// Serve `batch`, timed.
fn timed(b: &Bench, batch: Vec<(Request, Ctx)>) -> std::time::Duration {
    let start = Instant::now();
    for (req, ctx) in batch {
        let r = block_on(b.engine.handle(req, &ctx));
        std::hint::black_box(expect_json(&r));
    }
    start.elapsed()
}

criterion_group! {
    name = benches;
    config = jans_benches::criterion();
    targets = uma
}
criterion_main!(benches);
