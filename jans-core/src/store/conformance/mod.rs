//! One suite of cases every backend runs (DESIGN.md §4): atomic single-use take under
//! concurrent callers, durability on acknowledgement, expiry and sweeping, not-found and
//! conflicts. A backend's tests call [`run_all`] with a [`Harness`].

use std::sync::Arc;

use super::{GrantKind, GrantRecord, StoreError, Stores, Taken};
use crate::repo::client::{Client, ClientMetadata};
use crate::repo::key::{KeyStatus, StoredKey};
use crate::repo::user::User;

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

fn clients_crud(s: &Stores) -> CaseResult {
    block_on(async {
        e(s.clients.insert(&client("b")).await)?;
        e(s.clients.insert(&client("a")).await)?;
        ensure!(
            s.clients.insert(&client("a")).await == Err(StoreError::Conflict),
            "duplicate insert must be Conflict"
        );
        ensure!(
            e(s.clients.get("a").await)? == Some(client("a")),
            "get after insert"
        );
        ensure!(
            e(s.clients.get("zz").await)?.is_none(),
            "get missing must be None"
        );
        let mut changed = client("a");
        changed.disabled = true;
        e(s.clients.update(&changed).await)?;
        ensure!(
            e(s.clients.get("a").await)? == Some(changed),
            "update visible"
        );
        ensure!(
            s.clients.update(&client("zz")).await == Err(StoreError::NotFound),
            "update of missing must be NotFound"
        );
        let ids: Vec<String> = e(s.clients.list().await)?
            .into_iter()
            .map(|c| c.client_id)
            .collect();
        ensure!(ids == ["a", "b"], "list ordered by id, got {ids:?}");
        ensure!(e(s.clients.delete("a").await)?, "delete existing is true");
        ensure!(!e(s.clients.delete("a").await)?, "delete missing is false");
        ensure!(e(s.clients.get("a").await)?.is_none(), "deleted is gone");
        Ok(())
    })
}

fn grants_single_use(s: &Stores) -> CaseResult {
    block_on(async {
        let now = 1000;
        e(s.grants
            .insert(
                GrantKind::AuthorizationCode,
                "code1",
                &record("f1", 2000),
                now,
            )
            .await)?;
        ensure!(
            s.grants
                .insert(
                    GrantKind::AuthorizationCode,
                    "code1",
                    &record("f1", 2000),
                    now
                )
                .await
                == Err(StoreError::Conflict),
            "live duplicate insert must be Conflict"
        );
        // Same key in another kind is a different record.
        e(s.grants
            .insert(GrantKind::AccessToken, "code1", &record("f1", 2000), now)
            .await)?;
        ensure!(
            e(s.grants
                .get(GrantKind::AuthorizationCode, "code1", now)
                .await)?
                == Some(record("f1", 2000)),
            "get returns the record"
        );
        ensure!(
            e(s.grants
                .take(GrantKind::AuthorizationCode, "code1", now, None)
                .await)?
                == Taken::Record(record("f1", 2000)),
            "first take wins"
        );
        ensure!(
            e(s.grants
                .take(GrantKind::AuthorizationCode, "code1", now, None)
                .await)?
                == Taken::Absent,
            "second take of a record taken without a tombstone finds nothing"
        );
        ensure!(
            e(s.grants.get(GrantKind::AccessToken, "code1", now).await)?.is_some(),
            "other kind untouched"
        );
        ensure!(
            e(s.grants.get(GrantKind::RefreshToken, "missing", now).await)?.is_none(),
            "missing get is None"
        );
        ensure!(
            e(s.grants
                .take(GrantKind::RefreshToken, "missing", now, Some(3000))
                .await)?
                == Taken::Absent,
            "missing take is Absent"
        );
        ensure!(
            !e(s.grants.remove(GrantKind::RefreshToken, "missing").await)?,
            "missing remove is false"
        );
        ensure!(
            e(s.grants.remove(GrantKind::AccessToken, "code1").await)?,
            "remove existing is true"
        );
        Ok(())
    })
}

