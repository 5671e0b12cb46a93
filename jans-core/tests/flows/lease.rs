//! Scheduled key rotation and sweeping with several nodes on one PostgreSQL database: each
//! job runs on one node at a time under a lease in the grant store (issue 10 item 11), a
//! lease held by another node holds the job back, an expired one (its holder died) does
//! not, and only its holder frees it.

#[cfg(feature = "postgres")]
#[test]
fn rotation_and_sweeping_run_under_the_lease_on_postgresql() {
    use jans_core::store::{GrantKind, GrantRecord};
    use jans_core::testing::block_on;

    use super::harness::*;
    let backend = super::backends::all()
        .into_iter()
        .find(|b| b.name == "postgres")
        .unwrap();
    assert!(backend.stores.shared);
    let a = Harness::with(config(), backend.stores.clone(), [3; 32]);
    let b = Harness::with_seed(config(), backend.stores.clone(), [3; 32], 43);
    let grants = &backend.stores.grants;
    let kids = |h: &Harness| {
        let mut k: Vec<String> = h.jwks().keys.iter().filter_map(|k| k.kid.clone()).collect();
        k.sort();
        k
    };
    let before = kids(&a);
    let now = a.clock.now();
    for i in 0..20 {
        block_on(grants.insert(
            GrantKind::AccessToken,
            &format!("old{i}"),
            &GrantRecord::bare(now, now + 10),
            now,
        ))
        .unwrap();
    }
    // Past the rotation interval (1 h in the harness) and the grants' expiry ...
    for h in [&a, &b] {
        h.clock.advance(3600 + 200);
    }
    // ... while another node holds both leases: the due rotation and the sweep wait for it.
    let now = a.clock.now();
    for job in ["keys", "cleanup"] {
        let mut lease = GrantRecord::bare(now, now + 300);
        lease.client_id = "another-node".to_owned();
        block_on(grants.insert(GrantKind::Lease, &format!("lease:{job}"), &lease, now)).unwrap();
    }
    let report = block_on(b.engine.tick(&b.ctx())).unwrap();
    assert!(report.key_changes.is_empty(), "{:?}", report.key_changes);
    assert_eq!(report.swept, 0, "the sweep waits for the lease");
    assert_eq!(block_on(b.engine.cleanup(&b.ctx())).unwrap(), None);
    // The holder's leases outlive their 300 s: they expire, and the next tick does both jobs.
    for h in [&a, &b] {
        h.clock.advance(301);
    }
    let report = block_on(b.engine.tick(&b.ctx())).unwrap();
    assert!(
        !report.key_changes.is_empty(),
        "the due rotation ran once the dead holder's lease expired"
    );
    assert_eq!(report.swept, 20);
    // The other node does not rotate again: it loads what b stored.
    let report = block_on(a.engine.tick(&a.ctx())).unwrap();
    assert!(report.key_changes.is_empty(), "{:?}", report.key_changes);
    assert_eq!(kids(&a), kids(&b), "both nodes publish the same keys");
    assert_ne!(kids(&a), before);
    // b freed its leases when done: a's next due job is not held back.
    assert!(
        block_on(grants.get(GrantKind::Lease, "lease:keys", a.clock.now()))
            .unwrap()
            .is_none()
    );
}
