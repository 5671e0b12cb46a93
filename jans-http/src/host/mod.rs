//! What every host needs, with no server in it (DESIGN.md §2): the clock, fork-safe OS
//! randomness ([`OsRandom`]), the data directory ([`datadir`]), the outbound HTTP client
//! ([`outbound`]) and the background loops ([`Background`]). `jans serve` and `libjans`
//! (jans-ffi) both use this part; only the server part links axum, hyper's server,
//! minijinja and clap.

use std::sync::Arc;
use std::time::Duration;

use jans_core::{Engine, Random};

pub mod datadir;
mod error;
pub mod fido2_metadata;
pub mod outbound;
pub mod uma_policies;

pub use error::HostError;

/// The operating system's CSPRNG, read 4 KiB at a time into a per-thread pool so that
/// issuing a token costs no `getrandom` call. Bytes handed out are wiped from the pool.
///
/// Fork-safe (DESIGN.md §6): the pool remembers the process that filled it, and a process
/// forked from that one (a C or Python host that forks after using the engine) throws the
/// inherited bytes away instead of handing out the same ones as its parent.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

const POOL_SIZE: usize = 4096;

struct Pool {
    buf: [u8; POOL_SIZE],
    pos: usize,
    /// The process the bytes were drawn for (0: never filled).
    pid: u32,
}

thread_local! {
    static POOL: std::cell::RefCell<Pool> =
        const { std::cell::RefCell::new(Pool { buf: [0; POOL_SIZE], pos: POOL_SIZE, pid: 0 }) };
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
            let pid = std::process::id();
            if pool.pid != pid {
                // Filled in another process (we are its fork): none of it may be used here.
                pool.buf.fill(0);
                pool.pos = POOL_SIZE;
                pool.pid = pid;
            }
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

/// The host side of the engine's background work: key rotation and sweeping every tick,
/// and back-channel logout deliveries as soon as the engine queues them.
#[derive(Debug, Clone, Default)]
pub struct Background {
    wake: Arc<tokio::sync::Notify>,
}

impl Background {
    /// A new handle; give [`Background::waker`] to the engine's builder
    /// (`EngineBuilder::on_background_work`), then [`Background::run`] it.
    pub fn new() -> Self {
        Background::default()
    }

    /// What the engine calls when it queued work (signals; returns at once).
    pub fn waker(&self) -> jans_core::engine::Wake {
        let wake = self.wake.clone();
        Arc::new(move || wake.notify_one())
    }

    /// Run until `stop` changes.
    pub async fn run(
        &self,
        engine: Engine,
        rng: Arc<dyn Random>,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        tokio::join!(
            tick_loop(engine.clone(), rng.clone(), stop.clone()),
            delivery_loop(engine, rng, self.wake.clone(), stop),
        );
    }
}

/// Rotation, sweeping, configuration sync, usage statistics and FIDO metadata fetches,
/// every tick (the C ABI runs it too), and the UMA policies read again after the shared
/// configuration changed; the statistics once more when `stop` changes.
pub async fn tick_loop(
    engine: Engine,
    rng: Arc<dyn Random>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut stop = stop;
    // The shared configuration the UMA policies were read for.
    let mut policies_for = engine.config_revision();
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
            _ = stop.changed() => {
                // What this node counted since the last tick is not lost on a clean stop.
                if let Err(e) = engine.flush_stats(now()).await {
                    tracing::error!(error = %e, "usage statistics were not stored");
                }
                return;
            }
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
        if engine.config_revision() != policies_for {
            policies_for = engine.config_revision();
            uma_policies::reload(&engine);
        }
    }
}

/// Longest wait between two delivery passes: deliveries another node queued (or left when
/// it stopped) are sent within this.
const DELIVERY_POLL: Duration = Duration::from_secs(30);

/// Back-channel logout deliveries (OIDC Back-Channel Logout 1.0), outside every user's
/// request: a pass when `wake` is signalled (the engine queued one), when the earliest
/// retry is due, and at least every `DELIVERY_POLL`; the first shortly after start, for
/// deliveries queued before a restart.
pub async fn delivery_loop(
    engine: Engine,
    rng: Arc<dyn Random>,
    wake: Arc<tokio::sync::Notify>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut stop = stop;
    let mut wait = Duration::from_millis(500);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => {}
            _ = stop.changed() => return,
        }
        let ctx = jans_core::Ctx::new(now(), rng.clone(), "logout-delivery");
        wait = match engine.deliver_logouts(&ctx).await {
            Ok(Some(report)) => {
                if report.sent + report.dropped + report.retrying > 0 {
                    tracing::debug!(
                        sent = report.sent,
                        dropped = report.dropped,
                        retrying = report.retrying,
                        "back-channel logout deliveries"
                    );
                }
                report.next_due.map_or(DELIVERY_POLL, |due| {
                    Duration::from_secs(due.saturating_sub(ctx.now)).min(DELIVERY_POLL)
                })
            }
            // Another node is delivering.
            Ok(None) => DELIVERY_POLL,
            Err(e) => {
                tracing::error!(error = %e, "back-channel logout delivery failed");
                Duration::from_secs(5)
            }
        };
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

    /// A clean stop stores what this node counted since its last tick (`repo::stat`): the
    /// loop stops long before its first tick, and the counts are in the store.
    #[tokio::test]
    async fn a_clean_stop_stores_the_usage_statistics() {
        use jans_core::repo::stat::{Month, TokenType};
        let engine = Engine::builder(jans_core::config::Config::default())
            .master_key([3; 32])
            .build()
            .unwrap();
        let at = now();
        let stats = &engine.stores().stats;
        stats.record(at, "password", Some("u1"), &[TokenType::AccessToken]);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let run = tokio::spawn(tick_loop(engine.clone(), Arc::new(OsRandom), stopped));
        stop.send(true).unwrap();
        run.await.unwrap();
        let month = stats.month(Month::of(at), at).await.unwrap();
        assert_eq!(month.active_users, 1);
        assert_eq!(month.tokens["password"]["access_token"], 1);
    }
}
