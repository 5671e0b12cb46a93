//! SCIM on the embedded store (issue 13's targets), through `Engine::handle` over sled in a
//! temporary directory, with a bearer token of our own auth-server:
//!
//! - `scim_query/userName_eq/{sled,postgres}/{n}`: `GET /Users?filter=userName eq "..."`
//!   among `n` users (100,000 unless `SCIM_BENCH_USERS` says otherwise): one lookup of the
//!   users' unique `uid` key;
//! - `scim_query/one_read/{sled,postgres}/{n}`: the store's `list` of one document, no
//!   engine: the floor of a request that reads the store once;
//! - `scim_query/value_filter/{sled,postgres}/{n}`: `GET /Users?filter=emails[type eq "work"
//!   and value sw "USER00500"] or externalId eq "ext-777"&count=10` among the same users: the
//!   store's indexes (`email`, `externalId`) narrow it to the 11 users it matches, which are read and
//!   judged (`jans_core::scim::plan`);
//! - `scim_query/value_filter_broad/{sled,postgres}/{n}`: `GET /Users?filter=emails[type eq
//!   "work" and value co "@example.org"] or userName sw "user00099"&count=10`, which half of
//!   the users match: more than an indexed read takes (`MAX_KEYED`), so every user is read
//!   and judged, a page at a time. PostgreSQL is a private server this bench starts (its
//!   binaries, `initdb` and `pg_ctl`, on this machine);
//! - `scim_bulk/import/sled`: 300 users created through `POST /Bulk` in requests of 30
//!   operations, without passwords (throughput in users per second);
//! - `scim_bulk/import_with_passwords/{sled,memory}` beside `scim_bulk/argon2id/30`: 30 users
//!   with passwords through one Bulk request (which hashes them side by side on the pool),
//!   and 30 argon2id hashes at once on the engine's pool alone (the users-with-passwords
//!   rate is bound by the hash rate; the memory store shows what the durable store adds);
//!   `argon2id_one_at_a_time/30` for reference. Then six rounds of the import and the hashes
//!   in turns, their rates and ratio printed (`scim_bulk interleaved`), so that the
//!   machine's drift falls on both.

use std::cell::OnceCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use jans_benches::{OsRandom, block_on, now};
use jans_core::repo::Stores;
use jans_core::repo::client::{AuthMethod, ClientMetadata};
use jans_core::repo::user::User;
use jans_core::request::ScimEndpoint;
use jans_core::{Config, Ctx, Engine, Method, Random, Request};
use serde_json::{Value, json};

struct Bench {
    engine: Engine,
    token: String,
    rng: Arc<dyn Random>,
    stores: Stores,
    /// What keeps the store alive (a temporary directory; a PostgreSQL server and the
    /// runtime its pool runs on).
    _keep: Box<dyn std::any::Any>,
}

impl Bench {
    fn ctx(&self) -> Ctx {
        Ctx::new(now(), self.rng.clone(), "bench")
    }

