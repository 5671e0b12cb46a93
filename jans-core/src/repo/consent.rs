//! Remembered consent: the scopes a person approved for a client (Janssen's client
//! authorizations), kept as grant records of the family `consent:{inum}`.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::repo::grant::{GrantRecords, token_key};
use crate::store::{GrantData, GrantKind, GrantRecord, GrantStore, StoreError};

/// The scopes a person approved for one client.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Consent(pub Vec<String>);

impl GrantData for Consent {
    const MEMBER: Option<&'static str> = Some("scopes");
}

/// Consents, by person and client.
#[derive(Clone, Debug)]
pub struct Consents(GrantRecords<Consent>);

impl Consents {
    /// The consents kept in `grants`.
    pub fn new(grants: Arc<dyn GrantStore>) -> Consents {
        Consents(GrantRecords::new(grants, GrantKind::Consent))
    }

    /// The store key of a person's consent for a client.
    fn key(user_inum: &str, client_id: &str) -> String {
        token_key(&format!("{user_inum}\u{0}{client_id}"))
    }

    /// The scopes `user_inum` approved for `client_id` (none when nothing is remembered).
    pub async fn get(
        &self,
        user_inum: &str,
        client_id: &str,
        now: UnixTime,
    ) -> Result<Consent, StoreError> {
        Ok(self
            .0
            .read(&Self::key(user_inum, client_id), now)
            .await?
            .unwrap_or_default())
    }

    /// Remember `consent` of `user_inum` for `client_id` until `until`, replacing what was.
    pub async fn put(
        &self,
        user_inum: &str,
        client_id: &str,
        consent: &Consent,
        now: UnixTime,
        until: UnixTime,
    ) -> Result<(), StoreError> {
        let mut stamp = GrantRecord::bare(now, until);
        stamp.family = format!("consent:{user_inum}");
        stamp.client_id = client_id.to_owned();
        stamp.subject = Some(user_inum.to_owned());
        self.0
            .replace(&Self::key(user_inum, client_id), stamp, consent, now)
            .await
    }

    /// Every client `user_inum` consented to, with the scopes approved (a listing of the
    /// family `consent:{inum}`: [`crate::store::GrantStore::family`]), by client id.
    pub async fn of_user(
        &self,
        user_inum: &str,
        now: UnixTime,
    ) -> Result<Vec<(String, Consent)>, StoreError> {
        let found = self
            .0
            .store()
            .family(&format!("consent:{user_inum}"), now, 10_000)
            .await?;
        let mut out: Vec<(String, Consent)> = found
            .into_iter()
            .filter(|(kind, _, _)| *kind == GrantKind::Consent)
            .filter_map(|(_, _, rec)| {
                let consent = rec.read::<Consent>().ok()?;
                Some((rec.client_id, consent))
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Forget what `user_inum` approved for `client_id`; whether there was anything.
    pub async fn remove(&self, user_inum: &str, client_id: &str) -> Result<bool, StoreError> {
        self.0
            .store()
            .remove(GrantKind::Consent, &Self::key(user_inum, client_id))
            .await
    }
}
