//! Conformance of the document primitive ([`crate::store::document`]): ids and unique keys
//! held once, compare-and-set on the revision, keys that move with their document, paged
//! listing, and the same rules under racing writers.

use std::sync::Arc;

use serde_json::json;

use super::{CaseResult, block_on, e};
use crate::store::document::{Filter, Key};
use crate::store::{Backend, StoreError};

fn uid(v: &str) -> Vec<Key> {
    vec![Key::unique("uid", v)]
}

/// Insert, read, find by a unique key, replace with and without the revision, delete.
pub(super) fn documents_crud(s: &Backend) -> CaseResult {
    let d = s.documents.as_ref();
    block_on(async {
        let r = e(d
            .insert(
                "people",
                "p1",
                &json!({"uid": "alice", "n": 1}),
                &uid("alice"),
            )
            .await)?;
        ensure!(r == 1, "a new document is at revision 1, got {r}");
        ensure!(
            d.insert("people", "p1", &json!({}), &[]).await == Err(StoreError::Conflict),
            "a taken id is a conflict"
        );
        ensure!(
            d.insert("people", "p2", &json!({}), &uid("alice")).await == Err(StoreError::Conflict),
            "a taken unique value is a conflict"
        );
        ensure!(
            e(d.get("people", "p2").await)?.is_none(),
            "a refused insert stores nothing"
        );
        // The same id and key in another collection are another document's.
        e(d.insert("groups", "p1", &json!({"g": true}), &uid("alice"))
            .await)?;
        let got = e(d.get("people", "p1").await)?.ok_or("p1 is stored")?;
        ensure!(
            got.body == json!({"uid": "alice", "n": 1}) && got.revision == 1,
            "read back {got:?}"
        );
        let found = e(d.find("people", "uid", "alice").await)?.ok_or("found by uid")?;
        ensure!(found.id == "p1", "found {found:?}");
        ensure!(e(d.find("people", "uid", "bob").await)?.is_none(), "no bob");

        // Compare-and-set: the revision read, or no write.
        let r2 = e(d
            .replace(
                "people",
                "p1",
                &json!({"uid": "alice", "n": 2}),
                &uid("alice"),
                Some(1),
            )
            .await)?;
        ensure!(r2 == 2, "replace moves to revision 2, got {r2}");
        ensure!(
            d.replace("people", "p1", &json!({"n": 99}), &uid("alice"), Some(1))
                .await
                == Err(StoreError::Conflict),
            "a stale revision is a conflict"
        );
        ensure!(
            d.replace("people", "nobody", &json!({}), &[], None).await == Err(StoreError::NotFound),
            "replacing nothing is not found"
        );
        // A key moves with its document: the old value is free, the new one held.
        e(
            d.insert("people", "p2", &json!({"uid": "bob"}), &uid("bob"))
                .await,
        )?;
        ensure!(
            d.replace("people", "p1", &json!({}), &uid("bob"), None)
                .await
                == Err(StoreError::Conflict),
            "a value another document holds is a conflict"
        );
        let kept = e(d.get("people", "p1").await)?.ok_or("p1")?;
        ensure!(
            kept.revision == 2 && kept.body.get("n") == Some(&json!(2)),
            "a refused replace changes nothing: {kept:?}"
        );
        e(d.replace(
            "people",
            "p1",
            &json!({"uid": "carol"}),
            &uid("carol"),
            None,
        )
        .await)?;
        ensure!(
            e(d.find("people", "uid", "alice").await)?.is_none(),
            "alice is free"
        );
        e(
            d.insert("people", "p3", &json!({"uid": "alice"}), &uid("alice"))
                .await,
        )?;
        ensure!(
            e(d.find("people", "uid", "carol").await)?.map(|d| d.id) == Some("p1".to_owned()),
            "carol is p1"
        );

        // Delete: with a stale revision refused, then done, and its key freed.
        ensure!(
            d.delete("people", "p1", Some(1)).await == Err(StoreError::Conflict),
            "delete at a stale revision is a conflict"
        );
        ensure!(e(d.delete("people", "p1", None).await)?, "p1 deleted");
        ensure!(!e(d.delete("people", "p1", None).await)?, "deleted once");
        ensure!(
            e(d.find("people", "uid", "carol").await)?.is_none(),
            "carol freed"
        );
        e(
            d.insert("people", "p4", &json!({"uid": "carol"}), &uid("carol"))
                .await,
        )?;
        ensure!(
            e(d.get("groups", "p1").await)?.is_some(),
            "the other collection's p1 is untouched"
        );
        // Bad names are refused, not stored.
        ensure!(
            d.insert("people", "", &json!({}), &[]).await.is_err(),
            "an empty id is refused"
        );
        ensure!(
            d.insert("people", "a\u{0}b", &json!({}), &[])
                .await
                .is_err(),
            "an id with NUL is refused"
        );
        Ok(())
    })
}

