//! Resources registered by UMA resource servers (UMA 2.0 Federated Authorization §3.1),
//! kept by their owner: the resource owner of the protection API token (PAT) that
//! registered them, or its client for a client's own PAT. A resource's id in the
//! collection is `{owner key}/{rsid}`, so a PAT reaches only its owner's resources, and
//! listing them is one range of the id index.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ctx::UnixTime;
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::DocumentStore;

/// Most resources one owner lists.
pub const MAX_PER_OWNER: usize = 10_000;

/// A registered resource, with Janssen's members.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UmaResource {
    /// Its id (`_id`), drawn at registration.
    pub id: String,
    /// The owner's key ([`UmaResources::owner_key`]).
    pub owner: String,
    /// The owner: the resource owner's `inum`, or the client of a client's own PAT (what
    /// policies see as the resource's `owner`).
    #[serde(default)]
    pub owner_id: String,
    /// The client whose PAT registered it.
    pub client_id: String,
    /// A name people read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// An icon's URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_uri: Option<String>,
    /// Its type (a string the resource server chooses).
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The scopes it may be accessed with.
    pub resource_scopes: Vec<String>,
    /// Janssen's `scope_expression` (a rule over scopes), as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_expression: Option<serde_json::Value>,
    /// What it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// When it was registered.
    pub iat: UnixTime,
    /// When it stops existing.
    pub exp: UnixTime,
}

/// The collection `uma_resources`.
#[derive(Clone, Debug)]
pub struct UmaResources(Collection<UmaResource>);

impl UmaResources {
    /// The collection's name.
    pub const COLLECTION: &'static str = "uma_resources";

    /// The resources kept in `store`.
    pub fn new(store: std::sync::Arc<dyn DocumentStore>) -> UmaResources {
        UmaResources(Collection::new(store, Self::COLLECTION))
    }

    /// The key of an owner: the PAT's resource owner, or `client:` and its client for a
    /// client's own PAT; hashed, so that it is a fixed-size id part.
    pub fn owner_key(subject: Option<&str>, client_id: &str) -> String {
        let owner = match subject {
            Some(s) => format!("subject:{s}"),
            None => format!("client:{client_id}"),
        };
        crate::b64::encode(&Sha256::digest(owner.as_bytes()))
    }

    fn id(owner: &str, rsid: &str) -> String {
        format!("{owner}/{rsid}")
    }

    /// Register `resource`; `Conflict` if its id is taken.
    pub async fn insert(&self, resource: &UmaResource) -> Result<(), StoreError> {
        self.0
            .insert(&Self::id(&resource.owner, &resource.id), resource, &[])
            .await
            .map(drop)
    }

    /// The live resource `rsid` of `owner`, with its revision.
    pub async fn get(
        &self,
        owner: &str,
        rsid: &str,
        now: UnixTime,
    ) -> Result<Option<(u64, UmaResource)>, StoreError> {
        Ok(self
            .0
            .get_revision(&Self::id(owner, rsid))
            .await?
            .filter(|(_, r)| r.exp > now))
    }

    /// Replace `resource` if it is still at `revision` (`Conflict` when another write came
    /// first, `NotFound` when it is gone).
    pub async fn replace(&self, resource: &UmaResource, revision: u64) -> Result<(), StoreError> {
        self.0
            .replace(
                &Self::id(&resource.owner, &resource.id),
                resource,
                &[],
                Some(revision),
            )
            .await
            .map(drop)
    }

    /// Delete the resource `rsid` of `owner`; whether it was there.
    pub async fn delete(&self, owner: &str, rsid: &str) -> Result<bool, StoreError> {
        self.0.delete(&Self::id(owner, rsid)).await
    }

    /// Every live resource (a scan: what an administrator lists), in id order.
    pub async fn all(&self, now: UnixTime) -> Result<Vec<UmaResource>, StoreError> {
        let mut found = self.0.all().await?;
        found.retain(|r| r.exp > now);
        Ok(found)
    }

    /// The live resources of `owner`, in id order.
    pub async fn of_owner(
        &self,
        owner: &str,
        now: UnixTime,
    ) -> Result<Vec<UmaResource>, StoreError> {
        let mut found = self.0.range(&format!("{owner}/"), MAX_PER_OWNER).await?;
        found.retain(|r| r.exp > now);
        Ok(found)
    }
}
