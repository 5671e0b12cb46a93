//! One suite of cases every backend runs on its two primitives (DESIGN.md §4): atomic
//! single-use take under concurrent callers, atomic counters, durability on
//! acknowledgement, expiry and sweeping, unique keys and compare-and-set of documents,
//! not-found and conflicts. A backend's tests call [`run_all`] with a [`Harness`] (and
//! `crate::repo::conformance::run_all`, the repositories over it).

use super::document::Key;
use super::{Backend, GrantKind, GrantRecord, StoreError};

/// What the suite needs from a backend.
pub trait Harness {
    /// The backend under test.
    fn backend(&self) -> Backend;
    /// Close the database and open it again (simulating a restart), returning the new
    /// backend; `None` for a backend without persistence (memory), which skips that case.
    fn reopen(&mut self) -> Option<Backend>;
}

pub use crate::testing::block_on;

/// A failed conformance case.
#[derive(Debug)]
pub struct Failure {
    /// Which case.
    pub case: &'static str,
    /// What went wrong.
    pub detail: String,
}

/// What a case returns: the failure, described.
pub(crate) type CaseResult = Result<(), String>;

/// A named case over fresh stores.
type Case = (&'static str, fn(&Backend) -> CaseResult);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}
pub(crate) use ensure;

mod counters;
mod documents;
mod grants;

fn record(family: &str, expires_at: u64) -> GrantRecord {
    GrantRecord {
        family: family.to_owned(),
        client_id: "c1".to_owned(),
        subject: None,
        scope: "read".to_owned(),
        issued_at: 1000,
        expires_at,
        data: serde_json::Map::new(),
    }
}

/// A store error as a case failure.
pub(crate) fn e<T>(r: Result<T, StoreError>) -> Result<T, String> {
    r.map_err(|e| format!("store error: {e}"))
}

fn durable(h: &mut dyn Harness) -> CaseResult {
    let s = h.backend();
    let body = serde_json::json!({"uid": "dora"});
    let uid = [Key::unique("uid", "dora")];
    block_on(async {
        e(s.documents.insert("people", "durable", &body, &uid).await)?;
        e(s.grants
            .insert(
                GrantKind::AccessToken,
                "before-restart",
                &record("", 1010),
                1000,
            )
            .await)?;
        Ok::<_, String>(())
    })?;
    drop(s);
    let Some(s) = h.reopen() else {
        return Ok(());
    };
    block_on(async {
        ensure!(
            e(s.documents.get("people", "durable").await)?.map(|d| (d.revision, d.body))
                == Some((1, body.clone())),
            "a document survives reopen"
        );
        ensure!(
            e(s.documents.find("people", "uid", "dora").await)?.map(|d| d.id)
                == Some("durable".to_owned()),
            "its unique key survives reopen"
        );
        ensure!(
            s.documents.insert("people", "other", &body, &uid).await == Err(StoreError::Conflict),
            "and still holds its value"
        );
        // Expiry survives a restart: the sweeper still finds what expired before it.
        ensure!(
            e(s.grants.sweep(2000, 100).await)? == 1,
            "a grant stored before the restart is swept after it"
        );
        ensure!(
            !e(s.grants
                .remove(GrantKind::AccessToken, "before-restart")
                .await)?,
            "the swept grant is gone"
        );
        Ok(())
    })
}

/// Run every case; returns the failures (empty when the backend conforms). Cases run on
/// fresh stores from `fresh()` so they cannot see each other's data.
pub fn run_all(fresh: &mut dyn FnMut() -> Box<dyn Harness>) -> Vec<Failure> {
    let cases: [Case; 19] = [
        ("documents_generation", documents::documents_generation),
        ("grants_single_use", grants::grants_single_use),
        ("grants_tombstone", grants::grants_tombstone),
        ("grants_concurrent_take", grants::grants_concurrent_take),
        ("grants_counters", counters::grants_counters),
        ("grants_scan", grants::grants_scan),
        ("grants_remove_owned", grants::grants_remove_owned),
        ("grants_concurrent_insert", grants::grants_concurrent_insert),
        ("grants_expiry_and_sweep", grants::grants_expiry_and_sweep),
        ("grants_family", grants::grants_family),
        ("grants_family_listed", grants::grants_family_listed),
        ("grants_counters_added", counters::grants_counters_added),
        (
            "grants_family_revocation_races_insert",
            grants::grants_family_revocation_races_insert,
        ),
        ("documents_crud", documents::documents_crud),
        ("documents_list", documents::documents_list),
        ("documents_query", documents::documents_query),
        ("documents_query_joined", documents::documents_query_joined),
        ("documents_races", documents::documents_races),
        (
            "documents_keep_every_character",
            grants::documents_keep_every_character,
        ),
    ];
    let mut failures = Vec::new();
    for (case, f) in cases {
        let h = fresh();
        if let Err(detail) = f(&h.backend()) {
            failures.push(Failure { case, detail });
        }
    }
    let mut h = fresh();
    if let Err(detail) = durable(h.as_mut()) {
        failures.push(Failure {
            case: "durable_on_ack",
            detail,
        });
    }
    failures
}

/// A backend in memory (nothing to reopen).
#[derive(Debug)]
pub struct MemoryHarness(Backend);

impl MemoryHarness {
    /// A fresh one.
    pub fn new() -> MemoryHarness {
        MemoryHarness(Backend::memory())
    }
}

impl Default for MemoryHarness {
    fn default() -> Self {
        MemoryHarness::new()
    }
}

impl Harness for MemoryHarness {
    fn backend(&self) -> Backend {
        self.0.clone()
    }
    fn reopen(&mut self) -> Option<Backend> {
        None
    }
}

/// The sled harness of the crate's own tests (test code: a failure to set up panics).
#[cfg(all(test, feature = "sled"))]
#[allow(clippy::expect_used)]
pub(crate) mod sled_harness {
    use super::{Backend, Harness};

    /// A sled database in a temporary directory (the crate's own tests).
    #[derive(Debug)]
    pub(crate) struct SledHarness {
        dir: tempfile::TempDir,
        backend: Option<Backend>,
    }

    impl SledHarness {
        /// A fresh database.
        pub(crate) fn new() -> SledHarness {
            let dir = tempfile::tempdir().expect("tempdir");
            let backend = Backend::sled(dir.path()).expect("open");
            SledHarness {
                dir,
                backend: Some(backend),
            }
        }
    }

    impl Default for SledHarness {
        fn default() -> Self {
            SledHarness::new()
        }
    }

    impl Harness for SledHarness {
        fn backend(&self) -> Backend {
            self.backend.clone().expect("open")
        }
        fn reopen(&mut self) -> Option<Backend> {
            self.backend = None;
            // Every clone of the backend must be gone for sled to release its lock.
            let b = Backend::sled(self.dir.path()).expect("reopen");
            self.backend = Some(b.clone());
            Some(b)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_conforms() {
        let failures = run_all(&mut || Box::new(MemoryHarness::new()));
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[cfg(feature = "sled")]
    #[test]
    fn sled_conforms() {
        let failures = run_all(&mut || Box::new(sled_harness::SledHarness::new()));
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[cfg(feature = "sled")]
    #[test]
    fn sled_second_open_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Backend::sled(dir.path()).unwrap();
        let second = Backend::sled(dir.path());
        assert!(
            matches!(second, Err(StoreError::Locked(_))),
            "{:?}",
            second.err()
        );
    }
}
