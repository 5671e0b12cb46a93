//! Conformance of the grant store: single use with tombstones under racing callers,
//! scans, owned removal, families (racing revocations included), racing inserts, expiry
//! and sweeping (counters: [`super::counters`]).

use std::sync::Arc;

use super::{CaseResult, block_on, e, record};
use crate::store::{Backend, GrantKind, StoreError, Taken};

pub(super) fn grants_single_use(s: &Backend) -> CaseResult {
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
pub(super) fn race(
    s: &Backend,
    threads: usize,
    keys: usize,
    each: fn(&Backend, usize) -> Result<Vec<usize>, String>,
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
pub(super) fn documents_keep_every_character(s: &Backend) -> CaseResult {
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
        let body = serde_json::json!({ "client_name": odd });
        e(s.documents.insert("clients", "odd", &body, &[]).await)?;
        ensure!(
            e(s.documents.get("clients", "odd").await)?.map(|d| d.body) == Some(body),
            "a document round-trips"
        );
        Ok(())
    })
}

/// A take that leaves a tombstone: the record is single use, and every later take (on any
/// node) learns it was used, with the record as it was; reads and inserts see a live
/// record nobody may read or replace until the tombstone expires.
pub(super) fn grants_tombstone(s: &Backend) -> CaseResult {
    block_on(async {
        let k = GrantKind::RefreshToken;
        e(s.grants
            .insert_owned(k, "rt", record("fam", 2000), 1000)
            .await)?;
        ensure!(
            e(s.grants.get_shared(k, "rt", 1000).await)?.as_deref() == Some(&record("fam", 2000)),
            "a record inserted owned reads back, shared as copied"
        );
        ensure!(
            e(s.grants.take(k, "rt", 1000, Some(4000)).await)?
                == Taken::Record(record("fam", 2000)),
            "the first take gets the record"
        );
        ensure!(
            e(s.grants.get_shared(k, "rt", 1500).await)?.is_none(),
            "a tombstone reads as absent, shared too"
        );
        ensure!(
            s.grants
                .insert_owned(k, "rt", record("other", 5000), 1500)
                .await
                == Err(StoreError::Conflict),
            "nor can an owned insert replace it"
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
pub(super) fn grants_concurrent_take(s: &Backend) -> CaseResult {
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

/// A work queue's view: the live records of one kind, bounded.
pub(super) fn grants_scan(s: &Backend) -> CaseResult {
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
pub(super) fn grants_remove_owned(s: &Backend) -> CaseResult {
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

/// Revoking a family while a grant is still storing into it (a replayed code racing its
/// redemption): the reviser writes a marker and then deletes the family; the writer, after
/// storing, looks for the marker and deletes the family again if it finds one. Whatever
/// the interleaving, nothing of the family survives (DESIGN.md §4, `auth::oauth::family`).
pub(super) fn grants_family_revocation_races_insert(s: &Backend) -> CaseResult {
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
pub(super) fn grants_concurrent_insert(s: &Backend) -> CaseResult {
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

pub(super) fn grants_expiry_and_sweep(s: &Backend) -> CaseResult {
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

/// [`GrantStore::family`]: the live, untaken records of one family, of every kind.
pub(super) fn grants_family_listed(s: &Backend) -> CaseResult {
    block_on(async {
        for (kind, key, family, until) in [
            (GrantKind::AccessToken, "la1", "famL", 5000),
            (GrantKind::RefreshToken, "la2", "famL", 5000),
            (GrantKind::Consent, "la3", "famL", 5000),
            (GrantKind::AccessToken, "la4", "famL", 1500),
            (GrantKind::AuthorizationCode, "la5", "famL", 5000),
            (GrantKind::AccessToken, "lb1", "famM", 5000),
        ] {
            e(s.grants
                .insert(kind, key, &record(family, until), 1000)
                .await)?;
        }
        // A code taken is no longer listed; an expired record neither.
        e(s.grants
            .take(GrantKind::AuthorizationCode, "la5", 1100, None)
            .await)?;
        let found = e(s.grants.family("famL", 2000, 100).await)?;
        ensure!(
            found.iter().all(|(_, _, rec)| rec.family == "famL"),
            "records of the family only"
        );
        let mut listed: Vec<(GrantKind, String)> = found
            .into_iter()
            .map(|(kind, key, _)| (kind, key))
            .collect();
        listed.sort_by(|a, b| a.1.cmp(&b.1));
        ensure!(
            listed
                == vec![
                    (GrantKind::AccessToken, "la1".to_owned()),
                    (GrantKind::RefreshToken, "la2".to_owned()),
                    (GrantKind::Consent, "la3".to_owned()),
                ],
            "the family's live records: {listed:?}"
        );
        ensure!(
            e(s.grants.family("famL", 2000, 2).await)?.len() == 2,
            "limit"
        );
        ensure!(
            e(s.grants.family("nope", 2000, 10).await)?.is_empty(),
            "unknown family"
        );
        e(s.grants.remove_family("famL").await)?;
        ensure!(
            e(s.grants.family("famL", 2000, 10).await)?.is_empty(),
            "removed family"
        );
        Ok(())
    })
}

pub(super) fn grants_family(s: &Backend) -> CaseResult {
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