/// Listing in id order, in pages.
pub(super) fn documents_list(s: &Backend) -> CaseResult {
    let d = s.documents.as_ref();
    block_on(async {
        for i in (0..25).rev() {
            let id = format!("d{i:02}");
            e(d.insert("things", &id, &json!({"i": i}), &[]).await)?;
        }
        e(d.insert("others", "d00", &json!({}), &[]).await)?;
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = e(d.list("things", after.as_deref(), 7).await)?;
            ensure!(page.len() <= 7, "a page holds at most the limit");
            let Some(last) = page.last() else { break };
            after = Some(last.id.clone());
            seen.extend(page.into_iter().map(|d| d.id));
        }
        let want: Vec<String> = (0..25).map(|i| format!("d{i:02}")).collect();
        ensure!(seen == want, "every document once, in id order: {seen:?}");
        ensure!(
            e(d.list("nothing", None, 10).await)?.is_empty(),
            "an empty collection"
        );
        Ok(())
    })
}

/// The documents of [`documents_query`]: (id, keys).
fn keyed() -> Vec<(&'static str, Vec<Key>)> {
    let ix = Key::index;
    vec![
        (
            "a",
            vec![
                Key::unique("uid", "alice"),
                ix("mail", "alice@example.com"),
                ix("mail", "a@home.example.net"),
                ix("t", "00000000001700000000"),
                ix("tag", "x"),
            ],
        ),
        (
            "b",
            vec![
                Key::unique("uid", "bob"),
                ix("mail", "bob@example.org"),
                ix("t", "00000000001700000500"),
                ix("tag", "x"),
                // The same value twice is held once.
                ix("tag", "y"),
                ix("tag", "y"),
            ],
        ),
        (
            "c",
            vec![
                Key::unique("uid", "carol"),
                ix("mail", "carol@example.com"),
                ix("t", "00000000001800000000"),
                ix("uid", "also-carol"),
            ],
        ),
        (
            "d",
            vec![
                Key::unique("uid", "dé\u{1F600}"),
                ix("mail", "dé@exämple.com"),
                ix("mail", "ab\u{10FFFF}"),
                ix("mail", ""),
            ],
        ),
        (
            "e",
            vec![ix("mail", "abc"), ix("mail", "abd"), ix("mail", "ac")],
        ),
        ("f", vec![]),
    ]
}

