//! Concurrency without spawning: futures run side by side on the caller's task, whatever
//! runtime the host has (the engine is sans-IO, DESIGN.md §3).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Run futures concurrently on the caller's task; their outputs in order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let n = futures.len();
    join_bounded(futures, n).await
}

/// Run futures on the caller's task, at most `at_once` of them started and unfinished at a
/// time (a future does nothing until first polled): as one finishes, the next starts. Their
/// outputs in order.
pub async fn join_bounded<F: Future>(futures: Vec<F>, at_once: usize) -> Vec<F::Output> {
    let at_once = at_once.max(1);
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        loop {
            let mut running = 0;
            let mut finished_one = false;
            for (future, out) in pending.iter_mut().zip(done.iter_mut()) {
                if out.is_some() {
                    continue;
                }
                if running == at_once {
                    break;
                }
                match future.as_mut().poll(cx) {
                    Poll::Ready(v) => {
                        *out = Some(v);
                        finished_one = true;
                    }
                    Poll::Pending => running += 1,
                }
            }
            if done.iter().all(Option::is_some) {
                return Poll::Ready(done.iter_mut().filter_map(Option::take).collect());
            }
            // One finished: start the next now rather than at the next wake.
            if !finished_one {
                return Poll::Pending;
            }
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A future that is pending once (waking itself), counting how many run at once.
    async fn step(i: usize, live: Arc<AtomicUsize>, most: Arc<AtomicUsize>) -> usize {
        let now = live.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(now, Ordering::SeqCst);
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await;
        live.fetch_sub(1, Ordering::SeqCst);
        i * 10
    }

    #[test]
    fn outputs_in_order_and_at_most_at_once_running() {
        for at_once in [1, 2, 3, 10] {
            let (live, most) = (Arc::default(), Arc::<AtomicUsize>::default());
            let futures = (0..7)
                .map(|i| step(i, Arc::clone(&live), Arc::clone(&most)))
                .collect();
            let out = crate::testing::block_on(join_bounded(futures, at_once));
            assert_eq!(out, [0, 10, 20, 30, 40, 50, 60]);
            assert_eq!(most.load(Ordering::SeqCst), at_once.min(7), "{at_once}");
        }
        let none: Vec<std::future::Ready<u8>> = Vec::new();
        assert!(crate::testing::block_on(join_all(none)).is_empty());
    }
}
