//! Groups (Janssen's `jansGrp`): named sets of people, managed through SCIM (RFC 7643 §4.2)
//! and released in the `groups` claim. A collection of the document store (DESIGN.md §4);
//! changes name the revision they read, so of two racing updates one wins.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::repo::collection::Collection;
use crate::repo::user::{User, Users};
use crate::store::StoreError;
use crate::store::document::{DocumentStore, Filter, Key, Test};

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

    /// The index key of the display name, lowercased.
    pub const DISPLAY_NAME: &'static str = "displayName";
    /// The index key of each member's `inum`, lowercased (SCIM's `members.value`, which
    /// is not case-exact).
    pub const MEMBER: &'static str = "member";
    /// The index key of each member's `inum`, exactly: the groups of a person.
    pub const MEMBER_ID: &'static str = "memberId";
    /// The index key of the provisioning client's id (SCIM `externalId`), as given.
    pub const EXTERNAL_ID: &'static str = "externalId";
    /// The index key of when the group last changed: [`crate::repo::user::Users::time_key`]
    /// of the later of `updated_at` and `created_at`.
    pub const UPDATED: &'static str = "updated";
    /// The version of [`Groups::keys`] ([`Groups::reindex`]).
    const KEYS_VERSION: u64 = 2;

    /// The groups of `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> Groups {
        Groups(Collection::new(store, Self::COLLECTION))
    }

    /// The index keys a group is stored with: [`Groups::DISPLAY_NAME`], [`Groups::MEMBER`],
    /// [`Groups::MEMBER_ID`], [`Groups::EXTERNAL_ID`] and [`Groups::UPDATED`].
    pub fn keys(group: &Group) -> Vec<Key> {
        let mut keys = vec![
            Key::index(Self::DISPLAY_NAME, group.display_name.to_lowercase()),
            Key::index(
                Self::UPDATED,
                Users::time_key(group.updated_at.max(group.created_at)),
            ),
        ];
        keys.extend(group.members.iter().flat_map(|m| {
            [
                Key::index(Self::MEMBER, m.value.to_lowercase()),
                Key::index(Self::MEMBER_ID, m.value.as_str()),
            ]
        }));
        keys.extend(
            group
                .external_id
                .iter()
                .map(|x| Key::index(Self::EXTERNAL_ID, x.as_str())),
        );
        keys
    }

    /// Give the groups stored before [`Groups::keys`] last changed their keys (engine
    /// start); how many were rewritten.
    pub async fn reindex(&self) -> Result<usize, StoreError> {
        self.0.reindex(Self::KEYS_VERSION, Self::keys).await
    }

    /// Up to `limit` groups whose keys pass `filter`, in `inum` order, with their
    /// revisions: the store's indexed evaluation.
    pub async fn query(
        &self,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(u64, Group)>, StoreError> {
        self.0.query(filter, limit).await
    }

    /// Store a new group; `Conflict` when its inum is taken.
    pub async fn insert(&self, group: &Group) -> Result<u64, StoreError> {
        self.0.insert(&group.inum, group, &Self::keys(group)).await
    }

    /// The group `inum` with its revision.
    pub async fn get(&self, inum: &str) -> Result<Option<(u64, Group)>, StoreError> {
        self.0.get_revision(inum).await
    }

    /// Replace the group, only if it is still at `revision`: `Conflict` when another write
    /// came first, `NotFound` when it is gone. Returns the new revision.
    pub async fn update(&self, group: &Group, revision: u64) -> Result<u64, StoreError> {
        self.0
            .replace(&group.inum, group, &Self::keys(group), Some(revision))
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

    /// Take `member` out of the group `group` (nothing when it is not a member or the group
    /// is gone), applied again to what a concurrent write left.
    pub async fn drop_member(&self, group: &str, member: &str) -> Result<(), StoreError> {
        for _ in 0..8 {
            let Some((revision, mut g)) = self.get(group).await? else {
                return Ok(());
            };
            let before = g.members.len();
            g.members.retain(|m| m.value != member);
            if g.members.len() == before {
                return Ok(());
            }
            match self.update(&g, revision).await {
                Ok(_) | Err(StoreError::NotFound) => return Ok(()),
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict)
    }

    /// The groups `inum` is a direct member of, ordered by `inum`: one lookup of the
    /// [`Groups::MEMBER_ID`] index.
    pub async fn of_member(&self, inum: &str) -> Result<Vec<Group>, StoreError> {
        let filter = Filter::key(Self::MEMBER_ID, Test::Eq(inum.to_owned()));
        Ok(self
            .query(&filter, usize::MAX)
            .await?
            .into_iter()
            .map(|(_, g)| g)
            .collect())
    }

    /// Up to `limit` users of `users` whose keys pass `filter`, in `inum` order, each with
    /// the groups it is a direct member of (in `inum` order): one read where the backend
    /// joins ([`crate::store::document::DocumentStore::query_joined`]).
    pub async fn users_with_groups(
        &self,
        users: &Users,
        filter: &Filter,
        limit: usize,
    ) -> Result<Vec<(User, Vec<Group>)>, StoreError> {
        let (found, groups) = users
            .collection()
            .query_joined(filter, limit, &self.0, Self::MEMBER_ID)
            .await?;
        let mut of: std::collections::HashMap<String, Vec<Group>> = found
            .iter()
            .map(|(_, u)| (u.inum.clone(), Vec::new()))
            .collect();
        for (_, g) in &groups {
            for m in &g.members {
                if let Some(mine) = of.get_mut(&m.value)
                    && mine.last().is_none_or(|last| last.inum != g.inum)
                {
                    mine.push(g.clone());
                }
            }
        }
        Ok(found
            .into_iter()
            .map(|(_, u)| {
                let mine = of.remove(&u.inum).unwrap_or_default();
                (u, mine)
            })
            .collect())
    }
}