    fn get(&self, query: &[(&str, &str)]) -> Value {
        let mut req = Request::new(ScimEndpoint::Users, Method::Get);
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

    fn bulk(&self, body: &Value) -> Value {
        let mut req = Request::new(ScimEndpoint::Bulk, Method::Post);
        req.body = serde_json::to_vec(body).expect("json");
        req.authorization = Some(format!("Bearer {}", self.token));
        let r = block_on(self.engine.handle(req, &self.ctx()));
        assert_eq!(r.status(), 200, "{:?}", r.body);
        serde_json::from_slice(&r.body_bytes()).expect("json")
    }
}

/// A fresh sled store in a temporary directory.
fn sled() -> (Stores, Box<dyn std::any::Any>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let stores = Stores::sled(dir.path()).expect("sled");
    (stores, Box::new(dir))
}

/// A fresh database on a private PostgreSQL server (its binaries on this machine).
fn postgres() -> (Stores, Box<dyn std::any::Any>) {
    use jans_core::store::postgres::{PgStore, schema, test_server::TestServer};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = TestServer::start().expect("postgres server");
    let url = rt.block_on(server.create_database()).expect("database");
    let store = PgStore::connect(&url, 32, rt.handle().clone()).expect("pool");
    block_on(schema::migrate(&store)).expect("schema");
    // The runtime goes before the server it talks to.
    (Stores::postgres(store), Box::new((rt, server)))
}

/// An engine on `stores` with `users` users, and a token for SCIM.
fn bench((stores, keep): (Stores, Box<dyn std::any::Any>), users: usize) -> Bench {
    let rng: Arc<dyn Random> = Arc::new(OsRandom);
    // A token that outlives the slowest benchmark (a scan on PostgreSQL takes minutes).
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
    // Many writers at once: their writes share sled's flushes.
    let threads = 16;
    std::thread::scope(|s| {
        for t in 0..threads {
            let stores = stores.clone();
            s.spawn(move || {
                for i in (t..users).step_by(threads) {
                    block_on(stores.users.insert(&user(i))).expect("insert");
                }
            });
        }
    });
    let metadata = ClientMetadata {
        token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
        grant_types: vec!["client_credentials".to_owned()],
        scope: Some(
            "https://jans.io/scim/users.read https://jans.io/scim/users.write \
             https://jans.io/scim/bulk"
                .to_owned(),
        ),
        ..ClientMetadata::default()
    };
    let token = jans_benches::client_token(&engine, metadata, &ctx);
    Bench {
        engine,
        token,
        rng,
        stores,
        _keep: keep,
    }
}

/// The `i`th user: a login name, two emails (work at example.com or example.org), a name.
fn user(i: usize) -> User {
    let domain = if i.is_multiple_of(2) {
        "example.com"
    } else {
        "example.org"
    };
    let work = format!("user{i:06}@{domain}");
    let scim = json!({
        "emails": [
            {"value": work, "type": "work", "primary": true},
            {"value": format!("u{i}@home.example.net"), "type": "home"},
        ],
        "name": {"givenName": "User", "familyName": format!("Number {i}")},
        "externalId": format!("ext-{i}"),
    });
    User {
        inum: format!("{:08x}-0000-4000-8000-{i:012}", i),
        uid: format!("user{i:06}"),
        mail: Some(work),
        given_name: Some("User".into()),
        family_name: Some(format!("Number {i}")),
        scim: scim.as_object().cloned().unwrap_or_default(),
        created_at: 1_700_000_000,
        updated_at: 1_700_000_000,
        ..User::default()
    }
}

fn queries(c: &mut Criterion) {
    let n: usize = std::env::var("SCIM_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut g = c.benchmark_group("scim_query");
    for (backend, open) in [
        ("sled", sled as fn() -> (Stores, Box<dyn std::any::Any>)),
        ("postgres", postgres),
    ] {
        // Filled when a benchmark of this backend runs, so a filtered run builds only what
        // it measures.
        let fixture: OnceCell<Bench> = OnceCell::new();
        let b = || {
            fixture.get_or_init(|| {
                let started = Instant::now();
                let b = bench(open(), n);
                eprintln!("{backend}: {n} users stored in {:?}", started.elapsed());
                b
            })
        };
        let name = format!("user{:06}", n / 2 + 7);
        let filter = format!("userName eq \"{}\"", name.to_uppercase());
        g.sample_size(30)
            .measurement_time(Duration::from_secs(3))
            .warm_up_time(Duration::from_secs(1));
        g.bench_function(
            BenchmarkId::new(format!("userName_eq/{backend}"), n),
            |bch| {
                let b = b();
                assert_eq!(b.get(&[("filter", &filter)])["totalResults"], 1);
                bch.iter(|| b.get(&[("filter", &filter)]))
            },
        );
        // The floor under any request the store answers: one statement, one document.
        g.bench_function(BenchmarkId::new(format!("one_read/{backend}"), n), |bch| {
            let b = b();
            bch.iter(|| {
                let page = block_on(b.stores.documents.list("users", None, 1)).expect("list");
                assert_eq!(page.len(), 1);
            })
        });
        let selective =
            r#"emails[type eq "work" and value sw "USER00500"] or externalId eq "ext-777""#;
        g.bench_function(
            BenchmarkId::new(format!("value_filter/{backend}"), n),
            |bch| {
                let b = b();
                let found = b.get(&[("filter", selective), ("count", "10")]);
                // user005000 to user005009 (their work emails), and user000777.
                let want = (0..n)
                    .filter(|i| (5000..5010).contains(i) || *i == 777)
                    .count();
                assert_eq!(found["totalResults"], want);
                bch.iter(|| b.get(&[("filter", selective), ("count", "10")]))
            },
        );
        let value =
            r#"emails[type eq "work" and value co "@example.org"] or userName sw "user00099""#;
        g.sample_size(10)
            .measurement_time(Duration::from_secs(20))
            .warm_up_time(Duration::from_secs(2));
        g.bench_function(
            BenchmarkId::new(format!("value_filter_broad/{backend}"), n),
            |bch| {
                let b = b();
                let found = b.get(&[("filter", value), ("count", "10")]);
                assert!(found["totalResults"].as_u64().unwrap_or(0) >= (n / 2) as u64);
                bch.iter(|| b.get(&[("filter", value), ("count", "10")]))
            },
        );
    }
    g.finish();
}

/// `count` users created through Bulk requests of 30, named from `first`.
fn import(b: &Bench, first: usize, count: usize, password: bool) {
    for chunk in (first..first + count).collect::<Vec<_>>().chunks(30) {
        let ops: Vec<Value> = chunk
            .iter()
            .map(|i| {
                let mut data = json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": format!("bulk{i:08}"),
                    "emails": [{"value": format!("bulk{i}@example.com"), "type": "work"}],
                });
                if password {
                    data["password"] = "correct horse battery".into();
                }
                json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"), "data": data})
            })
            .collect();
        let r = b.bulk(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
            "Operations": ops,
        }));
        let ok = r["Operations"]
            .as_array()
            .map(|a| a.iter().all(|o| o["status"] == "201"))
            .unwrap_or(false);
        assert!(ok, "{r}");
    }
}