/// The query hook: each key test, combination and limit answers what [`Filter::matches`]
/// says over the keys the documents hold (the same table on every backend); keys move with
/// their document; a filter past the bound is refused.
pub(super) fn documents_query(s: &Backend) -> CaseResult {
    use crate::store::document::{MAX_FILTER_SIZE, Test};
    let d = s.documents.as_ref();
    let k = |name: &str, test: Test| Filter::key(name, test);
    let s_ = |v: &str| v.to_owned();
    block_on(async {
        let docs = keyed();
        // Inserted out of id order, beside another collection with the same keys.
        for (id, keys) in docs.iter().rev() {
            e(d.insert("q", id, &json!({"id": id}), keys).await)?;
            e(d.insert("q2", id, &json!({}), keys).await)?;
        }
        let table = vec![
            k("mail", Test::Eq(s_("bob@example.org"))),
            k("mail", Test::Eq(s_(""))),
            k("uid", Test::Eq(s_("carol"))),
            k("uid", Test::StartsWith(s_("a"))),
            k("mail", Test::StartsWith(s_("ab"))),
            k("mail", Test::StartsWith(s_("ab\u{10FFFF}"))),
            k("mail", Test::StartsWith(s_("dé@"))),
            k("mail", Test::StartsWith(s_(""))),
            k("mail", Test::EndsWith(s_("@example.com"))),
            k("mail", Test::EndsWith(s_("ämple.com"))),
            k("mail", Test::Contains(s_("example"))),
            k("mail", Test::Contains(s_("\u{10FFFF}"))),
            k("t", Test::Gt(s_("00000000001700000000"))),
            k("t", Test::Ge(s_("00000000001700000000"))),
            k("t", Test::Lt(s_("00000000001700000500"))),
            k("t", Test::Le(s_("00000000001700000500"))),
            k("uid", Test::Gt(s_("bob"))),
            k("uid", Test::Lt(s_("c"))),
            k("tag", Test::Present),
            k("nothing", Test::Present),
            Filter::And(vec![
                k("tag", Test::Eq(s_("x"))),
                k("mail", Test::EndsWith(s_(".org"))),
            ]),
            Filter::Or(vec![
                k("tag", Test::Eq(s_("y"))),
                k("mail", Test::StartsWith(s_("carol"))),
                k("uid", Test::Eq(s_("nobody"))),
            ]),
            Filter::And(vec![
                Filter::Or(vec![k("t", Test::Present), k("mail", Test::Eq(s_("ac")))]),
                Filter::Or(vec![
                    k("mail", Test::Contains(s_("home"))),
                    k("t", Test::Ge(s_("00000000001800000000"))),
                    k("mail", Test::Eq(s_("ac"))),
                ]),
            ]),
            Filter::And(vec![]),
            Filter::Or(vec![]),
        ];
        for filter in &table {
            let want: Vec<&str> = docs
                .iter()
                .filter(|(_, keys)| {
                    filter.matches(keys.iter().map(|k| (k.name.as_str(), k.value.as_str())))
                })
                .map(|(id, _)| *id)
                .collect();
            let got = e(d.query("q", filter, 100).await)?;
            let ids: Vec<&str> = got.iter().map(|d| d.id.as_str()).collect();
            ensure!(ids == want, "{filter:?}: {ids:?}, not {want:?}");
            ensure!(
                got.iter()
                    .all(|d| d.body == json!({"id": d.id}) && d.revision == 1),
                "each document whole: {got:?}"
            );
            let few = e(d.query("q", filter, 2).await)?;
            let few: Vec<&str> = few.iter().map(|d| d.id.as_str()).collect();
            ensure!(
                few.as_slice() == want.get(..want.len().min(2)).unwrap_or_default(),
                "the first 2 in id order: {few:?}"
            );
        }
        // Keys move with their document.
        e(d.replace(
            "q",
            "a",
            &json!({"id": "a"}),
            &[Key::index("mail", "new@example.com")],
            Some(1),
        )
        .await)?;
        let mail = |v: &str| k("mail", Test::Eq(s_(v)));
        ensure!(
            e(d.query("q", &mail("alice@example.com"), 10).await)?.is_empty(),
            "a replaced key is gone"
        );
        let found = e(d.query("q", &mail("new@example.com"), 10).await)?;
        ensure!(
            found
                .iter()
                .map(|d| (d.id.as_str(), d.revision))
                .collect::<Vec<_>>()
                == [("a", 2)],
            "the new key finds it: {found:?}"
        );
        ensure!(e(d.delete("q", "b", None).await)?, "delete");
        ensure!(
            e(d.query("q", &mail("bob@example.org"), 10).await)?.is_empty(),
            "a deleted document's keys are gone"
        );
        ensure!(
            e(d.query("q2", &mail("bob@example.org"), 10).await)?.len() == 1,
            "another collection's keys stay"
        );
        let huge = Filter::Or(vec![mail("x"); MAX_FILTER_SIZE]);
        ensure!(
            matches!(d.query("q", &huge, 10).await, Err(StoreError::Backend(_))),
            "a filter past the bound is refused"
        );
        Ok(())
    })
}

