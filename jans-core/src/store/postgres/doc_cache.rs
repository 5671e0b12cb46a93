//! Documents cached in each process, kept right across nodes by PostgreSQL notifications: a
//! trigger on `jans_document` (migration 8) sends `NOTIFY jans_document,
//! '["<collection>","<id>"]'` on every insert, update and delete, whoever makes it; a
//! listening connection per process drops that document from the cache. Reading a client
//! to authenticate it, or the shared configuration's revision, then costs no query.
//!
//! Correctness rules:
//! - the cache is used only while the listener is connected; when it drops, the cache is
//!   emptied and bypassed until the listener is back (so no change can be missed);
//! - a value read from the database is cached only if no notification arrived while it was
//!   read (an epoch counter), so a read racing an update never caches the old row;
//! - absent documents are not cached, so a client registered on one node authenticates on
//!   every other at once;
//! - the listener proves its connection with a query every [`HEARTBEAT`], and entries live
//!   at most [`TTL`], which bounds staleness even if a connection died silently.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::store::document::Document;

/// Most documents kept; beyond it the cache starts over.
const MAX_ENTRIES: usize = 10_000;
/// Longest a cached document is served.
pub(crate) const TTL: std::time::Duration = std::time::Duration::from_secs(60);
/// How often the listener checks that its connection is alive.
pub(crate) const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(10);

/// The cache and the state of its listener.
#[derive(Default)]
pub(crate) struct DocCache {
    entries: Mutex<HashMap<(String, String), (std::time::Instant, Document)>>,
    /// Bumped by every notification and every (re)connection of the listener.
    epoch: AtomicU64,
    /// Whether the listener is connected (else the cache is bypassed).
    listening: AtomicBool,
}

impl DocCache {
    #[allow(clippy::type_complexity)]
    fn entries(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(String, String), (std::time::Instant, Document)>> {
        match self.entries.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// A cached document, and the epoch to hand back to [`DocCache::put`] after a miss.
    pub(crate) fn get(&self, collection: &str, id: &str) -> (Option<Document>, Option<u64>) {
        if !self.listening.load(Ordering::Acquire) {
            return (None, None);
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        let hit = self
            .entries()
            .get(&(collection.to_owned(), id.to_owned()))
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, c)| c.clone());
        (hit, Some(epoch))
    }

    /// Cache what was read from the database, unless anything changed since `epoch`.
    pub(crate) fn put(&self, collection: &str, doc: &Document, epoch: Option<u64>) {
        let Some(epoch) = epoch else {
            return;
        };
        let mut entries = self.entries();
        // Checked under the lock that notifications also take: none can slip in between.
        if !self.listening.load(Ordering::Acquire) || self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            (collection.to_owned(), doc.id.clone()),
            (std::time::Instant::now(), doc.clone()),
        );
    }

    /// A document changed (here, or as notified): forget it at once.
    pub(crate) fn forget(&self, collection: &str, id: &str) {
        let mut entries = self.entries();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.remove(&(collection.to_owned(), id.to_owned()));
    }

    /// Forget a notified document (payload `["<collection>","<id>"]`); anything else
    /// empties the cache.
    fn forget_notified(&self, payload: &str) {
        match serde_json::from_str::<(String, String)>(payload) {
            Ok((collection, id)) => self.forget(&collection, &id),
            Err(_) => {
                let mut entries = self.entries();
                self.epoch.fetch_add(1, Ordering::AcqRel);
                entries.clear();
            }
        }
    }

    fn set_listening(&self, on: bool) {
        let mut entries = self.entries();
        self.epoch.fetch_add(1, Ordering::AcqRel);
        entries.clear();
        self.listening.store(on, Ordering::Release);
    }
}

/// Keep a listener connected until `stop`'s sender is dropped (with the last handle of the
/// store): `LISTEN jans_document`, forget what is notified, and on any failure bypass the
/// cache and reconnect with backoff.
pub(crate) fn spawn_listener(
    runtime: &tokio::runtime::Handle,
    config: tokio_postgres::Config,
    tls: super::tls::RustlsConnect,
    cache: std::sync::Weak<DocCache>,
    mut stop: tokio::sync::watch::Receiver<()>,
) {
    runtime.spawn(async move {
        let mut delay = std::time::Duration::from_millis(100);
        loop {
            let session = listen(&config, &tls, &cache);
            tokio::select! {
                outcome = session => {
                    if let Err(e) = outcome {
                        tracing::debug!(error = %e, "document cache listener disconnected");
                    }
                }
                _ = stop.changed() => return,
            }
            match cache.upgrade() {
                Some(c) => c.set_listening(false),
                None => return,
            }
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                _ = stop.changed() => return,
            }
            delay = (delay * 2).min(std::time::Duration::from_secs(5));
        }
    });
}

/// One listening session; returns `Ok` when the cache was dropped, `Err` on disconnection.
async fn listen(
    config: &tokio_postgres::Config,
    tls: &super::tls::RustlsConnect,
    cache: &std::sync::Weak<DocCache>,
) -> Result<(), String> {
    let (client, mut connection) = config
        .connect(tls.clone())
        .await
        .map_err(|e| e.to_string())?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    // The connection delivers notifications; it also carries the LISTEN below.
    let driver = tokio::spawn(async move {
        loop {
            match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                Some(Ok(tokio_postgres::AsyncMessage::Notification(n))) => {
                    if tx.send(Some(n.payload().to_owned())).is_err() {
                        return;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    let _ = tx.send(None);
                    return;
                }
            }
        }
    });
    let outcome = async {
        client
            .batch_execute("LISTEN jans_document")
            .await
            .map_err(|e| e.to_string())?;
        match cache.upgrade() {
            Some(c) => c.set_listening(true),
            None => return Ok(()),
        }
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        heartbeat.tick().await;
        loop {
            tokio::select! {
                message = rx.recv() => {
                    let Some(c) = cache.upgrade() else {
                        return Ok(());
                    };
                    match message {
                        Some(Some(payload)) => c.forget_notified(&payload),
                        _ => break,
                    }
                }
                _ = heartbeat.tick() => {
                    // A connection that died silently would miss notifications: prove it.
                    let alive = tokio::time::timeout(
                        std::time::Duration::from_secs(5),
                        client.simple_query("SELECT 1"),
                    )
                    .await;
                    if !matches!(alive, Ok(Ok(_))) {
                        break;
                    }
                }
            }
        }
        Err("the listening connection was lost".to_owned())
    }
    .await;
    driver.abort();
    outcome
}
