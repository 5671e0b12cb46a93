//! Deterministic stand-ins for the host's clock and randomness, for tests, benches and
//! embedders' own tests. Not for production: [`SeededRandom`] is predictable by design.

pub mod authenticator;
pub mod pki;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use sha2::{Digest, Sha256};

use crate::ctx::{Random, UnixTime};

/// A deterministic generator: SHA-256 over (seed, counter). Predictable; tests only.
#[derive(Debug)]
pub struct SeededRandom {
    seed: u64,
    counter: Mutex<u64>,
}

impl SeededRandom {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Self {
        SeededRandom {
            seed,
            counter: Mutex::new(0),
        }
    }
}

impl Random for SeededRandom {
    fn fill(&self, dest: &mut [u8]) {
        let mut counter = self.counter.lock().unwrap_or_else(|p| p.into_inner());
        for chunk in dest.chunks_mut(32) {
            let mut h = Sha256::new();
            h.update(self.seed.to_le_bytes());
            h.update(counter.to_le_bytes());
            *counter += 1;
            let block = h.finalize();
            for (d, s) in chunk.iter_mut().zip(block.iter()) {
                *d = *s;
            }
        }
    }
}

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct FakeClock(AtomicU64);

impl FakeClock {
    /// A clock at `now`.
    pub fn new(now: UnixTime) -> Self {
        FakeClock(AtomicU64::new(now))
    }

    /// The current fake time.
    pub fn now(&self) -> UnixTime {
        self.0.load(Ordering::SeqCst)
    }

    /// Move forward by `secs`.
    pub fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

struct ThreadWaker(std::thread::Thread);

impl Wake for ThreadWaker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }
}

/// Drive a future to completion on the current thread (the core has no runtime).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = std::pin::pin!(fut);
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    loop {
        if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