/// Run `each(stores, thread)` on `threads` threads released at once; for each of `keys`
/// keys, how many threads won it (`each` returns the indices of the keys it won).
fn race(
    s: &Stores,
    threads: usize,
    keys: usize,
    each: fn(&Stores, usize) -> Result<Vec<usize>, String>,
) -> Result<Vec<usize>, String> {
    let barrier = Arc::new(std::sync::Barrier::new(threads));
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let s = s.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                each(&s, t)
            })
        })
        .collect();
    let mut wins = vec![0usize; keys];
    for h in handles {
        let won = h
            .join()
            .map_err(|_| "racing thread panicked".to_owned())??;
        for i in won {
            if let Some(w) = wins.get_mut(i) {
                *w += 1;
            }
        }
    }
    Ok(wins)
}

/// JSON allows any character in a string, NUL included (a nonce or a client name sent as
/// `%00`): every store keeps such documents as they were written.
fn documents_keep_every_character(s: &Stores) -> CaseResult {
    block_on(async {
        let odd = "a\u{0}b\u{7f}\u{1f600}\"\\";
        let mut rec = record("odd", 5000);
        rec.data.insert("nonce".to_owned(), odd.into());
        e(s.grants
            .insert(GrantKind::Interaction, "odd", &rec, 1000)
            .await)?;
        ensure!(
            e(s.grants.get(GrantKind::Interaction, "odd", 1000).await)? == Some(rec),
            "a grant's data round-trips"
        );
        let mut c = client("odd");
        c.metadata.client_name = Some(odd.to_owned());
        e(s.clients.insert(&c).await)?;
        ensure!(
            e(s.clients.get("odd").await)? == Some(c),
            "a client's metadata round-trips"
        );
        Ok(())
    })
}

/// A take that leaves a tombstone: the record is single use, and every later take (on any
/// node) learns it was used, with the record as it was; reads and inserts see a live
/// record nobody may read or replace until the tombstone expires.
fn grants_tombstone(s: &Stores) -> CaseResult {
    block_on(async {
        let k = GrantKind::RefreshToken;
        e(s.grants.insert(k, "rt", &record("fam", 2000), 1000).await)?;
        ensure!(
            e(s.grants.take(k, "rt", 1000, Some(4000)).await)?
                == Taken::Record(record("fam", 2000)),
            "the first take gets the record"
        );
        let tomb = e(s.grants.take(k, "rt", 1500, Some(9999)).await)?;
        ensure!(
            matches!(&tomb, Taken::AlreadyUsed(r) if r.family == "fam" && r.client_id == "c1"),
            "a second take learns it was used, with the family: {tomb:?}"
        );
        ensure!(
            matches!(
                e(s.grants.take(k, "rt", 1500, None).await)?,
                Taken::AlreadyUsed(_)
            ),
            "a take without a tombstone of its own also learns it"
        );
        ensure!(
            e(s.grants.get(k, "rt", 1500).await)?.is_none(),
            "a tombstone reads as absent"
        );
        ensure!(
            s.grants.insert(k, "rt", &record("other", 5000), 1500).await
                == Err(StoreError::Conflict),
            "a live tombstone cannot be replaced"
        );
        ensure!(
            e(s.grants.scan(k, 1500, 10).await)?.is_empty(),
            "a scan skips tombstones"
        );
        // The tombstone lives until the time the take gave it (4000), not the record's 2000.
        ensure!(
            matches!(
                e(s.grants.take(k, "rt", 3999, None).await)?,
                Taken::AlreadyUsed(_)
            ),
            "the tombstone outlives the record's own expiry"
        );
        ensure!(
            e(s.grants.take(k, "rt", 4000, None).await)? == Taken::Absent,
            "then it expires"
        );
        ensure!(e(s.grants.sweep(4000, 10).await)? == 1, "and is swept");
        // Family revocation removes tombstones with the rest.
        e(s.grants.insert(k, "rt2", &record("fam2", 2000), 1000).await)?;
        e(s.grants.take(k, "rt2", 1000, Some(4000)).await)?;
        e(s.grants.remove_family("fam2").await)?;
        ensure!(
            e(s.grants.take(k, "rt2", 1000, None).await)? == Taken::Absent,
            "a revoked family leaves no tombstone"
        );
        Ok(())
    })
}

