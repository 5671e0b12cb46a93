//! The conformance suite and the schema commands on a real PostgreSQL server.

use std::sync::{Arc, Mutex, Weak};

use super::schema::{self, SchemaStatus};
use super::test_server::TestServer;
use super::*;
use crate::repo::Stores;
use crate::store::conformance::{self, Harness, block_on};
use crate::store::{Backend, GrantKind, GrantRecord, GrantStore};

/// A server and a runtime shared by the tests running at the same time; the last one to
/// finish stops a private server (a `static` would leave it running after the process).
pub(super) struct Env {
    // Dropped first: the runtime's tasks hold connections to the server.
    pub(super) rt: tokio::runtime::Runtime,
    pub(super) server: TestServer,
}

pub(super) fn env() -> Arc<Env> {
    static SHARED: Mutex<Weak<Env>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(env) = shared.upgrade() {
        return env;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let env = Arc::new(Env {
        rt,
        server: TestServer::start().unwrap(),
    });
    *shared = Arc::downgrade(&env);
    env
}

pub(super) fn fresh_store(env: &Env) -> (PgStore, String) {
    let url = env.rt.block_on(env.server.create_database()).unwrap();
    (
        PgStore::connect(&url, 16, env.rt.handle().clone()).unwrap(),
        url,
    )
}

struct Pg {
    url: String,
    store: PgStore,
    env: Arc<Env>,
}

impl Harness for Pg {
    fn backend(&self) -> Backend {
        Backend::postgres(self.store.clone())
    }

    fn reopen(&mut self) -> Option<Backend> {
        // A new pool on the same database: what another process (or a restart) sees.
        self.store = PgStore::connect(&self.url, 16, self.env.rt.handle().clone()).unwrap();
        Some(self.backend())
    }
}

#[test]
fn conformance_on_postgresql() {
    let env = env();
    let mut fresh = || {
        let (store, url) = fresh_store(&env);
        block_on(schema::migrate(&store)).unwrap();
        Box::new(Pg {
            url,
            store,
            env: env.clone(),
        }) as Box<dyn Harness>
    };
    let mut failures = conformance::run_all(&mut fresh);
    failures.extend(crate::repo::conformance::run_all(&mut fresh));
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn migrations_apply_once_even_when_nodes_race() {
    let env = env();
    let (store, _) = fresh_store(&env);
    assert_eq!(
        block_on(schema::status(&store)).unwrap(),
        SchemaStatus::Missing
    );
    let store = Arc::new(store);
    let racers: Vec<_> = (0..4)
        .map(|_| {
            let s = store.clone();
            std::thread::spawn(move || block_on(schema::migrate(&s)).unwrap())
        })
        .collect();
    let applied: Vec<Vec<i32>> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        applied.iter().filter(|a| !a.is_empty()).count(),
        1,
        "{applied:?}"
    );
    assert!(applied.contains(&(1..=schema::LATEST).collect::<Vec<_>>()));
    assert_eq!(
        block_on(schema::status(&store)).unwrap(),
        SchemaStatus::Current
    );
    assert!(block_on(schema::migrate(&store)).unwrap().is_empty());
    assert_eq!(SchemaStatus::Current.advice(), None);
    assert!(
        SchemaStatus::Missing
            .advice()
            .unwrap()
            .contains("jans migrate")
    );
    assert!(
        SchemaStatus::Old(1)
            .advice()
            .unwrap()
            .contains("jans migrate")
    );
}

#[test]
fn a_newer_schema_is_refused() {
    let env = env();
    let (store, _) = fresh_store(&env);
    block_on(schema::migrate(&store)).unwrap();
    block_on(store.run(|c| async move {
        c.execute(
            "INSERT INTO jans_schema (version, name) VALUES (99, 'future')",
            &[],
        )
        .await
        .map_err(map_err)
    }))
    .unwrap();
    assert_eq!(
        block_on(schema::status(&store)).unwrap(),
        SchemaStatus::Newer(99)
    );
    let err = block_on(schema::migrate(&store)).unwrap_err();
    assert!(err.to_string().contains("upgrade jans"), "{err}");
}

#[test]
fn a_server_that_goes_away_is_unavailable_then_recovers() {
    // A private server of its own: stopping the shared one would disturb the other tests.
    let env = env();
    let server = TestServer::start_private().unwrap();
    let url = env.rt.block_on(server.create_database()).unwrap();
    let store = PgStore::connect(&url, 4, env.rt.handle().clone()).unwrap();
    block_on(schema::migrate(&store)).unwrap();
    let rec = GrantRecord {
        family: "f".into(),
        client_id: "c".into(),
        subject: None,
        scope: String::new(),
        issued_at: 1,
        expires_at: 4_000_000_000,
        data: serde_json::Map::new(),
    };
    block_on(GrantStore::insert(
        &store,
        GrantKind::AccessToken,
        "k1",
        &rec,
        2,
    ))
    .unwrap();
    server.stop().unwrap();
    let err = block_on(GrantStore::get(&store, GrantKind::AccessToken, "k1", 2)).unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    server.restart().unwrap();
    // Broken connections are replaced; what was acknowledged before is still there.
    let mut got = None;
    for _ in 0..20 {
        match block_on(GrantStore::get(&store, GrantKind::AccessToken, "k1", 2)) {
            Ok(r) => {
                got = r;
                break;
            }
            Err(StoreError::Unavailable(_)) => {
                std::thread::sleep(std::time::Duration::from_millis(100))
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(got, Some(rec));
}

/// A database as version 7's `jans migrate` left it, holding what version 7 wrote there (a
/// table per aggregate), reads the same through the repositories once migrated to 8.
#[test]
fn a_version_7_database_keeps_its_records_after_migrating() {
    use crate::repo::user::User;
    let env = env();
    let (store, _) = fresh_store(&env);
    assert_eq!(
        block_on(schema::migrate_to(&store, 7)).unwrap(),
        vec![1, 2, 3, 4, 5, 6, 7]
    );
    use crate::repo::conformance::{client, key, scope, user};
    let (client, user, scope, key) = (
        client("old"),
        user("inum-1", "Alice"),
        scope("s1"),
        key("k1"),
    );
    fn text<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap()
    }
    let rows: Vec<(&'static str, Vec<String>)> = vec![
        (
            "INSERT INTO jans_client (client_id, doc) VALUES ($1, $2)",
            vec![client.client_id.clone(), text(&client)],
        ),
        (
            "INSERT INTO jans_user (inum, uid_key, doc) VALUES ($1, $2, $3)",
            vec![user.inum.clone(), User::uid_key(&user.uid), text(&user)],
        ),
        (
            "INSERT INTO jans_scope (id, doc) VALUES ($1, $2)",
            vec![scope.id.clone(), text(&scope)],
        ),
        (
            "INSERT INTO jans_key (kid, doc) VALUES ($1, $2)",
            vec![key.kid.clone(), text(&key)],
        ),
        (
            "INSERT INTO jans_config (id, revision, doc) VALUES ('jansConfDyn', 5, $1)",
            vec![r#"{"issuer":"https://old.example"}"#.to_owned()],
        ),
        (
            "INSERT INTO jans_meta (name, value) VALUES ('master_key_check', $1)",
            vec!["kcv-old".to_owned()],
        ),
    ];
    for (sql, params) in rows {
        block_on(store.run(move |c| async move {
            let refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p as _).collect();
            c.execute(sql, &refs).await.map_err(map_err)
        }))
        .unwrap();
    }
    assert_eq!(block_on(schema::migrate(&store)).unwrap(), vec![8, 9, 10]);
    let stores = Stores::postgres(store);
    block_on(async {
        assert_eq!(stores.clients.get("old").await.unwrap(), Some(client));
        assert_eq!(
            stores.users.by_uid("ALICE").await.unwrap(),
            Some(user.clone())
        );
        assert_eq!(stores.users.get("inum-1").await.unwrap(), Some(user));
        let mut taken = crate::repo::conformance::user("inum-2", "alice");
        assert_eq!(
            stores.users.insert(&taken).await,
            Err(StoreError::Conflict),
            "the uid stays unique"
        );
        taken.uid = "bob".into();
        stores.users.insert(&taken).await.unwrap();
        assert_eq!(stores.scopes.list().await.unwrap(), vec![scope]);
        assert_eq!(stores.keys.list().await.unwrap(), vec![key]);
        let config = stores.config.get().await.unwrap().unwrap();
        assert_eq!(config.revision, 5);
        assert_eq!(config.doc["issuer"], "https://old.example");
        assert_eq!(
            stores.config.put(&config.doc, 4).await,
            Err(StoreError::Conflict)
        );
        assert_eq!(stores.config.put(&config.doc, 5).await, Ok(6));
        assert_eq!(
            stores
                .keys
                .master_key_check(Some("kcv-new"))
                .await
                .unwrap()
                .as_deref(),
            Some("kcv-old")
        );
    });
}

/// The grant store of a fresh database on a single-threaded runtime of its own: tasks
/// spawned in one `rt.block_on` all queue their inserts before a batch writer runs, so
/// they meet in one gathering. Everything runs on `rt`, only inside `rt.block_on`.
fn single_threaded_grants() -> (tokio::runtime::Runtime, Arc<dyn GrantStore>) {
    let env = env();
    let (_, url) = fresh_store(&env);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store = PgStore::connect(&url, 4, rt.handle().clone()).unwrap();
    rt.block_on(schema::migrate(&store)).unwrap();
    (rt, Stores::postgres(store).grants)
}

/// Group commit: a burst of inserts queued together is written in shared statements, yet
/// every row keeps its own outcome. The 50 inserts of one new key meet in one gathering:
/// exactly one wins (the others go to the next statement and are refused); 300 distinct
/// keys all land; an expired record is replaced inside a batch while a live one is refused;
/// and what was refused changed nothing.
#[test]
fn batched_inserts_keep_per_row_outcomes() {
    let (rt, store) = single_threaded_grants();
    rt.block_on(async {
        store
            .insert(GrantKind::AccessToken, "expired", &rec("old", 1500), 1000)
            .await
            .unwrap();
        store
            .insert(GrantKind::AccessToken, "live", &rec("old", 9000), 1000)
            .await
            .unwrap();
    });
    let outcomes = rt.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..50 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                let r = &rec(&format!("same{i}"), 9000);
                (
                    "same".to_owned(),
                    s.insert(GrantKind::AssertionJti, "jti", r, 2000).await,
                )
            }));
        }
        for i in 0..300 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                let key = format!("k{i:03}");
                let r = s
                    .insert(GrantKind::AccessToken, &key, &rec(&key, 9000), 2000)
                    .await;
                (key, r)
            }));
        }
        for key in ["expired", "live"] {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                let r = s
                    .insert(GrantKind::AccessToken, key, &rec("new", 9000), 2000)
                    .await;
                (key.to_owned(), r)
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    let same: Vec<_> = outcomes.iter().filter(|(k, _)| k == "same").collect();
    assert_eq!(same.iter().filter(|(_, r)| r.is_ok()).count(), 1);
    assert!(
        same.iter()
            .all(|(_, r)| r.is_ok() || *r == Err(StoreError::Conflict))
    );
    for (key, r) in &outcomes {
        match key.as_str() {
            "same" => {}
            "live" => assert_eq!(*r, Err(StoreError::Conflict), "a live record is kept"),
            _ => assert_eq!(*r, Ok(()), "{key}"),
        }
    }
    rt.block_on(async {
        let get = |key: &'static str| store.get(GrantKind::AccessToken, key, 2000);
        assert_eq!(get("expired").await.unwrap().unwrap().family, "new");
        assert_eq!(get("live").await.unwrap().unwrap().family, "old");
        for i in 0..300 {
            let key = format!("k{i:03}");
            let got = store.get(GrantKind::AccessToken, &key, 2000).await.unwrap();
            assert_eq!(got.map(|r| r.family), Some(key));
        }
    });
}

