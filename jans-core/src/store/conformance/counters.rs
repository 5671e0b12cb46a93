//! Conformance of the grant store's counters: increments and batched additions are each
//! one atomic step, so none is lost to a concurrent one; reads do not write; an expired
//! counter starts again.

use super::grants::race;
use super::{CaseResult, block_on, e};
use crate::store::{Backend, GrantKind};

/// Counters: one atomic step per increment, so none is lost to a concurrent one; an expired
/// counter starts again at 1.
pub(super) fn grants_counters(s: &Backend) -> CaseResult {
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

/// Counters added to in batches, and read without a write: `add` is one atomic step too,
/// so concurrent batches sum exactly; `counter` sees the live value, 0 for none or expired.
pub(super) fn grants_counters_added(s: &Backend) -> CaseResult {
    const THREADS: usize = 8;
    const EACH: usize = 10;
    let k = GrantKind::Statistic;
    block_on(async {
        ensure!(
            e(s.grants.counter(k, "m", 1000).await)? == 0,
            "no counter reads 0"
        );
        ensure!(
            e(s.grants.add(k, "m", 5, 1100, 1000).await)? == 5,
            "a first batch is its size"
        );
        ensure!(
            e(s.grants.add(k, "m", 7, 1100, 1010).await)? == 12,
            "then the sum"
        );
        ensure!(
            e(s.grants.counter(k, "m", 1020).await)? == 12,
            "a read sees the sum"
        );
        ensure!(
            e(s.grants.counter(k, "m", 1020).await)? == 12,
            "and does not change it"
        );
        ensure!(
            e(s.grants.counter(k, "other", 1020).await)? == 0,
            "counters are per key"
        );
        ensure!(
            e(s.grants.counter(k, "m", 1100).await)? == 0,
            "an expired counter reads 0"
        );
        ensure!(
            e(s.grants.add(k, "m", 3, 1300, 1100).await)? == 3,
            "and starts again at the batch"
        );
        Ok::<_, String>(())
    })?;
    let _ = race(s, THREADS, 0, |s, t| {
        for _ in 0..EACH {
            block_on(
                s.grants
                    .add(GrantKind::Statistic, "hot", t as u64 + 1, 9000, 1000),
            )
            .map_err(|e| format!("add: {e}"))?;
        }
        Ok(Vec::new())
    })?;
    let total: u64 = (1..=THREADS as u64).map(|t| t * EACH as u64).sum();
    let got = block_on(s.grants.counter(k, "hot", 1000)).map_err(|e| format!("counter: {e}"))?;
    ensure!(
        got == total,
        "concurrent batches must sum to {total}, got {got}"
    );
    Ok(())
}