/// Racing takes of one record (a code or refresh token presented many times at once, on
/// any number of nodes): exactly one caller gets it, and every other learns it was used —
/// never that it did not exist (DESIGN.md §4).
fn grants_concurrent_take(s: &Stores) -> CaseResult {
    const KEYS: usize = 25;
    const THREADS: usize = 8;
    block_on(async {
        for i in 0..KEYS {
            e(s.grants
                .insert(
                    GrantKind::AuthorizationCode,
                    &format!("race{i}"),
                    &record("race", 5000),
                    1000,
                )
                .await)?;
        }
        Ok::<_, String>(())
    })?;
    let wins = race(s, THREADS, KEYS, |s, _| {
        let mut won = Vec::new();
        for i in 0..KEYS {
            let r = block_on(s.grants.take(
                GrantKind::AuthorizationCode,
                &format!("race{i}"),
                1000,
                Some(6000),
            ));
            match r {
                Ok(Taken::Record(_)) => won.push(i),
                Ok(Taken::AlreadyUsed(r)) if r.family == "race" => {}
                other => return Err(format!("race{i}: a loser got {other:?}")),
            }
        }
        Ok(won)
    })?;
    ensure!(
        wins.iter().all(|w| *w == 1),
        "each key must be taken exactly once, got {wins:?}"
    );
    Ok(())
}

/// Counters: one atomic step per increment, so none is lost to a concurrent one; an expired
/// counter starts again at 1.
fn grants_counters(s: &Stores) -> CaseResult {
    const THREADS: usize = 8;
    const EACH: usize = 25;
    block_on(async {
        let k = GrantKind::LoginFailures;
        ensure!(
            e(s.grants.increment(k, "u1", 1100, 1000).await)? == 1,
            "first is 1"
        );
        ensure!(
            e(s.grants.increment(k, "u1", 1100, 1050).await)? == 2,
            "then 2"
        );
        ensure!(
            e(s.grants.increment(k, "u2", 1100, 1050).await)? == 1,
            "counters are per key"
        );
        // Each increment moves the expiry: still live at 1120 after the one at 1050 set 1150.
        ensure!(
            e(s.grants.increment(k, "u1", 1150, 1060).await)? == 3,
            "then 3"
        );
        ensure!(
            e(s.grants.increment(k, "u1", 1300, 1150).await)? == 1,
            "an expired counter starts again"
        );
        ensure!(
            e(s.grants.remove(k, "u1").await)?,
            "a counter can be removed"
        );
        ensure!(
            e(s.grants.increment(k, "u1", 1300, 1160).await)? == 1,
            "and starts again"
        );
        Ok::<_, String>(())
    })?;
    let _ = race(s, THREADS, 0, |s, _| {
        for _ in 0..EACH {
            block_on(
                s.grants
                    .increment(GrantKind::LoginFailures, "hot", 9000, 1000),
            )
            .map_err(|e| format!("increment: {e}"))?;
        }
        Ok(Vec::new())
    })?;
    let last = block_on(
        s.grants
            .increment(GrantKind::LoginFailures, "hot", 9000, 1000),
    )
    .map_err(|e| format!("increment: {e}"))?;
    ensure!(
        last == (THREADS * EACH + 1) as u64,
        "{} concurrent increments and one more must count {}, got {last}",
        THREADS * EACH,
        THREADS * EACH + 1
    );
    Ok(())
}

/// A work queue's view: the live records of one kind, bounded.
fn grants_scan(s: &Stores) -> CaseResult {
    block_on(async {
        let k = GrantKind::LogoutDelivery;
        for i in 0..5 {
            e(s.grants
                .insert(k, &format!("q{i}"), &record("", 2000), 1000)
                .await)?;
        }
        e(s.grants.insert(k, "old", &record("", 1100), 1000).await)?;
        e(s.grants
            .insert(GrantKind::AccessToken, "q9", &record("", 2000), 1000)
            .await)?;
        let mut keys: Vec<String> = e(s.grants.scan(k, 1200, 100).await)?
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        keys.sort();
        ensure!(
            keys == ["q0", "q1", "q2", "q3", "q4"],
            "live records of the kind only, got {keys:?}"
        );
        ensure!(
            e(s.grants.scan(k, 1200, 2).await)?.len() == 2,
            "the limit is honoured"
        );
        ensure!(
            e(s.grants.scan(GrantKind::Lease, 1200, 10).await)?.is_empty(),
            "an empty kind"
        );
        Ok(())
    })
}