pub(super) fn rec(family: &str, expires_at: u64) -> crate::store::GrantRecord {
    crate::store::GrantRecord {
        family: family.to_owned(),
        client_id: "c".to_owned(),
        subject: None,
        scope: String::new(),
        issued_at: 1000,
        expires_at,
        data: serde_json::Map::new(),
    }
}

/// `openssl ARGS` in `dir`, failing the test on error.
fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl (the TLS test makes its certificates with it)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (`NAME.crt`, `NAME.key`) in `dir`.
fn make_ca(dir: &std::path::Path, name: &str) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign",
        ],
    );
}

/// TLS to PostgreSQL: with `sslmode=require` and the CA that signed the server's
/// certificate (for 127.0.0.1) the store works over an encrypted connection; a certificate
/// from another CA, or a server offering no TLS, is refused rather than used in clear.
#[test]
fn tls_to_postgresql_is_verified() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_ca(d, "ca");
    make_ca(d, "other");
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    // The server reads its key as the postgres user, and wants it private.
    let key = d.join("server.key");
    let mut perms = std::fs::metadata(&key).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
    std::fs::set_permissions(&key, perms).unwrap();
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if is_root {
        for path in [d.to_path_buf(), d.join("server.crt"), key.clone()] {
            let ok = std::process::Command::new("chown")
                .arg("postgres:postgres")
                .arg(&path)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "chown {}", path.display());
        }
    }
    let server = TestServer::start_private_with(&format!(
        "-c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
        d.join("server.crt").display(),
        key.display()
    ))
    .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let url = format!(
        "{}?sslmode=require",
        rt.block_on(server.create_database()).unwrap()
    );
    let ca = std::fs::read(d.join("ca.crt")).unwrap();
    let other = std::fs::read(d.join("other.crt")).unwrap();
    let connect = |ca: Option<&[u8]>| {
        PgStore::connect_tls(
            &url,
            2,
            rt.handle().clone(),
            tls::RustlsConnect::new(ca).unwrap(),
        )
        .unwrap()
    };

    let store = connect(Some(&ca));
    rt.block_on(schema::migrate(&store)).unwrap();
    let encrypted: bool = rt
        .block_on(store.run(|c| async move {
            c.query_one(
                "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
                &[],
            )
            .await
            .map_err(map_err)?
            .try_get(0)
            .map_err(map_err)
        }))
        .unwrap();
    assert!(encrypted, "the connection must be encrypted");
    let grants = Stores::postgres(store).grants;
    rt.block_on(grants.insert(GrantKind::AccessToken, "over-tls", &rec("f", 9000), 1000))
        .unwrap();

    // Another CA's certificate, or the system's roots: refused.
    for wrong in [Some(other.as_slice()), None] {
        let store = connect(wrong);
        let err = rt.block_on(schema::status(&store)).unwrap_err().to_string();
        assert!(
            err.contains("certificate") || err.contains("UnknownIssuer"),
            "a certificate the trusted CAs did not sign must be refused: {err}"
        );
    }
    // sslmode=require against a server without TLS: refused, not sent in clear.
    let plain = env();
    let plain_url = format!(
        "{}?sslmode=require",
        plain.rt.block_on(plain.server.create_database()).unwrap()
    );
    let store = PgStore::connect_tls(
        &plain_url,
        2,
        rt.handle().clone(),
        tls::RustlsConnect::new(Some(&ca)).unwrap(),
    )
    .unwrap();
    let err = rt.block_on(schema::status(&store)).unwrap_err().to_string();
    assert!(err.contains("TLS") || err.contains("tls"), "{err}");
    // A CA file without a certificate is a configuration error.
    assert!(tls::RustlsConnect::new(Some(b"not a certificate")).is_err());
}

/// A row the server refuses (a key with a NUL byte, which `text` cannot hold) fails alone:
/// the rows queued in the same batch are written.
#[test]
fn a_refused_row_does_not_fail_its_batch() {
    let (rt, grants) = single_threaded_grants();
    let outcomes = rt.block_on(async {
        let mut tasks = Vec::new();
        for key in ["good-1", "bad\u{0}key", "good-2", "good-3"] {
            let g = grants.clone();
            tasks.push(tokio::spawn(async move {
                let r = g
                    .insert(GrantKind::AccessToken, key, &rec(key, 9000), 1000)
                    .await;
                (key, r)
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap());
        }
        out
    });
    for (key, r) in outcomes {
        if key.starts_with("good") {
            assert_eq!(r, Ok(()), "{key}");
            let got = rt
                .block_on(grants.get(GrantKind::AccessToken, key, 1000))
                .unwrap();
            assert!(got.is_some(), "{key} stored");
        } else {
            assert!(
                matches!(r, Err(StoreError::Backend(_))),
                "the refused row: {r:?}"
            );
        }
    }
}
