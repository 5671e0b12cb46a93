//! Software statement assertions (Janssen's SSA endpoint) this server issued: the
//! collection `ssas`, by `jti`, with an index by `org_id`. The JWT itself is not kept: it is
//! signed again from these claims when asked for.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::{DocumentStore, Filter, Key, Test};

/// Where an SSA stands (Janssen's `SsaState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SsaStatus {
    /// Usable.
    Active,
    /// A one-time SSA that registered a client.
    Used,
    /// Revoked by an administrator.
    Revoked,
}

/// An issued SSA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Ssa {
    /// Its `jti`.
    pub jti: String,
    /// The organization it was issued to.
    pub org_id: String,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// RFC 7591 §2 `software_id`.
    pub software_id: String,
    /// Janssen's `software_roles`.
    pub software_roles: Vec<String>,
    /// The grant types the registered client gets.
    pub grant_types: Vec<String>,
    /// Registers at most one client.
    pub one_time_use: bool,
    /// Janssen's `rotate_ssa` (kept, as Janssen keeps it).
    pub rotate_ssa: bool,
    /// Janssen's `lifetime`, seconds, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u64>,
    /// When it was issued (`iat`).
    pub created_at: UnixTime,
    /// When it expires (`exp`).
    pub expiration: UnixTime,
    /// The client that created it.
    pub creator: String,
    /// Where it stands.
    pub status: SsaStatus,
}

/// The issued SSAs.
#[derive(Clone, Debug)]
pub struct Ssas(Collection<Ssa>);

impl Ssas {
    /// The collection's name.
    pub const COLLECTION: &'static str = "ssas";
    /// The index of `org_id`.
    pub const ORG: &'static str = "org_id";

    /// The SSAs kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> Ssas {
        Ssas(Collection::new(store, Self::COLLECTION))
    }

    fn keys(ssa: &Ssa) -> Vec<Key> {
        vec![Key::index(Self::ORG, ssa.org_id.clone())]
    }

    /// Store a new SSA; `Conflict` if the `jti` is taken.
    pub async fn insert(&self, ssa: &Ssa) -> Result<(), StoreError> {
        self.0
            .insert(&ssa.jti, ssa, &Self::keys(ssa))
            .await
            .map(drop)
    }

    /// The SSA `jti`, with its revision.
    pub async fn get(&self, jti: &str) -> Result<Option<(u64, Ssa)>, StoreError> {
        self.0.get_fresh(jti).await
    }

    /// Replace an SSA only if it is still at `revision` (`Conflict` otherwise): of racing
    /// changes, one applies.
    pub async fn update_at(&self, ssa: &Ssa, revision: u64) -> Result<(), StoreError> {
        self.0
            .replace(&ssa.jti, ssa, &Self::keys(ssa), Some(revision))
            .await
            .map(drop)
    }

    /// Up to `limit` SSAs of `org_id`.
    pub async fn of_org(&self, org_id: &str, limit: usize) -> Result<Vec<Ssa>, StoreError> {
        let filter = Filter::Key {
            name: Self::ORG.to_owned(),
            test: Test::Eq(org_id.to_owned()),
        };
        Ok(self
            .0
            .query(&filter, limit)
            .await?
            .into_iter()
            .map(|(_, s)| s)
            .collect())
    }

    /// Up to `limit` SSAs, in `jti` order.
    pub async fn all(&self, limit: usize) -> Result<Vec<Ssa>, StoreError> {
        Ok(self.0.page(None, limit).await?.0)
    }
}