/// Leases are freed only by their holder: a removal naming another owner changes nothing.
fn grants_remove_owned(s: &Stores) -> CaseResult {
    block_on(async {
        let k = GrantKind::Lease;
        let mut lease = record("", 2000);
        lease.client_id = "holder-a".to_owned();
        e(s.grants.insert(k, "lease:job", &lease, 1000).await)?;
        ensure!(
            !e(s.grants.remove_owned(k, "lease:job", "holder-b").await)?,
            "another holder cannot free it"
        );
        ensure!(
            e(s.grants.get(k, "lease:job", 1000).await)?.is_some(),
            "it is still held"
        );
        ensure!(
            e(s.grants.remove_owned(k, "lease:job", "holder-a").await)?,
            "its holder frees it"
        );
        ensure!(
            !e(s.grants.remove_owned(k, "lease:job", "holder-a").await)?,
            "freed once"
        );
        ensure!(
            e(s.grants.get(k, "lease:job", 1000).await)?.is_none(),
            "gone"
        );
        Ok(())
    })
}

/// The master key's check value: the first recorded stays.
fn master_key_check(s: &Stores) -> CaseResult {
    block_on(async {
        ensure!(
            e(s.keys.master_key_check(None).await)?.is_none(),
            "nothing recorded at first"
        );
        ensure!(
            e(s.keys.master_key_check(Some("kcv-a")).await)?.as_deref() == Some("kcv-a"),
            "the first record is kept"
        );
        ensure!(
            e(s.keys.master_key_check(Some("kcv-b")).await)?.as_deref() == Some("kcv-a"),
            "a later record does not replace it"
        );
        ensure!(
            e(s.keys.master_key_check(None).await)?.as_deref() == Some("kcv-a"),
            "reads give it back"
        );
        Ok(())
    })
}

/// Revoking a family while a grant is still storing into it (a replayed code racing its
/// redemption): the reviser writes a marker and then deletes the family; the writer, after
/// storing, looks for the marker and deletes the family again if it finds one. Whatever
/// the interleaving, nothing of the family survives (DESIGN.md §4, `auth::oauth::family`).
fn grants_family_revocation_races_insert(s: &Stores) -> CaseResult {
    const ROUNDS: usize = 150;
    const RECORDS: usize = 4;
    for round in 0..ROUNDS {
        let family = format!("race{round}");
        let barrier = Arc::new(std::sync::Barrier::new(2));
        let writer = {
            let (s, family, barrier) = (s.clone(), family.clone(), barrier.clone());
            std::thread::spawn(move || -> CaseResult {
                barrier.wait();
                block_on(async {
                    for i in 0..RECORDS {
                        e(s.grants
                            .insert(
                                GrantKind::AccessToken,
                                &format!("{family}-{i}"),
                                &record(&family, 5000),
                                1000,
                            )
                            .await)?;
                    }
                    if e(s.grants.get(GrantKind::RevokedFamily, &family, 1000).await)?.is_some() {
                        e(s.grants.remove_family(&family).await)?;
                    }
                    Ok(())
                })
            })
        };
        let revoker = {
            let (s, family, barrier) = (s.clone(), family.clone(), barrier.clone());
            std::thread::spawn(move || -> CaseResult {
                barrier.wait();
                block_on(async {
                    e(s.grants
                        .insert(GrantKind::RevokedFamily, &family, &record("", 5000), 1000)
                        .await)?;
                    e(s.grants.remove_family(&family).await)?;
                    Ok(())
                })
            })
        };
        for t in [writer, revoker] {
            t.join()
                .map_err(|_| "racing thread panicked".to_owned())??;
        }
        for i in 0..RECORDS {
            let left = block_on(s.grants.get(
                GrantKind::AccessToken,
                &format!("{family}-{i}"),
                1000,
            ));
            ensure!(
                e(left)?.is_none(),
                "round {round}: {family}-{i} survived the revocation of its family"
            );
        }
    }
    Ok(())
}

