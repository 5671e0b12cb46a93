//! The password hashing pool: a few worker threads, each with one argon2 working memory
//! ([`Blocks`], 19 MiB) allocated once and reused for every hash it computes.
//!
//! Why a pool: argon2id at OWASP's parameters is 19 MiB and tens of milliseconds of CPU per
//! password. Computed on the request's thread, every login allocated and freed 19 MiB; glibc
//! then raised its mmap threshold and served later blocks from arenas it never returns, so a
//! server's memory grew with each login (15 → 113 MB after six). Here memory is bounded by
//! the number of workers, concurrent hashes by the same number (the rest wait in a bounded
//! queue, so 100 simultaneous logins cannot take 1.9 GB), and async callers never block
//! their executor: they await a reply the worker sends.
//!
//! Workers start on first use and stop when the last handle is dropped. No runtime is
//! needed: the reply is a plain future woken by the worker thread.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use crate::password::{self, Blocks, PasswordError};

/// Jobs waiting per worker before new ones are refused ([`PasswordError::Busy`]).
const QUEUE_PER_WORKER: usize = 64;

/// A handle on the pool; clones share it. The workers stop when the last handle is dropped.
#[derive(Clone)]
pub struct Hasher {
    shared: Arc<Shared>,
    _stop: Arc<StopOnDrop>,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("workers", &self.shared.max_workers)
            .finish()
    }
}

struct Shared {
    state: Mutex<State>,
    work: Condvar,
    max_workers: usize,
    /// Passwords checked against a hash so far (brute-force protection is measured by it).
    checks: AtomicU64,
}

#[derive(Default)]
struct State {
    jobs: VecDeque<Job>,
    workers: usize,
    idle: usize,
    /// The process whose threads `workers` counts: a forked child has none of them.
    pid: u32,
    /// Set when the last handle is dropped: workers finish the queue and exit.
    stop: bool,
}

enum Task {
    Verify { phc: String },
    Hash { salt: [u8; 16] },
}

struct Job {
    password: String,
    task: Task,
    reply: Reply,
}

/// What a worker computed.
enum Outcome {
    Verified(bool),
    Hashed(Result<String, PasswordError>),
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Stops the workers when the last handle goes.
struct StopOnDrop(Arc<Shared>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.lock().stop = true;
        self.0.work.notify_all();
    }
}

impl Hasher {
    /// A pool of at most `workers` threads (at least one).
    pub fn new(workers: usize) -> Hasher {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            max_workers: workers.max(1),
            checks: AtomicU64::new(0),
        });
        Hasher {
            _stop: Arc::new(StopOnDrop(shared.clone())),
            shared,
        }
    }

    /// A pool with one worker per available core.
    pub fn per_core() -> Hasher {
        Hasher::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// How many threads (and 19 MiB blocks) the pool uses at most.
    pub fn workers(&self) -> usize {
        self.shared.max_workers
    }

    /// Passwords checked against a stored hash so far (for tests and metrics).
    pub fn checks(&self) -> u64 {
        self.shared.checks.load(Ordering::Relaxed)
    }

    /// Check `password` against the PHC string `phc` on a worker.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, PasswordError> {
        let outcome = self
            .submit(
                password,
                Task::Verify {
                    phc: phc.to_owned(),
                },
            )?
            .await?;
        match outcome {
            Outcome::Verified(ok) => Ok(ok),
            Outcome::Hashed(_) => Err(PasswordError::Hash),
        }
    }

    /// Hash a new password with `salt` on a worker.
    pub async fn hash(&self, password: &str, salt: [u8; 16]) -> Result<String, PasswordError> {
        if password.len() < password::MIN_PASSWORD_LEN
            || password.len() > password::MAX_PASSWORD_LEN
        {
            return Err(PasswordError::Length);
        }
        match self.submit(password, Task::Hash { salt })?.await? {
            Outcome::Hashed(h) => h,
            Outcome::Verified(_) => Err(PasswordError::Hash),
        }
    }

    fn submit(&self, password: &str, task: Task) -> Result<Pending, PasswordError> {
        let (reply, pending) = channel();
        let spawn = {
            let mut s = self.shared.lock();
            let pid = std::process::id();
            if s.pid != pid {
                // A fork: the workers (and the callers waiting on queued jobs) stayed in the
                // parent; start afresh here.
                s.jobs.clear();
                s.workers = 0;
                s.idle = 0;
                s.pid = pid;
            }
            if s.stop || s.jobs.len() >= QUEUE_PER_WORKER * self.shared.max_workers {
                return Err(PasswordError::Busy);
            }
            s.jobs.push_back(Job {
                password: password.to_owned(),
                task,
                reply,
            });
            let spawn = s.idle == 0 && s.workers < self.shared.max_workers;
            if spawn {
                s.workers += 1;
            }
            spawn
        };
        if spawn {
            // The worker holds the state, not a handle: the pool stops when the handles go.
            let shared = self.shared.clone();
            if std::thread::Builder::new()
                .name("jans-argon2".to_owned())
                .spawn(move || worker(&shared))
                .is_err()
            {
                let mut s = self.shared.lock();
                s.workers -= 1;
                if s.workers == 0 {
                    // Nobody would ever run the queue: its callers are told to retry.
                    s.jobs.clear();
                }
            }
        }
        self.shared.work.notify_one();
        Ok(pending)
    }
}

