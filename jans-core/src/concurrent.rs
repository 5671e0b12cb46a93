//! Concurrency without spawning: futures run side by side on the caller's task, whatever
//! runtime the host has (the engine is sans-IO, DESIGN.md §3).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Run futures concurrently on the caller's task; their outputs in order.
pub async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pending: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        for (future, out) in pending.iter_mut().zip(done.iter_mut()) {
            if out.is_none()
                && let Poll::Ready(v) = future.as_mut().poll(cx)
            {
                *out = Some(v);
            }
        }
        if done.iter().all(Option::is_some) {
            Poll::Ready(done.iter_mut().filter_map(Option::take).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}
