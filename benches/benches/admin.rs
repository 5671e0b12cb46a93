//! The config API on the embedded store (issue 14's target), through `Engine::handle` over
//! sled in a temporary directory, with a bearer token of our own auth-server holding
//! `read-all`:
//!
//! - `admin_clients/list/sled/{n}`: `GET openid/clients?limit=50` among `n` clients
//!   (10,000 unless `ADMIN_BENCH_CLIENTS` says otherwise), the collection unchanged since
//!   the last list (the clients are shared from the last read, `Collection::snapshot`);
//! - `admin_clients/list_after_a_write/sled/{n}`: the same list right after a client was
//!   changed, so every client is read from sled and decoded again (the write is not timed);
//! - `admin_clients/pattern/sled/{n}`: `GET openid/clients?pattern=app 0999&limit=50`: the
//!   pattern over every client's id, name and description.

use std::sync::Arc;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use jans_benches::{OsRandom, block_on, now};
use jans_core::repo::Stores;
use jans_core::repo::client::{AuthMethod, ClientMetadata};
use jans_core::request::AdminEndpoint;
use jans_core::{Config, Ctx, Engine, Method, Random, Request};
use serde_json::Value;

struct Bench {
    engine: Engine,
    token: String,
    rng: Arc<dyn Random>,
    stores: Stores,
    _dir: tempfile::TempDir,
}

impl Bench {
    fn ctx(&self) -> Ctx {
        Ctx::new(now(), self.rng.clone(), "bench")
    }

    fn list(&self, query: &[(&str, &str)]) -> Value {
        let mut req = Request::new(AdminEndpoint::Clients, Method::Get);
        req.query = jans_core::params::Params::from_pairs(
            query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        req.authorization = Some(format!("Bearer {}", self.token));
        let r = block_on(self.engine.handle(req, &self.ctx()));
        assert_eq!(r.status(), 200, "{:?}", r.body);
        serde_json::from_slice(&r.body_bytes()).expect("json")
    }
}

/// The `i`th client: a web app with a redirect URI, the code and refresh grants, scopes.
fn metadata(i: usize) -> ClientMetadata {
    ClientMetadata {
        redirect_uris: vec![format!("https://app{i:05}.example.com/callback")],
        token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        response_types: vec!["code".into()],
        client_name: Some(format!("app {i:05}")),
        scope: Some("openid profile email".into()),
        contacts: vec![format!("ops@app{i:05}.example.com")],
        application_type: Some("web".into()),
        ..ClientMetadata::default()
    }
}

fn bench(clients: usize) -> Bench {
    let dir = tempfile::tempdir().expect("tempdir");
    let stores = Stores::sled(dir.path()).expect("sled");
    let rng: Arc<dyn Random> = Arc::new(OsRandom);
    let config = Config {
        access_token_lifetime: 24 * 3600,
        ..Config::default()
    };
    let engine = Engine::builder(config)
        .master_key([7; 32])
        .stores(stores.clone())
        .build()
        .expect("engine");
    let ctx = Ctx::new(now(), rng.clone(), "bench-setup");
    block_on(engine.start(&ctx)).expect("start");
    let started = Instant::now();
    let threads = 16;
    std::thread::scope(|s| {
        for t in 0..threads {
            let (engine, ctx) = (engine.clone(), ctx.clone());
            s.spawn(move || {
                for i in (t..clients).step_by(threads) {
                    block_on(engine.register_client(metadata(i), &ctx)).expect("client");
                }
            });
        }
    });
    eprintln!(
        "admin_clients: {clients} clients registered in {:?}",
        started.elapsed()
    );
    let admin = ClientMetadata {
        grant_types: vec!["client_credentials".into()],
        scope: Some("https://jans.io/oauth/config/read-all".into()),
        ..ClientMetadata::default()
    };
    let token = jans_benches::client_token(&engine, admin, &ctx);
    Bench {
        engine,
        token,
        rng,
        stores,
        _dir: dir,
    }
}

fn clients(c: &mut Criterion) {
    let n: usize = std::env::var("ADMIN_BENCH_CLIENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let b = bench(n);
    let page = b.list(&[("limit", "50")]);
    assert_eq!(page["totalEntriesCount"], n + 1);
    assert_eq!(page["entriesCount"], 50);
    let mut group = c.benchmark_group("admin_clients");
    group.bench_function(BenchmarkId::new("list/sled", n), |bench| {
        bench.iter(|| b.list(&[("limit", "50")]))
    });
    let one = block_on(b.stores.clients.list())
        .expect("clients")
        .into_iter()
        .next()
        .expect("a client");
    group.bench_function(BenchmarkId::new("list_after_a_write/sled", n), |bench| {
        bench.iter_batched(
            || block_on(b.stores.clients.update(&one)).expect("write"),
            |()| b.list(&[("limit", "50")]),
            criterion::BatchSize::PerIteration,
        )
    });
    let found = b.list(&[("pattern", "app 00999"), ("limit", "50")]);
    assert_eq!(found["totalEntriesCount"], 1, "{found}");
    group.bench_function(BenchmarkId::new("pattern/sled", n), |bench| {
        bench.iter(|| b.list(&[("pattern", "app 00999"), ("limit", "50")]))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = jans_benches::criterion();
    targets = clients
}
criterion_main!(benches);
