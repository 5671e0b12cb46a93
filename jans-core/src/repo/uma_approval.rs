//! Permission requests waiting for a resource owner (UMA 2.0 Grant §3.3.6
//! `request_submitted`): what a requesting party, through a client, asked of one resource
//! that a policy leaves to the owner (`@ask_owner`), and what the owner decided of it.
//! One request per (resource, client, party), kept by its owner like the resources
//! (`{owner key}/{id}`), so an owner lists theirs with one range read.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ctx::UnixTime;
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::DocumentStore;

/// Most requests one owner lists.
pub const MAX_PER_OWNER: usize = 10_000;

/// A permission request and the owner's decisions on it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// Its id (from the resource, the client and the party).
    pub id: String,
    /// The resource owner's key.
    pub owner: String,
    /// The resource's `_id`.
    pub resource_id: String,
    /// The requesting client.
    pub client_id: String,
    /// The requesting party's `sub` (empty when it presented none).
    pub party: String,
    /// Scopes waiting for the owner.
    pub asked: Vec<String>,
    /// Scopes the owner approved.
    pub approved: Vec<String>,
    /// Scopes the owner refused.
    pub denied: Vec<String>,
    /// When it was first asked.
    pub iat: UnixTime,
}

impl Approval {
    /// The id of the request of `party` through `client_id` for `resource_id`.
    pub fn id_of(resource_id: &str, client_id: &str, party: &str) -> String {
        let mut h = Sha256::new();
        for part in [resource_id, client_id, party] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        crate::b64::encode(&h.finalize())
    }
}

/// The collection `uma_approvals`.
#[derive(Clone, Debug)]
pub struct Approvals(Collection<Approval>);

impl Approvals {
    /// The collection's name.
    pub const COLLECTION: &'static str = "uma_approvals";

    /// The requests kept in `store`.
    pub fn new(store: std::sync::Arc<dyn DocumentStore>) -> Approvals {
        Approvals(Collection::new(store, Self::COLLECTION))
    }

    fn key(owner: &str, id: &str) -> String {
        format!("{owner}/{id}")
    }

    /// The request `id` of `owner`, with its revision.
    pub async fn get(&self, owner: &str, id: &str) -> Result<Option<(u64, Approval)>, StoreError> {
        self.0.get_revision(&Self::key(owner, id)).await
    }

    /// Store `approval`: new (`revision` none; `Conflict` if another came first) or over
    /// `revision` (`Conflict` when another write came first).
    pub async fn put(&self, approval: &Approval, revision: Option<u64>) -> Result<(), StoreError> {
        let key = Self::key(&approval.owner, &approval.id);
        match revision {
            None => self.0.insert(&key, approval, &[]).await.map(drop),
            Some(r) => self.0.replace(&key, approval, &[], Some(r)).await.map(drop),
        }
    }

    /// The requests of `owner`, in id order.
    pub async fn of_owner(&self, owner: &str) -> Result<Vec<Approval>, StoreError> {
        self.0.range(&format!("{owner}/"), MAX_PER_OWNER).await
    }
}
