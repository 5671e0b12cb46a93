//! The configuration shared by the nodes of one store (Janssen's `jansConfDyn`): one
//! document of the collection `config`, its revision the document's, written by
//! compare-and-set so of two nodes changing it at once one wins and the other reloads.

use std::sync::Arc;

use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::DocumentStore;

/// The server configuration document with its revision.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredConfig {
    /// Incremented by every write; 1 for the first.
    pub revision: u64,
    /// The configuration, with Janssen's property names.
    pub doc: serde_json::Value,
}

/// The shared configuration: the document `jansConfDyn` of the collection `config`.
#[derive(Clone, Debug)]
pub struct SharedConfig(Collection<serde_json::Value>);

impl SharedConfig {
    /// The collection's name.
    pub const COLLECTION: &'static str = "config";
    /// The document's id.
    pub const ID: &'static str = "jansConfDyn";

    /// The configuration kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> SharedConfig {
        SharedConfig(Collection::new(store, Self::COLLECTION))
    }

    /// The stored configuration, if any.
    pub async fn get(&self) -> Result<Option<StoredConfig>, StoreError> {
        Ok(self
            .0
            .get_fresh(Self::ID)
            .await?
            .map(|(revision, doc)| StoredConfig { revision, doc }))
    }

    /// Store `doc` if the stored revision is still `expected` (0: nothing stored yet), as
    /// revision `expected + 1`; `Conflict` if another writer came first. Durable when it
    /// returns.
    pub async fn put(&self, doc: &serde_json::Value, expected: u64) -> Result<u64, StoreError> {
        if expected == 0 {
            return self.0.insert(Self::ID, doc, &[]).await;
        }
        match self.0.replace(Self::ID, doc, &[], Some(expected)).await {
            // Nothing stored is revision 0, not the one the writer read.
            Err(StoreError::NotFound) => Err(StoreError::Conflict),
            other => other,
        }
    }

    /// Delete the stored configuration; whether there was one.
    pub async fn delete(&self) -> Result<bool, StoreError> {
        self.0.delete(Self::ID).await
    }
}
