//! The grant families of each person: one marker per (person, family) in the family
//! `person:{inum}`, kept as long as something of the family can live, so every token of a
//! person can be found and revoked at once (Janssen's global token revocation).

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::ctx::UnixTime;
use crate::store::{GrantKind, GrantRecord, GrantStore, StoreError};

/// Most family markers of one person read at once.
const MAX_FAMILIES: usize = 100_000;

/// Markers expire at the end of a day: every token of a family issued the same day finds
/// the marker already there (one insert, nothing read).
const BUCKET: UnixTime = 86_400;

/// The families of people's grants.
#[derive(Clone)]
pub struct PersonGrants {
    grants: Arc<dyn GrantStore>,
}

impl std::fmt::Debug for PersonGrants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonGrants")
    }
}

fn family_of(inum: &str) -> String {
    format!("person:{inum}")
}

impl PersonGrants {
    /// Over `grants`.
    pub fn new(grants: Arc<dyn GrantStore>) -> PersonGrants {
        PersonGrants { grants }
    }

    /// Remember that `family` holds tokens of `inum` until `until`, in one insert: the
    /// marker lives to the end of the day `until` falls in, and a token of the family that
    /// outlives it (a refresh days later) adds a marker of its own day.
    pub async fn remember(
        &self,
        inum: &str,
        family: &str,
        until: UnixTime,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let until = until.div_ceil(BUCKET).saturating_mul(BUCKET).max(now + 1);
        let key = crate::b64::encode(&Sha256::digest(
            format!("{inum}\u{0}{family}\u{0}{until}").as_bytes(),
        ));
        let mut marker = GrantRecord {
            family: family_of(inum),
            subject: Some(inum.to_owned()),
            ..GrantRecord::bare(now, until)
        };
        marker.data.insert(
            "family".into(),
            serde_json::Value::String(family.to_owned()),
        );
        match self
            .grants
            .insert(GrantKind::PersonFamily, &key, &marker, now)
            .await
        {
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// The live families of `inum`'s grants.
    pub async fn families(&self, inum: &str, now: UnixTime) -> Result<Vec<String>, StoreError> {
        Ok(self
            .grants
            .family(&family_of(inum), now, MAX_FAMILIES)
            .await?
            .into_iter()
            .filter(|(kind, _, _)| *kind == GrantKind::PersonFamily)
            .filter_map(|(_, _, rec)| {
                rec.data
                    .get("family")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned)
            })
            .collect::<std::collections::BTreeSet<String>>()
            .into_iter()
            .collect())
    }

    /// Forget every family of `inum`.
    pub async fn forget(&self, inum: &str) -> Result<usize, StoreError> {
        self.grants.remove_family(&family_of(inum)).await
    }
}