/// The query hook with a join: what the filter finds (as `query` finds it, limit
/// included), and once each, in id order, the documents of the joined collection holding
/// one of their ids exactly under the join's key (unique or index key); nothing of another
/// collection, nothing for a document the limit left out, and past a bound filter's worth
/// of documents found.
pub(super) fn documents_query_joined(s: &Backend) -> CaseResult {
    use crate::store::document::{Join, MAX_FILTER_SIZE, Test};
    let d = s.documents.as_ref();
    let ix = |name: &str, value: &str| Key::index(name, value);
    block_on(async {
        let people = [
            ("p1", "red"),
            ("p2", "red"),
            ("p3", "blue"),
            ("p4", "blue"),
            ("p5", "green"),
        ];
        for (id, colour) in people.iter().rev() {
            e(d.insert("jp", id, &json!({}), &[ix("colour", colour)])
                .await)?;
        }
        let teams: Vec<(&str, Vec<Key>)> = vec![
            ("t1", vec![ix("memberId", "p1"), ix("memberId", "p2")]),
            ("t2", vec![ix("memberId", "p2"), ix("other", "p3")]),
            // Not p1: ids compare exactly.
            ("t3", vec![ix("memberId", "P1")]),
            ("t4", vec![]),
            ("t5", vec![Key::unique("memberId", "p3")]),
            ("t6", vec![ix("memberId", "p5"), ix("memberId", "p4")]),
        ];
        for (id, keys) in teams.iter().rev() {
            e(d.insert("jt", id, &json!({"team": id}), keys).await)?;
        }
        // Another collection naming the same people.
        e(d.insert("jt2", "t1", &json!({}), &[ix("memberId", "p1")])
            .await)?;
        let join = Join {
            collection: "jt",
            key: "memberId",
        };
        let colour = |c: &str| Filter::key("colour", Test::Eq(c.to_owned()));
        let table: Vec<(Filter, usize, &[&str], &[&str])> = vec![
            (colour("red"), 10, &["p1", "p2"], &["t1", "t2"]),
            (colour("blue"), 10, &["p3", "p4"], &["t5", "t6"]),
            (colour("red"), 1, &["p1"], &["t1"]),
            (
                Filter::Or(vec![colour("green"), colour("blue")]),
                10,
                &["p3", "p4", "p5"],
                &["t5", "t6"],
            ),
            (colour("none"), 10, &[], &[]),
            (
                Filter::And(vec![]),
                10,
                &["p1", "p2", "p3", "p4", "p5"],
                &["t1", "t2", "t5", "t6"],
            ),
        ];
        for (filter, limit, want, want_joined) in &table {
            let (found, joined) = e(d.query_joined("jp", filter, *limit, join).await)?;
            let ids: Vec<&str> = found.iter().map(|d| d.id.as_str()).collect();
            ensure!(ids == *want, "{filter:?} finds {ids:?}, not {want:?}");
            let plain = e(d.query("jp", filter, *limit).await)?;
            ensure!(plain == found, "as query finds them: {plain:?}");
            let ids: Vec<&str> = joined.iter().map(|d| d.id.as_str()).collect();
            ensure!(
                ids == *want_joined,
                "{filter:?} joins {ids:?}, not {want_joined:?}"
            );
            ensure!(
                joined
                    .iter()
                    .all(|t| t.body == json!({"team": t.id}) && t.revision == 1),
                "each joined document whole: {joined:?}"
            );
        }
        // More documents found than a bound filter names ids: every one's documents joined.
        let many = MAX_FILTER_SIZE + 100;
        for i in 0..many {
            e(
                d.insert("jm", &format!("m{i:05}"), &json!({}), &[ix("all", "y")])
                    .await,
            )?;
        }
        e(
            d.insert("jmt", "first", &json!({}), &[ix("memberId", "m00000")])
                .await,
        )?;
        let last = format!("m{:05}", many - 1);
        e(d.insert(
            "jmt",
            "last",
            &json!({}),
            &[Key::index("memberId", last.as_str())],
        )
        .await)?;
        let all = Filter::key("all", Test::Present);
        let join = Join {
            collection: "jmt",
            key: "memberId",
        };
        let (found, joined) = e(d.query_joined("jm", &all, usize::MAX, join).await)?;
        let ids: Vec<&str> = joined.iter().map(|d| d.id.as_str()).collect();
        ensure!(
            found.len() == many && ids == ["first", "last"],
            "{} found, joined {ids:?}",
            found.len()
        );
        Ok(())
    })
}