/// Inserts racing on the same keys (a client assertion's `jti` presented twice at once):
/// exactly one insert per key wins and the rest are conflicts, while inserts of distinct
/// keys made at the same moment all land (backends that batch writes must keep this).
fn grants_concurrent_insert(s: &Stores) -> CaseResult {
    const KEYS: usize = 25;
    const THREADS: usize = 8;
    let wins = race(s, THREADS, KEYS, |s, t| {
        let mut won = Vec::new();
        for i in 0..KEYS {
            let shared = block_on(s.grants.insert(
                GrantKind::AssertionJti,
                &format!("jti{i}"),
                &record(&format!("t{t}"), 5000),
                1000,
            ));
            match shared {
                Ok(()) => won.push(i),
                Err(StoreError::Conflict) => {}
                Err(other) => return Err(format!("shared key {i}: {other}")),
            }
            block_on(s.grants.insert(
                GrantKind::AccessToken,
                &format!("own{t}-{i}"),
                &record(&format!("t{t}"), 5000),
                1000,
            ))
            .map_err(|e| format!("distinct key own{t}-{i}: {e}"))?;
        }
        Ok(won)
    })?;
    ensure!(
        wins.iter().all(|w| *w == 1),
        "each shared key must be inserted exactly once, got {wins:?}"
    );
    block_on(async {
        for i in 0..KEYS {
            let r = e(s
                .grants
                .get(GrantKind::AssertionJti, &format!("jti{i}"), 1000)
                .await)?;
            ensure!(r.is_some(), "the winning insert of jti{i} is stored");
            for t in 0..THREADS {
                let own = e(s
                    .grants
                    .get(GrantKind::AccessToken, &format!("own{t}-{i}"), 1000)
                    .await)?;
                ensure!(
                    own.is_some_and(|r| r.family == format!("t{t}")),
                    "own{t}-{i} stored as written"
                );
            }
        }
        Ok(())
    })
}

fn grants_expiry_and_sweep(s: &Stores) -> CaseResult {
    block_on(async {
        let k = GrantKind::AccessToken;
        e(s.grants.insert(k, "exp1", &record("fe", 1010), 1000).await)?;
        e(s.grants.insert(k, "exp2", &record("fe", 1020), 1000).await)?;
        e(s.grants.insert(k, "exp3", &record("fe", 1030), 1000).await)?;
        e(s.grants.insert(k, "live", &record("fl", 9000), 1000).await)?;
        ensure!(
            e(s.grants.get(k, "exp1", 1009).await)?.is_some(),
            "live before expiry"
        );
        ensure!(
            e(s.grants.get(k, "exp1", 1010).await)?.is_none(),
            "expired reads as absent"
        );
        ensure!(
            e(s.grants.take(k, "exp2", 1020, Some(5000)).await)? == Taken::Absent,
            "expired take is Absent (and leaves no tombstone)"
        );
        ensure!(
            e(s.grants.take(k, "exp2", 1020, Some(5000)).await)? == Taken::Absent,
            "still Absent"
        );
        // An expired record does not block a new one under the same key.
        e(s.grants.insert(k, "exp3", &record("fe", 1100), 1030).await)?;
        ensure!(
            e(s.grants.get(k, "exp3", 1050).await)?.is_some(),
            "replacement is live"
        );
        let swept = e(s.grants.sweep(1050, 10).await)?;
        ensure!(
            swept == 2,
            "sweep deletes the two expired records left (exp1, exp2), got {swept}"
        );
        ensure!(
            !e(s.grants.remove(k, "exp1").await)?,
            "swept record is gone"
        );
        ensure!(
            !e(s.grants.remove(k, "exp2").await)?,
            "swept record is gone"
        );
        ensure!(
            e(s.grants.get(k, "live", 1050).await)?.is_some(),
            "live record kept"
        );
        ensure!(
            e(s.grants.get(k, "exp3", 1050).await)?.is_some(),
            "replacement kept"
        );
        // Limit is honoured.
        for i in 0..5 {
            e(s.grants
                .insert(k, &format!("batch{i}"), &record("fb", 1200), 1000)
                .await)?;
        }
        ensure!(
            e(s.grants.sweep(1300, 3).await)? == 3,
            "sweep honours its limit"
        );
        ensure!(
            e(s.grants.sweep(1300, 100).await)? == 3,
            "second sweep takes the remaining three"
        );
        ensure!(
            e(s.grants.sweep(1300, 100).await)? == 0,
            "nothing left to sweep"
        );
        Ok(())
    })
}

