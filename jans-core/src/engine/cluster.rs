//! What the engine does for the whole process, and across nodes on shared stores: the
//! first start, the shared configuration (Janssen's `jansConfDyn`), scopes, key rotation
//! under a lease, and sweeping.

use crate::ctx::{Ctx, UnixTime};
use crate::error::Error;
use crate::error::oauth::OAuthError;
use crate::keys::rotation::Change;
use crate::store::StoreError;

use super::Engine;

/// What a [`Engine::tick`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Key changes applied.
    pub key_changes: Vec<Change>,
    /// Expired grant records deleted.
    pub swept: usize,
}

pub use crate::services::{key_reload_bound, shared_doc};

impl Engine {
    /// Load keys, generating what is missing (first start) and rotating what is due; give
    /// documents stored by an earlier version the keys their repository now indexes.
    ///
    /// First the master key is checked against the check value the store recorded when it
    /// was initialized: a node given another key is told so, and how to fix it, before it
    /// opens anything. A store without a check value (made by an earlier version) records
    /// this key's once its keys opened with it.
    pub async fn start(&self, ctx: &Ctx) -> Result<Vec<Change>, Error> {
        let keys = &self.services().stores().keys;
        let mine = &self.inner.master_key_check;
        if let Some(recorded) = keys.master_key_check(None).await?
            && recorded != *mine
        {
            return Err(Error::MasterKeyMismatch);
        }
        self.sync_config().await?;
        self.load_scopes().await?;
        // The protection scopes this version added, for a store an earlier one made.
        let protection = crate::repo::scope::protection();
        if self.services().stores().scopes.offer(&protection).await? > 0 {
            self.load_scopes().await?;
        }
        self.seed_attributes().await?;
        self.services().stores().reindex().await?;
        let changes = match self.rotate_keys(ctx, false).await {
            Err(Error::Seal(_)) => return Err(Error::MasterKeyMismatch),
            other => other?,
        };
        if keys.master_key_check(Some(mine)).await?.as_ref() != Some(mine) {
            return Err(Error::MasterKeyMismatch);
        }
        Ok(changes)
    }

