//! One suite of cases every backend runs (DESIGN.md §4): atomic single-use take under
//! concurrent callers, durability on acknowledgement, expiry and sweeping, not-found and
//! conflicts. A backend's tests call [`run_all`] with a [`Harness`].

use super::{GrantKind, GrantRecord, StoreError, Stores};
use crate::repo::client::{Client, ClientMetadata};
use crate::repo::key::{KeyStatus, StoredKey};

/// What the suite needs from a backend.
pub trait Harness {
    /// The stores under test.
    fn stores(&self) -> Stores;
    /// Close the database and open it again (simulating a restart), returning the new
    /// stores; `None` for a backend without persistence (memory), which skips that case.
    fn reopen(&mut self) -> Option<Stores>;
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

type CaseResult = Result<(), String>;

/// A named case over fresh stores.
type Case = (&'static str, fn(&Stores) -> CaseResult);

macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(format!($($msg)+));
        }
    };
}

mod documents;
mod grants;
mod records;

use records::{scope, user};

fn client(id: &str) -> Client {
    Client {
        client_id: id.to_owned(),
        client_secret_sealed: Some("sealed".to_owned()),
        client_id_issued_at: 1,
        client_secret_expires_at: 0,
        disabled: false,
        registration_access_token_hash: None,
        metadata: ClientMetadata {
            client_name: Some(format!("client {id}")),
            grant_types: vec!["client_credentials".to_owned()],
            ..ClientMetadata::default()
        },
    }
}

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

fn key(kid: &str) -> StoredKey {
    StoredKey {
        kid: kid.to_owned(),
        alg: crate::jose::Algorithm::ES256,
        status: KeyStatus::Active,
        created_at: 1,
        activated_at: Some(1),
        retired_at: None,
        publish_until: None,
        sealed_private: Some("sealed".to_owned()),
        public_jwk: crate::jose::Jwk {
            kty: "EC".to_owned(),
            kid: Some(kid.to_owned()),
            ..crate::jose::Jwk::default()
        },
    }
}

fn e<T>(r: Result<T, StoreError>) -> Result<T, String> {
    r.map_err(|e| format!("store error: {e}"))
}

fn durable(h: &mut dyn Harness) -> CaseResult {
    let s = h.stores();
    block_on(async {
        e(s.clients.insert(&client("durable")).await)?;
        e(s.keys.put(&key("durable-key")).await)?;
        e(s.users.insert(&user("durable-user", "dora")).await)?;
        e(s.config
            .put(&serde_json::json!({"issuer": "https://durable"}), 0)
            .await)?;
        e(s.scopes.insert(&scope("durable")).await)?;
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
            e(s.clients.get("durable").await)? == Some(client("durable")),
            "client survives reopen"
        );
        ensure!(
            e(s.keys.list().await)?
                .iter()
                .any(|k| k.kid == "durable-key"),
            "key survives reopen"
        );
        ensure!(
            e(s.users.by_uid("DORA").await)? == Some(user("durable-user", "dora")),
            "user and uid index survive reopen"
        );
        ensure!(
            e(s.config.get().await)?.map(|c| c.revision) == Some(1),
            "configuration survives reopen"
        );
        ensure!(
            e(s.scopes.list().await)? == vec![scope("durable")],
            "scope survives reopen"
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
    let cases: [Case; 20] = [
        ("clients_crud", records::clients_crud),
        ("grants_single_use", grants::grants_single_use),
        ("grants_tombstone", grants::grants_tombstone),
        ("grants_concurrent_take", grants::grants_concurrent_take),
        ("grants_counters", grants::grants_counters),
        ("grants_scan", grants::grants_scan),
        ("grants_remove_owned", grants::grants_remove_owned),
        ("master_key_check", records::master_key_check),
        ("grants_concurrent_insert", grants::grants_concurrent_insert),
        ("grants_expiry_and_sweep", grants::grants_expiry_and_sweep),
        ("grants_family", grants::grants_family),
        (
            "grants_family_revocation_races_insert",
            grants::grants_family_revocation_races_insert,
        ),
        ("keys_crud", records::keys_crud),
        ("users_crud", records::users_crud),
        ("config_compare_and_set", records::config_compare_and_set),
        ("scopes_crud", records::scopes_crud),
        ("documents_crud", documents::documents_crud),
        (
            "documents_list_and_select",
            documents::documents_list_and_select,
        ),
        ("documents_races", documents::documents_races),
        (
            "documents_keep_every_character",
            grants::documents_keep_every_character,
        ),
    ];
    let mut failures = Vec::new();
    for (case, f) in cases {
        let h = fresh();
        if let Err(detail) = f(&h.stores()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    struct Memory(Stores);
    impl Harness for Memory {
        fn stores(&self) -> Stores {
            self.0.clone()
        }
        fn reopen(&mut self) -> Option<Stores> {
            None
        }
    }

    #[test]
    fn memory_conforms() {
        let failures = run_all(&mut || Box::new(Memory(Stores::memory())));
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[cfg(feature = "sled")]
    struct Sled {
        dir: tempfile::TempDir,
        stores: Option<Stores>,
    }

    #[cfg(feature = "sled")]
    impl Harness for Sled {
        fn stores(&self) -> Stores {
            self.stores.clone().expect("open")
        }
        fn reopen(&mut self) -> Option<Stores> {
            self.stores = None;
            // Every clone of the Stores handle must be gone for sled to release its lock.
            let s = Stores::sled(self.dir.path()).expect("reopen");
            self.stores = Some(s.clone());
            Some(s)
        }
    }

    #[cfg(feature = "sled")]
    #[test]
    fn sled_conforms() {
        let failures = run_all(&mut || {
            let dir = tempfile::tempdir().expect("tempdir");
            let stores = Stores::sled(dir.path()).expect("open");
            Box::new(Sled {
                dir,
                stores: Some(stores),
            })
        });
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[cfg(feature = "sled")]
    #[test]
    fn sled_second_open_is_locked() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Stores::sled(dir.path()).unwrap();
        let second = Stores::sled(dir.path());
        assert!(
            matches!(second, Err(StoreError::Locked(_))),
            "{:?}",
            second.err()
        );
    }
}