fn grants_family(s: &Stores) -> CaseResult {
    block_on(async {
        e(s.grants
            .insert(GrantKind::AccessToken, "fa1", &record("famA", 5000), 1000)
            .await)?;
        e(s.grants
            .insert(GrantKind::RefreshToken, "fa2", &record("famA", 5000), 1000)
            .await)?;
        e(s.grants
            .insert(
                GrantKind::AuthorizationCode,
                "fa3",
                &record("famA", 5000),
                1000,
            )
            .await)?;
        e(s.grants
            .insert(GrantKind::AccessToken, "fb1", &record("famB", 5000), 1000)
            .await)?;
        ensure!(
            e(s.grants.remove_family("famA").await)? == 3,
            "family of three removed"
        );
        ensure!(
            e(s.grants.get(GrantKind::RefreshToken, "fa2", 1000).await)?.is_none(),
            "family member gone"
        );
        ensure!(
            e(s.grants.get(GrantKind::AccessToken, "fb1", 1000).await)?.is_some(),
            "other family kept"
        );
        ensure!(
            e(s.grants.remove_family("famA").await)? == 0,
            "second removal is empty"
        );
        ensure!(
            e(s.grants.remove_family("nope").await)? == 0,
            "unknown family is empty"
        );
        Ok(())
    })
}

fn keys_crud(s: &Stores) -> CaseResult {
    block_on(async {
        e(s.keys.put(&key("k1")).await)?;
        e(s.keys.put(&key("k2")).await)?;
        let mut k1 = key("k1");
        k1.status = KeyStatus::Retired;
        e(s.keys.put(&k1).await)?;
        let list = e(s.keys.list().await)?;
        ensure!(list.len() == 2, "two keys after upsert, got {}", list.len());
        ensure!(
            list.iter()
                .any(|k| k.kid == "k1" && k.status == KeyStatus::Retired),
            "upsert replaced k1"
        );
        ensure!(e(s.keys.delete("k2").await)?, "delete existing key");
        ensure!(!e(s.keys.delete("k2").await)?, "delete missing key");
        Ok(())
    })
}

fn user(inum: &str, uid: &str) -> User {
    User {
        inum: inum.to_owned(),
        uid: uid.to_owned(),
        mail: Some(format!("{uid}@example.com")),
        password_hash: Some("$argon2id$stub".to_owned()),
        ..User::default()
    }
}

fn users_crud(s: &Stores) -> CaseResult {
    block_on(async {
        e(s.users.insert(&user("i2", "Bob")).await)?;
        e(s.users.insert(&user("i1", "alice")).await)?;
        ensure!(
            s.users.insert(&user("i3", "ALICE")).await == Err(StoreError::Conflict),
            "uid is unique case-insensitively"
        );
        ensure!(
            s.users.insert(&user("i1", "carol")).await == Err(StoreError::Conflict),
            "inum is unique"
        );
        ensure!(
            e(s.users.by_uid("carol").await)?.is_none(),
            "a refused insert leaves no trace"
        );
        ensure!(
            e(s.users.insert(&user("i3", "carol")).await).is_ok(),
            "carol's uid is free"
        );
        ensure!(
            e(s.users.by_uid("bob").await)? == Some(user("i2", "Bob")),
            "lookup ignores case"
        );
        ensure!(
            e(s.users.get("i1").await)? == Some(user("i1", "alice")),
            "get by inum"
        );
        ensure!(e(s.users.get("zz").await)?.is_none(), "missing inum");
        ensure!(e(s.users.by_uid("zz").await)?.is_none(), "missing uid");
        // Renaming moves the uid; taking someone else's is a conflict.
        e(s.users.update(&user("i1", "alicia")).await)?;
        ensure!(
            e(s.users.by_uid("alice").await)?.is_none(),
            "old uid released"
        );
        ensure!(
            e(s.users.by_uid("alicia").await)?.is_some(),
            "new uid indexed"
        );
        ensure!(
            s.users.update(&user("i1", "bob")).await == Err(StoreError::Conflict),
            "renaming onto a taken uid is a conflict"
        );
        ensure!(
            e(s.users.get("i1").await)?.map(|u| u.uid) == Some("alicia".to_owned()),
            "a refused rename changes nothing"
        );
        ensure!(
            s.users.update(&user("zz", "zz")).await == Err(StoreError::NotFound),
            "update of missing is NotFound"
        );
        let inums: Vec<String> = e(s.users.list().await)?
            .into_iter()
            .map(|u| u.inum)
            .collect();
        ensure!(
            inums == ["i1", "i2", "i3"],
            "list ordered by inum, got {inums:?}"
        );
        ensure!(e(s.users.delete("i2").await)?, "delete existing");
        ensure!(!e(s.users.delete("i2").await)?, "delete missing");
        ensure!(
            e(s.users.by_uid("bob").await)?.is_none(),
            "deleted uid released"
        );
        e(s.users.insert(&user("i4", "bob")).await)?;
        Ok(())
    })
}