    /// Load the stored scopes; a store holding none (a new installation) is first seeded
    /// with [`crate::repo::scope::defaults`] (nodes racing to seed: each default lands
    /// once). Returns how many scopes this call added.
    pub async fn load_scopes(&self) -> Result<usize, Error> {
        let services = self.services();
        let store = &services.stores().scopes;
        let mut scopes = store.list().await?;
        let mut added = 0;
        if scopes.is_empty() {
            for scope in crate::repo::scope::defaults() {
                match store.insert(&scope).await {
                    Ok(()) => added += 1,
                    Err(StoreError::Conflict) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            scopes = store.list().await?;
        }
        if *services.scopes() != scopes {
            services.install_scopes(scopes);
        }
        Ok(added)
    }

    /// Seed a store holding no attributes (a new installation) with
    /// [`crate::repo::attribute::defaults`]; nodes racing to seed: each lands once.
    /// Returns how many this call added.
    pub async fn seed_attributes(&self) -> Result<usize, Error> {
        let store = &self.services().stores().attributes;
        if !store.list().await?.is_empty() {
            return Ok(0);
        }
        let mut added = 0;
        for a in crate::repo::attribute::defaults() {
            match store.insert(&a).await {
                Ok(()) => added += 1,
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(added)
    }

    /// Run the stored configuration (Janssen's `jansConfDyn`). On shared stores, seed the
    /// store from this node's configuration when it holds none, else adopt a newer stored
    /// revision. A single-process store (sled, memory) holds one only once the
    /// configuration was changed through the engine ([`Engine::update_config`], the config
    /// API): until then its configuration file governs, after that the stored document
    /// (as Janssen's database does; `jans config reset` returns to the file). The
    /// `persistence` section always stays this node's own. Returns whether the
    /// configuration changed. A stored document that does not validate is refused and the
    /// running configuration kept.
    pub async fn sync_config(&self) -> Result<bool, Error> {
        let services = self.services();
        let store = &services.stores().config;
        let stored = match store.get().await? {
            Some(s) => s,
            None if !services.stores().shared => return Ok(false),
            None => match store.put(&shared_doc(&self.config())?, 0).await {
                Ok(revision) => {
                    services.set_config_revision(revision);
                    return Ok(false);
                }
                // Another node seeded it first: take theirs.
                Err(StoreError::Conflict) => match store.get().await? {
                    Some(s) => s,
                    None => return Ok(false),
                },
                Err(e) => return Err(e.into()),
            },
        };
        if stored.revision == services.config_revision() {
            return Ok(false);
        }
        let config = services.with_local(stored.doc)?;
        services.install_config(config);
        services.set_config_revision(stored.revision);
        Ok(true)
    }

    /// Change the stored configuration: `doc` (Janssen property names, without
    /// `persistence`) is validated, written if nobody changed the stored revision since this
    /// node read it, and applied here at once; other nodes apply it within
    /// `configurationUpdateInterval`. Returns the new revision.
    pub async fn update_config(&self, doc: serde_json::Value) -> Result<u64, Error> {
        let services = self.services();
        match services.store_config(doc, services.config_revision()).await {
            Err(Error::Store(StoreError::Conflict)) => Err(OAuthError::invalid_request(
                "the configuration changed meanwhile: read it again and retry",
            )
            .into()),
            other => other,
        }
    }

    /// Forget the stored configuration of a single-process store: its configuration file
    /// governs again from the next start. Whether one was stored. Shared stores keep
    /// theirs (every node runs it).
    pub async fn reset_config(&self) -> Result<bool, Error> {
        let services = self.services();
        if services.stores().shared {
            return Err(OAuthError::invalid_request(
                "the nodes of a shared store run its stored configuration: change it instead",
            )
            .into());
        }
        Ok(services.stores().config.delete().await?)
    }

    /// The revision of the shared configuration this node runs (0: not shared or none).
    pub fn config_revision(&self) -> u64 {
        self.services().config_revision()
    }

    /// Apply due rotations (or rotate every algorithm now, with `force`):
    /// [`crate::services::Services::rotate_keys`].
    pub async fn rotate_keys(&self, ctx: &Ctx, force: bool) -> Result<Vec<Change>, Error> {
        self.services().rotate_keys(ctx, force).await
    }

    /// Periodic work the host drives: pick up keys rotated elsewhere, store the usage
    /// statistics gathered, rotate what is due, fetch FIDO metadata that is due, and sweep
    /// expired grants (one node at a time: a lease).
    pub async fn tick(&self, ctx: &Ctx) -> Result<TickReport, Error> {
        if let Err(e) = self.sync_config().await {
            tracing::error!(error = %e, "the shared configuration was not applied");
        }
        if let Err(e) = self.load_scopes().await {
            tracing::error!(error = %e, "the scopes were not reloaded");
        }
        if let Err(e) = self.flush_stats(ctx.now).await {
            tracing::error!(error = %e, "usage statistics were not stored (kept for the next tick)");
        }
        // FIDO metadata BLOBs, when one is due (a no-op without `metadataServers`).
        self.fido2().refresh_metadata(ctx).await;
        let key_changes = self.rotate_keys(ctx, false).await?;
        let swept = self.cleanup(ctx).await?.unwrap_or(0);
        Ok(TickReport { key_changes, swept })
    }

    /// Store the usage statistics this node gathered since the last flush
    /// ([`crate::repo::stat::Stats::flush`]): every tick, and when the host stops.
    pub async fn flush_stats(&self, now: UnixTime) -> Result<(), StoreError> {
        self.services().stores().stats.flush(now).await
    }

    /// Sweep expired grants unless another node is sweeping now (`None` then).
    pub async fn cleanup(&self, ctx: &Ctx) -> Result<Option<usize>, Error> {
        self.services()
            .with_lease("cleanup", ctx, async || self.sweep(ctx.now).await)
            .await
    }

    /// Whether every configured algorithm has a key that signs (after [`Engine::start`]:
    /// false while another node is still generating the first keys).
    pub fn keys_ready(&self) -> bool {
        let ring = self.services().keys().ring();
        self.config()
            .key_algs_allowed_for_generation
            .iter()
            .all(|a| match *a {
                crate::jose::KeyAlgorithm::Sig(s) => ring.signer(s).is_some(),
                crate::jose::KeyAlgorithm::Enc(e) => ring.encryption_algorithms().contains(&e),
            })
    }

    /// Delete expired grant records in batches of `cleanServiceBatchChunkSize`.
    pub async fn sweep(&self, now: UnixTime) -> Result<usize, Error> {
        let chunk = self.config().clean_service_batch_chunk_size;
        let mut total = 0;
        loop {
            let n = self.services().stores().grants.sweep(now, chunk).await?;
            total += n;
            if n < chunk {
                return Ok(total);
            }
        }
    }

    /// Whether the stores answer (for readiness probes).
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.services()
            .stores()
            .clients
            .get("-readiness-probe-")
            .await
            .map(|_| ())
    }
}
