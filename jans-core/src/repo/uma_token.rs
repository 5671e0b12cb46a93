//! The tokens the UMA grant issues (UMA 2.0 Grant §3.3.5), kept in the grant store by the
//! token's hash: requesting party tokens (RPTs), whose permissions the RPT endpoint
//! (`rpt/status`) tells resource servers, and persisted claims tokens (PCTs), which keep
//! what is known of a requesting party for the client's next request.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ctx::UnixTime;
use crate::repo::grant::{GrantRecords, token_key};
use crate::store::{GrantData, GrantKind, GrantRecord, GrantStore, StoreError};

/// One permission an RPT carries (Federated Authorization §5.1.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RptPermission {
    /// The resource's `_id`.
    pub resource_id: String,
    /// The scopes granted on it.
    pub resource_scopes: Vec<String>,
    /// The resource owner's key (which resources the id is among).
    pub owner: String,
    /// When it was granted.
    pub iat: UnixTime,
    /// When it ends.
    pub exp: UnixTime,
}

/// What an RPT stands for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rpt {
    /// The client it was issued to.
    pub client_id: String,
    /// The requesting party's `sub`, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The permissions.
    pub permissions: Vec<RptPermission>,
    /// The claims of the requesting party it was granted on (`pct_claims`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub claims: Map<String, Value>,
    /// `jti` of a JWT RPT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
}

impl GrantData for Rpt {
    const MEMBER: Option<&'static str> = Some("rpt");
}

/// What a PCT stands for: claims of one requesting party, for one client.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pct {
    /// The client it was issued to (only it may present it).
    pub client_id: String,
    /// The claims.
    pub claims: Map<String, Value>,
}

impl GrantData for Pct {
    const MEMBER: Option<&'static str> = Some("pct");
}

/// The RPTs and PCTs of one store.
#[derive(Clone, Debug)]
pub struct UmaTokens {
    rpts: GrantRecords<Rpt>,
    pcts: GrantRecords<Pct>,
}

impl UmaTokens {
    /// The tokens kept in `grants`.
    pub fn new(grants: Arc<dyn GrantStore>) -> UmaTokens {
        UmaTokens {
            rpts: GrantRecords::new(grants.clone(), GrantKind::UmaRpt),
            pcts: GrantRecords::new(grants, GrantKind::UmaPct),
        }
    }

    /// Keep `rpt` under the bearer value `value` until `expires_at`.
    pub async fn insert_rpt(
        &self,
        value: &str,
        rpt: &Rpt,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        let stamp = GrantRecord {
            client_id: rpt.client_id.clone(),
            subject: rpt.subject.clone(),
            ..GrantRecord::bare(now, expires_at)
        };
        self.rpts.insert(&token_key(value), stamp, rpt, now).await
    }

    /// The live RPT `value`, with its record (issued and expiry instants).
    pub async fn rpt(
        &self,
        value: &str,
        now: UnixTime,
    ) -> Result<Option<(Arc<GrantRecord>, Rpt)>, StoreError> {
        self.rpts.get(&token_key(value), now).await
    }

    /// Take the live RPT `value` (an upgrade replaces it): of concurrent callers, one
    /// gets it.
    pub async fn take_rpt(&self, value: &str, now: UnixTime) -> Result<Option<Rpt>, StoreError> {
        self.rpts.take(&token_key(value), now).await
    }

    /// Revoke the RPT `value`; whether it was there.
    pub async fn revoke_rpt(&self, value: &str) -> Result<bool, StoreError> {
        self.rpts.remove(&token_key(value)).await
    }

    /// Keep `pct` under `value` until `expires_at`.
    pub async fn insert_pct(
        &self,
        value: &str,
        pct: &Pct,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        let stamp = GrantRecord {
            client_id: pct.client_id.clone(),
            ..GrantRecord::bare(now, expires_at)
        };
        self.pcts.insert(&token_key(value), stamp, pct, now).await
    }

    /// The live PCT `value`.
    pub async fn pct(&self, value: &str, now: UnixTime) -> Result<Option<Pct>, StoreError> {
        self.pcts.read(&token_key(value), now).await
    }
}