/// The shared configuration: compare-and-set on the revision, so of two writers that read
/// the same revision one wins and the other is told to re-read.
fn scope(id: &str) -> crate::repo::scope::Scope {
    crate::repo::scope::Scope {
        id: id.to_owned(),
        inum: format!("inum-{id}"),
        description: None,
        scope_type: crate::repo::scope::ScopeType::Openid,
        claims: vec!["email".to_owned()],
        default_scope: false,
        attributes: crate::repo::scope::ScopeAttributes::default(),
    }
}

fn scopes_crud(s: &Stores) -> CaseResult {
    block_on(async {
        let mut defaults = crate::repo::scope::defaults();
        ensure!(
            e(s.scopes.list().await)?.is_empty(),
            "a new store has no scopes"
        );
        for scope in &defaults {
            e(s.scopes.insert(scope).await)?;
        }
        ensure!(
            s.scopes.insert(&scope("profile")).await == Err(StoreError::Conflict),
            "duplicate scope insert must be Conflict"
        );
        defaults.sort_by(|a, b| a.id.cmp(&b.id));
        ensure!(
            e(s.scopes.list().await)? == defaults,
            "list returns every scope, ordered by id"
        );
        let mut changed = defaults
            .first()
            .cloned()
            .ok_or_else(|| "no default scopes".to_owned())?;
        changed.claims.push("nickname".to_owned());
        e(s.scopes.update(&changed).await)?;
        let mut missing = changed.clone();
        missing.id = "missing".to_owned();
        ensure!(
            s.scopes.update(&missing).await == Err(StoreError::NotFound),
            "update of a missing scope must be NotFound"
        );
        ensure!(
            e(s.scopes.list().await)?.first() == Some(&changed),
            "update is visible"
        );
        ensure!(e(s.scopes.delete(&changed.id).await)?, "delete existing");
        ensure!(!e(s.scopes.delete(&changed.id).await)?, "delete missing");
        ensure!(
            e(s.scopes.list().await)?.len() == defaults.len() - 1,
            "deleted scope gone"
        );
        Ok(())
    })
}

fn config_compare_and_set(s: &Stores) -> CaseResult {
    block_on(async {
        ensure!(
            e(s.config.get().await)?.is_none(),
            "no configuration at first"
        );
        let a = serde_json::json!({"issuer": "https://a.example"});
        let b = serde_json::json!({"issuer": "https://b.example"});
        ensure!(
            e(s.config.put(&a, 0).await)? == 1,
            "first write is revision 1"
        );
        ensure!(
            s.config.put(&b, 0).await == Err(StoreError::Conflict),
            "a second first write conflicts"
        );
        ensure!(
            s.config.put(&b, 5).await == Err(StoreError::Conflict),
            "a write from a stale or unknown revision conflicts"
        );
        ensure!(e(s.config.put(&b, 1).await)? == 2, "the next revision");
        let got = e(s.config.get().await)?;
        ensure!(
            got == Some(super::StoredConfig {
                revision: 2,
                doc: b
            }),
            "reads the last write: {got:?}"
        );
        Ok(())
    })
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
        ("clients_crud", clients_crud),
        ("grants_single_use", grants_single_use),
        ("grants_tombstone", grants_tombstone),
        ("grants_concurrent_take", grants_concurrent_take),
        ("grants_counters", grants_counters),
        ("grants_scan", grants_scan),
        ("grants_remove_owned", grants_remove_owned),
        ("master_key_check", master_key_check),
        ("grants_concurrent_insert", grants_concurrent_insert),
        ("grants_expiry_and_sweep", grants_expiry_and_sweep),
        ("grants_family", grants_family),
        (
            "grants_family_revocation_races_insert",
            grants_family_revocation_races_insert,
        ),
        ("keys_crud", keys_crud),
        ("users_crud", users_crud),
        ("config_compare_and_set", config_compare_and_set),
        ("scopes_crud", scopes_crud),
        ("documents_crud", documents::documents_crud),
        (
            "documents_list_and_select",
            documents::documents_list_and_select,
        ),
        ("documents_races", documents::documents_races),
        (
            "documents_keep_every_character",
            documents_keep_every_character,
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