/// Racing writers: of 8 threads claiming one unique value under 8 ids, one wins; of 8
/// threads updating one document at the revision they all read, one wins.
pub(super) fn documents_races(s: &Backend) -> CaseResult {
    const THREADS: usize = 8;
    block_on(s.documents.insert("race", "shared", &json!({"n": 0}), &[]))
        .map_err(|e| format!("seed: {e}"))?;
    let barrier = Arc::new(std::sync::Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (s, barrier) = (s.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let d = s.documents.as_ref();
                let claimed = block_on(d.insert(
                    "race",
                    &format!("claim{t}"),
                    &json!({"t": t}),
                    &[Key::unique("mail", "same@example.com")],
                ));
                let updated = block_on(d.replace("race", "shared", &json!({"n": t}), &[], Some(1)));
                (claimed, updated)
            })
        })
        .collect();
    let (mut claims, mut updates) = (0, 0);
    for h in handles {
        let (claimed, updated) = h.join().map_err(|_| "racing thread panicked".to_owned())?;
        match claimed {
            Ok(_) => claims += 1,
            Err(StoreError::Conflict) => {}
            Err(other) => return Err(format!("claim: {other}")),
        }
        match updated {
            Ok(_) => updates += 1,
            Err(StoreError::Conflict) => {}
            Err(other) => return Err(format!("update: {other}")),
        }
    }
    ensure!(
        claims == 1,
        "one document holds the value, {claims} claimed it"
    );
    ensure!(updates == 1, "one update at revision 1 wins, {updates} did");
    block_on(async {
        let holder = e(s.documents.find("race", "mail", "same@example.com").await)?
            .ok_or("the winner holds the value")?;
        let stored = e(s.documents.get("race", &holder.id).await)?.ok_or("winner stored")?;
        ensure!(stored.id.starts_with("claim"), "held by {stored:?}");
        let shared = e(s.documents.get("race", "shared").await)?.ok_or("shared")?;
        ensure!(shared.revision == 2, "one update applied: {shared:?}");
        Ok(())
    })
}

/// [`crate::store::document::DocumentStore::generation`], where a backend offers it,
/// changes with every write to the collection and with nothing else.
pub(super) fn documents_generation(s: &Backend) -> CaseResult {
    let d = &s.documents;
    let Some(g0) = d.generation("gen") else {
        return Ok(());
    };
    block_on(async {
        let body = json!({"n": 1});
        e(d.insert("gen", "a", &body, &[]).await)?;
        let g1 = d.generation("gen");
        ensure!(g1.is_some_and(|g| g != g0), "an insert changes it");
        e(d.get("gen", "a").await)?;
        e(d.list("gen", None, 10).await)?;
        ensure!(d.generation("gen") == g1, "reads leave it");
        e(d.insert("other", "a", &body, &[]).await)?;
        ensure!(
            d.generation("gen") == g1,
            "another collection's writes leave it"
        );
        e(d.replace("gen", "a", &json!({"n": 2}), &[], None).await)?;
        let g2 = d.generation("gen");
        ensure!(g2 != g1, "a replace changes it");
        ensure!(e(d.delete("gen", "a", None).await)?, "delete");
        ensure!(d.generation("gen") != g2, "a delete changes it");
        Ok(())
    })
}
