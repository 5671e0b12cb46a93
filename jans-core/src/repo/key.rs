//! Signing keys as stored (Janssen's auth-key-rotation): the public JWK in clear, the
//! private half sealed, and where each key is in its life. The ring that uses them is
//! [`crate::keys`].

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::jose::{Jwk, KeyAlgorithm};
use crate::repo::collection::Collection;
use crate::store::StoreError;
use crate::store::document::DocumentStore;

/// Where a key is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Published in the JWKS, not yet signing: relying parties learn it before it is used.
    Next,
    /// Published and signing.
    Active,
    /// Published, no longer signing, until everything it signed has expired.
    Retired,
    /// No longer in the JWKS; served at `/jwks/archived/{kid}`. Its private half is erased.
    Archived,
}

impl KeyStatus {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyStatus::Next => "next",
            KeyStatus::Active => "active",
            KeyStatus::Retired => "retired",
            KeyStatus::Archived => "archived",
        }
    }

    /// Whether the key appears in the published JWKS.
    pub fn is_published(self) -> bool {
        matches!(
            self,
            KeyStatus::Next | KeyStatus::Active | KeyStatus::Retired
        )
    }
}

/// A signing key as stored: public JWK in clear, private half sealed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredKey {
    /// RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// The one algorithm it signs with, or receives JWEs with (then its `use` is `enc`).
    pub alg: KeyAlgorithm,
    /// Life-cycle state.
    pub status: KeyStatus,
    /// When it was generated (and first published).
    pub created_at: UnixTime,
    /// When it started signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated_at: Option<UnixTime>,
    /// When it stopped signing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<UnixTime>,
    /// A retired key stays in the JWKS until this instant, then is archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_until: Option<UnixTime>,
    /// PKCS#8 DER sealed with the [`crate::keys::SecretBox`]; erased when archived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_private: Option<String>,
    /// The public key with `kid`, `alg`, `use`.
    pub public_jwk: Jwk,
    /// A signing key's self-signed X.509 certificate (DER, standard base64), made once when
    /// the key is generated: SAML metadata and signatures carry it, and every node and every
    /// rebuild of a node's key ring must publish the same bytes (aws-lc's ECDSA signatures
    /// are randomized, so making it again would not). Keys stored before it was kept have
    /// none, and get one made when loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

/// Signing keys: the collection `keys`, by `kid`; and the check value of the master key
/// their private halves are sealed under (collection `meta`).
#[derive(Clone, Debug)]
pub struct Keys {
    keys: Collection<StoredKey>,
    meta: Collection<MetaValue>,
}

/// A fact about the installation, kept in the collection `meta`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetaValue {
    /// The value.
    pub value: String,
}

impl Keys {
    /// The collection of keys.
    pub const COLLECTION: &'static str = "keys";
    /// The collection of facts about the installation.
    pub const META: &'static str = "meta";
    /// The id, in [`Keys::META`], of the master key's check value.
    pub const MASTER_KEY_CHECK: &'static str = "master_key_check";

    /// The keys kept in `store`.
    pub fn new(store: std::sync::Arc<dyn DocumentStore>) -> Keys {
        Keys {
            keys: Collection::new(store.clone(), Self::COLLECTION),
            meta: Collection::new(store, Self::META),
        }
    }

    /// Insert or replace by `kid`. Durable when it returns.
    pub async fn put(&self, key: &StoredKey) -> Result<(), StoreError> {
        // Replace, or insert when absent; a racing insert of the same kid is retried as a
        // replace (last writer wins, as a put does).
        for _ in 0..3 {
            match self.keys.replace(&key.kid, key, &[], None).await {
                Err(StoreError::NotFound) => {}
                other => return other.map(drop),
            }
            match self.keys.insert(&key.kid, key, &[]).await {
                Err(StoreError::Conflict) => {}
                other => return other.map(drop),
            }
        }
        Err(StoreError::Conflict)
    }

    /// Every key, ordered by `kid`.
    pub async fn list(&self) -> Result<Vec<StoredKey>, StoreError> {
        self.keys.all().await
    }

    /// Delete by `kid`; `false` if absent.
    pub async fn delete(&self, kid: &str) -> Result<bool, StoreError> {
        self.keys.delete(kid).await
    }

    /// The check value of the master key this store's secrets are sealed under (`None`
    /// before one is recorded). With `record`, that value is stored first when none is, so
    /// the first recorder wins; a caller holding another master key learns it from the
    /// answer before opening anything.
    pub async fn master_key_check(
        &self,
        record: Option<&str>,
    ) -> Result<Option<String>, StoreError> {
        if let Some(r) = record {
            let value = MetaValue {
                value: r.to_owned(),
            };
            match self.meta.insert(Self::MASTER_KEY_CHECK, &value, &[]).await {
                Ok(_) => return Ok(Some(value.value)),
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self
            .meta
            .get(Self::MASTER_KEY_CHECK)
            .await?
            .map(|m| m.value))
    }
}
