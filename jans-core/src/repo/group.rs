//! Groups (Janssen's `jansGrp`): named sets of people, managed through SCIM (RFC 7643 §4.2)
//! and released in the `groups` claim. A collection of the document store (DESIGN.md §4);
//! changes name the revision they read, so of two racing updates one wins.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::DocumentStore;

/// What a member is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberKind {
    /// A person (`inum`).
    #[default]
    User,
    /// Another group (`inum`).
    Group,
}

/// One member of a group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    /// The member's `inum`.
    pub value: String,
    /// What it is.
    #[serde(default, rename = "type")]
    pub kind: MemberKind,
}

/// A group.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// Internal, immutable id (Janssen `inum`).
    pub inum: String,
    /// Its name (Janssen `displayName`).
    pub display_name: String,
    /// Its members, each once.
    #[serde(default)]
    pub members: Vec<Member>,
    /// The provisioning client's id of it (SCIM `externalId`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// When it was created.
    #[serde(default)]
    pub created_at: UnixTime,
    /// When it last changed.
    #[serde(default)]
    pub updated_at: UnixTime,
}

/// Groups: the collection `groups`, by `inum`.
#[derive(Clone, Debug)]
pub struct Groups(Collection<Group>);

impl Groups {
    /// The collection's name.
    pub const COLLECTION: &'static str = "groups";

    /// The groups of `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> Groups {
        Groups(Collection::new(store, Self::COLLECTION))
    }

    /// Store a new group; `Conflict` when its inum is taken.
    pub async fn insert(&self, group: &Group) -> Result<u64, StoreError> {
        self.0.insert(&group.inum, group, &[]).await
    }

    /// The group `inum` with its revision.
    pub async fn get(&self, inum: &str) -> Result<Option<(u64, Group)>, StoreError> {
        self.0.get_revision(inum).await
    }

    /// Replace the group, only if it is still at `revision`: `Conflict` when another write
    /// came first, `NotFound` when it is gone. Returns the new revision.
    pub async fn update(&self, group: &Group, revision: u64) -> Result<u64, StoreError> {
        self.0
            .replace(&group.inum, group, &[], Some(revision))
            .await
    }

    /// Delete the group `inum`; whether it existed.
    pub async fn delete(&self, inum: &str) -> Result<bool, StoreError> {
        self.0.delete(inum).await
    }

    /// Every group, ordered by `inum`.
    pub async fn list(&self) -> Result<Vec<Group>, StoreError> {
        self.0.all().await
    }

    /// The groups `inum` is a direct member of, ordered by `inum`.
    pub async fn of_member(&self, inum: &str) -> Result<Vec<Group>, StoreError> {
        let mut all = self.list().await?;
        all.retain(|g| g.members.iter().any(|m| m.value == inum));
        Ok(all)
    }
}