fn bulk(c: &mut Criterion) {
    let b = bench(sled(), 0);
    let mut next = 0;
    let mut g = c.benchmark_group("scim_bulk");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Elements(300));
    g.bench_function("import/sled", |bch| {
        bch.iter(|| {
            import(&b, next, 300, false);
            next += 300;
        })
    });
    g.throughput(Throughput::Elements(30));
    g.bench_function("import_with_passwords/sled", |bch| {
        bch.iter(|| {
            import(&b, next, 30, true);
            next += 30;
        })
    });
    let m = bench((Stores::memory(), Box::new(())), 0);
    let mut next_m = 0;
    g.bench_function("import_with_passwords/memory", |bch| {
        bch.iter(|| {
            import(&m, next_m, 30, true);
            next_m += 30;
        })
    });
    let hasher = b.engine.hasher();
    let hashes = |n: u8| {
        let all = (0..n)
            .map(|i| hasher.hash("correct horse battery", [i; 16]))
            .collect();
        for h in block_on(jans_core::concurrent::join_all(all)) {
            h.expect("hash");
        }
    };
    g.bench_function("argon2id/30", |bch| bch.iter(|| hashes(30)));
    g.bench_function("argon2id_one_at_a_time/30", |bch| {
        bch.iter(|| {
            for i in 0..30u8 {
                block_on(hasher.hash("correct horse battery", [i; 16])).expect("hash");
            }
        })
    });
    g.finish();
    // The import and its baseline in turns, so that the machine's drift falls on both.
    let rounds = 6;
    let (mut imported, mut hashed) = (Duration::ZERO, Duration::ZERO);
    for _ in 0..rounds {
        let t = Instant::now();
        import(&b, next, 30, true);
        imported += t.elapsed();
        next += 30;
        let t = Instant::now();
        hashes(30);
        hashed += t.elapsed();
    }
    let rate = |d: Duration| f64::from(30 * rounds) / d.as_secs_f64();
    eprintln!(
        "scim_bulk interleaved ({rounds} rounds of 30): import with passwords {:.1} users/s, \
         argon2id on the pool {:.1} hashes/s, ratio {:.3}",
        rate(imported),
        rate(hashed),
        rate(imported) / rate(hashed)
    );
}

criterion_group! {
    name = benches;
    config = jans_benches::criterion();
    targets = queries, bulk
}
criterion_main!(benches);
