//! jans-http: the HTTP host of the jans-rs engine (axum on hyper + tower) and the `jans`
//! binary. [`router`] returns an `axum::Router` so other axum applications can mount it.

use std::sync::Arc;
use std::time::Duration;

use jans_core::{Engine, Random};

pub mod components;
pub mod datadir;
pub mod fetch;
pub mod layers;
pub mod pages;
pub mod routes;
pub mod serve;
pub mod telemetry;
pub mod translate;

pub use layers::HostConfig;
pub use routes::AppState;
pub use telemetry::Metrics;

/// The operating system's CSPRNG, read 4 KiB at a time into a per-thread pool so that
/// issuing a token costs no system call. Bytes handed out are wiped from the pool.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

const POOL_SIZE: usize = 4096;

struct Pool {
    buf: [u8; POOL_SIZE],
    pos: usize,
}

thread_local! {
    static POOL: std::cell::RefCell<Pool> =
        const { std::cell::RefCell::new(Pool { buf: [0; POOL_SIZE], pos: POOL_SIZE }) };
}

fn os_fill(dest: &mut [u8]) {
    if getrandom::fill(dest).is_err() {
        // Without randomness no token can be issued safely; stop rather than continue.
        tracing::error!("the operating system's random generator failed");
        std::process::abort();
    }
}

impl Random for OsRandom {
    fn fill(&self, dest: &mut [u8]) {
        if dest.len() > POOL_SIZE / 8 {
            return os_fill(dest);
        }
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            if POOL_SIZE - pool.pos < dest.len() {
                os_fill(&mut pool.buf);
                pool.pos = 0;
            }
            let start = pool.pos;
            let end = start + dest.len();
            if let Some(src) = pool.buf.get_mut(start..end) {
                dest.copy_from_slice(src);
                src.fill(0);
            }
            pool.pos = end;
        });
    }
}

/// Seconds since the Unix epoch, from the system clock.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The full router for `engine`, with the standard layers.
pub fn router(engine: Engine, host: HostConfig) -> axum::Router {
    router_with(
        Arc::new(AppState::new(
            engine,
            Arc::new(Metrics::default()),
            Arc::new(OsRandom),
        )),
        &host,
    )
}

/// The router over existing state (to share metrics with background tasks).
pub fn router_with(state: Arc<AppState>, host: &HostConfig) -> axum::Router {
    layers::apply(routes::routes(state, host.components), host)
}

/// Drive periodic engine work until `stop` resolves: due key rotations and sweeps of
/// expired grants, every `cleanServiceInterval` seconds (at most every 60 s, so rotation is
/// never late by more than a minute).
pub async fn background(state: Arc<AppState>, stop: tokio::sync::watch::Receiver<bool>) {
    tick_loop(state.engine.clone(), state.rng.clone(), stop).await;
}

/// [`background`] for any host that has an engine and randomness (the C ABI runs it on its
/// own runtime).
pub async fn tick_loop(
    engine: Engine,
    rng: Arc<dyn Random>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut stop = stop;
    loop {
        // Also the bound on how long a key stored by another node takes to be served here
        // (jans_core::engine::key_reload_bound).
        // ... and the bound on applying a shared configuration change (PostgreSQL).
        let config = engine.config();
        let every = config
            .clean_service_interval
            .min(config.configuration_update_interval)
            .clamp(1, 60);
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(every)) => {}
            _ = stop.changed() => return,
        }
        let ctx = jans_core::Ctx::new(now(), rng.clone(), "background");
        match engine.tick(&ctx).await {
            Ok(report) => {
                if !report.key_changes.is_empty() {
                    tracing::info!(changes = ?report.key_changes, "signing keys rotated");
                }
                if report.swept > 0 {
                    tracing::debug!(swept = report.swept, "expired grants swept");
                }
            }
            Err(e) => tracing::error!(error = %e, "background tick failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_random_never_repeats_and_wipes() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let mut b = [0u8; 32];
            OsRandom.fill(&mut b);
            assert!(seen.insert(b), "repeated output");
        }
        let mut big = vec![0u8; 1024];
        OsRandom.fill(&mut big);
        assert!(big.iter().any(|b| *b != 0));
        POOL.with(|p| {
            let p = p.borrow();
            assert!(p.buf.get(..p.pos).unwrap().iter().all(|b| *b == 0));
        });
    }
}
