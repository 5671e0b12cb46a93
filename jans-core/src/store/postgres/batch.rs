//! Group commit for grant inserts: concurrent [`GrantStore::insert`]s are gathered into one
//! multi-row `INSERT ... SELECT FROM unnest(...)`, so that under load PostgreSQL parses,
//! plans, commits and flushes WAL once per batch instead of once per token. A caller gets
//! its answer only after the statement holding its row committed, exactly as with one
//! statement per row; an idle store sends a lone insert at once (no waiting to fill a batch).
//!
//! Each row keeps the single-row semantics: it is inserted, or replaces a record of the same
//! key that expired, or is refused as a conflict while that record lives. Two rows with the
//! same key never share a statement (PostgreSQL refuses `ON CONFLICT DO UPDATE` touching a
//! row twice): the later one waits for the next batch, so it sees the first one's outcome as
//! a sequential caller would. Rows are sent sorted by key, so concurrent batches (from this
//! node or others) lock index entries in the same order and cannot deadlock.
//!
//! [`GrantStore::insert`]: crate::store::GrantStore::insert

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use deadpool_postgres::Pool;
use tokio::sync::{Mutex, mpsc, oneshot};

use super::{map_err, pool_err};
use crate::store::StoreError;

/// Rows per statement at most: large enough to amortize a commit, small enough that one
/// statement stays a few milliseconds.
const MAX_BATCH: usize = 256;

/// Batches in flight at once (each on its own pooled connection), so that one batch's
/// commit does not hold back the next.
const WRITERS: usize = 4;

/// One row of `jans_grant` to insert.
pub(super) struct Row {
    pub kind: i16,
    pub key: String,
    pub family: String,
    pub expires_at: i64,
    pub doc: String,
    /// The caller's clock: a record with `expires_at <= now` may be replaced.
    pub now: i64,
}

/// A queued row and where its outcome goes: `Ok(true)` inserted, `Ok(false)` refused
/// because a live record has the key.
struct Pending {
    row: Row,
    reply: oneshot::Sender<Result<bool, StoreError>>,
}

/// The sending side, held by every clone of the store; the writers stop when the last one
/// is dropped.
#[derive(Clone)]
pub(super) struct Batcher {
    queue: mpsc::Sender<Pending>,
}

impl Batcher {
    /// Start the writers on `runtime`.
    pub fn start(pool: Pool, runtime: &tokio::runtime::Handle) -> Batcher {
        let (queue, rx) = mpsc::channel(MAX_BATCH * WRITERS * 4);
        let shared = Arc::new(Mutex::new(Intake {
            rx,
            carried: VecDeque::new(),
        }));
        for _ in 0..WRITERS {
            runtime.spawn(writer(pool.clone(), shared.clone()));
        }
        Batcher { queue }
    }

    /// Queue one row and wait for its outcome.
    pub async fn insert(&self, row: Row) -> Result<bool, StoreError> {
        let (reply, rx) = oneshot::channel();
        self.queue
            .send(Pending { row, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the grant writer stopped".to_owned()))?;
        rx.await
            .map_err(|_| StoreError::Unavailable("the grant writer stopped".to_owned()))?
    }
}

/// The receiving side, shared by the writers: one of them at a time gathers a batch.
struct Intake {
    rx: mpsc::Receiver<Pending>,
    /// Rows whose key was already in the previous batch, first in line for the next.
    carried: VecDeque<Pending>,
}

impl Intake {
    /// Wait for at least one row, then take what is queued (up to [`MAX_BATCH`]) without
    /// waiting further. `None` when every sender is gone and nothing is left.
    async fn gather(&mut self) -> Option<Vec<Pending>> {
        let mut rows = Vec::new();
        let mut keys = HashSet::new();
        let mut later = VecDeque::new();
        while let Some(row) = self.carried.pop_front() {
            admit(row, &mut rows, &mut keys, &mut later);
        }
        if rows.is_empty() {
            let row = self.rx.recv().await?;
            admit(row, &mut rows, &mut keys, &mut later);
        }
        while rows.len() < MAX_BATCH {
            match self.rx.try_recv() {
                Ok(row) => admit(row, &mut rows, &mut keys, &mut later),
                Err(_) => break,
            }
        }
        self.carried = later;
        Some(rows)
    }
}

/// Put `row` in this batch unless its key is already there.
fn admit(
    row: Pending,
    rows: &mut Vec<Pending>,
    keys: &mut HashSet<(i16, String)>,
    later: &mut VecDeque<Pending>,
) {
    if keys.insert((row.row.kind, row.row.key.clone())) {
        rows.push(row);
    } else {
        later.push_back(row);
    }
}

async fn writer(pool: Pool, intake: Arc<Mutex<Intake>>) {
    loop {
        let batch = intake.lock().await.gather().await;
        let Some(mut rows) = batch else { return };
        rows.sort_by(|a, b| (a.row.kind, &a.row.key).cmp(&(b.row.kind, &b.row.key)));
        match write(&pool, &rows).await {
            Ok(written) => {
                for row in rows {
                    let ok = written.contains(&(row.row.kind, row.row.key));
                    let _ = row.reply.send(Ok(ok));
                }
            }
            // One row the server refuses must not fail the others queued with it: each is
            // sent on its own (a lost connection fails them all alike, so is not retried).
            Err(e) if rows.len() > 1 && !matches!(e, StoreError::Unavailable(_)) => {
                for row in rows {
                    let outcome = write(&pool, std::slice::from_ref(&row))
                        .await
                        .map(|written| !written.is_empty());
                    let _ = row.reply.send(outcome);
                }
            }
            Err(e) => {
                for row in rows {
                    let _ = row.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// One statement for the whole batch; the keys it inserted or replaced.
async fn write(pool: &Pool, pending: &[Pending]) -> Result<HashSet<(i16, String)>, StoreError> {
    let client = pool.get().await.map_err(pool_err)?;
    let rows: Vec<&Row> = pending.iter().map(|p| &p.row).collect();
    // One instant for the batch: the earliest caller's, so a record is replaced only if it
    // had expired for every caller in it (rows of one batch arrived within milliseconds).
    let now = rows.iter().map(|r| r.now).min().unwrap_or(0);
    let kinds: Vec<i16> = rows.iter().map(|r| r.kind).collect();
    let keys: Vec<&str> = rows.iter().map(|r| r.key.as_str()).collect();
    let families: Vec<&str> = rows.iter().map(|r| r.family.as_str()).collect();
    let expiries: Vec<i64> = rows.iter().map(|r| r.expires_at).collect();
    let docs: Vec<&str> = rows.iter().map(|r| r.doc.as_str()).collect();
    let stmt = client
        .prepare_cached(
            "INSERT INTO jans_grant (kind, key, family, expires_at, doc) \
             SELECT k, ky, f, e, d \
             FROM unnest($1::smallint[], $2::text[], $3::text[], $4::bigint[], $5::text[]) \
               AS t(k, ky, f, e, d) \
             ON CONFLICT (kind, key) DO UPDATE \
             SET family = EXCLUDED.family, expires_at = EXCLUDED.expires_at, doc = EXCLUDED.doc, \
                 used = false, counter = 0 \
             WHERE jans_grant.expires_at <= $6 \
             RETURNING kind, key",
        )
        .await
        .map_err(map_err)?;
    let written = client
        .query(&stmt, &[&kinds, &keys, &families, &expiries, &docs, &now])
        .await
        .map_err(map_err)?;
    written
        .iter()
        .map(|r| {
            Ok((
                r.try_get(0).map_err(map_err)?,
                r.try_get(1).map_err(map_err)?,
            ))
        })
        .collect()
}
