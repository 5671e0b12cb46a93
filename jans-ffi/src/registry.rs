//! Engines addressed by opaque ids: created by `jans_engine_new`, looked up by every call,
//! removed by `jans_engine_free`. A call holds its own reference, so freeing an engine
//! while other threads use it is safe: it goes away when the last call returns.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

use jans_core::{Config, Ctx, Engine, Random};
use jans_http::OsRandom;
use jans_http::host::datadir::DataDir;

use crate::status::{Failure, JansStatus};

/// One engine and the runtime that drives its background work (key rotation, sweeps) and
/// its outbound HTTP (client `jwks_uri`, back-channel logout).
pub(crate) struct Hosted {
    pub(crate) engine: Engine,
    pub(crate) rng: Arc<dyn Random>,
    id: u64,
    seq: AtomicU64,
    // Dropped last: its drop stops the background task, which holds an engine clone.
    runtime: tokio::runtime::Runtime,
    _stop: tokio::sync::watch::Sender<bool>,
}

impl std::fmt::Debug for Hosted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hosted")
            .field("id", &self.id)
            .field("engine", &self.engine)
            .finish()
    }
}

impl Hosted {
    /// A context for one call: the clock, the OS CSPRNG and a request id unique in this
    /// process (`ffi-ENGINE-SEQ`, unless the caller supplied one).
    pub(crate) fn ctx(&self, request_id: Option<String>) -> Ctx {
        let id = request_id.unwrap_or_else(|| {
            let n = self.seq.fetch_add(1, Ordering::Relaxed);
            format!("ffi-{}-{n:x}", self.id)
        });
        Ctx::new(jans_http::now(), self.rng.clone(), id)
    }

    /// Run one engine future to completion on the calling thread.
    pub(crate) fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }
}

static ENGINES: LazyLock<RwLock<HashMap<u64, Arc<Hosted>>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));
/// Ids start at 1 and are never reused, so a stale id can never reach another engine.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn store_failure(message: String) -> Failure {
    Failure::new(JansStatus::Store, message)
}

/// Build and start an engine: with `data_dir`, over the same directory layout as
/// `jans serve` (so either can open what the other wrote, one at a time); without, in
/// memory with a fresh master key.
pub(crate) fn create(config: Config, data_dir: Option<&str>) -> Result<u64, Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("jans-engine")
        .enable_all()
        .build()
        .map_err(|e| Failure::new(JansStatus::Internal, format!("cannot start a runtime: {e}")))?;
    let rng: Arc<dyn Random> = Arc::new(OsRandom);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let ctx = Ctx::new(jans_http::now(), rng.clone(), format!("ffi-{id}-start"));
    let background = jans_http::Background::new();
    let engine = match data_dir {
        Some(dir) => {
            let data = DataDir::new(Path::new(dir));
            runtime
                .block_on(data.open_engine(config, true, &ctx, Some(&background)))
                .map_err(|e| store_failure(e.to_string()))?
        }
        None => {
            let mut master = [0u8; 32];
            rng.fill(&mut master);
            let http = jans_http::host::outbound::ReqwestClient::new().map_err(|e| {
                Failure::new(JansStatus::Internal, format!("outbound HTTP client: {e}"))
            })?;
            let engine = Engine::builder(config)
                .master_key(master)
                .http_client(Arc::new(http))
                .on_background_work(background.waker())
                .build()
                .map_err(|e| Failure::new(JansStatus::InvalidArgument, e.to_string()))?;
            runtime
                .block_on(engine.start(&ctx))
                .map_err(|e| store_failure(format!("cannot generate signing keys: {e}")))?;
            engine
        }
    };
    // The FIDO metadata folders, before the first call (URLs are the tick's).
    jans_http::host::fido2_metadata::load(&engine, &ctx);
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    {
        let (engine, rng) = (engine.clone(), rng.clone());
        runtime.spawn(async move { background.run(engine, rng, stop_rx).await });
    }
    let hosted = Arc::new(Hosted {
        engine,
        rng,
        id,
        seq: AtomicU64::new(0),
        runtime,
        _stop: stop,
    });
    ENGINES
        .write()
        .map_err(|_| Failure::new(JansStatus::Internal, "engine registry poisoned"))?
        .insert(id, hosted);
    Ok(id)
}

/// The engine with this id.
pub(crate) fn get(id: u64) -> Result<Arc<Hosted>, Failure> {
    ENGINES
        .read()
        .map_err(|_| Failure::new(JansStatus::Internal, "engine registry poisoned"))?
        .get(&id)
        .cloned()
        .ok_or_else(|| unknown(id))
}

/// Forget the engine with this id; it closes when the last call using it returns.
pub(crate) fn remove(id: u64) -> Result<(), Failure> {
    let removed = ENGINES
        .write()
        .map_err(|_| Failure::new(JansStatus::Internal, "engine registry poisoned"))?
        .remove(&id);
    match removed {
        Some(hosted) => {
            drop(hosted);
            Ok(())
        }
        None => Err(unknown(id)),
    }
}

fn unknown(id: u64) -> Failure {
    Failure::new(
        JansStatus::UnknownEngine,
        format!("no engine has id {id} (never created, or already freed)"),
    )
}