fn worker(shared: &Shared) {
    let mut blocks = Blocks::for_default();
    loop {
        let job = {
            let mut s = shared.lock();
            loop {
                if let Some(job) = s.jobs.pop_front() {
                    break job;
                }
                if s.stop {
                    s.workers -= 1;
                    return;
                }
                s.idle += 1;
                s = shared.work.wait(s).unwrap_or_else(|p| p.into_inner());
                s.idle -= 1;
            }
        };
        let Job {
            mut password,
            task,
            reply,
        } = job;
        let outcome = match task {
            Task::Verify { phc } => {
                shared.checks.fetch_add(1, Ordering::Relaxed);
                Outcome::Verified(password::verify_in(&password, &phc, &mut blocks))
            }
            Task::Hash { salt } => {
                Outcome::Hashed(password::hash_in(&password, &salt, &mut blocks))
            }
        };
        wipe(&mut password);
        reply.send(outcome);
    }
}

/// Overwrite a password before its memory is freed.
fn wipe(s: &mut String) {
    let mut bytes = std::mem::take(s).into_bytes();
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&bytes);
}

/// The worker's side of a reply.
struct Reply(Arc<Mutex<Slot>>);

/// The caller's side: resolves to the outcome, or `Busy` if the pool stopped first.
struct Pending(Arc<Mutex<Slot>>);

#[derive(Default)]
struct Slot {
    outcome: Option<Outcome>,
    waker: Option<Waker>,
    /// The worker side is gone (sent, or dropped unsent).
    closed: bool,
}

fn channel() -> (Reply, Pending) {
    let slot = Arc::new(Mutex::new(Slot::default()));
    (Reply(slot.clone()), Pending(slot))
}

fn lock_slot(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

impl Reply {
    fn send(self, outcome: Outcome) {
        lock_slot(&self.0).outcome = Some(outcome);
        // Drop wakes the caller.
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        let waker = {
            let mut s = lock_slot(&self.0);
            s.closed = true;
            s.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl Future for Pending {
    type Output = Result<Outcome, PasswordError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut s = lock_slot(&self.0);
        if let Some(outcome) = s.outcome.take() {
            return Poll::Ready(Ok(outcome));
        }
        if s.closed {
            return Poll::Ready(Err(PasswordError::Busy));
        }
        s.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_executor::block_on;

    #[test]
    fn hashes_and_verifies_on_workers() {
        let pool = Hasher::new(2);
        let h = block_on(pool.hash("correct horse battery", [1; 16])).unwrap();
        assert!(block_on(pool.verify("correct horse battery", &h)).unwrap());
        assert!(!block_on(pool.verify("wrong horse battery", &h)).unwrap());
        assert_eq!(pool.checks(), 2);
        assert_eq!(
            block_on(pool.hash("short", [1; 16])),
            Err(PasswordError::Length)
        );
    }

    #[test]
    fn concurrent_callers_share_the_workers() {
        let pool = Hasher::new(2);
        let h = block_on(pool.hash("correct horse battery", [2; 16])).unwrap();
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let (pool, h) = (pool.clone(), h.clone());
                std::thread::spawn(move || {
                    let pw = if i % 2 == 0 {
                        "correct horse battery"
                    } else {
                        "nope nope"
                    };
                    block_on(pool.verify(pw, &h)).unwrap() == (i % 2 == 0)
                })
            })
            .collect();
        assert!(threads.into_iter().all(|t| t.join().unwrap()));
        assert_eq!(pool.checks(), 8);
        assert!(pool.shared.lock().workers <= 2);
    }

    #[test]
    fn a_full_queue_refuses() {
        let pool = Hasher::new(1);
        let pending: Vec<_> = (0..QUEUE_PER_WORKER + 8)
            .map(|_| pool.submit("some password", Task::Hash { salt: [0; 16] }))
            .collect();
        assert!(
            pending
                .iter()
                .any(|p| matches!(p, Err(PasswordError::Busy)))
        );
        // Those queued still complete.
        for p in pending.into_iter().flatten() {
            assert!(matches!(block_on(p), Ok(Outcome::Hashed(Ok(_)))));
        }
    }
}
