//! Every store backend for flow tests that must hold on each (DESIGN.md §8: races are
//! tested on every backend): memory, sled in a temporary directory, and PostgreSQL (the
//! server of `JANS_TEST_DATABASE_URL`, or a private one), each a fresh database.

use jans_core::repo::Stores;

/// A backend's stores and what keeps them alive.
pub struct Backend {
    pub name: &'static str,
    pub stores: Stores,
    _keep: Box<dyn std::any::Any>,
}

/// Memory, sled and (with the `postgres` feature) PostgreSQL, fresh.
pub fn all() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let sled = Stores::sled(dir.path()).unwrap();
    #[cfg_attr(not(feature = "postgres"), allow(unused_mut))]
    let mut out = vec![
        Backend {
            name: "memory",
            stores: Stores::memory(),
            _keep: Box::new(()),
        },
        Backend {
            name: "sled",
            stores: sled,
            _keep: Box::new(dir),
        },
    ];
    #[cfg(feature = "postgres")]
    out.push(postgres());
    out
}

#[cfg(feature = "postgres")]
fn postgres() -> Backend {
    use jans_core::store::postgres::{PgStore, schema, test_server::TestServer};
    use jans_core::testing::block_on;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = TestServer::start().unwrap();
    let url = rt.block_on(server.create_database()).unwrap();
    let store = PgStore::connect(&url, 32, rt.handle().clone()).unwrap();
    block_on(schema::migrate(&store)).unwrap();
    Backend {
        name: "postgres",
        stores: Stores::postgres(store),
        // The runtime goes before the server it talks to.
        _keep: Box::new((rt, server)),
    }
}
