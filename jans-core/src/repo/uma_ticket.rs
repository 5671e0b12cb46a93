//! UMA permission tickets (Federated Authorization §4): what a resource server asked
//! access to on behalf of a requesting party — resources of one owner and scopes of each —
//! kept in the grant store by the ticket's hash until the UMA grant takes it, once
//! (an atomic take: of concurrent redemptions exactly one gets it).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ctx::UnixTime;
use crate::repo::grant::{GrantRecords, token_key};
use crate::store::{GrantData, GrantKind, GrantRecord, GrantStore, StoreError};

/// One requested permission: a resource and some of its scopes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// The resource's `_id`.
    pub resource_id: String,
    /// The scopes asked.
    pub resource_scopes: Vec<String>,
}

/// What a ticket stands for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// The resources' owner ([`crate::repo::uma_resource::UmaResources::owner_key`]).
    pub owner: String,
    /// The resource server's client (the PAT's).
    pub client_id: String,
    /// The permissions asked.
    pub permissions: Vec<Permission>,
    /// Claims of the requesting party gathered interactively for this ticket (UMA 2.0
    /// Grant §3.3.2), which the UMA grant adds to those the client pushes.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// Whether claims were gathered for it (then claims still missing are a refusal, not
    /// another `need_info`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gathered: bool,
}

impl GrantData for Ticket {
    const MEMBER: Option<&'static str> = Some("ticket");
}

/// The tickets of one store.
#[derive(Clone, Debug)]
pub struct Tickets(GrantRecords<Ticket>);

impl Tickets {
    /// The tickets kept in `grants`.
    pub fn new(grants: Arc<dyn GrantStore>) -> Tickets {
        Tickets(GrantRecords::new(grants, GrantKind::UmaTicket))
    }

    /// Keep `ticket` under the bearer value `value` until `expires_at`.
    pub async fn insert(
        &self,
        value: &str,
        ticket: &Ticket,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        let stamp = GrantRecord {
            client_id: ticket.client_id.clone(),
            ..GrantRecord::bare(now, expires_at)
        };
        self.0.insert(&token_key(value), stamp, ticket, now).await
    }

    /// The live ticket `value`, left in place (the UMA grant checks a request before it
    /// takes the ticket, so a refused request leaves it usable).
    pub async fn read(&self, value: &str, now: UnixTime) -> Result<Option<Ticket>, StoreError> {
        self.0.read(&token_key(value), now).await
    }

    /// Take the live ticket `value`: of concurrent callers, one gets it.
    pub async fn take(&self, value: &str, now: UnixTime) -> Result<Option<Ticket>, StoreError> {
        self.0.take(&token_key(value), now).await
    }
}

/// A claims gathering under way (UMA 2.0 Grant §3.3.2): which ticket and client a
/// browser started it for, so that only that browser, signed in by the login it was sent
/// to, finishes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gathering {
    /// The ticket's hash.
    pub ticket: String,
    /// The client.
    pub client_id: String,
}

impl GrantData for Gathering {
    const MEMBER: Option<&'static str> = Some("gathering");
}

/// The gatherings of one store, by the browser's cookie.
#[derive(Clone, Debug)]
pub struct Gatherings(GrantRecords<Gathering>);

impl Gatherings {
    /// The gatherings kept in `grants`.
    pub fn new(grants: Arc<dyn GrantStore>) -> Gatherings {
        Gatherings(GrantRecords::new(grants, GrantKind::UmaGathering))
    }

    /// Keep `gathering` under the cookie value `cookie` until `expires_at`.
    pub async fn insert(
        &self,
        cookie: &str,
        gathering: &Gathering,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<(), StoreError> {
        let stamp = GrantRecord {
            client_id: gathering.client_id.clone(),
            ..GrantRecord::bare(now, expires_at)
        };
        self.0
            .insert(&token_key(cookie), stamp, gathering, now)
            .await
    }

    /// Take the live gathering of `cookie`: of concurrent callers, one gets it.
    pub async fn take(&self, cookie: &str, now: UnixTime) -> Result<Option<Gathering>, StoreError> {
        self.0.take(&token_key(cookie), now).await
    }
}
