//! People's trusted devices (Janssen Casa's `jansTrustedDevices`): browsers where a person
//! confirmed a second factor, so their "unknown device" and "unknown location" policies
//! can skip it there. Kept in the collection `trusted_devices`, with an index by the
//! person's inum; a document's id is derived from the person and the random device id the
//! browser's sealed cookie carries (`auth::authn::trusted_device`), so one browser is a
//! separate device for each person, and the id shown and revoked is never the cookie's.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::{DocumentStore, Filter, Key, Test};

/// Most devices one person keeps trusted; trusting one more forgets the least recently used.
pub const MAX_PER_PERSON: usize = 20;

/// Most countries remembered per device.
pub const MAX_ORIGINS: usize = 10;

/// A country a person signed in from on a device, and when last.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// The last sign-in from it.
    pub seen_at: UnixTime,
}

/// One trusted device of one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedDevice {
    /// Its id (derived from the person and the device id; not the cookie).
    pub id: String,
    /// The person's inum.
    pub user: String,
    /// The browser, as its `User-Agent` names it ("Chrome 131").
    pub browser: String,
    /// The operating system, likewise ("Linux").
    pub os: String,
    /// When a second factor first confirmed it.
    pub added_at: UnixTime,
    /// The last sign-in on it.
    pub last_used: UnixTime,
    /// Trusted until then, unless a second factor confirms it again.
    pub trusted_until: UnixTime,
    /// Countries signed in from on it, most recent first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<Origin>,
}

impl TrustedDevice {
    /// Note a sign-in from `country` (when known) at `now`.
    pub fn seen(&mut self, country: Option<&str>, now: UnixTime) {
        self.last_used = now;
        if let Some(c) = country {
            self.origins.retain(|o| o.country != c);
            self.origins.insert(
                0,
                Origin {
                    country: c.to_owned(),
                    seen_at: now,
                },
            );
            self.origins.truncate(MAX_ORIGINS);
        }
    }
}

/// The trusted devices.
#[derive(Clone, Debug)]
pub struct TrustedDevices(Collection<TrustedDevice>);

impl TrustedDevices {
    /// The collection's name.
    pub const COLLECTION: &'static str = "trusted_devices";
    /// The index by person.
    pub const USER: &'static str = "user";
    const ATTEMPTS: usize = 16;

    /// The devices kept in `store`.
    pub fn new(store: Arc<dyn DocumentStore>) -> TrustedDevices {
        TrustedDevices(Collection::new(store, Self::COLLECTION))
    }

    fn keys(d: &TrustedDevice) -> Vec<Key> {
        vec![Key::index(Self::USER, d.user.clone())]
    }

    /// The device `id` of the person `user` (another person's is `None`).
    pub async fn get(&self, user: &str, id: &str) -> Result<Option<TrustedDevice>, StoreError> {
        Ok(self.0.get(id).await?.filter(|d| d.user == user))
    }

    /// The person's devices, most recently used first.
    pub async fn of_user(&self, user: &str) -> Result<Vec<TrustedDevice>, StoreError> {
        let filter = Filter::key(Self::USER, Test::Eq(user.to_owned()));
        let mut all: Vec<TrustedDevice> = self
            .0
            .query(&filter, MAX_PER_PERSON * 2)
            .await?
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        all.sort_by(|a, b| (b.last_used, &b.id).cmp(&(a.last_used, &a.id)));
        Ok(all)
    }

    /// Keep `device` (new, or replacing the one with its id), then forget the person's
    /// least recently used devices beyond [`MAX_PER_PERSON`].
    pub async fn put(&self, device: &TrustedDevice) -> Result<(), StoreError> {
        match self.0.insert(&device.id, device, &Self::keys(device)).await {
            Err(StoreError::Conflict) => {
                self.0
                    .replace(&device.id, device, &Self::keys(device), None)
                    .await?;
            }
            other => {
                other?;
            }
        }
        let all = self.of_user(&device.user).await?;
        for old in all.iter().skip(MAX_PER_PERSON) {
            self.delete(&old.user, &old.id).await?;
        }
        Ok(())
    }

    /// Note a sign-in on the person's device `id` from `country` at `now`; `false` when
    /// there is no such device.
    pub async fn seen(
        &self,
        user: &str,
        id: &str,
        country: Option<&str>,
        now: UnixTime,
    ) -> Result<bool, StoreError> {
        self.0
            .update(id, Self::ATTEMPTS, Self::keys, |d| {
                if d.user != user {
                    return false;
                }
                d.seen(country, now);
                true
            })
            .await
    }

    /// Stop trusting the person's device `id`; `false` when there is none (or it is
    /// another person's).
    pub async fn delete(&self, user: &str, id: &str) -> Result<bool, StoreError> {
        self.0
            .delete_if(id, Self::ATTEMPTS, |d| d.user == user)
            .await
    }

    /// Stop trusting every device of the person; how many there were.
    pub async fn delete_all(&self, user: &str) -> Result<usize, StoreError> {
        let mut n = 0;
        for d in self.of_user(user).await? {
            if self.delete(user, &d.id).await? {
                n += 1;
            }
        }
        Ok(n)
    }
}
